import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeIntercom } from './fake-intercom.ts';

// tests prove orders with the fake's gates ("answered before Intercom answered"), so a gate must hold exactly what
// it matches, let the rest through, and answer what it held once opened

describe('FakeIntercom gates', () => {
  let fake: FakeIntercom;
  beforeEach(async () => {
    fake = await FakeIntercom.start();
    fake.addConversation({ id: '7' });
    fake.addConversation({ id: '8' });
  });
  afterEach(async () => {
    await fake.close();
  });

  const get = (path: string, signal?: AbortSignal) =>
    fetch(`${fake.url}${path}`, { headers: { authorization: `Bearer ${fake.token}` }, signal }).then(async (res) => ({
      status: res.status,
      body: (await res.json()) as { id?: string },
    }));
  const settled = (p: Promise<unknown>) => {
    const state = { settled: false };
    void p.finally(() => {
      state.settled = true;
    });
    return state;
  };

  it('holds the answers it matches until it opens, and lets the others through', async () => {
    const gate = fake.hold({ method: 'GET', path: '/conversations/7' });
    const heldRead = get('/conversations/7');
    const heldState = settled(heldRead);
    await gate.reached(1);
    // another request is answered while the first is held: the held one is waiting at the gate, not in a queue
    expect((await get('/conversations/8')).body.id).toBe('8');
    expect(gate.held).toBe(1);
    expect(gate.shut).toBe(true);
    expect(heldState.settled).toBe(false);
    expect(gate.arrived.map((r) => r.path)).toEqual(['/conversations/7']);
    // the request was taken and processed: recorded with what will be answered
    expect(fake.calls('GET', '/conversations/7')).toHaveLength(1);

    gate.open();
    expect(await heldRead).toMatchObject({ status: 200, body: { id: '7' } });
    expect(gate.held).toBe(0);
    // open, it lets later matching requests straight through
    expect((await get('/conversations/7')).status).toBe(200);
    expect(gate.arrived).toHaveLength(2);
  });

  it('holds only the first `times` matching requests', async () => {
    const gate = fake.hold({ path: /^\/conversations\/\d+$/, times: 1 });
    const first = get('/conversations/7');
    await gate.reached(1);
    expect((await get('/conversations/8')).status).toBe(200);
    expect(gate.held).toBe(1);
    gate.open();
    expect((await first).status).toBe(200);
  });

  it('a write behind a shut gate has already taken effect', async () => {
    fake.addAdmin({ name: 'Alice', email: 'alice@example.com', id: '991' });
    const gate = fake.hold({ method: 'POST' });
    const write = fetch(`${fake.url}/conversations/7/reply`, {
      method: 'POST',
      headers: { authorization: `Bearer ${fake.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ message_type: 'note', type: 'admin', admin_id: '991', body: 'hi' }),
    });
    await gate.reached(1);
    const parts = fake.conversations.get('7')?.conversation_parts as { conversation_parts: unknown[] };
    expect(parts.conversation_parts).toHaveLength(1);
    gate.open();
    expect((await write).status).toBe(200);
  });

  it('a held request stays held when its client gives up; close opens the gate and leaves nothing waiting', async () => {
    const gate = fake.hold();
    const controller = new AbortController();
    const read = get('/conversations/7', controller.signal);
    await gate.reached(1);
    controller.abort();
    await expect(read).rejects.toMatchObject({ name: 'AbortError' });
    expect(gate.held).toBe(1);
    // never opened by the test: close opens it, and the server closes with nothing left waiting
    const another = get('/conversations/8').catch((error: unknown) => error);
    await gate.reached(2);
    await fake.close();
    expect(gate.shut).toBe(false);
    expect(gate.held).toBe(0);
    await another;
  });
});
