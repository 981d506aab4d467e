import { describe, expect, it } from 'vitest';
import { REDACTED, scrubText } from '../src/logger.ts';
import { toBoltLogger } from '../src/slack/bolt-logger.ts';
import { logSink } from './support/log-sink.ts';

const BOT = 'xoxb-1111-2222-abcdefSECRET';
const INTERCOM = 'dG9rOmIntercomSecretToken==';

describe('createLogger', () => {
  it('writes JSON lines at the configured level', () => {
    const sink = logSink({ level: 'info' });
    sink.logger.debug('hidden');
    sink.logger.info({ conversationId: '1' }, 'shown');
    expect(sink.lines()).toEqual([expect.objectContaining({ level: 30, msg: 'shown', conversationId: '1' })]);
  });

  it('redacts secret fields by name, at any of the usual depths', () => {
    const sink = logSink();
    sink.logger.info({
      token: 'a',
      headers: { authorization: 'Bearer b' },
      req: { headers: { authorization: 'Bearer c' } },
      config: { botToken: 'd', signingSecret: 'e', clientSecret: 'f' },
    });
    const [line] = sink.lines();
    expect(line).toMatchObject({
      token: REDACTED,
      headers: { authorization: REDACTED },
      req: { headers: { authorization: REDACTED } },
      config: { botToken: REDACTED, signingSecret: REDACTED, clientSecret: REDACTED },
    });
  });

  it('scrubs known secret values and token shapes from messages, fields and errors', () => {
    const sink = logSink({ secrets: [INTERCOM] });
    sink.logger.info(`calling with ${BOT} and ${INTERCOM}`);
    sink.logger.warn({ url: `https://x/?t=${INTERCOM}`, nested: { list: [`Bearer ${INTERCOM}`] } }, 'odd');
    sink.logger.error({ err: new Error(`auth failed for ${BOT}`) }, 'failed');
    const text = sink.text();
    expect(text).not.toContain('SECRET');
    expect(text).not.toContain(INTERCOM);
    expect(text).toContain(REDACTED);
    expect(sink.lines()[2]).toMatchObject({ err: { type: 'Error', message: `auth failed for ${REDACTED}` } });
  });

  it('never prints the DATABASE_URL password, given as a secret or only found in a URL', () => {
    const url = 'postgres://bridge:Db-Pa55word@db.internal:5432/bridge';
    const sink = logSink({ secrets: ['Db-Pa55word'] });
    sink.logger.error({ err: new Error(`could not connect to ${url}`), databaseUrl: url }, `store at ${url} failed`);
    sink.logger.warn('the server said: password authentication failed (Db-Pa55word)');
    const bare = logSink();
    bare.logger.error({ err: new Error('connect postgres://bridge:pw@db/bridge: refused') }, 'store down');
    expect(sink.text()).not.toContain('Pa55word');
    expect(sink.text()).toContain(`postgres://bridge:${REDACTED}@db.internal:5432/bridge`);
    expect(bare.text()).not.toContain(':pw@');
    expect(bare.lines()[0]).toMatchObject({
      err: { message: `connect postgres://bridge:${REDACTED}@db/bridge: refused` },
    });
  });
});

describe('scrubText', () => {
  it.each([
    ['xoxb-123-456-abc', REDACTED],
    ['xoxp-1-2-3', REDACTED],
    ['xapp-1-A0-123-abc', REDACTED],
    ['Authorization: Bearer abc.def-ghi', `Authorization: Bearer ${REDACTED}`],
    ['nothing here', 'nothing here'],
    [
      'connect to postgres://bridge:pw@db:5432/bridge failed',
      `connect to postgres://bridge:${REDACTED}@db:5432/bridge failed`,
    ],
    ['postgresql://:only-pass@db/x', `postgresql://:${REDACTED}@db/x`],
    ['http://127.0.0.1:3000/x@y and postgres://u@db/x', 'http://127.0.0.1:3000/x@y and postgres://u@db/x'],
  ])('%s → %s', (input, output) => {
    expect(scrubText(input)).toBe(output);
  });

  it('leaves very short "secrets" alone rather than shredding ordinary text', () => {
    expect(scrubText('a test of the logger', ['te'])).toBe('a test of the logger');
  });
});

describe('toBoltLogger', () => {
  it('sends Bolt messages through pino, errors as err, tagged with the component', () => {
    const sink = logSink();
    const bolt = toBoltLogger(sink.logger);
    bolt.info('listening', { port: 3000 });
    bolt.error('handler failed', new Error(`boom ${BOT}`));
    bolt.setName('socket-mode');
    bolt.warn('reconnecting');
    const [info, error, warn] = sink.lines();
    expect(info).toMatchObject({ level: 30, component: 'bolt', msg: 'listening {"port":3000}' });
    expect(error).toMatchObject({ level: 50, msg: 'handler failed', err: { message: `boom ${REDACTED}` } });
    expect(warn).toMatchObject({ level: 40, component: 'socket-mode', msg: 'reconnecting' });
  });

  it('follows setLevel and reports its level', () => {
    const sink = logSink({ level: 'info' });
    const bolt = toBoltLogger(sink.logger);
    expect(bolt.getLevel()).toBe('info');
    bolt.setLevel('error' as Parameters<typeof bolt.setLevel>[0]);
    bolt.warn('dropped');
    bolt.debug('dropped too');
    expect(sink.lines()).toEqual([]);
    expect(bolt.getLevel()).toBe('error');
  });
});
