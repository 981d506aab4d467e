import { describe, expect, it } from 'vitest';
import { Periodic } from '../../src/bridge/periodic.ts';

describe('Periodic', () => {
  it('shares the pass in flight between overlapping calls, and runs a new one after', async () => {
    let passes = 0;
    let finish: (n: number) => void = () => {};
    const periodic = new Periodic(
      60_000,
      () => {
        passes += 1;
        return new Promise<number>((resolve) => {
          finish = resolve;
        });
      },
      () => {},
    );
    const [a, b] = [periodic.run(), periodic.run()];
    finish(3);
    expect(await Promise.all([a, b])).toEqual([3, 3]);
    expect(passes).toBe(1);
    const c = periodic.run();
    finish(5);
    expect([await c, passes]).toEqual([5, 2]);
  });

  it('hands a failed pass to onError and counts it as 0; stop waits for the pass running', async () => {
    const errors: unknown[] = [];
    const boom = new Error('intercom down');
    const failing = new Periodic(
      60_000,
      () => Promise.reject(boom),
      (e) => errors.push(e),
    );
    expect([await failing.run(), errors]).toEqual([0, [boom]]);

    let done = false;
    const slow = new Periodic(
      60_000,
      () =>
        new Promise<number>((resolve) =>
          setTimeout(() => {
            done = true;
            resolve(1);
          }, 30),
        ),
      () => {},
    );
    slow.start(); // runs at once, then every minute
    await slow.stop();
    expect(done).toBe(true);
  });
});
