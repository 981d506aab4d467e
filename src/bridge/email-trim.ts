/**
 * Cuts quoted history (Gmail, Outlook, Apple Mail, Thunderbird, Yahoo, Proton wrappers; "On … wrote:" in seven
 * languages; Outlook's From/Sent/To/Subject block; "-----Original Message-----"; two or more trailing `>` lines)
 * and signatures ("-- ", "Sent from my iPhone", "Get Outlook for iOS", Gmail's signature), with all that follows.
 * Keeps: a `<blockquote>` with no attribution before it (Intercom's composer), `>` lines answered in between,
 * sign-offs like "- Jane", `<pre>`, and a mail that is only a quote or a forward (nothing would be left).
 * Why not a library: `email-reply-parser` reads plain text only (Intercom sends HTML, and its formatting is shown),
 * and `planer` (talon's port) needs a browser DOM, which would mean jsdom in the bridge for this alone.
 */
import { decodeHTML } from 'entities';
import { Parser } from 'htmlparser2';

/** An element open at some point of the HTML: where its tag starts and how much visible text came before it. */
interface Open {
  name: string;
  start: number;
  textAt: number;
  /** The elements its tag closed by opening (`<p>a<div>`): open again when the cut goes before it. */
  reopens: Open[];
}

/** Where the body may be cut: everything from `at` on goes, and the elements in `stack` are closed again. */
interface Cut {
  at: number;
  textAt: number;
  stack: Open[];
}

/** One line as a reader sees it (between blocks and `<br>`s), its text decoded and its whitespace collapsed. */
interface Line extends Cut {
  text: string;
  /** Inside `<pre>`: shown as written, never a marker. */
  literal: boolean;
  /** An `<hr>` with no text between it and this line. */
  hr: Cut | undefined;
}

// Words that every marker below contains; a body with none of them is returned without being parsed.
const SPACE = String.raw`(?:\s|&nbsp;|&#160;)*`;
const MAYBE_EMAIL = new RegExp(
  [
    'gmail_|yahoo_quoted|protonmail_quote|moz-cite-prefix|moz-signature|divRplyFwdMsg|appendonsend',
    `type=["']?cite|wrote|crit${SPACE}:|schrieb|escribi|schreef|scritto|escreveu|---`,
    // header names before their colon, also when a tag ends between them (<b>Sent</b>:)
    String.raw`(?:sent|date|gesendet|datum|envoy(?:é|&eacute;|&#233;|e)?|enviado|fecha|inviato|verzonden|data|skickat|sendt)(?:\s|&nbsp;|&#160;|<[^<>]*>)*:`,
    'sent from|outlook for|envoy|von meinem|enviado d|inviato da|verzonden vanaf',
    String.raw`(?:^|[>\n])${SPACE}(?:&gt;|&#0*62;|&#x0*3e;|>)`,
    String.raw`(?:^|[>\n])${SPACE}--(?:\s|&nbsp;|&#160;|<|$)`,
  ].join('|'),
  'i',
);

const GMAIL_LIKE = new Set([
  'gmail_quote',
  'gmail_quote_container',
  'gmail_extra',
  'gmail_signature',
  'gmail_signature_prefix',
  'yahoo_quoted',
  'protonmail_quote',
  'moz-cite-prefix',
  'moz-signature',
]);
// Outlook on the web prefixes ids with x_ each time a message is quoted again
const OUTLOOK_ID = /^(?:x_)*(?:divRplyFwdMsg|appendonsend)$/i;

const VOID = new Set(['area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'source', 'wbr']);
const HIDDEN = new Set(['script', 'style', 'head', 'title']);
const BLOCK = new Set([
  ...['p', 'div', 'blockquote', 'pre', 'table', 'tr', 'td', 'th', 'ul', 'ol', 'li', 'section', 'article'],
  ...['header', 'footer', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'hr', 'br', 'body', 'html'],
]);

// "On <date>, <name> wrote:" and its translations; the digit (a date or a time) keeps prose such as
// "On second thought, here is what I wrote:" from matching.
const ATTRIBUTION = [
  /^On\b(?=.*\d).*\bwrote:$/i,
  /^Le\b(?=.*\d).*\ba écrit ?:$/i,
  /^Am\b(?=.*\d).*\bschrieb\b.*:$/i,
  /^El\b(?=.*\d).*\bescribió ?:$/i,
  /^Op\b(?=.*\d).*\bschreef\b.*:$/i,
  /^Il\b(?=.*\d).*\bha scritto ?:$/i,
  /^Em\b(?=.*\d).*\bescreveu ?:$/i,
  // plain-text clients: "Jane Doe <jane@example.com> wrote:"
  /^[^<>]{0,120}<[^<>\s]+@[^<>\s]+>\)? (?:wrote|a écrit|schrieb|escribió) ?:$/i,
];
const ATTRIBUTION_START = /^(?:On|Le|Am|El|Op|Il|Em)\b(?=.*\d)/i;
const ORIGINAL_MESSAGE =
  /^-{3,} ?(?:Original Message|Ursprüngliche Nachricht|Message d'origine|Mensaje original|Messaggio originale|Oorspronkelijk bericht|Mensagem original) ?-{3,}$/i;
const SIGNATURE = [
  /^--$/,
  /^Sent from my (?:iPhone|iPad|Android|mobile|Samsung|Galaxy|BlackBerry)\b/i,
  /^Sent from (?:Mail|Outlook|Yahoo Mail) for (?:Windows|iOS|Android|iPhone|iPad|Mac)\b/i,
  /^Get Outlook for (?:iOS|Android)\b/i,
  /^(?:Envoyé de mon|Von meinem|Enviado desde mi|Enviado do meu|Inviato dal? mio|Verzonden vanaf mijn) \S+/i,
];

const FROM_KEY = 'From|Von|De|Da|Van|Fra|Från|Od';
const DATE_KEY = 'Sent|Date|Gesendet|Datum|Envoyé|Enviado|Data|Inviato|Fecha|Verzonden|Skickat|Sendt';
const TO_KEY = 'To|An|À|A|Para|Aan|Til|Till|Do|Cc|Subject|Betreff|Objet|Asunto|Oggetto|Assunto|Onderwerp|Emne|Ämne';
const HEADER_START = new RegExp(`^(${FROM_KEY}|${DATE_KEY}|${TO_KEY}) ?:`, 'i');
const FROM_START = new RegExp(`^(?:${FROM_KEY}) ?:`, 'i');
const DATE_START = new RegExp(`^(?:${DATE_KEY}) ?:`, 'i');
const TO_START = new RegExp(`^(?:${TO_KEY}) ?:`, 'i');
const DATE_ANYWHERE = new RegExp(`(?:^| )(?:${DATE_KEY}) ?:`, 'i');
const TO_ANYWHERE = new RegExp(`(?:^| )(?:${TO_KEY}) ?:`, 'i');
const UNDERSCORES = /^_{10,}$/;
// as htmlToMrkdwn tells HTML from plain text
const TAG = /<[a-z!/]/i;

/** The part of an e-mail body a person newly wrote: quoted history and signature removed. */
export function trimEmail(html: string): { html: string; trimmed: boolean } {
  if (!MAYBE_EMAIL.test(html)) return { html, trimmed: false };
  const { lines, cut: elementCut } = TAG.test(html) ? scanHtml(html) : scanText(html);
  const cut = chooseCut(lines, elementCut);
  // nothing the person wrote would be left: show the mail as it came
  if (!cut || cut.textAt === 0) return { html, trimmed: false };
  const kept = cutAt(html, cut);
  // what is left without tags is read as plain text (htmlToMrkdwn does), where a line break ends a line
  return { html: TAG.test(kept) ? kept : trimEmail(kept).html, trimmed: true };
}

/** `html` up to the cut, moved out of the elements that would be left empty, with the open elements closed. */
function cutAt(html: string, cut: Cut): string {
  let { at, stack } = cut;
  for (let top = stack.at(-1); top?.textAt === cut.textAt; top = stack.at(-1)) {
    at = top.start;
    stack = [...stack.slice(0, -1), ...top.reopens];
  }
  const closers = stack
    .toReversed()
    .map(({ name }) => `</${name}>`)
    .join('');
  return html.slice(0, at) + closers;
}

/** Where the parse is: the elements open, the visible text seen, the line being read and the lines read. */
interface Scan {
  stack: Open[];
  text: number;
  hidden: number;
  pre: number;
  hr: Cut | undefined;
  line: Line;
  lines: Line[];
  cut: Cut | undefined;
  source: string;
  /** The elements the tag starting at `at` closed by opening (`<p>a<div>`), innermost last. */
  implied: { at: number; opens: Open[] } | undefined;
}

function here(scan: Scan, at: number): Cut {
  return { at, textAt: scan.text, stack: [...scan.stack] };
}

/** The elements the tag at `at` closed by opening. */
function closedBy(scan: Scan, at: number): Open[] {
  return scan.implied?.at === at ? scan.implied.opens : [];
}

/** Just before the tag `key` starting at `at`: the elements it closed by opening are still open there. */
function before(scan: Scan, key: number, at: number): Cut {
  return { at, textAt: scan.text, stack: [...scan.stack, ...closedBy(scan, key)] };
}

/**
 * Where the open tag `name` ending at `end` starts: the parser's start index, unless broken markup before it
 * (`</a</head>`) left that index elsewhere; then the last `<name` before the tag's end.
 */
function tagStart(source: string, name: string, start: number, end: number): number {
  const names = (at: number) => source[at] === '<' && source.slice(at + 1, at + 1 + name.length).toLowerCase() === name;
  if (names(start)) return start;
  let at = source.lastIndexOf('<', end);
  while (at > 0 && !names(at)) at = source.lastIndexOf('<', at - 1);
  return Math.max(at, 0);
}

function newLine(scan: Scan, at: number): void {
  scan.lines.push(scan.line);
  scan.line = { ...here(scan, at), text: '', literal: false, hr: scan.hr };
}

/** True for the elements mail clients wrap quoted history or a signature in. */
function isQuoteElement(name: string, attributes: Record<string, string | undefined>): boolean {
  if (OUTLOOK_ID.test(attributes.id ?? '')) return true;
  if (name === 'blockquote' && attributes.type?.toLowerCase() === 'cite') return true;
  return (attributes.class ?? '').split(/\s+/).some((token) => GMAIL_LIKE.has(token));
}

/** Reads HTML into lines, up to the first element that wraps quoted history or a signature. */
function scanHtml(html: string): { lines: Line[]; cut: Cut | undefined } {
  const start: Cut = { at: 0, textAt: 0, stack: [] };
  const line: Line = { ...start, text: '', literal: false, hr: undefined };
  const scan: Scan = {
    stack: [],
    text: 0,
    hidden: 0,
    pre: 0,
    hr: undefined,
    line,
    lines: [],
    cut: undefined,
    implied: undefined,
    source: html,
  };
  const parser: Parser = new Parser(
    {
      onopentag: (name, attributes) => openTag(scan, name, attributes, parser),
      onclosetag: (name, implied) => closeTag(scan, name, implied ? undefined : parser.endIndex + 1, parser.startIndex),
      ontext: (text) => addText(scan, text),
    },
    { decodeEntities: true, lowerCaseTags: true },
  );
  parser.write(html);
  parser.end();
  newLine(scan, html.length);
  return { lines: scan.lines, cut: scan.cut };
}

function openTag(scan: Scan, name: string, attributes: Record<string, string | undefined>, parser: Parser): void {
  if (scan.cut) return;
  // the parser's own index names the tag in `implied`; where the tag really starts is checked against the source
  const key = parser.startIndex;
  const start = tagStart(scan.source, name, key, parser.endIndex);
  if (isQuoteElement(name, attributes)) {
    // Outlook draws a rule above its header block: it goes with it
    scan.cut = scan.hr ?? before(scan, key, start);
    return;
  }
  if (name === 'hr') scan.hr = before(scan, key, start);
  if (!VOID.has(name)) scan.stack.push({ name, start, textAt: scan.text, reopens: closedBy(scan, key) });
  if (HIDDEN.has(name)) scan.hidden += 1;
  if (name === 'pre') scan.pre += 1;
  if (BLOCK.has(name)) newLine(scan, parser.endIndex + 1);
}

/** `after` is where the closing tag ends; undefined when the tag at `tag` closed the element by opening. */
function closeTag(scan: Scan, name: string, after: number | undefined, tag: number): void {
  if (scan.cut) return;
  const at = scan.stack.findLastIndex((open) => open.name === name);
  if (at === -1) return;
  const closed = scan.stack.splice(at);
  for (const open of closed) {
    if (HIDDEN.has(open.name)) scan.hidden -= 1;
    if (open.name === 'pre') scan.pre -= 1;
  }
  if (after === undefined) {
    const earlier = scan.implied?.at === tag ? scan.implied.opens : [];
    scan.implied = { at: tag, opens: [...closed, ...earlier] };
  } else if (BLOCK.has(name)) newLine(scan, after);
}

function addText(scan: Scan, text: string): void {
  if (scan.cut || scan.hidden) return;
  const shown = text.replace(/\s+/g, '').length;
  scan.line.text += text;
  scan.line.literal ||= scan.pre > 0;
  scan.text += shown;
  if (shown) scan.hr = undefined;
}

/** A body without tags (plain text): each line of the text is a line. */
function scanText(text: string): { lines: Line[]; cut: undefined } {
  const lines: Line[] = [];
  let at = 0;
  let textAt = 0;
  for (const raw of text.split('\n')) {
    const line = decodeHTML(raw);
    lines.push({ at, textAt, stack: [], text: line, literal: false, hr: undefined });
    at += raw.length + 1;
    textAt += line.replace(/\s+/g, '').length;
  }
  return { lines, cut: undefined };
}

/** The first place to cut: the first marker, or before it the `>` lines that end what is left. */
function chooseCut(raw: Line[], elementCut: Cut | undefined): Cut | undefined {
  const limit = elementCut?.at ?? Number.POSITIVE_INFINITY;
  const lines = raw
    .filter((line) => line.at < limit)
    .map((line) => ({ ...line, text: line.text.replace(/\s+/g, ' ').trim() }))
    .filter((line) => line.text !== '');
  for (let i = 0; i < lines.length; i += 1) {
    const cut = markerAt(lines, i);
    if (cut) return trailingQuote(lines.slice(0, i)) ?? cut;
  }
  return trailingQuote(lines) ?? elementCut;
}

/** The cut a marker on line `i` makes, if it starts one. */
function markerAt(lines: Line[], i: number): Cut | undefined {
  const line = lines[i];
  if (!line || line.literal || line.text === '') return undefined;
  const { text } = line;
  if (SIGNATURE.some((re) => re.test(text)) || ORIGINAL_MESSAGE.test(text) || isAttribution(text)) return line;
  // an attribution the client wrapped onto two lines
  const next = lines[i + 1];
  if (next && ATTRIBUTION_START.test(text) && isAttribution(`${text} ${next.text}`)) return line;
  if (isHeaderBlock(lines, i)) {
    const before = lines[i - 1];
    return line.hr ?? (before && UNDERSCORES.test(before.text) ? before : line);
  }
  return undefined;
}

function isAttribution(text: string): boolean {
  return text.length <= 400 && ATTRIBUTION.some((re) => re.test(text));
}

/** Outlook's "From: … Sent: … To: … Subject: …", on consecutive lines from `i` on or all on line `i`. */
function isHeaderBlock(lines: Line[], i: number): boolean {
  const first = lines[i]?.text ?? '';
  if (!HEADER_START.test(first)) return false;
  const block = [first];
  for (let j = i + 1; j < lines.length && block.length < 8; j += 1) {
    const text = lines[j]?.text ?? '';
    if (!HEADER_START.test(text)) break;
    block.push(text);
  }
  if (block.length === 1) {
    // all on one line only when it starts with From:, so a sentence with "to:" and "date:" in it stays
    const rest = first.replace(FROM_START, '');
    return rest !== first && DATE_ANYWHERE.test(rest) && TO_ANYWHERE.test(rest);
  }
  return [FROM_START, DATE_START, TO_START].every((key) => block.some((text) => key.test(text)));
}

/**
 * The `>` lines that end the body, when there are at least two of them: quoted plain-text mail. `>` lines with
 * the person's own text after them are answers written in between, and one `>` line may be prose ("> 300 ms").
 */
function trailingQuote(lines: Line[]): Cut | undefined {
  let first: Line | undefined;
  let count = 0;
  for (let i = lines.length - 1; i >= 0; i -= 1) {
    const line = lines[i];
    if (!line || line.literal || !line.text.startsWith('>')) break;
    first = line;
    count += 1;
  }
  return count >= 2 ? first : undefined;
}
