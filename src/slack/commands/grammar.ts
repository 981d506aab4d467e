// Grammar of the `/intercom` slash command: text in, a tagged command out. Pure and total (it never throws), so
// the listener only decides what to answer: help for `unknown`, the `problem` sentence for `usage`.
// Queries, words and ids come back as plain text (Slack's escaping undone): escape them before echoing in mrkdwn.

/** A parsed `/intercom` command. */
export type Command =
  | { kind: 'help' }
  | { kind: 'contacts'; query: string }
  | { kind: 'articles'; query: string }
  | { kind: 'conversation'; id: string }
  | { kind: 'note' | 'tag' | 'ticket'; email?: string }
  /** The waiting conversations: the asker's (`me`, the default), nobody's, or everyone's. */
  | { kind: 'queue'; scope: QueueScope }
  /** The channel's digest, posted now. */
  | { kind: 'digest' }
  /** A known subcommand used wrongly: `problem` is one mrkdwn sentence saying how to use it, with an example. */
  | { kind: 'usage'; problem: string }
  /** An unknown subcommand: the first word as typed (plain text, at most 40 characters). */
  | { kind: 'unknown'; word: string };

/** Longest query handed on (longer ones are cut, not refused). */
export const MAX_QUERY_LENGTH = 200;
const MAX_WORD_LENGTH = 40;
const DEFAULT_COMMAND = '/intercom';

type Name = 'help' | 'contacts' | 'articles' | 'conversation' | 'note' | 'tag' | 'ticket' | 'queue' | 'digest';

/** Whose waiting conversations `/intercom queue` lists. */
export type QueueScope = 'me' | 'unassigned' | 'all';

const QUEUE_SCOPES: ReadonlyMap<string, QueueScope> = new Map<string, QueueScope>([
  ['', 'me'],
  ['me', 'me'],
  ['mine', 'me'],
  ['unassigned', 'unassigned'],
  ['nobody', 'unassigned'],
  ['all', 'all'],
  ['everyone', 'all'],
]);

// A Map, not an object literal: `constructor` or `__proto__` must not look like subcommands.
const SUBCOMMANDS: ReadonlyMap<string, Name> = new Map<string, Name>([
  ['help', 'help'],
  ['?', 'help'],
  ['-h', 'help'],
  ['--help', 'help'],
  ['contacts', 'contacts'],
  ['contact', 'contacts'],
  ['search', 'contacts'],
  ['find', 'contacts'],
  ['articles', 'articles'],
  ['article', 'articles'],
  ['docs', 'articles'],
  ['conversation', 'conversation'],
  ['conversations', 'conversation'],
  ['convo', 'conversation'],
  ['note', 'note'],
  ['tag', 'tag'],
  ['ticket', 'ticket'],
  ['queue', 'queue'],
  ['waiting', 'queue'],
  ['digest', 'digest'],
]);

const EXAMPLE_EMAIL = 'ann@example.com';

// One line per subcommand; `&lt;`/`&gt;` because Slack reads a bare `<` as markup, even in code spans.
const HELP_LINES: ReadonlyArray<{ usage: string; what: string; example: string }> = [
  {
    usage: 'contacts &lt;email or name&gt;',
    what: 'find contacts (also `search`)',
    example: `contacts ${EXAMPLE_EMAIL}`,
  },
  { usage: 'articles &lt;words&gt;', what: 'search help-center articles', example: 'articles reset password' },
  {
    usage: 'conversation &lt;id&gt;',
    what: 'show a conversation, by id, `#id` or inbox link',
    example: 'conversation 123456789',
  },
  { usage: 'note [email]', what: 'add a note to a contact (opens a form)', example: `note ${EXAMPLE_EMAIL}` },
  { usage: 'tag [email]', what: 'tag a contact (opens a form)', example: `tag ${EXAMPLE_EMAIL}` },
  { usage: 'ticket [email]', what: 'open a ticket for a contact (opens a form)', example: `ticket ${EXAMPLE_EMAIL}` },
  {
    usage: 'queue [me|unassigned|all]',
    what: 'conversations waiting for a reply, longest first (yours unless told)',
    example: 'queue unassigned',
  },
  { usage: 'digest', what: 'post this channel’s digest of what is waiting, now', example: 'digest' },
  { usage: 'help', what: 'show this help', example: 'help' },
];

/**
 * Parses the text after the slash command. Empty text and `help`/`?`/`-h`/`--help` give help; `command` (the
 * slash command as configured, `/intercom` by default) only shapes the `usage` sentences.
 */
export function parseCommand(text: string, command: string = DEFAULT_COMMAND): Command {
  const clean = normalise(typeof text === 'string' ? text : '');
  if (clean === '') return { kind: 'help' };
  const space = clean.indexOf(' ');
  const word = space < 0 ? clean : clean.slice(0, space);
  const rest = space < 0 ? '' : clean.slice(space + 1);
  const name = word.toLowerCase();
  const kind = SUBCOMMANDS.get(name);
  const usage = (problem: string): Command => ({
    kind: 'usage',
    problem: `\`${slashCommand(command)} ${name}\` ${problem}`,
  });
  const like = (example: string) => `like \`${slashCommand(command)} ${name} ${example}\`.`;

  switch (kind) {
    case undefined:
      return { kind: 'unknown', word: cut(word, MAX_WORD_LENGTH) };
    case 'help':
      return { kind: 'help' };
    case 'contacts': {
      const query = cut(unquote(rest), MAX_QUERY_LENGTH);
      return query ? { kind, query } : usage(`needs an email or a name, ${like(EXAMPLE_EMAIL)}`);
    }
    case 'articles': {
      const query = cut(unquote(rest), MAX_QUERY_LENGTH);
      return query ? { kind, query } : usage(`needs some words to look for, ${like('reset password')}`);
    }
    case 'conversation': {
      const id = conversationId(rest);
      return id ? { kind, id } : usage(`needs a conversation id, \`#id\` or Intercom link, ${like('123456789')}`);
    }
    case 'queue':
    case 'digest':
      return queueCommand(kind, rest, usage, like);
    default: {
      if (rest === '') return { kind };
      const email = emailArgument(rest);
      return email
        ? { kind, email }
        : usage(`takes one email address (or none, to pick the contact in the form), ${like(EXAMPLE_EMAIL)}`);
    }
  }
}

/** `queue [me|unassigned|all]` or a bare `digest`; else how to use them. */
function queueCommand(
  kind: 'queue' | 'digest',
  rest: string,
  usage: (problem: string) => Command,
  like: (example: string) => string,
): Command {
  if (kind === 'digest') return rest === '' ? { kind } : usage('takes nothing: it posts this channel’s digest.');
  const scope = QUEUE_SCOPES.get(unquote(rest).toLowerCase());
  return scope
    ? { kind, scope }
    : usage(`takes \`me\`, \`unassigned\` or \`all\` (or nothing, for yours), ${like('all')}`);
}

/** The help message, in mrkdwn: every subcommand with a one-line description and an example. */
export function helpText(command: string = DEFAULT_COMMAND): string {
  const slash = slashCommand(command);
  return [
    `*\`${slash}\` works Intercom from Slack.* Results are only visible to you.`,
    ...HELP_LINES.map(
      ({ usage, what, example }) => `• \`${slash} ${usage}\`: ${what}. Example: \`${slash} ${example}\``,
    ),
    'Leave out the email for `note`, `tag` and `ticket` to pick the contact in the form.',
  ].join('\n');
}

const EMAIL_PART = String.raw`[^\s@<>,;\p{Cc}\p{Cf}]`;
const DOMAIN_LABEL = String.raw`[^\s@<>,;.\p{Cc}\p{Cf}]+`;
const EMAIL = new RegExp(`^${EMAIL_PART}+@${DOMAIN_LABEL}(?:\\.${DOMAIN_LABEL})+$`, 'u');

/**
 * Pragmatic email check (the real test is Intercom finding the contact): one `@`, a local part and a dotted
 * domain without spaces, empty labels, control or invisible characters; at most 254 characters.
 */
export function isEmail(text: string): boolean {
  return typeof text === 'string' && text.length <= 254 && text.isWellFormed() && EMAIL.test(text);
}

// U+2060 (word joiner) too: as invisible as the zero-width spaces. Removing ZWJ does break emoji sequences,
// which no query needs.
const ZERO_WIDTH = /[\u200B-\u200D\u2060\uFEFF]/g;
// \p{White_Space} covers NBSP, U+2000–U+200A, U+202F, U+3000, tabs, newlines, U+0085 and U+2028/9.
const WHITESPACE = /\p{White_Space}+/gu;

/** NFC, invisible characters gone, every run of whitespace one space, trimmed. */
function tidy(text: string): string {
  // Zero-width first so that what they separated can compose; whitespace before NFC since NFC maps
  // U+2000/U+2001 onto other spaces.
  return text.replace(ZERO_WIDTH, '').replace(WHITESPACE, ' ').normalize('NFC').trim();
}

function normalise(raw: string): string {
  // Lone surrogates (possible in a JS string, never in real input) become U+FFFD so later steps stay simple.
  const text = tidy(raw.toWellFormed());
  // Markup before entities: a `<` that arrives as `&lt;` was typed by the user and is not markup.
  return tidy(decodeEntities(unwrapSlackMarkup(text)));
}

// Slack sends links as `<target>` or `<target|label>`; what the user typed is the target.
function unwrapSlackMarkup(text: string): string {
  return text.replace(/<([^<>]*)>/g, (whole, inner: string) => {
    const bar = inner.indexOf('|');
    const target = bar < 0 ? inner : inner.slice(0, bar);
    const label = bar < 0 ? '' : inner.slice(bar + 1);
    if (/^mailto:/i.test(target)) return target.slice('mailto:'.length).replace(/\?.*$/, '');
    if (/^https?:\/\//i.test(target)) return target;
    // `<#C123|general>` / `<@U123|ann>`: the name is what the user saw and typed.
    if (/^[#@][A-Z0-9]+$/.test(target) && label) return target.charAt(0) + label;
    return whole;
  });
}

const ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>' };

// One pass, so `&amp;lt;` (the user typed `&lt;`) stays `&lt;`.
function decodeEntities(text: string): string {
  return text.replace(/&(amp|lt|gt);/g, (whole, name: string) => ENTITIES[name] ?? whole);
}

const QUOTES: ReadonlyArray<readonly [string, string]> = [
  ['"', '"'],
  ["'", "'"],
  ['“', '”'],
  ['‘', '’'],
  ['«', '»'],
];

/** Strips one pair of matching quotes wrapping the whole text, as long as they are one pair (not `"a" or "b"`). */
function unquote(text: string): string {
  for (const [open, close] of QUOTES) {
    if (text.length < 2 || !text.startsWith(open) || !text.endsWith(close)) continue;
    const inner = text.slice(1, -1);
    // An apostrophe inside a word (O'Brien, O’Brien) is not a closing quote.
    const bare = inner.replace(/(?<=\p{L})['’](?=\p{L})/gu, '');
    if (!bare.includes(open) && !bare.includes(close)) return tidy(inner);
  }
  return text;
}

/** Cuts to at most `max` UTF-16 units without splitting a surrogate pair or ending on a space. */
function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  let head = text.slice(0, max);
  const last = head.charCodeAt(head.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) head = head.slice(0, -1);
  return head.trimEnd();
}

function conversationId(rest: string): string | undefined {
  const token = unquote(rest);
  if (token === '' || token.includes(' ')) return undefined;
  const plain = /^#?(\d{1,30})$/.exec(token);
  if (plain) return plain[1];
  // An inbox link: …/conversation/123, …/conversations/123?…
  return /\/conversations?\/(\d{1,30})(?=$|[/?#])/i.exec(token)?.[1];
}

function emailArgument(rest: string): string | undefined {
  let token = unquote(rest);
  // `<ann@example.com>` arrives escaped, hence already decoded here; `mailto:` when pasted from a link.
  if (token.startsWith('<') && token.endsWith('>')) token = token.slice(1, -1).trim();
  const email = token.replace(/^mailto:/i, '').toLowerCase();
  return isEmail(email) ? email : undefined;
}

// The command name goes into mrkdwn; anything that does not look like a slash command falls back to the default.
function slashCommand(command: string): string {
  const name = typeof command === 'string' ? tidy(command) : '';
  return /^\/[\p{L}\p{N}_.-]{1,31}$/u.test(name) ? name : DEFAULT_COMMAND;
}
