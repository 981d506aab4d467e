import { describe, expect, it } from 'vitest';
import { Readiness } from '../../src/http/health.ts';
import { logSink } from '../support/log-sink.ts';

describe('Readiness', () => {
  it('is not ready before the credentials were checked, nor while the store fails', async () => {
    let storeUp = true;
    const readiness = new Readiness({
      store: async () => {
        if (!storeUp) throw new Error('database is down');
      },
      slack: async () => {},
      intercom: async () => {},
      logger: logSink().logger,
    });
    expect((await readiness.report()).checks.slack).toEqual({ ok: null });
    await readiness.checkCredentials();
    expect(await readiness.report()).toMatchObject({ ready: true });
    storeUp = false;
    expect(await readiness.report()).toEqual({
      ready: false,
      checks: { store: { ok: false, error: 'database is down' }, slack: { ok: true }, intercom: { ok: true } },
    });
  });

  it('asks a failed credential again only after recheckMs, and notices the fix', async () => {
    let asked = 0;
    let valid = false;
    const sink = logSink();
    const readiness = new Readiness({
      store: async () => {},
      slack: async () => {},
      intercom: async () => {
        asked += 1;
        if (!valid) throw new Error('Intercom answered 401');
      },
      logger: sink.logger,
      recheckMs: 0,
    });
    await readiness.checkCredentials();
    expect((await readiness.report()).checks.intercom).toEqual({ ok: false, error: 'Intercom answered 401' });
    valid = true;
    expect(await readiness.report()).toMatchObject({ ready: true });
    expect(asked).toBe(3);
    await readiness.report();
    expect(asked).toBe(3); // fine now: not asked again
    expect(sink.lines().map((l) => l.msg)).toContain('intercom credentials accepted');
  });
});
