import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';
import { Gate } from './gate.ts';

/**
 * A stateful stand-in for Slack's Web API on loopback: point a WebClient at `${url}/api/` (SLACK_API_URL).
 * It keeps channels, messages and users, answers like Slack (HTTP 200 with ok:false and an error code; 429 with
 * Retry-After when told to), records every call, and serves response_url endpoints at `${url}/response/<id>`.
 */

export interface SlackCall {
  method: string;
  args: Record<string, unknown>;
  at: number;
  /** The HTTP status of a fault's answer (429, 5xx); unset when the call was answered as usual. */
  status?: number;
}

/** A message posted to a response URL (`${url}/response/<id>`). */
export interface ResponsePost {
  id: string;
  body: Record<string, unknown>;
}

export interface SlackFault {
  method: string;
  /** An HTTP failure (429 carries Retry-After: retryAfter seconds), or a Slack error code with ok:false. */
  status?: 401 | 403 | 429 | 500 | 502 | 503;
  retryAfter?: number;
  error?: string;
  /** With `error: 'missing_scope'`: the scopes Slack says the method needs (its `needed` field). */
  needed?: string;
  times?: number;
}

/**
 * Slack's rate limits, when a test turns them on (`fake.rateLimits = …`): "1 message per second per channel, short
 * bursts >1 allowed" for chat.postMessage, and per-method limits a minute across the workspace (tiers 1–4: 1, 20,
 * 50, 100+). Past a limit the call is answered 429 with Retry-After in whole seconds, as Slack does.
 */
export interface SlackRateLimits {
  postMessagePerChannel?: { perSecond: number; burst: number };
  perMinute?: Record<string, number>;
}

/** A token bucket: `capacity` calls at once, refilled at `perMs` a millisecond. */
interface Bucket {
  tokens: number;
  at: number;
  capacity: number;
  perMs: number;
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
  metadata?: Record<string, unknown> | undefined;
  /** A file share (files.completeUploadExternal): the files, as history shows them. */
  files?: Array<{ id: string; name: string; title: string }> | undefined;
}

/** A file as the external upload flow leaves it: asked for, its bytes sent, then shared (or not yet). */
export interface UploadedFile {
  id: string;
  filename: string;
  /** The length files.getUploadURLExternal was told. */
  length: number;
  altText?: string | undefined;
  /** What reached the upload URL; undefined until it did. */
  bytes?: Buffer | undefined;
  /** The Authorization header sent with the bytes (Slack needs none: the URL is the credential). */
  uploadAuthorization?: string | undefined;
  title?: string | undefined;
  /** Where files.completeUploadExternal shared it; undefined until then. */
  channel?: string | undefined;
  threadTs?: string | undefined;
}

/** A file a person shared, as Slack's payloads carry it (the fields the bridge reads, and a few more). */
export interface SharedFile {
  id: string;
  created: number;
  name: string;
  title: string;
  mimetype: string;
  filetype: string;
  user: string;
  size: number;
  url_private: string;
  url_private_download: string;
}

/** Where this fake serves shared files, as Slack's file host does: /files-pri/<team>-<file id>/download/<name>. */
const FILES_PATH = '/files-pri/';

export const BOT_USER_ID = 'UBOT00001';
export const BOT_ID = 'BBOT00001';
export const TEAM_ID = 'T00TEST01';
/** The app the bridge is (bots.info names it; payloads carry it as api_app_id). */
export const APP_ID = 'A0BRIDGE1';

export class FakeSlack {
  readonly token: string;
  readonly calls: SlackCall[] = [];
  readonly channels = new Map<string, Channel>();
  readonly messages: PostedMessage[] = [];
  readonly users = new Map<string, Record<string, unknown>>();
  readonly responses: ResponsePost[] = [];
  /** Modals by view id, as last opened or updated. */
  readonly views = new Map<string, Record<string, unknown>>();
  /** Each person's Home tab, as last published (views.publish), by user id. */
  readonly homeViews = new Map<string, Record<string, unknown>>();
  readonly ephemerals: Array<{ channel: string; user: string; text: string; threadTs?: string | undefined }> = [];
  readonly reactions: Array<{ channel: string; ts: string; name: string }> = [];
  /** Files by id, from files.getUploadURLExternal on; `sharedFiles` lists those completed into a channel. */
  readonly uploads = new Map<string, UploadedFile>();
  /** Milliseconds before answering a method (after it took effect); 0 by default. */
  latencyMs: (method: string) => number = () => 0;
  /** Sees each Web API call the moment it arrives (before it takes effect): to check what was so at that time. */
  onCall: ((call: SlackCall) => void) | undefined;
  readonly #responseGates: Array<{ id: string | undefined; gate: Gate<ResponsePost> }> = [];
  /** History and replies leave out message metadata even when asked for it: nothing can be found by it. */
  withholdMetadata = false;
  /** Slack's rate limits; none unless a test sets them. */
  rateLimits: SlackRateLimits | undefined;
  readonly #buckets = new Map<string, Bucket>();
  /** The bot token's scopes, as the x-oauth-scopes header reports them (the manifest's, unless a test says not). */
  grantedScopes: string[] = [
    'chat:write',
    'channels:join',
    'channels:read',
    'groups:read',
    'commands',
    'users:read',
    'users:read.email',
    'channels:history',
    'groups:history',
    'reactions:read',
    'reactions:write',
    'files:read',
    'files:write',
  ];
  readonly #faults: Array<SlackFault & { left: number }> = [];
  /** Files people shared (addFile), by id, with their content. */
  readonly #heldFiles = new Map<string, { file: SharedFile; content: Buffer }>();
  /** Each request for a shared file's url_private_download: which file, and whether it carried the bot token. */
  readonly fileDownloads: Array<{ id: string; authorized: boolean }> = [];
  readonly #server: Server;
  /** Socket Mode: apps.connections.open hands out ws://…/socket, where envelopes go to the app. */
  readonly #sockets = new WebSocketServer({ noServer: true });
  readonly #acks = new Map<string, (ack: Record<string, unknown>) => void>();
  readonly appToken = 'xapp-1-A0BRIDGE1-1-fakeapptoken';
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
    this.#server.on('upgrade', (req, socket, head) => {
      if (!req.url?.startsWith('/socket')) return socket.destroy();
      this.#sockets.handleUpgrade(req, socket, head, (ws) => this.#connected(ws));
    });
  }

  #connected(ws: WebSocket): void {
    ws.send(JSON.stringify({ type: 'hello', num_connections: 1, connection_info: { app_id: 'A0BRIDGE1' } }));
    ws.on('message', (data) => {
      const ack = JSON.parse(String(data)) as { envelope_id?: string };
      if (ack.envelope_id) this.#acks.get(ack.envelope_id)?.(ack);
    });
  }

  /** Whether an app is connected over Socket Mode. */
  get socketConnected(): boolean {
    return [...this.#sockets.clients].some((ws) => ws.readyState === ws.OPEN);
  }

  /** Sends an envelope to the connected app as Slack would, and resolves with its acknowledgement. */
  sendEnvelope(
    type: 'slash_commands' | 'interactive' | 'events_api',
    payload: unknown,
  ): Promise<Record<string, unknown>> {
    const ws = [...this.#sockets.clients].find((c) => c.readyState === c.OPEN);
    if (!ws) return Promise.reject(new Error('no app connected over Socket Mode'));
    const envelopeId = `env-${this.#nextTs()}`;
    const acked = new Promise<Record<string, unknown>>((resolve) => this.#acks.set(envelopeId, resolve));
    ws.send(
      JSON.stringify({ envelope_id: envelopeId, type, payload, accepts_response_payload: type !== 'events_api' }),
    );
    return acked;
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

  /** Opens every gate, then closes every connection: nothing the fake holds outlives it. */
  async close(): Promise<void> {
    this.openGates();
    for (const ws of this.#sockets.clients) ws.terminate();
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

  /** A person; `teamId` other than ours makes them a Slack Connect guest from another workspace. */
  addUser(fields: { id: string; name: string; email?: string; tz?: string; teamId?: string }): void {
    this.users.set(fields.id, {
      id: fields.id,
      team_id: fields.teamId ?? TEAM_ID,
      name: fields.name.toLowerCase(),
      real_name: fields.name,
      deleted: false,
      is_bot: false,
      tz: fields.tz ?? 'Europe/London',
      tz_offset: 0,
      profile: { real_name: fields.name, display_name: fields.name, email: fields.email },
    });
  }

  /**
   * Response URLs (all, or only `/response/<id>`; the first `times` posts, or every one) take the message and hold
   * their answer until the gate opens. `close` opens every gate.
   */
  holdResponses(match: { id?: string; times?: number } = {}): Gate<ResponsePost> {
    const gate = new Gate<ResponsePost>(match.times);
    this.#responseGates.push({ id: match.id, gate });
    return gate;
  }

  /** Opens every gate `holdResponses` made: the held answers go out, and nothing more waits. */
  openGates(): void {
    for (const { gate } of this.#responseGates) gate.open();
  }

  fail(fault: SlackFault): void {
    this.#faults.push({ ...fault, left: fault.times ?? 1 });
  }

  /** Files shared into a channel or thread, in the order they were completed. */
  get sharedFiles(): UploadedFile[] {
    return [...this.uploads.values()].filter((f) => f.channel !== undefined);
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

    if (url.pathname.startsWith(FILES_PATH)) return this.#serveFile(req, res, url.pathname);
    if (url.pathname.startsWith('/response/')) {
      const post: ResponsePost = { id: url.pathname.slice('/response/'.length), body: JSON.parse(raw || '{}') };
      this.responses.push(post);
      const gate = this.#responseGates.find(
        (candidate) => (candidate.id === undefined || candidate.id === post.id) && candidate.gate.takes(),
      )?.gate;
      if (gate) await gate.pass(post);
      return send(res, 200, { ok: true });
    }
    if (url.pathname.startsWith('/upload/v1/')) return this.#receiveUpload(req, res, url, Buffer.concat(chunks));
    const method = url.pathname.replace(/^\/api\//, '');
    const args = parseArgs(req.headers['content-type'], raw, url.searchParams);
    // files.getUploadURLExternal takes form fields (or a query) only; Slack reads no JSON body for it
    if (method === 'files.getUploadURLExternal' && req.headers['content-type']?.startsWith('application/json'))
      for (const key of Object.keys(JSON.parse(raw || '{}'))) delete args[key];
    const call: SlackCall = { method, args, at: Date.now() };
    this.calls.push(call);
    this.onCall?.(call);

    const fault = this.#takeFault(method);
    if (fault?.status && fault.status !== 429) {
      call.status = fault.status;
      return send(res, fault.status, { ok: false, error: 'fatal_error' });
    }
    // a 429 told to happen, or one of Slack's limits reached: Slack's answer, with its Retry-After
    const waitSeconds = fault?.status === 429 ? (fault.retryAfter ?? 1) : this.#overLimit(method, args);
    if (waitSeconds !== undefined) {
      call.status = 429;
      return send(res, 429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(waitSeconds) });
    }
    if (fault?.error) {
      const scopes = fault.needed ? { needed: fault.needed, provided: this.grantedScopes.join(',') } : {};
      return send(res, 200, { ok: false, error: fault.error, ...scopes });
    }
    if (method === 'apps.connections.open') {
      if (req.headers.authorization !== `Bearer ${this.appToken}`)
        return send(res, 200, { ok: false, error: 'invalid_auth' });
      return send(res, 200, { ok: true, url: `${this.#url.replace('http', 'ws')}/socket` });
    }
    if (req.headers.authorization !== `Bearer ${this.token}`)
      return send(res, 200, { ok: false, error: 'invalid_auth' });
    // Slack names the token's scopes on every answer; the WebClient reads them into response_metadata.scopes
    const answer = this.#answer(method, args);
    // the call has taken effect before the answer is delayed: a client that dies meanwhile never learns of it
    const delay = this.latencyMs(method);
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    return send(res, 200, answer, { 'x-oauth-scopes': this.grantedScopes.join(',') });
  }

  /**
   * The upload URL: takes the bytes raw, or as the one file of a multipart form (as the WebClient sends them), and
   * answers 200 as Slack does. Faults set with `fail({ method: 'upload_url' })` apply; an unknown id is a 404.
   */
  async #receiveUpload(req: IncomingMessage, res: ServerResponse, url: URL, body: Buffer): Promise<void> {
    const file = this.uploads.get(url.pathname.slice('/upload/v1/'.length));
    const call: SlackCall = { method: 'upload_url', args: { file_id: file?.id, bytes: body.length }, at: Date.now() };
    this.calls.push(call);
    this.onCall?.(call);
    const fault = this.#takeFault('upload_url');
    if (fault?.status) {
      call.status = fault.status;
      const retry: Record<string, string> =
        fault.status === 429 ? { 'retry-after': String(fault.retryAfter ?? 1) } : {};
      res.writeHead(fault.status, { 'content-type': 'text/plain', ...retry });
      return void res.end('failed');
    }
    if (!file) return void res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    const bytes = await uploadedBytes(req.headers['content-type'], body);
    if (bytes.length !== file.length) {
      return void res.writeHead(400, { 'content-type': 'text/plain' }).end('length does not match');
    }
    file.bytes = bytes;
    file.uploadAuthorization = req.headers.authorization;
    res.writeHead(200, { 'content-type': 'text/plain' }).end(`OK - ${bytes.length}`);
  }

  /** files.getUploadURLExternal, with the argument rules Slack documents (`length` of 0 is `missing_argument`). */
  #uploadUrl(args: Record<string, unknown>): Record<string, unknown> {
    if (!this.grantedScopes.includes('files:write'))
      return { ok: false, error: 'missing_scope', needed: 'files:write', provided: this.grantedScopes.join(',') };
    const filename = args.filename === undefined ? '' : String(args.filename);
    const length = args.length === undefined ? Number.NaN : Number(args.length);
    if (!filename || !Number.isInteger(length) || length < 0) return { ok: false, error: 'invalid_arguments' };
    if (length === 0) return { ok: false, error: 'missing_argument' };
    const altText = args.alt_txt === undefined ? undefined : String(args.alt_txt);
    if (altText !== undefined && altText.length > 1000) return { ok: false, error: 'alt_txt_too_large' };
    const id = `F${this.#nextTs().replace('.', '')}`;
    this.uploads.set(id, { id, filename, length, altText });
    return { ok: true, upload_url: `${this.#url}/upload/v1/${id}`, file_id: id };
  }

  /** files.completeUploadExternal: shares uploaded files; in a thread when thread_ts is given, as one message. */
  #completeUpload(args: Record<string, unknown>): Record<string, unknown> {
    if (!this.grantedScopes.includes('files:write'))
      return { ok: false, error: 'missing_scope', needed: 'files:write', provided: this.grantedScopes.join(',') };
    const wanted = jsonArray(args.files) as Array<{ id?: unknown; title?: unknown }>;
    if (wanted.length === 0 || wanted.some((f) => typeof f?.id !== 'string'))
      return { ok: false, error: 'invalid_arguments' };
    const files = wanted.map((f) => ({ file: this.uploads.get(String(f.id)), title: f.title }));
    // a file whose bytes never arrived is as unknown to Slack as one it never handed out
    if (files.some(({ file }) => !file?.bytes || file.channel !== undefined))
      return { ok: false, error: 'file_not_found' };
    const channelId = args.channel_id === undefined ? undefined : String(args.channel_id);
    const channel = channelId === undefined ? undefined : this.channels.get(channelId);
    if (channelId !== undefined) {
      if (!channel) return { ok: false, error: 'channel_not_found' };
      if (channel.isArchived) return { ok: false, error: 'is_archived' };
      if (!channel.botIsMember) return { ok: false, error: 'not_in_channel' };
    }
    const threadTs = args.thread_ts === undefined ? undefined : String(args.thread_ts);
    const shared = files.map(({ file, title }) => {
      const f = file as UploadedFile;
      f.title = title === undefined ? f.filename : String(title);
      f.channel = channelId ?? '';
      f.threadTs = threadTs;
      return f;
    });
    if (channelId !== undefined) {
      this.messages.push({
        channel: channelId,
        ts: this.#nextTs(),
        threadTs,
        text: args.initial_comment === undefined ? '' : String(args.initial_comment),
        blocks: [],
        user: BOT_USER_ID,
        files: shared.map((f) => ({ id: f.id, name: f.filename, title: f.title ?? f.filename })),
      });
    }
    return { ok: true, files: shared.map((f) => ({ id: f.id, title: f.title })) };
  }

  // ---- files people share (url_private_download, served with the bot token) ------------------------------

  /**
   * A file as a person shares it (in a modal's file input, or on a message), held here: the object Slack puts in
   * payloads, its `url_private_download` served by this fake to the bot token only.
   */
  addFile(fields: { name: string; content: Buffer | string; mimetype?: string; user?: string }): SharedFile {
    this.#seq += 1;
    const id = `F0SHARED${String(this.#seq).padStart(4, '0')}`;
    const content = Buffer.from(fields.content);
    const url = `${this.#url}${FILES_PATH}${TEAM_ID}-${id}/download/${encodeURIComponent(fields.name)}`;
    const file: SharedFile = {
      id,
      created: this.#clock,
      name: fields.name,
      title: fields.name,
      mimetype: fields.mimetype ?? 'application/octet-stream',
      filetype: fields.name.split('.').pop() ?? 'binary',
      user: fields.user ?? 'U0ALICE01',
      size: content.length,
      url_private: url.replace('/download/', '/'),
      url_private_download: url,
    };
    this.#heldFiles.set(id, { file, content });
    return file;
  }

  #serveFile(req: IncomingMessage, res: ServerResponse, path: string): void {
    const id = /^\/files-pri\/[A-Z0-9]+-([A-Z0-9]+)\//.exec(path)?.[1] ?? '';
    const held = this.#heldFiles.get(id);
    const authorized = req.headers.authorization === `Bearer ${this.token}`;
    this.fileDownloads.push({ id, authorized });
    // as Slack: without the token, its sign-in page (200, HTML), not the file
    if (!authorized) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      return void res.end('<html><body>Sign in to Slack</body></html>');
    }
    if (!held) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': held.file.mimetype, 'content-length': String(held.content.length) });
    res.end(held.content);
  }

  /** A message as history and replies return it; metadata only when asked for, as Slack does. */
  #shown(m: PostedMessage, args: Record<string, unknown>) {
    const withMetadata = !this.withholdMetadata && String(args.include_all_metadata) === 'true' && m.metadata;
    return {
      type: 'message',
      ts: m.ts,
      text: m.text,
      bot_id: BOT_ID,
      ...(m.threadTs ? { thread_ts: m.threadTs } : {}),
      ...(withMetadata ? { metadata: m.metadata } : {}),
      ...(m.files ? { files: m.files } : {}),
    };
  }

  /**
   * views.publish as Slack documents it: `user_id` and a `view` of type home, at most 100 blocks (else
   * invalid_arguments); a `hash` that is not the published view's is refused with hash_conflict.
   */
  #publishHome(args: Record<string, unknown>): Record<string, unknown> {
    const user = String(args.user_id ?? '');
    const view = typeof args.view === 'string' ? jsonObject(args.view) : jsonObject(args.view);
    if (!user || !view) return { ok: false, error: 'invalid_arguments' };
    if (!this.users.has(user)) return { ok: false, error: 'user_not_found' };
    if (view.type !== 'home' || !Array.isArray(view.blocks) || view.blocks.length > 100) {
      return { ok: false, error: 'invalid_arguments' };
    }
    const current = this.homeViews.get(user);
    if (args.hash !== undefined && args.hash !== current?.hash) return { ok: false, error: 'hash_conflict' };
    const id = current?.id ?? `V${this.#nextTs().replace('.', '')}`;
    const published = { id, team_id: TEAM_ID, ...view, hash: this.#nextTs(), app_installed_team_id: TEAM_ID };
    this.homeViews.set(user, published);
    return { ok: true, view: published };
  }

  /** Seconds to wait when this call is over one of `rateLimits`, else undefined (and the call is counted). */
  #overLimit(method: string, args: Record<string, unknown>): number | undefined {
    const limits = this.rateLimits;
    if (!limits) return undefined;
    const buckets: Array<[string, number, number]> = [];
    const perMinute = limits.perMinute?.[method];
    if (perMinute !== undefined) buckets.push([`method:${method}`, perMinute, perMinute / 60_000]);
    const perChannel = limits.postMessagePerChannel;
    if (perChannel && method === 'chat.postMessage')
      buckets.push([`channel:${String(args.channel)}`, perChannel.burst, perChannel.perSecond / 1000]);
    const now = Date.now();
    const filled = buckets.map(([key, capacity, perMs]) => {
      const bucket = this.#buckets.get(key) ?? { tokens: capacity, at: now, capacity, perMs };
      bucket.tokens = Math.min(capacity, bucket.tokens + (now - bucket.at) * perMs);
      bucket.at = now;
      this.#buckets.set(key, bucket);
      return bucket;
    });
    const short = filled.filter((b) => b.tokens < 1);
    if (short.length) return Math.max(...short.map((b) => Math.max(1, Math.ceil((1 - b.tokens) / b.perMs / 1000))));
    for (const bucket of filled) bucket.tokens -= 1;
    return undefined;
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
        if (!channel && this.users.has(channelId)) {
          // a user id as the channel: the app's direct message with them
          const ts = this.#nextTs();
          this.messages.push({
            channel: channelId,
            ts,
            text: String(args.text ?? ''),
            blocks: jsonArray(args.blocks),
            user: BOT_USER_ID,
          });
          return { ok: true, channel: `D${channelId.slice(1)}`, ts };
        }
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
          metadata: jsonObject(args.metadata),
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
        if (!this.users.has(String(args.user))) return { ok: false, error: 'user_not_in_channel' };
        this.ephemerals.push({
          channel: channelId,
          user: String(args.user),
          text: String(args.text ?? ''),
          threadTs: args.thread_ts === undefined ? undefined : String(args.thread_ts),
        });
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
      case 'conversations.history': {
        if (!channel) return { ok: false, error: 'channel_not_found' };
        const top = this.messages.filter((m) => m.channel === channelId && m.threadTs === undefined).reverse();
        return {
          ok: true,
          messages: top.slice(0, Number(args.limit ?? 100)).map((m) => this.#shown(m, args)),
          has_more: false,
        };
      }
      case 'conversations.replies': {
        if (!channel) return { ok: false, error: 'channel_not_found' };
        const ts = String(args.ts);
        const parent = this.messages.find((m) => m.channel === channelId && m.ts === ts);
        if (!parent) return { ok: false, error: 'thread_not_found' };
        const replies = this.messages.filter((m) => m.channel === channelId && m.threadTs === ts);
        return { ok: true, messages: [parent, ...replies].map((m) => this.#shown(m, args)), has_more: false };
      }
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
      case 'bots.info': {
        // the bot's own record names its app (auth.test does not, in the answers Slack's samples show)
        if (args.bot !== BOT_ID) return { ok: false, error: 'bot_not_found' };
        return {
          ok: true,
          bot: {
            id: BOT_ID,
            deleted: false,
            name: 'bridge',
            updated: 1700000000,
            app_id: APP_ID,
            user_id: BOT_USER_ID,
          },
        };
      }
      case 'users.info': {
        const user = this.users.get(String(args.user));
        return user ? { ok: true, user } : { ok: false, error: 'user_not_found' };
      }
      case 'users.lookupByEmail': {
        // Slack matches the address case-insensitively and answers users_not_found for anyone else
        const email = String(args.email ?? '').toLowerCase();
        if (!email) return { ok: false, error: 'invalid_arguments' };
        const user = [...this.users.values()].find(
          (u) => String((u.profile as { email?: string } | undefined)?.email ?? '').toLowerCase() === email,
        );
        return user ? { ok: true, user } : { ok: false, error: 'users_not_found' };
      }
      case 'reactions.add': {
        if (!channel) return { ok: false, error: 'channel_not_found' };
        const reaction = { channel: channelId, ts: String(args.timestamp), name: String(args.name) };
        if (this.reactions.some((r) => r.channel === channelId && r.ts === reaction.ts && r.name === reaction.name)) {
          return { ok: false, error: 'already_reacted' };
        }
        this.reactions.push(reaction);
        return { ok: true };
      }
      case 'views.open':
      case 'views.push': {
        if (!args.trigger_id) return { ok: false, error: 'invalid_trigger_id' };
        const id = `V${this.#nextTs().replace('.', '')}`;
        const view = {
          id,
          ...(typeof args.view === 'string' ? JSON.parse(args.view) : args.view),
          hash: this.#nextTs(),
        };
        this.views.set(id, view);
        return { ok: true, view };
      }
      case 'views.update': {
        const id = String(args.view_id ?? '');
        const current = this.views.get(id);
        if (!current) return { ok: false, error: 'not_found' };
        // as Slack: an update naming a hash is refused once the view has changed since that hash was handed out
        if (args.hash !== undefined && args.hash !== current.hash) return { ok: false, error: 'hash_conflict' };
        const view = {
          id,
          ...(typeof args.view === 'string' ? JSON.parse(args.view) : args.view),
          hash: this.#nextTs(),
        };
        this.views.set(id, view);
        return { ok: true, view };
      }
      case 'views.publish':
        return this.#publishHome(args);
      case 'files.getUploadURLExternal':
        return this.#uploadUrl(args);
      case 'files.completeUploadExternal':
        return this.#completeUpload(args);
      default:
        return { ok: false, error: 'unknown_method' };
    }
  }
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** The WebClient sends form fields (objects JSON-encoded inside them) or, for some methods, JSON. */
function parseArgs(contentType: string | undefined, raw: string, query: URLSearchParams): Record<string, unknown> {
  const args: Record<string, unknown> = Object.fromEntries(query);
  if (contentType?.startsWith('application/json')) return { ...args, ...(raw ? JSON.parse(raw) : {}) };
  for (const [key, value] of new URLSearchParams(raw)) args[key] = value;
  return args;
}

/** The bytes sent to an upload URL: the body itself, or the one file of a multipart form. */
async function uploadedBytes(contentType: string | undefined, body: Buffer): Promise<Buffer> {
  if (!contentType?.startsWith('multipart/form-data')) return body;
  const form = await new Response(body, { headers: { 'content-type': contentType } }).formData();
  for (const value of form.values()) {
    if (typeof value !== 'string') return Buffer.from(await value.arrayBuffer());
  }
  return Buffer.alloc(0);
}

function jsonObject(value: unknown): Record<string, unknown> | undefined {
  if (value && typeof value === 'object') return value as Record<string, unknown>;
  if (typeof value === 'string' && value.startsWith('{')) return JSON.parse(value) as Record<string, unknown>;
  return undefined;
}

function jsonArray(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (typeof value === 'string' && value.startsWith('[')) return JSON.parse(value) as unknown[];
  return [];
}
