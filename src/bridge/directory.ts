import type { IntercomClient } from '../intercom/client.ts';
import type { Admin, Company, Tag, Team, TicketType } from '../intercom/schemas.ts';
import { outcomeOf } from './failures.ts';

/**
 * A whole list from Intercom (admins, teams, tags), held in memory and reloaded when stale, or when something
 * asked for is missing and the last load is older than `missMs` (a teammate added a minute ago). Concurrent
 * readers share one load.
 */
class CachedList<T> {
  readonly #load: () => Promise<T[]>;
  readonly #ttlMs: number;
  readonly #missMs: number;
  readonly #now: () => number;
  #items: T[] | undefined;
  #at = 0;
  #loading: Promise<T[]> | undefined;

  constructor(load: () => Promise<T[]>, options: { ttlMs: number; missMs: number; now: () => number }) {
    this.#load = load;
    this.#ttlMs = options.ttlMs;
    this.#missMs = options.missMs;
    this.#now = options.now;
  }

  /** The list; reloaded first when stale, or when `has` says it lacks what the caller needs. */
  async get(has: (items: T[]) => boolean = () => true): Promise<T[]> {
    const age = this.#now() - this.#at;
    if (this.#items && age < this.#ttlMs && (age < this.#missMs || has(this.#items))) return this.#items;
    this.#loading ??= this.#load().finally(() => {
      this.#loading = undefined;
    });
    this.#items = await this.#loading;
    this.#at = this.#now();
    return this.#items;
  }

  /** What the last load found, however old, without loading: for callers that may not wait for Intercom. */
  peek(): readonly T[] {
    return this.#items ?? [];
  }
}

/**
 * Names and lists Intercom knows (admins, teams, tags, companies) and the workspace id, cached: teammates
 * change rarely, every card needs several names, and a Slack modal must open before Intercom could answer.
 */
export class Directory {
  readonly #intercom: IntercomClient;
  readonly #admins: CachedList<Admin>;
  readonly #teams: CachedList<Team>;
  readonly #tags: CachedList<Tag>;
  readonly #ticketTypes: CachedList<TicketType>;
  readonly #companies = new Map<string, { at: number; company: Company | null }>();
  readonly #ttlMs: number;
  readonly #now: () => number;
  #workspaceId: string | undefined;

  constructor(intercom: IntercomClient, options: { ttlMs?: number; missMs?: number; now?: () => number } = {}) {
    this.#intercom = intercom;
    this.#ttlMs = options.ttlMs ?? 5 * 60_000;
    this.#now = options.now ?? Date.now;
    const cache = { ttlMs: this.#ttlMs, missMs: options.missMs ?? 30_000, now: this.#now };
    this.#admins = new CachedList(() => intercom.admins.list(), cache);
    this.#teams = new CachedList(() => intercom.teams.list(), cache);
    this.#tags = new CachedList(() => intercom.tags.list(), cache);
    this.#ticketTypes = new CachedList(() => intercom.ticketTypes.list(), cache);
  }

  async adminName(id: string | null | undefined): Promise<string | null> {
    if (!id || id === '0') return null;
    const admin = (await this.#admins.get((all) => all.some((a) => a.id === id))).find((a) => a.id === id);
    return admin ? (admin.name ?? admin.email ?? `Admin ${admin.id}`) : null;
  }

  async teamName(id: string | null | undefined): Promise<string | null> {
    if (!id || id === '0') return null;
    const team = (await this.#teams.get((all) => all.some((t) => t.id === id))).find((t) => t.id === id);
    return team ? (team.name ?? `Team ${team.id}`) : null;
  }

  /** The teammate with this email (Intercom compares emails case-insensitively, and so do we). */
  async adminByEmail(email: string): Promise<Admin | undefined> {
    const wanted = email.trim().toLowerCase();
    const same = (a: Admin) => a.email?.toLowerCase() === wanted;
    return (await this.#admins.get((all) => all.some(same))).find(same);
  }

  async adminById(id: string): Promise<Admin | undefined> {
    return (await this.#admins.get((all) => all.some((a) => a.id === id))).find((a) => a.id === id);
  }

  admins(): Promise<Admin[]> {
    return this.#admins.get();
  }

  teams(): Promise<Team[]> {
    return this.#teams.get();
  }

  /** Tags; a name not in the list reloads it (someone may have just created it in Intercom). */
  tags(wantedName?: string): Promise<Tag[]> {
    const wanted = wantedName?.trim().toLowerCase();
    return this.#tags.get((all) => !wanted || all.some((t) => t.name?.toLowerCase() === wanted));
  }

  /** Ticket types people can create tickets of (archived ones hidden), with their attributes. */
  async ticketTypes(wantedId?: string): Promise<TicketType[]> {
    const all = await this.#ticketTypes.get((types) => !wantedId || types.some((t) => t.id === wantedId));
    return all.filter((t) => !t.archived);
  }

  /**
   * A ticket type as last loaded, however old, and never asking Intercom: for a modal's submission, which Slack
   * wants answered before anything waits on Intercom. Undefined when it was never loaded (or is archived).
   */
  cachedTicketType(id: string): TicketType | undefined {
    return this.#ticketTypes.peek().find((t) => t.id === id && !t.archived);
  }

  /** Loads the lists a modal needs, so the first click after start-up finds them ready. */
  async warm(): Promise<void> {
    await Promise.all([this.admins(), this.teams(), this.tags(), this.ticketTypes(), this.workspaceId()]);
  }

  /** A company by Intercom id (cached); null when Intercom does not know it. */
  async company(id: string | null | undefined): Promise<Company | null> {
    if (!id) return null;
    const cached = this.#companies.get(id);
    if (cached && this.#now() - cached.at < this.#ttlMs) return cached.company;
    let company: Company | null;
    try {
      company = await this.#intercom.companies.get(id);
    } catch (error) {
      if (outcomeOf(error) !== 'gone') throw error;
      company = null;
    }
    this.#companies.set(id, { at: this.#now(), company });
    return company;
  }

  async companyName(id: string | null | undefined): Promise<string | null> {
    return (await this.company(id))?.name ?? null;
  }

  /** The workspace id (`app.id_code` of GET /me), for links into Intercom's Inbox; asked once. */
  async workspaceId(): Promise<string> {
    this.#workspaceId ??= (await this.#intercom.admins.me()).app?.id_code ?? '';
    return this.#workspaceId;
  }
}
