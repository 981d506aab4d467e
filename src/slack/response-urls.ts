/**
 * Where the bridge may send a response URL's message: Slack's own hooks host (and, when SLACK_API_URL points the
 * bridge at another Slack — a proxy, or the fakes in tests — that origin). A response URL arrives in a request
 * payload, so it is checked before anything is posted to it: nothing in a payload may aim the bridge's HTTP
 * elsewhere.
 */
export class ResponseUrls {
  readonly #origins: ReadonlySet<string>;

  constructor(slackApiUrl?: string) {
    const origins = new Set(['https://hooks.slack.com', 'https://hooks.slack-gov.com']);
    const extra = slackApiUrl ? URL.parse(slackApiUrl)?.origin : undefined;
    if (extra && extra !== 'null') origins.add(extra);
    this.#origins = origins;
  }

  allows(url: unknown): url is string {
    if (typeof url !== 'string') return false;
    const parsed = URL.parse(url);
    return parsed !== null && parsed.username === '' && parsed.password === '' && this.#origins.has(parsed.origin);
  }
}
