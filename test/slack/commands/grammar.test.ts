import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Command,
  helpText,
  isEmail,
  MAX_QUERY_LENGTH,
  parseCommand,
} from '../../../src/slack/commands/grammar.ts';

const KINDS = [
  'help',
  'contacts',
  'articles',
  'conversation',
  'note',
  'tag',
  'ticket',
  'queue',
  'digest',
  'usage',
  'unknown',
];
const ALIASES = [
  'help',
  '?',
  '-h',
  '--help',
  'contacts',
  'contact',
  'search',
  'find',
  'articles',
  'article',
  'docs',
  'conversation',
  'conversations',
  'convo',
  'note',
  'tag',
  'ticket',
  'queue',
  'waiting',
  'digest',
];

function problemOf(command: Command): string {
  expect(command.kind).toBe('usage');
  return command.kind === 'usage' ? command.problem : '';
}

describe('parseCommand: help', () => {
  it.each(['', ' ', '   \t\n ', '\u00a0\u3000', '\u200b', 'help', 'HELP', '?', '-h', '--help', 'help contacts'])(
    '%j is help',
    (text) => {
      expect(parseCommand(text)).toEqual({ kind: 'help' });
    },
  );

  it('gives help, not an error, when the text is missing at runtime', () => {
    expect(parseCommand(undefined as unknown as string)).toEqual({ kind: 'help' });
    expect(parseCommand(null as unknown as string)).toEqual({ kind: 'help' });
  });
});

describe('parseCommand: contacts', () => {
  it.each(['contacts', 'contact', 'search', 'find', 'CONTACTS', 'Search', 'fInD'])('%s is contacts', (word) => {
    expect(parseCommand(`${word} Bob`)).toEqual({ kind: 'contacts', query: 'Bob' });
  });

  it('keeps the rest of the text, spaces collapsed', () => {
    expect(parseCommand('  contacts   Ann   Smith  ')).toEqual({ kind: 'contacts', query: 'Ann Smith' });
    expect(parseCommand('CONTACTS Bob')).toEqual({ kind: 'contacts', query: 'Bob' });
  });

  it.each([
    ['"Ann Smith"', 'Ann Smith'],
    ["'Ann Smith'", 'Ann Smith'],
    ['“Ann Smith”', 'Ann Smith'],
    ['‘Ann Smith’', 'Ann Smith'],
    ['«Ann Smith»', 'Ann Smith'],
    ['"  Ann   Smith "', 'Ann Smith'],
    ["'Sean O'Brien'", "Sean O'Brien"],
    ['‘Sean O’Brien’', 'Sean O’Brien'],
    ['"Ann" or "Bob"', '"Ann" or "Bob"'],
    ['"Ann Smith', '"Ann Smith'],
    ['"Ann Smith”', '"Ann Smith”'],
    ["O'Brien", "O'Brien"],
    ['"“Ann”"', '“Ann”'],
  ])('unquotes %s', (text, query) => {
    expect(parseCommand(`contacts ${text}`)).toEqual({ kind: 'contacts', query });
  });

  it.each(['Zoë Ågren', '山田 太郎', 'Renée Dœuf', 'Łukasz Żółć', 'محمد علي', '🙂 smiley'])(
    'keeps unicode names: %s',
    (name) => {
      expect(parseCommand(`contacts ${name}`)).toEqual({ kind: 'contacts', query: name });
    },
  );

  it('composes decomposed names to NFC', () => {
    const decomposed = 'Zoe\u0308 A\u030agren';
    const result = parseCommand(`contacts ${decomposed}`);
    expect(result).toEqual({ kind: 'contacts', query: 'Zoë Ågren' });
    expect(result.kind === 'contacts' && result.query).toBe('Zo\u00eb \u00c5gren');
  });

  it('treats NBSP, wide spaces, tabs and newlines as spaces and drops zero-width characters', () => {
    expect(parseCommand('contacts\u00a0Ann\u2003\u2009Smith')).toEqual({ kind: 'contacts', query: 'Ann Smith' });
    expect(parseCommand('\tcontacts\t\tAnn\nSmith\r\n')).toEqual({ kind: 'contacts', query: 'Ann Smith' });
    expect(parseCommand('contacts\u3000山田\u3000太郎')).toEqual({ kind: 'contacts', query: '山田 太郎' });
    expect(parseCommand('contacts\u202fAnn\u205fSmith\u2028')).toEqual({ kind: 'contacts', query: 'Ann Smith' });
    expect(parseCommand('con\u200btacts A\u200cn\u200dn\ufeff')).toEqual({ kind: 'contacts', query: 'Ann' });
    expect(parseCommand('\ufeffcontacts \u2060Ann')).toEqual({ kind: 'contacts', query: 'Ann' });
  });

  it('unwraps Slack mailto links', () => {
    expect(parseCommand('contacts <mailto:ann@example.com|ann@example.com>')).toEqual({
      kind: 'contacts',
      query: 'ann@example.com',
    });
    expect(parseCommand('contacts <mailto:ann@example.com>')).toEqual({ kind: 'contacts', query: 'ann@example.com' });
  });

  it('unwraps Slack links to their URL', () => {
    expect(parseCommand('contacts <https://acme.io|acme.io>')).toEqual({ kind: 'contacts', query: 'https://acme.io' });
    expect(parseCommand('contacts <http://acme.io/x?a=1&amp;b=2>')).toEqual({
      kind: 'contacts',
      query: 'http://acme.io/x?a=1&b=2',
    });
  });

  it('turns labelled user and channel mentions into their names and leaves other markup alone', () => {
    expect(parseCommand('contacts <@U123ABC|ann>')).toEqual({ kind: 'contacts', query: '@ann' });
    expect(parseCommand('contacts <#C123|support>')).toEqual({ kind: 'contacts', query: '#support' });
    expect(parseCommand('contacts <!here>')).toEqual({ kind: 'contacts', query: '<!here>' });
  });

  it('undoes Slack escaping, once', () => {
    expect(parseCommand('contacts Smith &amp; Sons')).toEqual({ kind: 'contacts', query: 'Smith & Sons' });
    expect(parseCommand('contacts &lt;ann@example.com&gt;')).toEqual({ kind: 'contacts', query: '<ann@example.com>' });
    expect(parseCommand('contacts AT&amp;amp;T')).toEqual({ kind: 'contacts', query: 'AT&amp;T' });
    expect(parseCommand('contacts &amp;lt;b&amp;gt;')).toEqual({ kind: 'contacts', query: '&lt;b&gt;' });
    expect(parseCommand('contacts &quot;x&quot;')).toEqual({ kind: 'contacts', query: '&quot;x&quot;' });
  });

  it('does not treat what the user typed as Slack markup', () => {
    expect(parseCommand('contacts &lt;mailto:a@b.io|x&gt;')).toEqual({ kind: 'contacts', query: '<mailto:a@b.io|x>' });
  });

  it('cuts the query at 200 characters without failing', () => {
    const long = 'a'.repeat(500);
    const result = parseCommand(`contacts ${long}`);
    expect(result).toEqual({ kind: 'contacts', query: 'a'.repeat(MAX_QUERY_LENGTH) });
    expect(MAX_QUERY_LENGTH).toBe(200);
  });

  it('does not end a cut query on a space or half a surrogate pair', () => {
    const spaced = parseCommand(`contacts ${'a'.repeat(199)} bcd`);
    expect(spaced).toEqual({ kind: 'contacts', query: 'a'.repeat(199) });
    const emoji = parseCommand(`contacts a${'😀'.repeat(150)}`);
    expect(emoji.kind).toBe('contacts');
    const query = emoji.kind === 'contacts' ? emoji.query : '';
    expect(query.length).toBe(199);
    expect(query.isWellFormed()).toBe(true);
  });

  it('cuts after unquoting, so a long quoted query keeps its text', () => {
    const result = parseCommand(`contacts "${'b'.repeat(300)}"`);
    expect(result).toEqual({ kind: 'contacts', query: 'b'.repeat(200) });
  });

  it.each(['contacts', 'contacts   ', 'contacts ""', "contacts ' '", 'contacts “\u00a0”', 'contacts \u200b'])(
    '%j is usage',
    (text) => {
      const problem = problemOf(parseCommand(text));
      expect(problem).toBe('`/intercom contacts` needs an email or a name, like `/intercom contacts ann@example.com`.');
    },
  );

  it('names the alias that was typed in the usage sentence', () => {
    expect(problemOf(parseCommand('SEARCH'))).toBe(
      '`/intercom search` needs an email or a name, like `/intercom search ann@example.com`.',
    );
    expect(problemOf(parseCommand('find', '/intercom-dev'))).toBe(
      '`/intercom-dev find` needs an email or a name, like `/intercom-dev find ann@example.com`.',
    );
  });

  it('falls back to /intercom when the command name is odd', () => {
    expect(problemOf(parseCommand('find', '<!channel>'))).toContain('`/intercom find`');
    expect(problemOf(parseCommand('find', ''))).toContain('`/intercom find`');
  });
});

describe('parseCommand: articles', () => {
  it.each(['articles', 'article', 'docs', 'ARTICLES', 'Docs'])('%s is articles', (word) => {
    expect(parseCommand(`${word} reset password`)).toEqual({ kind: 'articles', query: 'reset password' });
  });

  it('unquotes, unescapes and cuts like contacts', () => {
    expect(parseCommand('articles “billing & invoices”')).toEqual({ kind: 'articles', query: 'billing & invoices' });
    expect(parseCommand('articles Q&amp;A')).toEqual({ kind: 'articles', query: 'Q&A' });
    expect(parseCommand('docs «réinitialiser le mot de passe»')).toEqual({
      kind: 'articles',
      query: 'réinitialiser le mot de passe',
    });
    expect(parseCommand(`articles ${'x '.repeat(300)}`)).toEqual({
      kind: 'articles',
      query: 'x '.repeat(100).trimEnd(),
    });
  });

  it('asks for words when there are none', () => {
    expect(problemOf(parseCommand('articles'))).toBe(
      '`/intercom articles` needs some words to look for, like `/intercom articles reset password`.',
    );
    expect(problemOf(parseCommand("docs ''"))).toContain('`/intercom docs reset password`');
  });
});

describe('parseCommand: conversation', () => {
  it.each(['conversation', 'conversations', 'convo', 'CONVERSATION', 'Convo'])('%s is conversation', (word) => {
    expect(parseCommand(`${word} 123`)).toEqual({ kind: 'conversation', id: '123' });
  });

  it.each([
    ['123', '123'],
    ['#123', '123'],
    ['215470473390891', '215470473390891'],
    ['"#42"', '42'],
    ['https://app.intercom.com/a/inbox/abc123/inbox/shared/all/conversation/215470473390891', '215470473390891'],
    ['https://app.intercom.com/a/inbox/abc123/inbox/conversation/987?view=List', '987'],
    ['https://app.eu.intercom.com/a/apps/abc123/conversations/555#part', '555'],
    ['https://app.intercom.com/a/inbox/abc/inbox/conversation/77/', '77'],
    ['<https://app.intercom.com/a/inbox/abc/inbox/conversation/88|conversation>', '88'],
    ['<https://app.intercom.com/a/inbox/abc/inbox/conversation/99>', '99'],
    ['app.intercom.com/a/inbox/abc/inbox/conversation/66', '66'],
  ])('reads %s', (text, id) => {
    expect(parseCommand(`conversation ${text}`)).toEqual({ kind: 'conversation', id });
  });

  it.each([
    '',
    'abc',
    '#',
    '12a',
    '-5',
    '1.5',
    '123 456',
    '# 123',
    '１２３',
    'https://app.intercom.com/a/inbox/abc/inbox/conversation/',
    'https://app.intercom.com/a/inbox/abc/inbox/conversation/12ab',
    'https://app.intercom.com/a/inbox/abc/inbox/contacts/123',
    '1'.repeat(31),
  ])('%j is usage', (text) => {
    expect(problemOf(parseCommand(`conversation ${text}`))).toBe(
      '`/intercom conversation` needs a conversation id, `#id` or Intercom link, like `/intercom conversation 123456789`.',
    );
  });
});

describe('parseCommand: note, tag, ticket', () => {
  it.each(['note', 'tag', 'ticket'] as const)('%s without an email opens an empty form', (kind) => {
    const result = parseCommand(kind);
    expect(result).toEqual({ kind });
    expect(Object.hasOwn(result, 'email')).toBe(false);
    expect(parseCommand(`${kind.toUpperCase()}  \u00a0`)).toEqual({ kind });
  });

  it.each(['note', 'tag', 'ticket'] as const)('%s with an email prefills it, lower-cased', (kind) => {
    expect(parseCommand(`${kind} Ann@Example.COM`)).toEqual({ kind, email: 'ann@example.com' });
  });

  it.each([
    ['<mailto:ann@example.com|ann@example.com>', 'ann@example.com'],
    ['<mailto:Ann@Example.com>', 'ann@example.com'],
    ['"ann@example.com"', 'ann@example.com'],
    ['&lt;ann@example.com&gt;', 'ann@example.com'],
    ['mailto:ann@example.com', 'ann@example.com'],
    ['\u200bann@example.com\u00a0', 'ann@example.com'],
    ['zoë.ågren@exämple.se', 'zoë.ågren@exämple.se'],
    ['a+tag@sub.example.co.uk', 'a+tag@sub.example.co.uk'],
  ])('reads %s', (text, email) => {
    expect(parseCommand(`tag ${text}`)).toEqual({ kind: 'tag', email });
  });

  it.each([
    'ann',
    'ann@',
    '@example.com',
    'ann@example',
    'ann@@example.com',
    'ann@example.',
    'ann@.example.com',
    'ann@example..com',
    'ann@example.com bob@example.com',
    'ann@example.com,bob@example.com',
    'Ann Smith',
    '<https://example.com>',
    `${'a'.repeat(250)}@example.com`,
  ])('%j is usage', (text) => {
    expect(problemOf(parseCommand(`note ${text}`))).toBe(
      '`/intercom note` takes one email address (or none, to pick the contact in the form), like `/intercom note ann@example.com`.',
    );
  });

  it('uses the subcommand that was typed in the usage example', () => {
    expect(problemOf(parseCommand('TICKET bob'))).toContain('`/intercom ticket ann@example.com`');
    expect(problemOf(parseCommand('tag bob'))).toContain('`/intercom tag ann@example.com`');
  });
});

describe('parseCommand: queue and digest', () => {
  it.each([
    ['queue', 'me'],
    ['QUEUE', 'me'],
    ['queue me', 'me'],
    ['queue mine', 'me'],
    ['queue Unassigned', 'unassigned'],
    ['waiting nobody', 'unassigned'],
    ['queue  all', 'all'],
    ['queue "everyone"', 'all'],
  ])('“%s” is the queue of %s', (text, scope) => {
    expect(parseCommand(text)).toEqual({ kind: 'queue', scope });
  });

  it('answers anything else after queue with how to use it', () => {
    const problem = problemOf(parseCommand('queue bob'));
    expect(problem).toBe(
      '`/intercom queue` takes `me`, `unassigned` or `all` (or nothing, for yours), like `/intercom queue all`.',
    );
    expect(parseCommand('queue me all').kind).toBe('usage');
  });

  it('takes a bare digest, and nothing after it', () => {
    expect(parseCommand('  Digest ')).toEqual({ kind: 'digest' });
    expect(problemOf(parseCommand('digest now'))).toBe(
      '`/intercom digest` takes nothing: it posts this channel’s digest.',
    );
  });
});

describe('parseCommand: unknown', () => {
  it.each([
    ['hello', 'hello'],
    ['Hello world', 'Hello'],
    ['ann@example.com', 'ann@example.com'],
    ['contacts:', 'contacts:'],
    ['constructor', 'constructor'],
    ['__proto__ x', '__proto__'],
    ['toString', 'toString'],
    ['Zoë', 'Zoë'],
    ['&lt;!channel&gt; hi', '<!channel>'],
    ['hélp', 'hélp'],
  ])('%j is unknown (%s)', (text, word) => {
    expect(parseCommand(text)).toEqual({ kind: 'unknown', word });
  });

  it('keeps the case as typed and cuts the word to 40 characters', () => {
    expect(parseCommand(`${'X'.repeat(100)} more`)).toEqual({ kind: 'unknown', word: 'X'.repeat(40) });
    const emoji = parseCommand(`a${'😀'.repeat(30)}`);
    expect(emoji.kind === 'unknown' && emoji.word).toBe(`a${'😀'.repeat(19)}`);
  });
});

describe('parseCommand: usage sentences', () => {
  it.each(['contacts', 'articles', 'conversation x', 'note x', 'tag x', 'ticket x'])(
    '%j gives one line of mrkdwn with an example',
    (text) => {
      const problem = problemOf(parseCommand(text));
      expect(problem).not.toContain('\n');
      expect(problem).toMatch(/like `\/intercom \S+ \S.*`\.$/);
      expect(problem).not.toMatch(/[<>]/);
    },
  );
});

describe('isEmail', () => {
  it.each([
    'ann@example.com',
    'Ann.Smith+tag@Example.co.uk',
    'a@b.io',
    'zoë@exämple.de',
    '山田@例え.jp',
    `${'a'.repeat(64)}@${'b'.repeat(185)}.com`,
  ])('accepts %s', (text) => {
    expect(isEmail(text)).toBe(true);
  });

  it.each([
    '',
    'ann',
    'ann@',
    '@example.com',
    'ann@example',
    'ann@@example.com',
    'ann@b@example.com',
    'ann smith@example.com',
    'ann@exa mple.com',
    ' ann@example.com',
    'ann@example.com ',
    'ann\u00a0@example.com',
    'ann@example.com\n',
    'ann@.example.com',
    'ann@example.',
    'ann@example..com',
    'a\u200b@example.com',
    'ann@exam\u202eple.com',
    '<ann@example.com>',
    'a,b@example.com',
    'ann@example.com\ud800',
    `${'a'.repeat(64)}@${'b'.repeat(186)}.com`,
  ])('rejects %j', (text) => {
    expect(isEmail(text)).toBe(false);
  });

  it('is false, not an error, for non-strings at runtime', () => {
    expect(isEmail(undefined as unknown as string)).toBe(false);
    expect(isEmail(42 as unknown as string)).toBe(false);
  });
});

describe('helpText', () => {
  it('mentions every subcommand with an example and says results are private', () => {
    const text = helpText();
    for (const word of ['help', 'contacts', 'articles', 'conversation', 'note', 'tag', 'ticket']) {
      expect(text).toContain(`\`/intercom ${word}`);
    }
    expect(text).toContain('(also `search`)');
    for (const example of [
      '`/intercom contacts ann@example.com`',
      '`/intercom articles reset password`',
      '`/intercom conversation 123456789`',
      '`/intercom note ann@example.com`',
      '`/intercom tag ann@example.com`',
      '`/intercom ticket ann@example.com`',
    ]) {
      expect(text).toContain(example);
    }
    expect(text).toMatch(/only visible to you/i);
  });

  it('is mrkdwn without raw angle brackets, one line per subcommand', () => {
    const text = helpText();
    expect(text).not.toMatch(/[<>]/);
    expect(text).toContain('&lt;email or name&gt;');
    expect(text.split('\n').filter((line) => line.startsWith('• '))).toHaveLength(9);
  });

  it('uses the command it is given, and /intercom for anything odd', () => {
    expect(helpText('/intercom-dev')).toContain('`/intercom-dev contacts ann@example.com`');
    expect(helpText('/intercom-dev')).not.toContain('`/intercom ');
    expect(helpText('<!channel>')).toBe(helpText());
    expect(helpText('intercom')).toBe(helpText());
  });

  it('every example in the help parses to its subcommand', () => {
    const examples = [...helpText().matchAll(/Example: `\/intercom ([^`]+)`/g)].map((match) => match[1] ?? '');
    expect(examples).toHaveLength(9);
    expect(examples.map((example) => parseCommand(example).kind)).toEqual([
      'contacts',
      'articles',
      'conversation',
      'note',
      'tag',
      'ticket',
      'queue',
      'digest',
      'help',
    ]);
  });
});

describe('parseCommand: properties', () => {
  const EDGE = /^\p{White_Space}|\p{White_Space}$/u;
  const INVISIBLE = /[\u200b-\u200d\u2060\ufeff]/;

  function checkShape(result: Command): void {
    expect(KINDS).toContain(result.kind);
    switch (result.kind) {
      case 'contacts':
      case 'articles':
        expect(result.query.length).toBeGreaterThan(0);
        expect(result.query.length).toBeLessThanOrEqual(MAX_QUERY_LENGTH);
        expect(result.query).not.toMatch(EDGE);
        expect(result.query).not.toMatch(/\p{White_Space}{2}|[\t\n\u00a0]/u);
        expect(result.query).not.toMatch(INVISIBLE);
        expect(result.query.isWellFormed()).toBe(true);
        break;
      case 'conversation':
        expect(result.id).toMatch(/^\d{1,30}$/);
        break;
      case 'note':
      case 'tag':
      case 'ticket':
        if (result.email !== undefined) {
          expect(isEmail(result.email)).toBe(true);
          expect(result.email).toBe(result.email.toLowerCase());
        }
        break;
      case 'usage':
        expect(result.problem).not.toContain('\n');
        expect(result.problem).toMatch(/^`\/intercom /);
        break;
      case 'unknown':
        expect(result.word.length).toBeGreaterThan(0);
        expect(result.word.length).toBeLessThanOrEqual(40);
        expect(result.word).not.toMatch(/\p{White_Space}/u);
        expect(result.word).not.toMatch(INVISIBLE);
        break;
      case 'queue':
        expect(['me', 'unassigned', 'all']).toContain(result.scope);
        break;
      case 'help':
      case 'digest':
        expect(Object.keys(result)).toEqual(['kind']);
        break;
    }
  }

  const anyText = fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' }));
  const noisySpace = fc.constantFrom(' ', '  ', '\t', '\n', '\u00a0', '\u2003', '\u202f', '\u3000', '\u200b', '\ufeff');
  const noisyText = fc
    .array(
      fc.oneof(
        fc.string({ unit: 'binary', maxLength: 20 }),
        fc.string({ unit: 'grapheme', maxLength: 20 }),
        noisySpace,
        fc.constantFrom('"', "'", '“', '”', '‘', '’', '«', '»', '&amp;', '&lt;', '&gt;', '<', '>', '|', '#', '@'),
        fc.constantFrom('<mailto:a@b.io|a@b.io>', '<https://x.io|x>', '/conversation/12', 'a@b.io', 'A@B.IO'),
      ),
      { maxLength: 40 },
    )
    .map((parts) => parts.join(''));
  const withSubcommand = fc
    .tuple(
      noisySpace,
      fc.constantFrom(...ALIASES, 'CONTACTS', 'Docs', 'TICKET', 'nope'),
      noisySpace,
      fc.oneof(noisyText, fc.string({ unit: 'binary', minLength: 150, maxLength: 400 })),
    )
    .map((parts) => parts.join(''));

  it('never throws and always returns a well-formed command, for any text', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        checkShape(parseCommand(text));
      }),
      { numRuns: 3000 },
    );
  });

  it('never throws and keeps queries short and trimmed, after any subcommand', () => {
    fc.assert(
      fc.property(withSubcommand, (text) => {
        checkShape(parseCommand(text));
      }),
      { numRuns: 3000 },
    );
  });

  it('finds the query again when it is the only thing after contacts', () => {
    const letter = fc.constantFrom('a', 'Z', 'ë', 'Å', 'ł', '山', '田', '9', '😀', '-');
    const word = fc.string({ unit: letter, minLength: 1, maxLength: 10 });
    const separator = fc.constantFrom(' ', '   ', '\t', '\n', '\u00a0', '\u2009', '\u3000', ' \u200b');
    fc.assert(
      fc.property(fc.array(word, { minLength: 1, maxLength: 5 }), separator, (words, space) => {
        expect(parseCommand(`contacts${space}${words.join(space)}${space}`)).toEqual({
          kind: 'contacts',
          query: words.join(' '),
        });
      }),
      { numRuns: 2000 },
    );
  });
});
