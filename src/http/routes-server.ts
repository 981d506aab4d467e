import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from '../logger.ts';
import { refuse } from './read-body.ts';

export interface Route {
  path: string;
  method: string[];
  handler: (req: IncomingMessage, res: ServerResponse) => void;
}

/** How long a sender may take over its headers, and over its whole request: slow senders hold sockets and memory. */
export const HEADERS_TIMEOUT_MS = 10_000;
export const REQUEST_TIMEOUT_MS = 30_000;

const CLIENT_ERRORS: Record<string, [number, string]> = {
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request Timeout'],
  HPE_HEADER_OVERFLOW: [431, 'Request Header Fields Too Large'],
};

/**
 * The bridge's one HTTP server: Slack's endpoint (in HTTP mode) and the bridge's own routes (Intercom's webhook,
 * health, metrics). Whatever arrives — a request target that is no URL, a handler that throws — gets an answer or
 * a closed socket, never an exception past the server.
 */
export function routesServer(routes: readonly Route[], logger?: Logger): Server {
  const server = createServer(
    // Node looks for timed-out requests only every connectionsCheckingInterval (30 s by default)
    { headersTimeout: HEADERS_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS, connectionsCheckingInterval: 1_000 },
    (req, res) => {
      const path = pathOf(req.url);
      // answers that read no body close the connection: no sender gets us to drain what it keeps sending
      if (path === undefined) return refuse(req, res, 400);
      const route = routes.find((r) => r.path === path);
      if (!route) return refuse(req, res, 404);
      if (!route.method.includes(req.method ?? ''))
        return refuse(req, res, 405, undefined, { allow: route.method.join(', ') });
      try {
        route.handler(req, res);
      } catch (error) {
        logger?.error({ err: error, path }, 'a request could not be handled');
        if (!res.headersSent) refuse(req, res, 500);
        else res.destroy();
      }
    },
  );
  // a request Node cannot parse (bad request line, header too large, a timeout): answer it if the socket allows
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    if (!socket.writable || error.code === 'ECONNRESET') return void socket.destroy();
    const [status, reason] = CLIENT_ERRORS[error.code ?? ''] ?? [400, 'Bad Request'];
    socket.end(`HTTP/1.1 ${status} ${reason}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
  });
  return server;
}

/** The path of a request target (origin form `/a?b` or absolute form `http://h/a`), or undefined if it is neither. */
export function pathOf(target: string | undefined): string | undefined {
  if (!target) return undefined;
  if (target.startsWith('/') && !target.startsWith('//')) {
    const end = target.search(/[?#]/);
    return end === -1 ? target : target.slice(0, end);
  }
  return URL.parse(target)?.pathname ?? undefined;
}
