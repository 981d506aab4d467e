import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseNotification, signWebhook, verifyWebhookSignature } from '../../src/intercom/webhooks.ts';

const SECRET = 'client-secret-for-tests';

describe('verifyWebhookSignature', () => {
  it("matches Intercom's documented example shape (sha1= and 40 hex characters)", () => {
    const body = '{"type":"notification_event","topic":"ping"}';
    const signature = signWebhook(body, SECRET);
    expect(signature).toMatch(/^sha1=[0-9a-f]{40}$/);
    expect(verifyWebhookSignature(body, signature, SECRET)).toBe(true);
    expect(verifyWebhookSignature(Buffer.from(body), signature.toUpperCase().replace('SHA1', 'sha1'), SECRET)).toBe(
      true,
    );
  });

  it('accepts any body signed with the secret, and rejects it changed by one byte or signed with another', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 512 }),
        fc.nat(),
        fc.string({ minLength: 1 }),
        (bytes, i, other) => {
          const signature = signWebhook(bytes, SECRET);
          expect(verifyWebhookSignature(bytes, signature, SECRET)).toBe(true);
          const changed = Uint8Array.from(bytes);
          const at = i % changed.length;
          changed[at] = (changed[at] ?? 0) ^ 0xff;
          expect(verifyWebhookSignature(changed, signature, SECRET)).toBe(false);
          if (other !== SECRET) expect(verifyWebhookSignature(bytes, signWebhook(bytes, other), SECRET)).toBe(false);
        },
      ),
      { numRuns: 500 },
    );
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['no prefix', '0'.repeat(40)],
    ['sha256', `sha256=${'0'.repeat(64)}`],
    ['short', 'sha1=abc'],
    ['not hex', `sha1=${'z'.repeat(40)}`],
  ])('rejects a %s header without throwing', (_name, header) => {
    expect(verifyWebhookSignature('{}', header, SECRET)).toBe(false);
  });

  it('never throws on arbitrary headers', () => {
    fc.assert(
      fc.property(fc.string(), (header) => {
        expect(typeof verifyWebhookSignature('{}', header, SECRET)).toBe('boolean');
      }),
      { numRuns: 1000 },
    );
  });
});

describe('parseNotification', () => {
  const envelope = {
    type: 'notification_event',
    id: 'notif_ccd8a4d0-f965-11e3-a367-c779cae3e1b3',
    topic: 'conversation.user.created',
    app_id: 'a86dr8yl',
    created_at: 1392731331,
    delivery_attempts: 1,
    first_sent_at: 1392731392,
    data: { type: 'notification_event_data', item: { type: 'conversation', id: 503, extra: true } },
  };

  it('parses the envelope and keeps the item whole', () => {
    const result = parseNotification(JSON.stringify(envelope));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.notification.topic).toBe('conversation.user.created');
    expect(result.notification.data.item.id).toBe('503');
    expect(result.notification.data.item.extra).toBe(true);
  });

  it('accepts the older shape without created_at (documented example A)', () => {
    const { created_at: _omit, ...older } = envelope;
    expect(parseNotification(Buffer.from(JSON.stringify(older))).ok).toBe(true);
  });

  it('names the fields that are wrong, never their values', () => {
    const result = parseNotification(JSON.stringify({ ...envelope, id: 42, topic: undefined, data: {} }));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.join('\n')).toMatch(/^id: /m);
    expect(result.problems.join('\n')).toMatch(/^topic: /m);
    expect(result.problems.join('\n')).toMatch(/^data\.item: /m);
  });

  it('rejects a body that is not JSON, or not a notification', () => {
    expect(parseNotification('{oops')).toEqual({ ok: false, problems: ['body is not JSON'] });
    expect(parseNotification('[]').ok).toBe(false);
    expect(parseNotification(JSON.stringify({ ...envelope, type: 'other' })).ok).toBe(false);
  });
});
