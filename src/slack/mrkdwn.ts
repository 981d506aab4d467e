import { Parser } from 'htmlparser2';
import { escapeHtml, paragraphs } from '../intercom/html.ts';

// Everything that comes from Intercom (customer text above all) is untrusted: before it enters mrkdwn, `&`, `<`
// and `>` are escaped, so `<!channel>`, `<@U…>` or `<https://evil|bank>` show as text. Links are only ever
// built here, and only from http(s) URLs.

/** Escapes the three characters Slack reads as markup (and only those, as Slack asks). */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
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
  // never split a surrogate pair or leave half an escape like "&am"
  let cut = text.slice(0, room);
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
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
  const target = escapeMrkdwn(bare).replace(/\|/g, '%7C');
  return text && text !== target ? `<${target}|${text}>` : `<${target}>`;
}

/** Slack's date formatting, with a plain fallback for clients that cannot render it. */
export function slackDate(unixSeconds: number, format = '{date_short_pretty} {time}'): string {
  const fallback = new Date(unixSeconds * 1000).toISOString().replace('T', ' ').slice(0, 16);
  return `<!date^${Math.floor(unixSeconds)}^${format}|${fallback} UTC>`;
}

const BLOCK = new Set(['p', 'div', 'blockquote', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'table', 'tr', 'section']);
const SKIP = new Set(['script', 'style', 'head', 'title']);
const WRAP: Record<string, string> = { b: '*', strong: '*', i: '_', em: '_', s: '~', strike: '~', del: '~', code: '`' };

/**
 * Renders Intercom's HTML (message and note bodies) as Slack mrkdwn: paragraphs, line breaks, bold, italic,
 * strike, code, preformatted blocks, bulleted and numbered lists, links and images (as links). Text is
 * escaped; anything unknown is reduced to its text. A body without tags is treated as plain text.
 */
export function htmlToMrkdwn(html: string): string {
  if (!/<[a-z!/]/i.test(html)) return tidy(escapeMrkdwn(decodeBasicEntities(html)));

  let out = '';
  let skipDepth = 0;
  let preDepth = 0;
  const lists: Array<{ ordered: boolean; n: number }> = [];
  const marks: Array<{ mark: string; start: number }> = [];
  const anchors: Array<{ href: string | undefined; start: number }> = [];
  // tags the parser really opened: at the end of unfinished input it reports closes it never opened
  const open: string[] = [];
  const newline = (count: number) => {
    const trailing = out.length - out.replace(/\n*$/, '').length;
    if (out.trim() !== '' && trailing < count) out += '\n'.repeat(count - trailing);
  };

  const parser = new Parser(
    {
      onopentag(name, attributes) {
        open.push(name);
        if (SKIP.has(name)) skipDepth += 1;
        if (skipDepth) return;
        if (BLOCK.has(name)) newline(2);
        else if (name === 'br') out += '\n';
        else if (name === 'pre') {
          newline(2);
          out += '```\n';
          preDepth += 1;
        } else if (name === 'ul' || name === 'ol') {
          newline(lists.length ? 1 : 2);
          lists.push({ ordered: name === 'ol', n: 0 });
        } else if (name === 'li') {
          const list = lists.at(-1);
          newline(1);
          if (list) list.n += 1;
          out += `${'    '.repeat(Math.max(0, lists.length - 1))}${list?.ordered ? `${list.n}.` : '•'} `;
        } else if (name === 'a') anchors.push({ href: attributes.href, start: out.length });
        else if (name === 'img') {
          const src = attributes.src;
          if (isWebUrl(src)) out += ` ${link(src, attributes.alt ? `image: ${attributes.alt}` : 'image')} `;
        } else if (WRAP[name]) marks.push({ mark: WRAP[name], start: out.length });
      },
      ontext(text) {
        if (skipDepth) return;
        if (preDepth) {
          out += escapeMrkdwn(text);
          return;
        }
        // collapse whitespace as a browser would, also across text chunks, and none at the start of a line
        const shown = text.replace(/\s+/g, ' ');
        out += escapeMrkdwn(/(^|\n| )$/.test(out) ? shown.trimStart() : shown);
      },
      onclosetag(name) {
        const at = open.lastIndexOf(name);
        if (at === -1) return;
        open.length = at;
        if (SKIP.has(name)) {
          skipDepth = Math.max(0, skipDepth - 1);
          return;
        }
        if (skipDepth) return;
        if (BLOCK.has(name)) newline(2);
        else if (name === 'pre') {
          out = `${out.replace(/\n*$/, '')}\n\`\`\``;
          preDepth = Math.max(0, preDepth - 1);
          newline(2);
        } else if (name === 'ul' || name === 'ol') {
          lists.pop();
          newline(lists.length ? 1 : 2);
        } else if (name === 'a') {
          const anchor = anchors.pop();
          if (anchor && isWebUrl(anchor.href)) {
            // the label was escaped on the way in: build the link from its raw text again
            const label = unescapeMrkdwn(out.slice(anchor.start)).trim();
            out = out.slice(0, anchor.start) + link(anchor.href, label || anchor.href);
          }
        } else if (WRAP[name]) {
          const mark = marks.pop();
          if (mark) out = wrapFrom(out, mark.start, mark.mark);
        }
      },
    },
    { decodeEntities: true, lowerCaseTags: true },
  );
  parser.write(html);
  parser.end();
  return tidy(out);
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

function unescapeMrkdwn(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
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
    html += escapeHtml(unescapeSlack(text.slice(last, match.index)));
    html += slackEntityToHtml(match[1] ?? '');
    last = match.index + match[0].length;
  }
  html += escapeHtml(unescapeSlack(text.slice(last)));
  return paragraphs(html);
}

function slackEntityToHtml(entity: string): string {
  const [target = '', label] = entity.split('|', 2);
  const shown = unescapeSlack(label ?? '');
  if (target.startsWith('@')) return escapeHtml(`@${shown || target.slice(1)}`);
  if (target.startsWith('#')) return escapeHtml(`#${shown || target.slice(1)}`);
  // <!here>, <!subteam^S1|@support>, <!date^…|fallback>: the label is what Slack would show
  if (target.startsWith('!')) return escapeHtml(shown || `@${target.slice(1).split('^')[0]}`);
  const url = unescapeSlack(target);
  const linkable = url.startsWith('mailto:') || isWebUrl(url);
  if (!linkable) return escapeHtml(shown || url);
  return `<a href="${escapeHtml(url)}">${escapeHtml(shown || url.replace(/^mailto:/, ''))}</a>`;
}

function unescapeSlack(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}
