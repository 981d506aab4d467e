import { Parser } from 'htmlparser2';
import { escapeHtml, paragraphs } from '../intercom/html.ts';

// Everything that comes from Intercom (customer text above all) is untrusted: before it enters mrkdwn, `&`, `<`
// and `>` are escaped, so `<!channel>`, `<@U…>` or `<https://evil|bank>` show as text, and characters that show
// nothing or turn the text around are removed (`stripInvisible`). Links are only ever built here, and only from
// http(s) URLs; a link from customer HTML cannot name another host than the one it leads to (`pageLink`).

/**
 * Code points that show nothing or change the direction of the text around them, so that what Slack shows is not
 * what was written (`invoice\u202Efdp.exe` reads "invoiceexe.pdf", `pay\u200Bpal` is not "paypal"): soft hyphen,
 * combining grapheme joiner, Arabic letter mark, Hangul fillers, Khmer inherent vowels, Mongolian vowel separator,
 * zero-width space, non-joiner and joiner, left-to-right and right-to-left marks, embeddings and overrides
 * (U+202A–U+202E), word joiner, invisible operators, isolates and the deprecated format controls
 * (U+2060–U+206F), byte order mark, interlinear annotations, shorthand and musical format controls, and tags
 * (U+E0000–U+E007F: a subdivision flag such as Scotland's shows as a plain 🏴). The zero-width joiner U+200D is
 * kept inside an emoji sequence only (👩‍💻, 🏳️‍🌈): after an emoji, a skin tone or U+FE0F and before an emoji, where
 * it can only join pictures. Variation selectors stay: they choose how an emoji or an ideograph looks.
 */
const INVISIBLE = [
  String.raw`\u00AD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180E`,
  String.raw`\u200B\u200C\u200E\u200F\u202A-\u202E\u2060-\u206F\u3164\uFEFF\uFFA0\uFFF9-\uFFFB`,
  String.raw`\u{1BCA0}-\u{1BCA3}\u{1D173}-\u{1D17A}\u{E0000}-\u{E007F}`,
].join('');
const EMOJI = String.raw`\p{Extended_Pictographic}`;
const STRIP = new RegExp(
  String.raw`[${INVISIBLE}]|(?<!${EMOJI}|\p{Emoji_Modifier}|\uFE0F)\u200D|\u200D(?!${EMOJI})`,
  'gu',
);
const INVISIBLE_IN_URL = new RegExp(String.raw`[${INVISIBLE}\u200D]`, 'gu');

/** `text` without the code points that show nothing or turn text around (see INVISIBLE); everything else is kept. */
export function stripInvisible(text: string): string {
  return text.replace(STRIP, '');
}

/**
 * Escapes the three characters Slack reads as markup (and only those, as Slack asks), and removes invisible and
 * direction-changing characters (`stripInvisible`): every piece of untrusted text enters mrkdwn through here.
 */
export function escapeMrkdwn(text: string): string {
  return stripInvisible(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export const CUT_SUFFIX = '… (open in Intercom)';

/** The first `max` UTF-16 units of `text`, without splitting a surrogate pair (for ids and values, no suffix). */
export function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  const end = /[\uD800-\uDBFF]/.test(text[max - 1] ?? '') ? max - 1 : max;
  return text.slice(0, end);
}

/** Cuts `text` to at most `max` characters, ending with `suffix` when it had to cut. */
export function truncate(text: string, max: number, suffix = CUT_SUFFIX): string {
  if (text.length <= max) return text;
  const room = Math.max(0, max - suffix.length);
  // never split a surrogate pair, leave an emoji's joiner before the suffix or half an escape like "&am"
  let cut = text.slice(0, room);
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  if (cut.endsWith('\u200D')) cut = cut.slice(0, -1);
  cut = cut.replace(/&[a-z]{0,4}$/, '');
  return cut + suffix.slice(0, max - cut.length);
}

/** True for absolute http(s) URLs, the only ones we turn into links. */
export function isWebUrl(url: string | null | undefined): url is string {
  if (!url || !URL.canParse(url)) return false;
  const { protocol } = new URL(url);
  return protocol === 'http:' || protocol === 'https:';
}

/** A mrkdwn link `<url|label>` with the label escaped; plain escaped text when the URL is not http(s). */
export function link(url: string | null | undefined, label: string): string {
  const text = escapeMrkdwn(label.replace(/[|]/g, '¦')).trim();
  if (!isWebUrl(url)) return text;
  // what the URL parser itself ignores (outer spaces and controls, inner tabs and line breaks) goes, so it
  // cannot break the link's brackets; the rest is kept as written
  let start = 0;
  let end = url.length;
  while (start < end && (url[start] ?? '') <= ' ') start += 1;
  while (end > start && (url[end - 1] ?? '') <= ' ') end -= 1;
  const bare = url.slice(start, end).replace(/[\t\n\r]/g, '');
  // an invisible character in a URL is percent-encoded, as the URL parser itself would: same destination, visible
  const target = escapeMrkdwn(bare.replace(INVISIBLE_IN_URL, encodeURIComponent)).replace(/\|/g, '%7C');
  return text && text !== target ? `<${target}|${text}>` : `<${target}>`;
}

/** Slack's date formatting, with a plain fallback for clients that cannot render it. */
export function slackDate(unixSeconds: number, format = '{date_short_pretty} {time}'): string {
  const fallback = new Date(unixSeconds * 1000).toISOString().replace('T', ' ').slice(0, 16);
  return `<!date^${Math.floor(unixSeconds)}^${format}|${fallback} UTC>`;
}

/** Where htmlToMrkdwn is in the HTML: the mrkdwn written so far and the elements still open that shape it. */
interface Render {
  out: string;
  /** Elements open whose text is not shown (script, style, head, title). */
  skipDepth: number;
  /** `pre` elements open: their text is kept as written. */
  preDepth: number;
  lists: Array<{ ordered: boolean; n: number }>;
  /** Where each open bold, italic, strike or code element began in `out`, and its mark. */
  marks: Array<{ mark: string; start: number }>;
  /** Where each open anchor's label began in `out`, and its target. */
  anchors: Array<{ href: string | undefined; start: number }>;
}

/**
 * What one tag does where it opens and where it closes. Inside a skipped element only the rules marked
 * `inSkipped` run (they count the skipped elements); a tag without a rule is reduced to its text.
 */
interface TagRule {
  open?(render: Render, attributes: Record<string, string | undefined>): void;
  close?(render: Render): void;
  inSkipped?: boolean;
}

/** Ends `out` with at least `count` line breaks, unless nothing is shown yet. */
function newline(render: Render, count: number): void {
  // read from the end only: a long body has many blocks, and scanning all of `out` for each made rendering quadratic
  let trailing = 0;
  while (trailing < count && render.out[render.out.length - 1 - trailing] === '\n') trailing += 1;
  if (trailing < count && /\S/.test(render.out)) render.out += '\n'.repeat(count - trailing);
}

/** Text between tags: escaped, and outside `pre` with its whitespace collapsed as a browser would. */
function renderText(render: Render, text: string): void {
  if (render.skipDepth) return;
  if (render.preDepth) {
    render.out += escapeMrkdwn(text);
    return;
  }
  // collapse whitespace as a browser would, also across text chunks, and none at the start of a line
  const shown = text.replace(/\s+/g, ' ');
  const last = render.out[render.out.length - 1];
  render.out += escapeMrkdwn(last === undefined || last === '\n' || last === ' ' ? shown.trimStart() : shown);
}

/** A paragraph, heading, quote, table row…: a blank line before and after. */
const block: TagRule = {
  open: (render) => newline(render, 2),
  close: (render) => newline(render, 2),
};

/** script, style, head, title: nothing inside is shown. */
const skipped: TagRule = {
  inSkipped: true,
  open(render) {
    render.skipDepth += 1;
  },
  close(render) {
    render.skipDepth = Math.max(0, render.skipDepth - 1);
  },
};

/** A line break. */
const lineBreak: TagRule = {
  open(render) {
    render.out += '\n';
  },
};

/** A preformatted block: a code block (```), its text as written. */
const preformatted: TagRule = {
  open(render) {
    newline(render, 2);
    render.out += '```\n';
    render.preDepth += 1;
  },
  close(render) {
    render.out = `${render.out.replace(/\n*$/, '')}\n\`\`\``;
    render.preDepth = Math.max(0, render.preDepth - 1);
    newline(render, 2);
  },
};

/** A bulleted (`ul`) or numbered (`ol`) list; a list inside another starts on the next line, not after a blank. */
const list = (ordered: boolean): TagRule => ({
  open(render) {
    newline(render, render.lists.length ? 1 : 2);
    render.lists.push({ ordered, n: 0 });
  },
  close(render) {
    render.lists.pop();
    newline(render, render.lists.length ? 1 : 2);
  },
});

/** A list item: on its own line, indented by its list's depth, with a bullet or its number. */
const item: TagRule = {
  open(render) {
    const list = render.lists.at(-1);
    newline(render, 1);
    if (list) list.n += 1;
    render.out += `${'    '.repeat(Math.max(0, render.lists.length - 1))}${list?.ordered ? `${list.n}.` : '•'} `;
  },
};

/** An anchor: an http(s) link (`pageLink`) around its label; any other anchor is its label only. */
const anchor: TagRule = {
  open(render, attributes) {
    render.anchors.push({ href: attributes.href, start: render.out.length });
  },
  close(render) {
    const open = render.anchors.pop();
    if (open && isWebUrl(open.href)) {
      // the label was escaped on the way in: build the link from its raw text again
      const label = unescapeMrkdwn(render.out.slice(open.start)).trim();
      render.out = render.out.slice(0, open.start) + pageLink(open.href, label);
    }
  },
};

/** An image with an http(s) source: a link to it, labelled with its alt text. */
const image: TagRule = {
  open(render, { src, alt }) {
    if (isWebUrl(src)) render.out += ` ${pageLink(src, alt ? `image: ${alt}` : 'image')} `;
  },
};

/** Bold, italic, strike, code: the text inside wrapped in `mark`, when it is on one line. */
const wrap = (mark: string): TagRule => ({
  open(render) {
    render.marks.push({ mark, start: render.out.length });
  },
  close(render) {
    const open = render.marks.pop();
    if (open) render.out = wrapFrom(render.out, open.start, open.mark);
  },
});

/** Every tag htmlToMrkdwn renders, by name (a Map: a tag named `constructor` is not a rule). */
const TAGS = new Map<string, TagRule>([
  ...['p', 'div', 'blockquote', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'table', 'tr', 'section'].map(
    (tag) => [tag, block] as const,
  ),
  ...['script', 'style', 'head', 'title'].map((tag) => [tag, skipped] as const),
  ['br', lineBreak],
  ['pre', preformatted],
  ['ul', list(false)],
  ['ol', list(true)],
  ['li', item],
  ['a', anchor],
  ['img', image],
  ...Object.entries({ b: '*', strong: '*', i: '_', em: '_', s: '~', strike: '~', del: '~', code: '`' }).map(
    ([tag, mark]) => [tag, wrap(mark)] as const,
  ),
]);

/** The rule of tag `name`, when it has one and may run now (not inside a skipped element, unless it counts them). */
function ruleFor(render: Render, name: string): TagRule | undefined {
  const rule = TAGS.get(name);
  return rule && (rule.inSkipped || !render.skipDepth) ? rule : undefined;
}

/**
 * Renders Intercom's HTML (message and note bodies) as Slack mrkdwn: paragraphs, line breaks, bold, italic,
 * strike, code, preformatted blocks, bulleted and numbered lists, links and images (as links). Text is
 * escaped; anything unknown is reduced to its text. A body without tags is treated as plain text.
 */
export function htmlToMrkdwn(html: string): string {
  if (!/<[a-z!/]/i.test(html)) return tidy(imagePlaceholders(escapeMrkdwn(decodeBasicEntities(html))));

  const render: Render = { out: '', skipDepth: 0, preDepth: 0, lists: [], marks: [], anchors: [] };
  // tags the parser really opened: at the end of unfinished input it reports closes it never opened
  const opened: string[] = [];
  const parser = new Parser(
    {
      onopentag(name, attributes) {
        opened.push(name);
        ruleFor(render, name)?.open?.(render, attributes);
      },
      ontext(text) {
        renderText(render, text);
        // nothing shows more than Block Kit's 3,000 characters of a body: the rest of a long mail is not rendered
        if (render.out.length > MAX_RENDERED) parser.pause();
      },
      onclosetag(name) {
        const at = opened.lastIndexOf(name);
        if (at === -1) return;
        opened.length = at;
        ruleFor(render, name)?.close?.(render);
      },
    },
    { decodeEntities: true, lowerCaseTags: true },
  );
  parser.write(html);
  parser.end();
  return tidy(imagePlaceholders(render.out));
}

/** Where rendering stops: well past what any block shows, so the cut (with its "… (open in Intercom)") still shows. */
const MAX_RENDERED = 12_000;

const IMAGE_PLACEHOLDER = /\[Image "([^"\n]*)"\]/g;

/**
 * Intercom writes images in some bodies (notes, e-mail) as `[Image "<url>"]` with a long signed URL that expires:
 * shown as a short link instead. Runs on escaped mrkdwn, so the URL is unescaped before it becomes a link.
 */
function imagePlaceholders(mrkdwn: string): string {
  if (!mrkdwn.includes('[Image "')) return mrkdwn;
  return mrkdwn.replace(IMAGE_PLACEHOLDER, (_, url: string) => {
    const target = unescapeMrkdwn(url);
    return isWebUrl(target) ? pageLink(target, '🖼️ image') : '🖼️ image';
  });
}

const DOT = String.raw`[.\u3002\uFF0E\uFF61]`; // what IDNA reads as a dot: "acme。example" is acme.example
const DOTS = new RegExp(DOT, 'gu');
const NAME = String.raw`[\p{L}\p{N}\p{M}-]`;
// each match starts where a run of its characters starts, so a long label is read in linear time
const SCHEME_URL = /(?<![a-z0-9+.-])[a-z][a-z0-9+.-]*:\/\/\S*/giu;
const DOTTED = new RegExp(`(?<!${NAME})${NAME}+(?:${DOT}+${NAME}+)+`, 'gu');
// `acme.example`, `Node.js`, also `acme.example2` or `acme.example.1` (read as acme.example); not `e.g.` or `3.14`
const HOSTLIKE = /\.[\p{L}\p{M}]{2}/u;
const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;

/**
 * The hosts a reader sees named in `text`: those of `scheme://…` URLs and, also inside them
 * (`https://acme.example@evil.test`), every dotted name with two letters after a dot (`host.tld`, in any script)
 * and every IPv4 address.
 */
function namedHosts(text: string): string[] {
  const urls = [...text.matchAll(SCHEME_URL)].map(([url]) => url);
  const names = [...text.matchAll(DOTTED)]
    .map(([name]) => name.replace(DOTS, '.'))
    .filter((name) => HOSTLIKE.test(name) || IPV4.test(name));
  return [...urls, ...names].map(hostOf);
}

/** The host as the URL parser reads it (lowercase, IDNA, no final dot); the text itself when it cannot. */
function hostOf(text: string): string {
  const url = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`;
  const host = URL.canParse(url) ? new URL(url).hostname : text.toLowerCase();
  return host.replace(/\.$/, '');
}

/** A URL compared as a reader would: without its scheme, a final slash or case. */
const bareUrl = (text: string) =>
  text
    .trim()
    .replace(/^[a-z][a-z0-9+.-]*:\/\//i, '')
    .replace(/\/$/, '')
    .toLowerCase();

/**
 * A link from customer HTML (an anchor, an image), whose label the customer chose: the label cannot say it leads
 * elsewhere than it does.
 * - no label, or the URL itself (give or take the scheme, a final slash and case): `<url>`
 * - a label naming a host (`host.tld`, `scheme://…`, an IPv4 address) other than the URL's: `<url>`, the label
 *   goes (`https://acme.example/reset` on a link to evil.test)
 * - a label naming the URL's own host only: `<url|label>`
 * - any other label (words): `<url|label> (host)`, so "Open in Intercom" or "click here" shows where it leads
 * The label is checked as shown and without the marks of bold, italic, strike and code (`acme*.*example`).
 */
function pageLink(url: string, label: string): string {
  const host = hostOf(url.trim());
  if (!label.trim() || bareUrl(label) === bareUrl(stripInvisible(url))) return link(url, '');
  const named = [...namedHosts(label), ...namedHosts(label.replace(/[*_~`]/g, ''))];
  if (named.some((name) => name !== host)) return link(url, '');
  return named.length ? link(url, label) : `${link(url, label)} (${escapeMrkdwn(host)})`;
}

/** Wraps out[start..] in a mark, keeping surrounding spaces outside it (Slack ignores `* bold *`). */
function wrapFrom(out: string, start: number, mark: string): string {
  const inner = out.slice(start);
  const content = inner.trim();
  if (!content || content.includes('\n')) return out;
  const lead = inner.slice(0, inner.length - inner.trimStart().length);
  const tail = inner.slice(inner.trimEnd().length);
  return `${out.slice(0, start)}${lead}${mark}${content}${mark}${tail}`;
}

/** Slack's three escapes undone (for plain_text, which shows them as typed). */
export function unescapeMrkdwn(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** The first non-empty line of Intercom's HTML as plain text, for a header (plain_text: nothing is parsed). */
export function htmlFirstLine(html: string | null): string {
  if (!html) return '';
  const text = unescapeMrkdwn(htmlToMrkdwn(html)).replace(/[*_~`]/g, '');
  return (
    text
      .split('\n')
      .map((line) => line.trim())
      .find(Boolean) ?? ''
  );
}

function decodeBasicEntities(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&nbsp;/g, ' ')
    .replace(/&amp;/g, '&');
}

function tidy(text: string): string {
  return (
    text
      .replace(/[ \t]+\n/g, '\n')
      .replace(/\n{3,}/g, '\n\n')
      .trim()
      // a lone surrogate from Intercom's JSON is not text Slack accepts
      .toWellFormed()
  );
}

/**
 * A message a person wrote in Slack as Intercom HTML (for a note): links stay links, mentions of people and
 * channels read as @id and #name, Slack's escapes are undone and the rest is escaped as HTML text.
 */
export function slackTextToHtml(text: string): string {
  let html = '';
  let last = 0;
  for (const match of text.matchAll(/<([^<>]*)>/g)) {
    html += escapeHtml(unescapeMrkdwn(text.slice(last, match.index)));
    html += slackEntityToHtml(match[1] ?? '');
    last = match.index + match[0].length;
  }
  html += escapeHtml(unescapeMrkdwn(text.slice(last)));
  return paragraphs(html);
}

function slackEntityToHtml(entity: string): string {
  const [target = '', label] = entity.split('|', 2);
  const shown = unescapeMrkdwn(label ?? '');
  if (target.startsWith('@')) return escapeHtml(`@${shown || target.slice(1)}`);
  if (target.startsWith('#')) return escapeHtml(`#${shown || target.slice(1)}`);
  // <!here>, <!subteam^S1|@support>, <!date^…|fallback>: the label is what Slack would show
  if (target.startsWith('!')) return escapeHtml(shown || `@${target.slice(1).split('^')[0]}`);
  const url = unescapeMrkdwn(target);
  const linkable = url.startsWith('mailto:') || isWebUrl(url);
  if (!linkable) return escapeHtml(shown || url);
  return `<a href="${escapeHtml(url)}">${escapeHtml(shown || url.replace(/^mailto:/, ''))}</a>`;
}
