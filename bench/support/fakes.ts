import { FakeIntercom } from '../../test/support/fake-intercom.ts';
import { FakeSlack } from '../../test/support/fake-slack.ts';
import { announceReady } from './processes.ts';

// Fake Intercom and fake Slack for benchmarks, in a process of their own; driven over IPC by the benchmark.

const intercom = await FakeIntercom.start();
const slack = await FakeSlack.start();
slack.addChannel({ id: 'C0BENCH01', name: 'bench' });
intercom.addAdmin({ name: 'Alice', email: 'alice@example.com', id: '991' });
// the benchmark measures the bridge, not the fakes: keep their memory flat
intercom.requests.length = 0;

type Message = { type: 'seed'; count: number } | { type: 'stats' } | { type: 'close' };

process.on('message', async (message: Message) => {
  if (message.type === 'seed') {
    const contact = intercom.addContact({ email: 'dana@acme.test', name: 'Dana' });
    const ids: string[] = [];
    for (let i = 0; i < message.count; i++) {
      // an hour old, so the bridge's start-up catch-up leaves them to the webhooks being measured
      const createdAt = Math.floor(Date.now() / 1000) - 3600;
      ids.push(
        String(intercom.addConversation({ contactId: String(contact.id), subject: `Bench ${i}`, createdAt }).id),
      );
    }
    process.send?.({ type: 'seeded', ids });
  } else if (message.type === 'stats') {
    const perConversation = new Map<string, number>();
    for (const m of slack.messages) {
      if (m.threadTs !== undefined) continue;
      const key = m.text;
      perConversation.set(key, (perConversation.get(key) ?? 0) + 1);
    }
    intercom.requests.length = 0;
    process.send?.({
      type: 'stats',
      cards: perConversation.size,
      duplicates: [...perConversation.values()].reduce((sum, n) => sum + n - 1, 0),
    });
  } else if (message.type === 'close') {
    await intercom.close();
    await slack.close();
    process.exit(0);
  }
});

announceReady(intercom, slack);
