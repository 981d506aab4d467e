import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stateful stand-in for Slack's Web API on loopback: point a WebClient at `${url}/api/` (SLACK_API_URL).
 * It keeps channels, messages and users, answers like Slack (HTTP 200 with ok:false and an error code; 429 with
 * Retry-After when told to), records every call, and serves response_url endpoints at `${url}/response/<id>`.
 */

export interface SlackCall {
  method: string;
  args: Record<string, unknown>;
  at: number;
}

export interface SlackFault {
  method: string;
  /** An HTTP failure (429 carries Retry-After: retryAfter seconds), or a Slack error code with ok:false. */
  status?: 429 | 500 | 502 | 503;
  retryAfter?: number;
  error?: string;
  times?: number;
}

interface Channel {
  id: string;
  name: string;
  isPrivate: boolean;
  isArchived: boolean;
  botIsMember: boolean;
}

export interface PostedMessage {
  channel: string;
  ts: string;
  threadTs?: string | undefined;
  text: string;
  blocks: unknown[];
  user: string;
}

export const BOT_USER_ID = 'UBOT00001';
export const BOT_ID = 'BBOT00001';
export const TEAM_ID = 'T00TEST01';

export class FakeSlack {
  readonly token: string;
  readonly calls: SlackCall[] = [];
  readonly channels = new Map<string, Channel>();
  readonly messages: PostedMessage[] = [];
  readonly users = new Map<string, Record<string, unknown>>();
  readonly responses: Array<{ id: string; body: Record<string, unknown> }> = [];
  readonly #faults: Array<SlackFault & { left: number }> = [];
  readonly #server: Server;
  #url = '';
  #clock = 1_800_000_000;
  #seq = 0;

  private constructor(token: string) {
    this.token = token;
    this.#server = createServer((req, res) => {
      this.#handle(req, res).catch((err: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(String(err));
      });
    });
  }

  static async start(options: { token?: string } = {}): Promise<FakeSlack> {
    const fake = new FakeSlack(options.token ?? 'xoxb-test-bot-token');
    await new Promise<void>((resolve) => fake.#server.listen(0, '127.0.0.1', resolve));
    fake.#url = `http://127.0.0.1:${(fake.#server.address() as AddressInfo).port}`;
    return fake;
  }

  get url(): string {
    return this.#url;
  }

  /** What SLACK_API_URL should be. */
  get apiUrl(): string {
    return `${this.#url}/api/`;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  addChannel(fields: Partial<Channel> & { id: string }): Channel {
    const channel = {
      name: fields.id.toLowerCase(),
      isPrivate: false,
      isArchived: false,
      botIsMember: true,
      ...fields,
    };
    this.channels.set(channel.id, channel);
    return channel;
  }

  addUser(fields: { id: string; name: string; email?: string; tz?: string }): void {
    this.users.set(fields.id, {
      id: fields.id,
      team_id: TEAM_ID,
      name: fields.name.toLowerCase(),
      real_name: fields.name,
      deleted: false,
      is_bot: false,
      tz: fields.tz ?? 'Europe/London',
      tz_offset: 0,
      profile: { real_name: fields.name, display_name: fields.name, email: fields.email },
    });
  }

  fail(fault: SlackFault): void {
    this.#faults.push({ ...fault, left: fault.times ?? 1 });
  }

  /** Calls of one method, in order. */
  callsOf(method: string): SlackCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://fake');

    if (url.pathname.startsWith('/response/')) {
      this.responses.push({ id: url.pathname.slice('/response/'.length), body: JSON.parse(raw || '{}') });
      return send(res, 200, { ok: true });
    }
    const method = url.pathname.replace(/^\/api\//, '');
    const args = parseArgs(req.headers['content-type'], raw, url.searchParams);
    this.calls.push({ method, args, at: Date.now() });

    const fault = this.#takeFault(method);
    if (fault?.status === 429) {
      res.writeHead(429, { 'retry-after': String(fault.retryAfter ?? 1), 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ ok: false, error: 'ratelimited' }));
    }
    if (fault?.status) return send(res, fault.status, { ok: false, error: 'fatal_error' });
    if (fault?.error) return send(res, 200, { ok: false, error: fault.error });
    if (req.headers.authorization !== `Bearer ${this.token}`)
      return send(res, 200, { ok: false, error: 'invalid_auth' });
    return send(res, 200, this.#answer(method, args));
  }

  #takeFault(method: string): SlackFault | undefined {
    const index = this.#faults.findIndex((f) => f.method === method);
    const fault = this.#faults[index];
    if (!fault) return undefined;
    fault.left -= 1;
    if (fault.left <= 0) this.#faults.splice(index, 1);
    return fault;
  }

  #nextTs(): string {
    this.#seq += 1;
    return `${this.#clock + Math.floor(this.#seq / 1000)}.${String(this.#seq % 1_000_000).padStart(6, '0')}`;
  }

  #answer(method: string, args: Record<string, unknown>): Record<string, unknown> {
    const channelId = String(args.channel ?? '');
    const channel = this.channels.get(channelId);
    switch (method) {
      case 'auth.test':
        return {
          ok: true,
          url: 'https://test.slack.com/',
          team: 'Test',
          user: 'bridge',
          team_id: TEAM_ID,
          user_id: BOT_USER_ID,
          bot_id: BOT_ID,
        };
      case 'chat.postMessage': {
        if (!channel) return { ok: false, error: 'channel_not_found' };
        if (channel.isArchived) return { ok: false, error: 'is_archived' };
        if (!channel.botIsMember) return { ok: false, error: 'not_in_channel' };
        const message: PostedMessage = {
          channel: channelId,
          ts: this.#nextTs(),
          threadTs: args.thread_ts === undefined ? undefined : String(args.thread_ts),
          text: String(args.text ?? ''),
          blocks: jsonArray(args.blocks),
          user: BOT_USER_ID,
        };
        this.messages.push(message);
        return {
          ok: true,
          channel: channelId,
          ts: message.ts,
          message: { type: 'message', text: message.text, bot_id: BOT_ID, ts: message.ts },
        };
      }
      case 'chat.update': {
        const message = this.messages.find((m) => m.channel === channelId && m.ts === String(args.ts));
        if (!channel) return { ok: false, error: 'channel_not_found' };
        if (!message) return { ok: false, error: 'message_not_found' };
        message.text = String(args.text ?? message.text);
        if (args.blocks !== undefined) message.blocks = jsonArray(args.blocks);
        return { ok: true, channel: channelId, ts: message.ts, text: message.text };
      }
      case 'chat.postEphemeral':
        if (!channel) return { ok: false, error: 'channel_not_found' };
        return { ok: true, message_ts: this.#nextTs() };
      case 'chat.getPermalink':
        if (!channel) return { ok: false, error: 'channel_not_found' };
        return {
          ok: true,
          channel: channelId,
          permalink: `https://test.slack.com/archives/${channelId}/p${String(args.message_ts).replace('.', '')}`,
        };
      case 'conversations.join':
        if (!channel) return { ok: false, error: 'channel_not_found' };
        if (channel.isPrivate) return { ok: false, error: 'method_not_supported_for_channel_type' };
        if (channel.isArchived) return { ok: false, error: 'is_archived' };
        channel.botIsMember = true;
        return { ok: true, channel: { id: channel.id, name: channel.name, is_channel: true, is_member: true } };
      case 'conversations.info':
        if (!channel) return { ok: false, error: 'channel_not_found' };
        return {
          ok: true,
          channel: {
            id: channel.id,
            name: channel.name,
            is_private: channel.isPrivate,
            is_archived: channel.isArchived,
            is_member: channel.botIsMember,
          },
        };
      case 'users.info': {
        const user = this.users.get(String(args.user));
        return user ? { ok: true, user } : { ok: false, error: 'user_not_found' };
      }
      case 'reactions.add':
        return { ok: true };
      case 'views.open':
      case 'views.push':
      case 'views.update': {
        const view = typeof args.view === 'string' ? JSON.parse(args.view) : args.view;
        return { ok: true, view: { id: String(args.view_id ?? `V${this.#nextTs().replace('.', '')}`), ...view } };
      }
      default:
        return { ok: false, error: 'unknown_method' };
    }
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** The WebClient sends form fields (objects JSON-encoded inside them) or, for some methods, JSON. */
function parseArgs(contentType: string | undefined, raw: string, query: URLSearchParams): Record<string, unknown> {
  const args: Record<string, unknown> = Object.fromEntries(query);
  if (contentType?.startsWith('application/json')) return { ...args, ...(raw ? JSON.parse(raw) : {}) };
  for (const [key, value] of new URLSearchParams(raw)) args[key] = value;
  return args;
}

function jsonArray(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (typeof value === 'string' && value.startsWith('[')) return JSON.parse(value) as unknown[];
  return [];
}
