import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { ListenOptions } from 'node:net';
import type { App, BufferedIncomingMessage, Receiver } from '@slack/bolt';
import { HTTPReceiver } from '@slack/bolt';
import { BodyAborted, declaredLength, readBody, refuse } from '../http/read-body.ts';
import { type Route, routesServer } from '../http/routes-server.ts';
import type { Logger } from '../logger.ts';
import { toBoltLogger } from './bolt-logger.ts';
import { signingKey, slackSignatureProblem } from './signature.ts';

export const SLACK_EVENTS_PATH = '/slack/events';
/** Bolt's own limit for a Slack request body. */
const MAX_BODY_BYTES = 4 * 1024 * 1024;
/** An ssl_check is `token=…&ssl_check=1`: well under this. */
const SSL_CHECK_MAX_BYTES = 1024;

export interface SlackReceiverOptions {
  signingSecret: string;
  /** The bridge's other routes (Intercom's webhook, health, metrics), served on the same listener. */
  routes: readonly Route[];
  logger: Logger;
  now?: () => number;
}

/**
 * Slack's requests over HTTP, on one server with the bridge's own routes. The signature is checked here, on the
 * raw bytes, before Bolt sees the request; Bolt's HTTP receiver (its own check off) then parses it, acks and runs
 * the listeners as usual. Why not Bolt's check: see slackSignatureProblem.
 */
export class SlackHttpReceiver implements Receiver {
  readonly #bolt: HTTPReceiver;
  readonly #key;
  readonly #routes: readonly Route[];
  readonly #logger: Logger;
  readonly #now: () => number;
  #server: Server | undefined;

  constructor(options: SlackReceiverOptions) {
    this.#key = signingKey(options.signingSecret);
    this.#routes = options.routes;
    this.#logger = options.logger.child({ component: 'slack-receiver' });
    this.#now = options.now ?? Date.now;
    this.#bolt = new HTTPReceiver({
      signingSecret: options.signingSecret,
      signatureVerification: false,
      endpoints: [SLACK_EVENTS_PATH],
      logger: toBoltLogger(options.logger),
      // a signed request of a kind no listener takes (Slack adds kinds over time) is no error of ours
      unhandledRequestHandler: ({ response }) => {
        this.#logger.warn('a signed Slack request no listener took: answered 404');
        if (!response.headersSent) response.writeHead(404).end();
      },
    });
  }

  init(app: App): void {
    this.#bolt.init(app);
  }

  /** Listens (App.start passes its arguments here); resolves with the server once it does. */
  async start(listen: ListenOptions): Promise<Server> {
    const slack: Route = {
      path: SLACK_EVENTS_PATH,
      method: ['POST'],
      handler: (req, res) => {
        this.#handle(req, res).catch((error: unknown) => {
          if (error instanceof BodyAborted) return void this.#logger.debug('a Slack request was abandoned mid-body');
          this.#logger.error({ err: error }, 'a Slack request could not be handled');
          if (!res.headersSent) refuse(req, res, 500);
        });
      },
    };
    const server = routesServer([slack, ...this.#routes], this.#logger);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(listen, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.#server = server;
    return server;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const signature = header(req, 'x-slack-signature');
    const declared = declaredLength(req);
    // unsigned, only Slack's ssl_check may come in, and it is tiny: nothing bigger is read
    const limit = signature === undefined && (declared ?? 0) <= MAX_BODY_BYTES ? SSL_CHECK_MAX_BYTES : MAX_BODY_BYTES;
    const body = await readBody(req, limit);
    if (body === 'too-large' && limit === SSL_CHECK_MAX_BYTES) {
      return this.#refuse(req, res, 401, 'no signature headers');
    }
    if (body === 'too-large') {
      this.#logger.warn({ limit: MAX_BODY_BYTES }, 'Slack request refused: body too large');
      return refuse(req, res, 413);
    }
    if (body === 'busy') {
      this.#logger.warn('Slack request refused: too many large bodies being read at once');
      return refuse(req, res, 503, undefined, { 'retry-after': '1' });
    }
    // Slack checks a new URL with an unsigned ssl_check; it must be answered, and nothing riding with it run
    if (isSslCheck(req, body)) return void res.writeHead(200).end();
    const problem = slackSignatureProblem(
      this.#key,
      { signature, timestamp: header(req, 'x-slack-request-timestamp') },
      body,
      this.#now(),
    );
    if (problem !== undefined) return this.#refuse(req, res, 401, problem);
    // Bolt reads fields of what it parsed without looking: a signed `null` (or `payload=null`) would throw in a
    // promise nobody awaits, and the request would hang. Every Slack payload is a JSON object.
    if (!objectPayload(req, body)) {
      this.#logger.warn('Slack request refused: its payload is not a JSON object');
      return refuse(req, res, 400);
    }
    (req as BufferedIncomingMessage).rawBody = body;
    this.#bolt.requestListener(req, res);
  }

  #refuse(req: IncomingMessage, res: ServerResponse, status: number, problem: string): void {
    this.#logger.warn({ problem, remote: req.socket.remoteAddress }, 'Slack request refused: bad signature');
    refuse(req, res, status);
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? undefined : value;
}

/** Whether what Bolt will parse is an object: the JSON body, or a form's `payload` (other forms are objects). */
function objectPayload(req: IncomingMessage, body: Buffer): boolean {
  if (req.headers['content-type'] === 'application/x-www-form-urlencoded') {
    if (!body.includes('payload=')) return true;
    const payload = new URLSearchParams(body.toString('utf8')).get('payload');
    return payload === null || payload.trimStart().startsWith('{');
  }
  return body.toString('utf8', 0, Math.min(body.length, 64)).trimStart().startsWith('{');
}

function isSslCheck(req: IncomingMessage, body: Buffer): boolean {
  if (req.headers['content-type'] !== 'application/x-www-form-urlencoded') return false;
  // a cheap look first: a full parse of every form body costs as much as the signature check
  if (!body.includes('ssl_check=')) return false;
  return new URLSearchParams(body.toString('utf8')).get('ssl_check') === '1';
}
