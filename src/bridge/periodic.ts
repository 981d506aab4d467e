/**
 * A pass run at start and then every `everyMs`, for the bridge's periodic work (catch-up, digests). Calls that
 * overlap share the pass in flight; a pass that fails is handed to `onError` and counts as 0; `stop` waits for the
 * one running.
 */
export class Periodic {
  readonly #everyMs: number;
  readonly #pass: () => Promise<number>;
  readonly #onError: (error: unknown) => void;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<number> | undefined;

  constructor(everyMs: number, pass: () => Promise<number>, onError: (error: unknown) => void) {
    this.#everyMs = everyMs;
    this.#pass = pass;
    this.#onError = onError;
  }

  start(): void {
    void this.run();
    this.#timer = setInterval(() => void this.run(), this.#everyMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#running;
  }

  /** One pass (the one in flight, if any); resolves to what it counted. */
  run(): Promise<number> {
    this.#running ??= this.#pass()
      .catch((error: unknown) => {
        this.#onError(error);
        return 0;
      })
      .finally(() => {
        this.#running = undefined;
      });
    return this.#running;
  }
}
