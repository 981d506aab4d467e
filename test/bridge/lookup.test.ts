import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Directory } from '../../src/bridge/directory.ts';
import { contactQuery, Lookup } from '../../src/bridge/lookup.ts';
import { IntercomClient } from '../../src/intercom/client.ts';
import { noRetryPolicy } from '../../src/intercom/retry.ts';
import { FakeIntercom } from '../support/fake-intercom.ts';

describe('contactQuery', () => {
  it('searches an email exactly (lower-cased) and anything else by name or email fragment', () => {
    expect(contactQuery(' Ann@Example.COM ')).toEqual({ field: 'email', operator: '=', value: 'ann@example.com' });
    expect(contactQuery('ann lee')).toEqual({
      operator: 'OR',
      value: [
        { field: 'name', operator: '~', value: 'ann lee' },
        { field: 'email', operator: '~', value: 'ann lee' },
      ],
    });
  });
});

describe('Lookup', () => {
  let fake: FakeIntercom;
  let intercom: IntercomClient;
  let lookup: Lookup;
  beforeEach(async () => {
    fake = await FakeIntercom.start();
    fake.addAdmin({ name: 'Alice', email: 'alice@example.com', id: '991' });
    intercom = new IntercomClient({ token: fake.token, baseUrl: fake.url, idempotentRetry: noRetryPolicy });
    lookup = new Lookup(intercom, new Directory(intercom));
  });
  afterEach(async () => {
    await intercom.close();
    await fake.close();
  });

  it('pages contacts with the cursor Intercom gives, and links each to Intercom', async () => {
    for (let i = 0; i < 3; i++) fake.addContact({ email: `p${i}@x.io`, name: `Pat ${i}` });
    const first = await lookup.contacts('pat', { perPage: 2 });
    expect(first.contacts.map((c) => c.name)).toEqual(['Pat 0', 'Pat 1']);
    expect(first.total).toBe(3);
    expect(first.contacts[0]?.url).toMatch(/^https:\/\/app\.intercom\.com\/a\/apps\/wsp1test\/users\//);
    const second = await lookup.contacts('pat', { perPage: 2, startingAfter: first.next });
    expect(second.contacts.map((c) => c.name)).toEqual(['Pat 2']);
    expect(second.next).toBeUndefined();
  });

  it('asks nothing for a picker query shorter than two characters', async () => {
    expect(await lookup.contactMatches(' a ')).toEqual([]);
    expect(fake.requests).toHaveLength(0);
  });

  it('takes article snippets from highlights, else the description', async () => {
    fake.addArticle({ title: 'Billing FAQ', body: 'How billing works' });
    const { articles } = await lookup.articles('billing');
    expect(articles).toEqual([
      {
        id: expect.any(String),
        title: 'Billing FAQ',
        snippet: 'How billing works',
        url: expect.stringContaining('/articles/'),
      },
    ]);
  });
});
