import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export interface Route {
  path: string;
  method: string[];
  handler: (req: IncomingMessage, res: ServerResponse) => void;
}

/**
 * A plain HTTP server for the bridge's own routes (Intercom's webhook, health, metrics), for Socket Mode, where
 * Slack needs no HTTP endpoint: the same handlers Bolt's HTTP receiver serves in HTTP mode.
 */
export function routesServer(routes: readonly Route[]): Server {
  return createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://bridge').pathname;
    const route = routes.find((r) => r.path === path);
    if (!route) return void res.writeHead(404).end();
    if (!route.method.includes(req.method ?? ''))
      return void res.writeHead(405, { allow: route.method.join(', ') }).end();
    route.handler(req, res);
  });
}
