import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { judgeWebhook } from '../../src/http/intercom-webhooks.ts';
import { signWebhook } from '../../src/intercom/webhooks.ts';

// The webhook's rules as a pure function: each refusal with its status, answer and log line, and what is stored.

const SECRET = 'client-secret';
const NOW = 1_800_000_000;
const WINDOW = { maxAgeSeconds: 24 * 3600, maxAheadSeconds: 300 };

const envelope = (topic: string, createdAt = NOW, id = 'notif_1') =>
  Buffer.from(
    JSON.stringify({
      type: 'notification_event',
      app_id: 'abc123',
      id,
      topic,
      created_at: createdAt,
      data: { type: 'notification_event_data', item: { type: 'conversation', id: '42' } },
    }),
  );
const judge = (body: Buffer, signature = signWebhook(body, SECRET), now = NOW) =>
  judgeWebhook(body, signature, SECRET, now, WINDOW);

describe('judgeWebhook', () => {
  it('stores a signed notification of a topic the bridge uses', () => {
    const verdict = judge(envelope('conversation.user.created'));
    expect(verdict.outcome).toBe('store');
    if (verdict.outcome === 'store') expect(verdict.notification).toMatchObject({ id: 'notif_1', created_at: NOW });
  });

  it('refuses a wrong signature before reading the body as JSON', () => {
    const verdict = judge(Buffer.from('not json'), signWebhook('something else', SECRET));
    expect(verdict).toMatchObject({ outcome: 'bad_signature', status: 401, answer: { error: 'invalid signature' } });
  });

  it('refuses a signed body that is not a notification, naming the problems', () => {
    const verdict = judge(Buffer.from('{"id":"x"}'));
    expect(verdict).toMatchObject({ outcome: 'malformed', status: 400, log: { level: 'warn' } });
    if (verdict.outcome !== 'store')
      expect(verdict.answer.problems).toEqual(expect.arrayContaining([expect.any(String)]));
  });

  it('refuses replays outside the window, both ways, and takes its edges', () => {
    const old = judge(envelope('conversation.user.created', NOW - WINDOW.maxAgeSeconds - 1));
    const ahead = judge(envelope('conversation.user.created', NOW + WINDOW.maxAheadSeconds + 1));
    expect([old.outcome, ahead.outcome]).toEqual(['too_old', 'too_new']);
    expect(old).toMatchObject({ status: 401, log: { fields: { notification: 'notif_1' } } });
    expect(judge(envelope('conversation.user.created', NOW - WINDOW.maxAgeSeconds)).outcome).toBe('store');
    expect(judge(envelope('conversation.user.created', NOW + WINDOW.maxAheadSeconds)).outcome).toBe('store');
  });

  it('answers a ping and ignores topics the bridge does not use, storing neither', () => {
    expect(judge(envelope('ping'))).toMatchObject({ outcome: 'ping', status: 200, log: { level: 'info' } });
    expect(judge(envelope('contact.created'))).toMatchObject({
      outcome: 'ignored',
      status: 200,
      answer: { ok: true, ignored: true },
      log: { level: 'debug' },
    });
  });
});

describe('judgeWebhook on real payloads of topics the bridge does not act on', () => {
  const real = (name: string) => readFileSync(new URL(`../fixtures/intercom/real/${name}`, import.meta.url));

  it.each(['webhook-conversation-contact-attached.json', 'webhook-conversation-contact-attached-2026.json'])(
    '%s (data.item has no type) is acknowledged and ignored, not refused',
    (name) => {
      const body = real(name);
      const verdict = judge(body);
      expect(verdict).toMatchObject({ outcome: 'ignored', status: 200, answer: { ok: true, ignored: true } });
    },
  );

  it('Intercom’s own ping (id null, delivery_status null) is answered as a ping, not refused', () => {
    const verdict = judge(real('webhook-ping.json'));
    expect(verdict).toMatchObject({ outcome: 'ping', status: 200, answer: { ok: true } });
  });

  it('a topic the bridge acts on, with data it cannot read, is still refused', () => {
    const body = Buffer.from(
      JSON.stringify({
        type: 'notification_event',
        id: 'n',
        topic: 'conversation.user.created',
        created_at: NOW,
        data: 5,
      }),
    );
    expect(judge(body)).toMatchObject({ outcome: 'malformed', status: 400 });
  });
});
