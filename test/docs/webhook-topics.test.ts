import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONVERSATION_TOPICS } from '../../src/bridge/jobs.ts';

// The topics docs/conversations.md tells an operator to subscribe to are the ones the bridge acts on: a topic
// dropped from the code would be answered 200 and ignored (nothing in Slack), one missing from the docs never sent.
describe('webhook topics', () => {
  it('docs/conversations.md lists exactly the topics the bridge acts on', () => {
    const doc = readFileSync('docs/conversations.md', 'utf8');
    const step = doc.slice(doc.indexOf('Subscribe to these topics'), doc.indexOf('Other topics'));
    const listed = [...step.matchAll(/`([a-z_]+(?:\.[a-z_]+)+)`/g)].map(([, topic]) => topic);
    expect(listed.length).toBeGreaterThan(0);
    expect(new Set(listed)).toEqual(CONVERSATION_TOPICS);
    expect(listed).toHaveLength(CONVERSATION_TOPICS.size);
  });
});
