import { MockAgent } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { IntercomClient } from '../../src/intercom/client.ts';
import { IntercomHttp, intercomRegions, path } from '../../src/intercom/http.ts';

describe('base URL', () => {
  it.each([
    ['us', 'https://api.intercom.io'],
    ['eu', 'https://api.eu.intercom.io'],
    ['au', 'https://api.au.intercom.io'],
  ] as const)('region %s → %s', (region, origin) => {
    expect(new IntercomHttp({ token: 't', region, dispatcher: new MockAgent() }).origin).toBe(origin);
    expect(intercomRegions[region]).toBe(origin);
  });

  it('an explicit base URL wins over the region', () => {
    const http = new IntercomHttp({ token: 't', region: 'eu', baseUrl: 'http://127.0.0.1:9/proxy/' });
    expect(http.origin).toBe('http://127.0.0.1:9');
  });

  it('path`` encodes every interpolated id and nothing else', () => {
    expect(path`/contacts/${'a b/c'}/tags/${42}`).toBe('/contacts/a%20b%2Fc/tags/42');
  });
});

describe('an injected dispatcher (undici MockAgent)', () => {
  let agent: MockAgent;
  afterEach(async () => {
    await agent.close();
  });

  it('carries every request, and is left open for its owner when the client closes', async () => {
    agent = new MockAgent();
    agent.disableNetConnect();
    agent
      .get('https://api.eu.intercom.io')
      .intercept({ path: '/admins', method: 'GET', headers: { authorization: 'Bearer secret-token' } })
      .reply(200, { type: 'admin.list', admins: [{ type: 'admin', id: 1, name: 'A' }] });
    const client = new IntercomClient({ token: 'secret-token', region: 'eu', dispatcher: agent });
    const admins = await client.admins.list();
    expect(admins).toEqual([{ type: 'admin', id: '1', name: 'A' }]);
    await client.close();
    agent.assertNoPendingInterceptors();
    // still usable: the client did not close what it does not own
    agent
      .get('https://api.eu.intercom.io')
      .intercept({ path: '/teams', method: 'GET' })
      .reply(200, { type: 'team.list', teams: [] });
    expect(await new IntercomClient({ token: 't', region: 'eu', dispatcher: agent }).teams.list()).toEqual([]);
  });
});
