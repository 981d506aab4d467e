import type { IntercomHttp } from '../http.ts';

/** Base of the operation groups: each only describes requests and leaves sending them to IntercomHttp. */
export abstract class Resource {
  protected readonly http: IntercomHttp;

  constructor(http: IntercomHttp) {
    this.http = http;
  }
}
