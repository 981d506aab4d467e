import type { Logger } from '../logger.ts';
import type { Directory } from './directory.ts';
import { COULD_NOT_CHECK_WHO } from './messages.ts';
import type { SlackPort, SlackUser, SlackWorkspace } from './ports.ts';

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
  /** Slack's users; `userIdByEmail` finds whom to mention for a teammate (slackUserOf), when given. */
  slack: Pick<SlackPort, 'user'> & Partial<Pick<SlackPort, 'userIdByEmail'>>;
  directory: Directory;
  /** Who may read Intercom data through Slack (READ_ACCESS): mapped teammates (the default), or the workspace. */
  readAccess?: ReadAccess;
  /** The workspace the bridge serves: only its own people act or read through it. */
  workspace: () => Promise<SlackWorkspace>;
  /** Slack user id → Intercom admin id, for people whose emails differ between the two (ADMIN_OVERRIDES). */
  overrides?: ReadonlyMap<string, string>;
  /** How long a Slack profile is trusted (emails and zones change rarely). */
  ttlMs?: number;
  now?: () => number;
}

/** Why the bridge will not act for someone; `lookupFailed` when it could not find out (worth asking again later). */
export type Refusal = { refusal: string; lookupFailed?: unknown };

export type ReadAccess = 'teammates' | 'workspace';

/** What the person asked the bridge for: to change something in Intercom, or to see its data. */
export type Purpose = 'act' | 'read';

const CONSEQUENCE: Record<Purpose, string> = {
  act: 'Nothing was changed in Intercom.',
  read: 'The bridge shows Intercom data only to Intercom teammates.',
};
const NOT_OURS =
  'You are not a member of the Slack workspace this bridge serves (a guest from another organization), so it will not act for you or show you Intercom data.';

/**
 * Who a Slack user is in Intercom: the admin named for them in the overrides, else the admin whose email is the
 * email of their Slack profile. Actions are done as that admin, so Intercom shows who really did what.
 */
export class Identity {
  readonly #o: Required<IdentityOptions>;
  readonly #users = new Map<string, { at: number; user: SlackUser | null }>();
  /** Intercom admin id → Slack user id (or null: none), as slackUserOf last found it. */
  readonly #slackIds = new Map<string, { at: number; user: string | null }>();

  constructor(options: IdentityOptions) {
    this.#o = { overrides: new Map(), readAccess: 'teammates', ttlMs: 10 * 60_000, now: Date.now, ...options };
  }

  /**
   * Who acts for `slackUserId`, as every use case that changes Intercom for a person asks it: the teammate, or
   * why not — including not being able to find out (Slack or Intercom out of reach). Refusals are logged here.
   */
  async actor(slackUserId: string, action: string, logger: Logger): Promise<{ teammate: Teammate } | Refusal> {
    let who: WhoResult;
    try {
      who = await this.teammate(slackUserId);
    } catch (error) {
      logger.warn({ err: error, slackUserId, action }, 'could not find who asked');
      return { refusal: COULD_NOT_CHECK_WHO, lookupFailed: error };
    }
    if ('refusal' in who) logger.info({ slackUserId, action }, 'refused: no Intercom teammate for this Slack user');
    return who;
  }

  async teammate(slackUserId: string, purpose: Purpose = 'act'): Promise<WhoResult> {
    const consequence = CONSEQUENCE[purpose];
    const user = await this.slackUser(slackUserId);
    if (user && !(await this.isOurs(user))) return { refusal: NOT_OURS };
    const timeZone = user?.timeZone ?? null;
    const overridden = this.#o.overrides.get(slackUserId);
    if (overridden) {
      const admin = await this.#o.directory.adminById(overridden);
      if (!admin) {
        return {
          refusal: `ADMIN_OVERRIDES maps you to Intercom admin ${overridden}, which Intercom does not know. ${consequence}`,
        };
      }
      return { teammate: { slackUserId, adminId: admin.id, name: admin.name ?? user?.name ?? admin.id, timeZone } };
    }
    if (!user?.email) {
      return {
        refusal:
          'The bridge cannot see an email on your Slack profile, so it cannot tell which Intercom teammate you are. ' +
          `${consequence} Ask whoever runs the bot to map you in ADMIN_OVERRIDES.`,
      };
    }
    const admin = await this.#o.directory.adminByEmail(user.email);
    if (!admin) {
      return {
        refusal:
          `No Intercom teammate has your Slack email (${user.email}), so the bridge cannot act for you. ${consequence} ` +
          'Use the same email in both, or ask whoever runs the bot to map you in ADMIN_OVERRIDES.',
      };
    }
    return { teammate: { slackUserId, adminId: admin.id, name: admin.name ?? user.name, timeZone } };
  }

  /**
   * Whether someone may read Intercom data through Slack (search, previews, select lists): a mapped teammate, or
   * with READ_ACCESS=workspace any person of the workspace. Writing always needs `teammate`.
   */
  async reader(slackUserId: string): Promise<{ ok: true } | { refusal: string }> {
    if (this.#o.readAccess === 'workspace') return this.member(slackUserId);
    const who = await this.teammate(slackUserId, 'read');
    return 'refusal' in who ? who : { ok: true };
  }

  /** Whether someone may use the bridge at all: a person of our workspace (or org), not a Slack Connect guest. */
  async member(slackUserId: string): Promise<{ ok: true } | { refusal: string }> {
    const user = await this.slackUser(slackUserId);
    if (!user) return { refusal: 'Slack does not know who you are, so the bridge will not show you Intercom data.' };
    if (user.isBot) return { refusal: 'The bridge does not answer bots.' };
    return (await this.isOurs(user)) ? { ok: true } : { refusal: NOT_OURS };
  }

  async isOurs(user: SlackUser): Promise<boolean> {
    const ours = await this.#o.workspace();
    if (user.teamId === ours.teamId) return true;
    return ours.enterpriseId !== undefined && user.enterpriseId === ours.enterpriseId;
  }

  /** The Slack profile, cached; a failed lookup is not cached, so the next click tries again. */
  async slackUser(slackUserId: string): Promise<SlackUser | null> {
    const cached = this.#users.get(slackUserId);
    if (cached && this.#o.now() - cached.at < this.#o.ttlMs) return cached.user;
    const user = await this.#o.slack.user(slackUserId);
    this.#users.set(slackUserId, { at: this.#o.now(), user });
    return user;
  }

  /**
   * The Slack user who is Intercom teammate `adminId`, to mention them: the one the overrides name for them, else
   * the one whose Slack email is the teammate's; null when there is none (then nobody is mentioned).
   */
  async slackUserOf(adminId: string): Promise<string | null> {
    for (const [slackUserId, overridden] of this.#o.overrides) if (overridden === adminId) return slackUserId;
    // cached like profiles: users.lookupByEmail is Tier 3, and every warning and DM asks it for the same few people
    const cached = this.#slackIds.get(adminId);
    if (cached && this.#o.now() - cached.at < this.#o.ttlMs) return cached.user;
    const admin = await this.#o.directory.adminById(adminId);
    const byEmail = this.#o.slack.userIdByEmail;
    const user = admin?.email && byEmail ? await byEmail.call(this.#o.slack, admin.email) : null;
    this.#slackIds.set(adminId, { at: this.#o.now(), user });
    return user;
  }
}
