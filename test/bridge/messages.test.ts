import { describe, expect, it } from 'vitest';
import { explainIntercomError, explainLoadFailure } from '../../src/bridge/messages.ts';
import {
  IntercomApiError,
  IntercomRateLimitedError,
  IntercomRequestError,
  IntercomTimeoutError,
} from '../../src/intercom/errors.ts';

const request = { method: 'POST', path: '/conversations/1/reply' };
const api = (status: number, code = 'x', message?: string) =>
  new IntercomApiError(request, status, 'req1', [{ code, message }]);

describe('explainIntercomError', () => {
  it.each([
    [api(404, 'not_found'), /^Intercom cannot find this conversation any more/],
    [api(404, 'admin_not_found'), /^Intercom does not know your teammate account/],
    [api(404, 'tag_not_found'), /^That tag no longer exists/],
    [api(404, 'team_not_found'), /^That team no longer exists/],
    [api(401), /INTERCOM_TOKEN/],
    [api(403, 'forbidden', 'No seat'), /^Intercom did not allow this \(Intercom says: No seat\)/],
    [api(422, 'parameter_invalid', 'Body is too long'), /^Intercom rejected this \(Intercom says: Body is too long\)/],
    [new IntercomRateLimitedError(request, 'r', [], 30_000), /rate-limiting/],
    [new IntercomRequestError(request, new Error('ECONNREFUSED'), false), /could not be reached; nothing was changed/],
  ])('%s → a plain sentence', (error, sentence) => {
    const text = explainIntercomError(error, 'close');
    expect(text).toMatch(sentence);
    expect(text).not.toMatch(/Error|\bat\s|POST|\/conversations/);
  });

  it('quotes Intercom’s words short, without anything shaped like a credential', () => {
    const said = `Token Bearer dG9rOmFiYzEyMw== refused for https://user:hunter2@proxy.test/ ${'x'.repeat(1_000)}`;
    const text = explainIntercomError(api(422, 'parameter_invalid', said), 'reply');
    expect(text).toMatch(/^Intercom rejected this \(Intercom says: Token Bearer \[Redacted\] refused for /);
    expect(text).not.toContain('dG9rOmFiYzEyMw');
    expect(text).not.toContain('hunter2');
    expect(text.length).toBeLessThan(300);
  });

  it('does not claim "nothing changed" when a write may have gone through', () => {
    for (const error of [
      new IntercomTimeoutError(request, 10_000, new Error('t')),
      new IntercomRequestError(request, new Error('socket hang up'), true),
      api(502),
    ]) {
      expect(explainIntercomError(error, 'reply')).toMatch(
        /may have been sent anyway: check the conversation in Intercom/,
      );
      expect(explainIntercomError(error, 'note')).toMatch(/may have been added anyway/);
      expect(explainIntercomError(error, 'close')).not.toContain('Nothing was changed');
    }
  });
});

describe('explainLoadFailure', () => {
  it.each([
    [
      new IntercomRateLimitedError(request, 'r', [], 30_000),
      /^Intercom is rate-limiting the bridge right now, so this type’s fields could not be loaded/,
    ],
    [
      api(401),
      /^Intercom refused the bridge’s access token, so this type’s fields could not be loaded; .*INTERCOM_TOKEN/,
    ],
    [api(403), /^Intercom did not allow the bridge to read ticket types, so this type’s fields could not be loaded\.$/],
    [api(500), /^Intercom did not send this type’s fields just now\. Try again in a moment\.$/],
  ])('%s → why the form cannot show it', (error, sentence) => {
    expect(explainLoadFailure(error, 'this type’s fields', 'ticket types')).toMatch(sentence);
  });
});
