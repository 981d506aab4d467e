import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { App } from '@slack/bolt';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { registerListeners } from '../src/slack/listeners/index.ts';
import { SHARED_DIR, sharedAvailable } from './support/shared.ts';

// manifest.yml is what operators paste into Slack: it must be valid, and declare exactly what the code uses —
// every command, shortcut and event the listeners register, and the scopes for the Web API methods src/ calls.

const root = fileURLToPath(new URL('..', import.meta.url));
const manifest = parse(readFileSync(join(root, 'manifest.yml'), 'utf8')) as {
  features: {
    slash_commands: Array<{ command: string; url?: string }>;
    shortcuts: Array<{ callback_id: string; type: string }>;
    app_home: { home_tab_enabled: boolean };
  };
  oauth_config: { scopes: { bot: string[] } };
  settings: {
    event_subscriptions: { bot_events: string[]; request_url?: string };
    interactivity: { is_enabled: boolean; request_url?: string; message_menu_options_url?: string };
  };
};

/** Registers the listeners on a recorder instead of Bolt, to learn what the code listens for. */
function registered() {
  const seen = { command: [] as string[], shortcut: [] as string[], event: [] as string[] };
  const record = (kind: keyof typeof seen) => (key: unknown) => {
    seen[kind].push(String(key));
  };
  const recorder = {
    command: record('command'),
    shortcut: record('shortcut'),
    event: record('event'),
    action() {},
    view() {},
    options() {},
  } as unknown as App;
  const deps = {} as never;
  registerListeners(recorder, deps);
  return seen;
}

/** The manifest with the documented Socket Mode switch applied: no URLs anywhere, socket_mode_enabled: true. */
function socketModeVariant(value: unknown): unknown {
  const strip = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(strip);
    if (node === null || typeof node !== 'object') return node;
    const kept = Object.entries(node).filter(
      ([key]) => !['url', 'request_url', 'message_menu_options_url'].includes(key),
    );
    return Object.fromEntries(kept.map(([key, v]) => [key, strip(v)]));
  };
  const stripped = strip(value) as { settings: Record<string, unknown> };
  return { ...stripped, settings: { ...stripped.settings, socket_mode_enabled: true } };
}

/** Slack event type → the manifest's bot events that deliver it (messages: public and private channels). */
const EVENT_SUBSCRIPTIONS: Record<string, string[]> = {
  app_home_opened: ['app_home_opened'],
  message: ['message.channels', 'message.groups'],
  reaction_added: ['reaction_added'],
};

/** Bot scopes each Web API method needs, and each subscription or feature. */
const METHOD_SCOPES: Record<string, string[]> = {
  'chat.postMessage': ['chat:write'],
  'chat.update': ['chat:write'],
  'chat.postEphemeral': ['chat:write'],
  'chat.getPermalink': [],
  'auth.test': [],
  'conversations.join': ['channels:join'],
  'conversations.info': ['channels:read', 'groups:read'], // npm run doctor: is the bot in the channels?
  // finding a card or thread line an interrupted attempt posted
  'conversations.history': ['channels:history', 'groups:history'],
  'conversations.replies': ['channels:history', 'groups:history'],
  'users.info': ['users:read', 'users:read.email'],
  'users.lookupByEmail': ['users:read', 'users:read.email'],
  'bots.info': ['users:read'], // which app the bot token belongs to, when auth.test does not say
  'reactions.add': ['reactions:write'],
  // a customer's attachments copied into a card's thread (Slack's external upload flow)
  'files.getUploadURLExternal': ['files:write'],
  'files.completeUploadExternal': ['files:write'],
  'views.open': [],
  'views.update': [],
  'views.publish': [], // the Home tab
};
/** Bot events and the scope each needs ('' for none). */
const EVENT_SCOPES: Record<string, string> = {
  app_home_opened: '',
  'message.channels': 'channels:history',
  'message.groups': 'groups:history',
  reaction_added: 'reactions:read',
};

// ajv-formats is CommonJS: its default export arrives as the module or under .default, depending on the loader
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ??
  addFormatsModule) as typeof addFormatsModule.default;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sourceFiles(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : [],
  );
}

describe('manifest.yml', () => {
  it.runIf(sharedAvailable('the Slack manifest schema'))('is valid against Slack’s manifest schema', () => {
    const dir = join(SHARED_DIR, 'slack-manifest-schema');
    const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false, logger: false });
    addFormats(ajv);
    for (const file of readdirSync(join(dir, 'schemas'))) {
      const schema = JSON.parse(readFileSync(join(dir, 'schemas', file), 'utf8'));
      ajv.addSchema(schema, `https://raw.githubusercontent.com/slackapi/manifest-schema/v0.5.0/schemas/${file}`);
    }
    const validate = ajv.compile(JSON.parse(readFileSync(join(dir, 'manifest.schema.json'), 'utf8')));
    const valid = validate(manifest);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
    // the Socket Mode switch manifest.yml's header and docs/setup.md describe gives a valid manifest too
    const socket = socketModeVariant(manifest);
    expect(validate(socket), JSON.stringify(validate.errors)).toBe(true);
    expect(JSON.stringify(socket)).not.toMatch(/"(url|request_url|message_menu_options_url)"/);
    // and the schema does reject a broken manifest, so the checks above mean something
    expect(validate({ ...manifest, display_information: { name: '' } })).toBe(false);
  });

  it('says how to switch to Socket Mode, in its header and in docs/setup.md', () => {
    const header = readFileSync(join(root, 'manifest.yml'), 'utf8').split('\n').slice(0, 5).join(' ');
    const setup = readFileSync(join(root, 'docs', 'setup.md'), 'utf8');
    for (const text of [header, setup]) {
      for (const word of ['`url`', '`request_url`', '`message_menu_options_url`', 'socket_mode_enabled: true']) {
        expect(text).toContain(word);
      }
    }
  });

  it('declares exactly the command, shortcuts and events the listeners register', () => {
    const seen = registered();
    expect(manifest.features.slash_commands.map((c) => c.command).sort()).toEqual([...new Set(seen.command)].sort());
    expect(manifest.features.shortcuts.map((s) => s.callback_id).sort()).toEqual([...new Set(seen.shortcut)].sort());
    const needed = new Set(seen.event.flatMap((e) => EVENT_SUBSCRIPTIONS[e] ?? [`(unmapped event ${e})`]));
    expect(manifest.settings.event_subscriptions.bot_events.sort()).toEqual([...needed].sort());
    // app_home_opened for the Home tab comes only when the tab is on
    expect(manifest.features.app_home.home_tab_enabled).toBe(seen.event.includes('app_home_opened'));
  });

  it('asks for exactly the bot scopes the code needs', () => {
    // the Slack Web API is called from src/slack (bridge/ goes through the SlackPort) and by the doctor
    const source = [...sourceFiles(join(root, 'src', 'slack')), join(root, 'src', 'doctor.ts')]
      .map((f) => readFileSync(f, 'utf8'))
      .join('\n');
    // Bolt's client is called as client.chat.postMessage(…); the bridge's own transport as write('chat.postMessage', …)
    const calls = [
      ...source.matchAll(/client\.((?:chat|conversations|users|reactions|views|auth)\.[a-zA-Z]+)\(/g),
      ...source.matchAll(/\b(?:write|writeForm|read)\('([a-z]+\.[a-zA-Z]+)'/g),
    ].map((m) => m[1] as string);
    const called = Object.keys(METHOD_SCOPES).filter((method) => calls.includes(method));
    const unknown = calls.filter((method) => !(method in METHOD_SCOPES));
    expect(unknown).toEqual([]);
    const needed = new Set([
      'commands', // the slash command and the shortcuts
      // files people attach (the reply and note modals' file input, file shares in a thread) are fetched from
      // their url_private_download, which is no Web API method
      ...(source.includes('url_private_download') ? ['files:read'] : []),
      ...called.flatMap((m) => METHOD_SCOPES[m] ?? []),
      ...manifest.settings.event_subscriptions.bot_events
        .map((e) => EVENT_SCOPES[e] ?? `(no scope known for ${e})`)
        .filter((scope) => scope !== ''),
    ]);
    expect([...manifest.oauth_config.scopes.bot].sort()).toEqual([...needed].sort());
  });

  it('sends everything to the one Bolt endpoint', () => {
    const urls = [
      ...manifest.features.slash_commands.map((c) => c.url),
      manifest.settings.event_subscriptions.request_url,
      manifest.settings.interactivity.request_url,
      manifest.settings.interactivity.message_menu_options_url,
    ];
    for (const url of urls) expect(new URL(String(url)).pathname).toBe('/slack/events');
    expect(manifest.settings.interactivity.is_enabled).toBe(true);
  });
});
