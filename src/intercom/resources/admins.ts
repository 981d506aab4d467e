import type { CallOptions } from '../http.ts';
import { AdminList, AdminWithApp, TeamList } from '../schemas.ts';
import { Resource } from './resource.ts';

export class AdminsApi extends Resource {
  /** Every teammate of the workspace (not paginated). */
  async list(options?: CallOptions) {
    const result = await this.http.call({ method: 'GET', path: '/admins', schema: AdminList }, options);
    return result.admins;
  }

  /** The admin that owns the token, with its workspace (`app.id_code`, `app.region`). */
  me(options?: CallOptions) {
    return this.http.call({ method: 'GET', path: '/me', schema: AdminWithApp }, options);
  }
}

export class TeamsApi extends Resource {
  async list(options?: CallOptions) {
    const result = await this.http.call({ method: 'GET', path: '/teams', schema: TeamList }, options);
    return result.teams;
  }
}
