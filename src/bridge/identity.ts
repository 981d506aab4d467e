import type { Directory } from './directory.ts';
import type { SlackPort, SlackUser } from './ports.ts';

/** The Intercom teammate a Slack user acts as. */
export interface Teammate {
  slackUserId: string;
  adminId: string;
  name: string;
  /** The Slack user's time zone (IANA), when their profile has one. */
  timeZone: string | null;
}

/** Either the teammate, or a sentence telling the Slack user why the bridge will not act for them. */
export type WhoResult = { teammate: Teammate } | { refusal: string };

export interface IdentityOptions {
  slack: Pick<SlackPort, 'user'>;
  directory: Directory;
  /** Slack user id → Intercom admin id, for people whose emails differ between the two (ADMIN_OVERRIDES). */
  overrides?: ReadonlyMap<string, string>;
  /** How long a Slack profile is trusted (emails and zones change rarely). */
  ttlMs?: number;
  now?: () => number;
}

const NOTHING_CHANGED = 'Nothing was changed in Intercom.';

/**
 * Who a Slack user is in Intercom: the admin named for them in the overrides, else the admin whose email is the
 * email of their Slack profile. Actions are done as that admin, so Intercom shows who really did what.
 */
export class Identity {
  readonly #o: Required<IdentityOptions>;
  readonly #users = new Map<string, { at: number; user: SlackUser | null }>();

  constructor(options: IdentityOptions) {
    this.#o = { overrides: new Map(), ttlMs: 10 * 60_000, now: Date.now, ...options };
  }

  async teammate(slackUserId: string): Promise<WhoResult> {
    const user = await this.slackUser(slackUserId);
    const timeZone = user?.timeZone ?? null;
    const overridden = this.#o.overrides.get(slackUserId);
    if (overridden) {
      const admin = await this.#o.directory.adminById(overridden);
      if (!admin) {
        return {
          refusal: `ADMIN_OVERRIDES maps you to Intercom admin ${overridden}, which Intercom does not know. ${NOTHING_CHANGED}`,
        };
      }
      return { teammate: { slackUserId, adminId: admin.id, name: admin.name ?? user?.name ?? admin.id, timeZone } };
    }
    if (!user?.email) {
      return {
        refusal:
          'The bridge cannot see an email on your Slack profile, so it cannot tell which Intercom teammate you are. ' +
          `${NOTHING_CHANGED} Ask whoever runs the bot to map you in ADMIN_OVERRIDES.`,
      };
    }
    const admin = await this.#o.directory.adminByEmail(user.email);
    if (!admin) {
      return {
        refusal:
          `No Intercom teammate has your Slack email (${user.email}), so the bridge cannot act for you. ${NOTHING_CHANGED} ` +
          'Use the same email in both, or ask whoever runs the bot to map you in ADMIN_OVERRIDES.',
      };
    }
    return { teammate: { slackUserId, adminId: admin.id, name: admin.name ?? user.name, timeZone } };
  }

  /** The Slack profile, cached; a failed lookup is not cached, so the next click tries again. */
  async slackUser(slackUserId: string): Promise<SlackUser | null> {
    const cached = this.#users.get(slackUserId);
    if (cached && this.#o.now() - cached.at < this.#o.ttlMs) return cached.user;
    const user = await this.#o.slack.user(slackUserId);
    this.#users.set(slackUserId, { at: this.#o.now(), user });
    return user;
  }
}
