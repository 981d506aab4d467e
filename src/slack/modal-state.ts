import { createHmac, createSecretKey, type KeyObject, timingSafeEqual } from 'node:crypto';

/** Characters a seal adds to a modal's private_metadata: what the builders must leave free of Slack's 3,000. */
export const SEAL_LENGTH = 23;
const MAC_BYTES = 16;

/**
 * The state a modal carries (`private_metadata`) comes back in the submission's payload, so the bridge seals what
 * it issues and reads back only what it sealed: `<mac>.<json>`, the MAC an HMAC-SHA256 keyed from the bot token.
 * A changed or made-up state reads as none. Rotating the bot token voids the modals open at that moment.
 */
export class ModalState {
  readonly #key: KeyObject;

  constructor(botToken: string) {
    this.#key = createSecretKey(createHmac('sha256', botToken).update('intercom-slack-bridge modal state').digest());
  }

  seal(state: string): string {
    return `${this.#mac(state).toString('base64url')}.${state}`;
  }

  /** The state as issued, or undefined when it was not sealed by this bridge. */
  open(sealed: unknown): string | undefined {
    if (typeof sealed !== 'string') return undefined;
    const dot = sealed.indexOf('.');
    if (dot !== SEAL_LENGTH - 1) return undefined;
    const mac = Buffer.from(sealed.slice(0, dot), 'base64url');
    const state = sealed.slice(dot + 1);
    if (mac.length !== MAC_BYTES) return undefined;
    return timingSafeEqual(mac, this.#mac(state)) ? state : undefined;
  }

  /** The view with its private_metadata sealed (a view without any is left as it is). */
  sealView<V extends { private_metadata?: string }>(view: V): V {
    return view.private_metadata === undefined ? view : { ...view, private_metadata: this.seal(view.private_metadata) };
  }

  #mac(state: string): Buffer {
    return createHmac('sha256', this.#key).update(state).digest().subarray(0, MAC_BYTES);
  }
}
