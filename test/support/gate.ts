/**
 * A gate in front of a fake's answers: a request that matches it has been taken (and processed) but its answer
 * waits until the test opens the gate. A test proves an order ("Slack was answered before Intercom answered the
 * write", "the client asked again while the first answer was still held") by what is held, not by how long
 * something took. The fakes open every gate when they close, so a shut gate never keeps a server alive.
 */
export class Gate<T> {
  /** What came to the gate, in order (held now, or let through since it opened). */
  readonly arrived: T[] = [];
  #shut = true;
  #left: number;
  readonly #waiting: Array<() => void> = [];
  readonly #watchers: Array<{ n: number; resolve: () => void }> = [];

  /** `times`: how many matching requests the gate takes (default: every one); later ones pass as usual. */
  constructor(times = Number.POSITIVE_INFINITY) {
    this.#left = times;
  }

  /** Whether the gate still holds answers back. */
  get shut(): boolean {
    return this.#shut;
  }

  /** Answers waiting behind the gate now. */
  get held(): number {
    return this.#waiting.length;
  }

  /** Whether the gate takes one more request (it counts it when it does). */
  takes(): boolean {
    if (this.#left <= 0) return false;
    this.#left -= 1;
    return true;
  }

  /** Called by a fake for a request the gate took: resolves when the answer may go (at once once open). */
  pass(item: T): Promise<void> {
    this.arrived.push(item);
    for (const watcher of this.#watchers.filter((w) => this.arrived.length >= w.n)) {
      this.#watchers.splice(this.#watchers.indexOf(watcher), 1);
      watcher.resolve();
    }
    if (!this.#shut) return Promise.resolve();
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  /** Resolves once `n` requests in all have come to the gate. */
  reached(n: number): Promise<void> {
    if (this.arrived.length >= n) return Promise.resolve();
    return new Promise((resolve) => this.#watchers.push({ n, resolve }));
  }

  /** Lets every held answer go, and every later one straight through. */
  open(): void {
    this.#shut = false;
    for (const release of this.#waiting.splice(0)) release();
  }
}
