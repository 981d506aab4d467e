import { describe, expect, it } from 'vitest';
import { AfterAck } from '../../../src/slack/listeners/scheduling.ts';
import { logSink } from '../../support/log-sink.ts';

describe('AfterAck', () => {
  it('starts the work on a later turn, after what the listener does next', async () => {
    const order: string[] = [];
    const afterAck = new AfterAck(logSink().logger);
    afterAck.run('close', async () => {
      order.push('work');
    });
    order.push('listener returns');
    await afterAck.drain();
    expect(order).toEqual(['listener returns', 'work']);
  });

  it('drain() waits for work in flight, and for work that work started', async () => {
    const afterAck = new AfterAck(logSink().logger);
    const done: string[] = [];
    afterAck.run('reply', async () => {
      await new Promise((r) => setTimeout(r, 30));
      done.push('reply');
      afterAck.run('report', async () => {
        await new Promise((r) => setTimeout(r, 10));
        done.push('report');
      });
    });
    expect(afterAck.pending).toBe(1);
    await afterAck.drain();
    expect(done).toEqual(['reply', 'report']);
    expect(afterAck.pending).toBe(0);
  });

  it('logs a failure with what failed, and goes on', async () => {
    const sink = logSink();
    const afterAck = new AfterAck(sink.logger);
    afterAck.run('snooze', async () => {
      throw new Error('Intercom went away');
    });
    afterAck.run('close', async () => {});
    await afterAck.drain();
    const [line] = sink.lines().filter((l) => l.msg === 'work after a Slack request failed');
    expect(line).toMatchObject({ level: 50, what: 'snooze', err: { message: 'Intercom went away' } });
  });
});
