import { describe, expect, it } from 'vitest';
import { Directory } from '../../src/bridge/directory.ts';
import type { IntercomClient } from '../../src/intercom/client.ts';

// The directory's cache as a modal submission uses it: what it holds, without ever asking Intercom.

function directoryWith(types: Array<Record<string, unknown>>) {
  let loads = 0;
  let now = 0;
  const intercom = {
    ticketTypes: {
      list: async () => {
        loads += 1;
        return types;
      },
    },
  } as unknown as IntercomClient;
  const directory = new Directory(intercom, { ttlMs: 1_000, missMs: 100, now: () => now });
  return {
    directory,
    loads: () => loads,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe('Directory.cachedTicketType', () => {
  it('never loads: nothing before the first load, then what it found however old, archived ones hidden', async () => {
    const { directory, loads, advance } = directoryWith([
      { id: '1', name: 'Bug' },
      { id: '2', name: 'Old', archived: true },
    ]);
    expect(directory.cachedTicketType('1')).toBeUndefined();
    expect(loads()).toBe(0);

    await directory.ticketTypes();
    expect(loads()).toBe(1);
    advance(60_000);
    expect(directory.cachedTicketType('1')).toMatchObject({ id: '1', name: 'Bug' });
    expect(directory.cachedTicketType('2')).toBeUndefined();
    expect(directory.cachedTicketType('3')).toBeUndefined();
    expect(loads()).toBe(1);

    // the list itself still reloads when stale
    await directory.ticketTypes();
    expect(loads()).toBe(2);
  });
});
