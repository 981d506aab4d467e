import type { IntercomClient } from '../intercom/client.ts';
import { IntercomApiError } from '../intercom/errors.ts';
import type { Company } from '../intercom/schemas.ts';

/** A list of names from Intercom, reloaded when stale or when an unknown id shows up (at most every `missMs`). */
class NameList {
  readonly #load: () => Promise<Map<string, string>>;
  readonly #ttlMs: number;
  readonly #missMs: number;
  readonly #now: () => number;
  #names: Map<string, string> | undefined;
  #at = 0;

  constructor(load: () => Promise<Map<string, string>>, ttlMs: number, missMs: number, now: () => number) {
    this.#load = load;
    this.#ttlMs = ttlMs;
    this.#missMs = missMs;
    this.#now = now;
  }

  async get(id: string): Promise<string | null> {
    const age = this.#now() - this.#at;
    if (!this.#names || age >= this.#ttlMs || (!this.#names.has(id) && age >= this.#missMs)) {
      this.#names = await this.#load();
      this.#at = this.#now();
    }
    return this.#names.get(id) ?? null;
  }
}

/**
 * Names for the ids Intercom sends (admins, teams, companies) and the workspace id, cached: teammates change
 * rarely, and every card needs several names.
 */
export class Directory {
  readonly #intercom: IntercomClient;
  readonly #admins: NameList;
  readonly #teams: NameList;
  readonly #companies = new Map<string, { at: number; company: Company | null }>();
  readonly #ttlMs: number;
  readonly #now: () => number;
  #workspaceId: string | undefined;

  constructor(intercom: IntercomClient, options: { ttlMs?: number; missMs?: number; now?: () => number } = {}) {
    this.#intercom = intercom;
    this.#ttlMs = options.ttlMs ?? 5 * 60_000;
    this.#now = options.now ?? Date.now;
    const missMs = options.missMs ?? 30_000;
    this.#admins = new NameList(
      async () => new Map((await intercom.admins.list()).map((a) => [a.id, a.name ?? a.email ?? `Admin ${a.id}`])),
      this.#ttlMs,
      missMs,
      this.#now,
    );
    this.#teams = new NameList(
      async () => new Map((await intercom.teams.list()).map((t) => [t.id, t.name ?? `Team ${t.id}`])),
      this.#ttlMs,
      missMs,
      this.#now,
    );
  }

  adminName(id: string | null | undefined): Promise<string | null> {
    return id && id !== '0' ? this.#admins.get(id) : Promise.resolve(null);
  }

  teamName(id: string | null | undefined): Promise<string | null> {
    return id && id !== '0' ? this.#teams.get(id) : Promise.resolve(null);
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
      if (!(error instanceof IntercomApiError && error.status === 404)) throw error;
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
