import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from '../support/harness.ts';
import { createSchema, dropSchemas, freshSchema, postgresAvailable, schemaUrl } from '../support/postgres.ts';

// Two bridge replicas on one PostgreSQL database, as behind a load balancer: Intercom's deliveries land on
// either, and each conversation still has one card whose thread every replica writes to.

const available = await postgresAvailable('the two-replica tests');
const schema = freshSchema();
const databaseUrl = schemaUrl(schema);

beforeAll(async () => {
  if (!available) return;
  await createSchema(schema);
});
afterAll(async () => {
  if (available) await dropSchemas([schema]);
});

describe.runIf(available)('two replicas on one PostgreSQL database', () => {
  it('one card per conversation whichever replica gets the delivery, and one thread both write to', async () => {
    const first = await Harness.start({ databaseUrl });
    const second = await Harness.attach({ intercom: first.intercom, slack: first.slack, databaseUrl });
    try {
      const ids = Array.from({ length: 20 }, () => String(first.intercom.addConversation({ subject: 'Twice' }).id));
      // Intercom retries and load balancers can hand the same delivery to both replicas at once
      await Promise.all(
        ids.flatMap((id) => {
          const note = first.notification('conversation.user.created', { type: 'conversation', id });
          return [first.webhook(note), second.webhook(note)];
        }),
      );
      await first.drained(15_000);
      await second.drained(15_000);
      const cards = first.cards();
      expect(cards).toHaveLength(20);

      const id = ids[0] as string;
      const card = await first.bridge?.store.getCard(id);
      first.intercom.addPart(id, {
        part_type: 'comment',
        body: '<p>Any news?</p>',
        author: { type: 'user', name: 'Dana' },
      });
      await second.webhook(second.notification('conversation.user.replied', { type: 'conversation', id }));
      await first.eventually(() =>
        expect(first.threadOf(String(card?.ts)).map((m) => m.text)).toContain('💬 *Dana* replied:\nAny news?'),
      );
      expect(first.cards()).toHaveLength(20);
    } finally {
      await second.bridge?.stop();
      await first.stop();
    }
  }, 60_000);
});
