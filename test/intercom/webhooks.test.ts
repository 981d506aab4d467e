import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAX_ID_LENGTH,
  parseIncomingNotification,
  parseNotification,
  signWebhook,
  verifyWebhookSignature,
} from '../../src/intercom/webhooks.ts';

const SECRET = 'client-secret-for-tests';

describe('verifyWebhookSignature', () => {
  it("matches Intercom's documented example shape (sha1= and 40 hex characters), whitespace around it aside", () => {
    const body = '{"type":"notification_event","topic":"ping"}';
    const signature = signWebhook(body, SECRET);
    expect(signature).toMatch(/^sha1=[0-9a-f]{40}$/);
    expect(verifyWebhookSignature(body, signature, SECRET)).toBe(true);
    expect(verifyWebhookSignature(Buffer.from(body), ` \t${signature} `, SECRET)).toBe(true);
  });

  it('accepts only the spelling Intercom sends: upper-case hex or SHA1= is refused', () => {
    const body = '{"type":"notification_event","topic":"ping"}';
    const hex = signWebhook(body, SECRET).slice('sha1='.length);
    for (const header of [`sha1=${hex.toUpperCase()}`, `SHA1=${hex}`, `Sha1=${hex}`, `SHA1=${hex.toUpperCase()}`]) {
      expect(verifyWebhookSignature(body, header, SECRET), header).toBe(false);
    }
    // any one letter of the hex in upper case is enough
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 64 }), fc.nat(), (text, i) => {
        const signature = signWebhook(text, SECRET);
        const letters = [...signature.matchAll(/[a-f]/g)].map((m) => m.index).filter((at) => at >= 'sha1='.length);
        const at = letters[i % Math.max(letters.length, 1)];
        if (at === undefined) return;
        const upper = signature.slice(0, at) + signature.charAt(at).toUpperCase() + signature.slice(at + 1);
        expect(verifyWebhookSignature(text, upper, SECRET)).toBe(false);
      }),
      { numRuns: 300 },
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

  it('refuses an envelope without created_at as it arrives, naming the field (documented example A has none)', () => {
    const { created_at: _omit, ...undated } = envelope;
    const result = parseIncomingNotification(Buffer.from(JSON.stringify(undated)));
    expect(result).toEqual({ ok: false, problems: [expect.stringMatching(/^created_at: /)] });
    for (const createdAt of [null, '1392731331', -1, 1.5]) {
      const dated = parseIncomingNotification(JSON.stringify({ ...envelope, created_at: createdAt }));
      expect(dated, String(createdAt)).toEqual({ ok: false, problems: [expect.stringMatching(/^created_at: /)] });
    }
    expect(parseIncomingNotification(JSON.stringify(envelope))).toMatchObject({ ok: true });
  });

  it('still reads a stored payload without created_at (stored by an older version, read back by the worker)', () => {
    const { created_at: _omit, ...undated } = envelope;
    expect(parseNotification(Buffer.from(JSON.stringify(undated))).ok).toBe(true);
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

  const unfit: Array<[string, string]> = [
    ['empty', ''],
    ['a NUL', 'a\u0000b'],
    ['a tab', 'a\tb'],
    ['a line feed', 'a\nb'],
    ['an escape', '\u001b[31m'],
    ['a DEL', 'a\u007fb'],
    ['a C1 control', 'a\u009bb'],
    ['a lone surrogate', 'a\udc00b'],
    ['one character too many', 'x'.repeat(MAX_ID_LENGTH + 1)],
  ];

  it.each(unfit)('refuses a notification id that is %s as it arrives, without echoing it', (_name, id) => {
    const result = parseIncomingNotification(JSON.stringify({ ...envelope, id }));
    expect(result).toEqual({ ok: false, problems: [expect.stringMatching(/^id: /)] });
    if (!result.ok && id.length > 0) expect(result.problems.join()).not.toContain(id);
  });

  it.each(unfit)('refuses a conversation id that is %s, in data.item.id or data.item.conversation_id', (_name, id) => {
    const item = (fields: Record<string, unknown>) => ({ ...envelope, data: { ...envelope.data, item: fields } });
    expect(parseIncomingNotification(JSON.stringify(item({ type: 'conversation', id })))).toEqual({
      ok: false,
      problems: [expect.stringMatching(/^data\.item\.id: /)],
    });
    expect(
      parseIncomingNotification(JSON.stringify(item({ type: 'conversation_part', id: '9', conversation_id: id }))),
    ).toEqual({ ok: false, problems: [expect.stringMatching(/^data\.item\.conversation_id: /)] });
  });

  it('takes ids up to the limit, numbers, and conversation_id values that are not read as ids', () => {
    const item = (fields: Record<string, unknown>) => ({ ...envelope, data: { ...envelope.data, item: fields } });
    for (const body of [
      { ...envelope, id: 'x'.repeat(MAX_ID_LENGTH) },
      { ...envelope, id: 'notif_<!channel>·😀\u202e' },
      item({ type: 'conversation', id: 'x'.repeat(MAX_ID_LENGTH) }),
      item({ type: 'conversation', id: Number.MAX_SAFE_INTEGER }),
      item({ type: 'conversation_part', id: '9', conversation_id: 503 }),
      item({ type: 'conversation_part', id: '9', conversation_id: null }),
      item({ type: 'conversation_part', id: '9', conversation_id: { nested: 'a\u0000b' } }),
    ]) {
      expect(parseIncomingNotification(JSON.stringify(body)), JSON.stringify(body)).toMatchObject({ ok: true });
    }
  });

  it('a stored payload is read back whatever its ids (the rule is for what arrives)', () => {
    expect(parseNotification(JSON.stringify({ ...envelope, id: 'a\u0000b' })).ok).toBe(true);
  });

  it('never throws, and anything it accepts has ids both stores can hold', () => {
    const id = fc.oneof(fc.string({ unit: 'binary', maxLength: 210 }), fc.string({ maxLength: 210 }), fc.integer());
    fc.assert(
      fc.property(id, id, fc.oneof(id, fc.constant(undefined)), (notificationId, itemId, conversationId) => {
        const result = parseIncomingNotification(
          JSON.stringify({
            ...envelope,
            id: notificationId,
            data: { item: { type: 'conversation', id: itemId, conversation_id: conversationId } },
          }),
        );
        if (!result.ok) return;
        const item = result.notification.data.item as Record<string, unknown>;
        for (const value of [result.notification.id, item.id, item.conversation_id]) {
          if (typeof value !== 'string') continue;
          expect(value.length).toBeGreaterThan(0);
          expect(value.length).toBeLessThanOrEqual(MAX_ID_LENGTH);
          expect(value).not.toMatch(/\p{Cc}/u);
          expect(value.isWellFormed()).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});
