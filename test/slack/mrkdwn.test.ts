import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CUT_SUFFIX,
  cut,
  escapeMrkdwn,
  htmlFirstLine,
  htmlToMrkdwn,
  isWebUrl,
  link,
  slackDate,
  slackTextToHtml,
  truncate,
} from '../../src/slack/mrkdwn.ts';

describe('escapeMrkdwn', () => {
  it('escapes exactly &, < and >', () => {
    expect(escapeMrkdwn('a & b <!channel> <@U123> "q" *x*')).toBe('a &amp; b &lt;!channel&gt; &lt;@U123&gt; "q" *x*');
  });
});

describe('htmlToMrkdwn', () => {
  it('renders a long mail only as far as a block could show, and in linear time', () => {
    const paragraph = '<p>Hello there, a long letter about https://acme.example/x and more. Regards.</p>';
    const rendered = htmlToMrkdwn(paragraph.repeat(5_000)); // 400 KB
    expect(rendered.length).toBeGreaterThan(3_000);
    expect(rendered.length).toBeLessThan(13_000);
    expect(
      rendered.startsWith('Hello there, a long letter about https://acme.example/x and more. Regards.\n\nHello'),
    ).toBe(true);
  });

  it('shows Intercom’s `[Image "<signed url>"]` placeholders as short links, in HTML and in plain text', () => {
    const url = 'https://downloads.intercomcdn.com/i/o/123/abc/shot.png?expires=1700000000&signature=0f9e';
    const link =
      '<https://downloads.intercomcdn.com/i/o/123/abc/shot.png?expires=1700000000&amp;signature=0f9e|🖼️ image>';
    expect(htmlToMrkdwn(`<p>see [Image "${url.replace(/&/g, '&amp;')}"] here</p>`)).toBe(
      `see ${link} (downloads.intercomcdn.com) here`,
    );
    expect(htmlToMrkdwn(`see [Image "${url}"]`)).toBe(`see ${link} (downloads.intercomcdn.com)`);
    expect(htmlToMrkdwn('[Image "javascript:alert(1)"]')).toBe('🖼️ image');
  });

  it.each([
    ['<p>Hello</p><p>World</p>', 'Hello\n\nWorld'],
    ['<p>one<br>two</p>', 'one\ntwo'],
    ['<p>a <b>bold</b>, <strong>strong</strong>, <i>it</i> and <em>em</em></p>', 'a *bold*, *strong*, _it_ and _em_'],
    ['<p><b> spaced </b>word</p>', '*spaced* word'],
    ['<p>use <code>npm ci</code></p>', 'use `npm ci`'],
    ['<pre>line 1\n  line 2</pre>', '```\nline 1\n  line 2\n```'],
    ['<ul><li>one</li><li>two</li></ul>', '• one\n• two'],
    ['<ol><li>first</li><li>second</li></ol>', '1. first\n2. second'],
    ['<ul><li>a<ul><li>nested</li></ul></li></ul>', '• a\n    • nested'],
    ['<p>Tom &amp; Jerry &lt;3 &nbsp;ok</p>', 'Tom &amp; Jerry &lt;3 ok'],
    ['<style>p{}</style><p>kept</p><script>alert(1)</script>', 'kept'],
    ['<p>   lots   of\n\n   space   </p>', 'lots of space'],
  ])('%s', (html, mrkdwn) => {
    expect(htmlToMrkdwn(html)).toBe(mrkdwn);
  });

  it('keeps plain text (no tags) with its line breaks, escaped', () => {
    expect(htmlToMrkdwn('line one\nline 2 < 3 & four > 1')).toBe('line one\nline 2 &lt; 3 &amp; four &gt; 1');
    expect(htmlToMrkdwn('a &lt; b &gt; c &quot;d&quot; it&#39;s&nbsp;x &amp; y   \nz')).toBe(
      'a &lt; b &gt; c "d" it\'s x &amp; y\nz',
    );
  });

  it('keeps a pre’s text as written after a pre nested in it closes', () => {
    expect(htmlToMrkdwn('<pre>x<pre>y</pre>  z  </pre>')).toContain('\n  z\n');
  });

  it('renders up to its cap whole: text just at the cap does not stop what follows', () => {
    expect(htmlToMrkdwn(`<p>${'x'.repeat(12_000)}</p><p>more</p>`).endsWith('\n\nmore')).toBe(true);
  });

  it('the first line of a body, trimmed, also from a preformatted block', () => {
    expect(htmlFirstLine('<pre>  indented\nnext</pre>')).toBe('indented');
    expect(htmlFirstLine('<p><b>Hi</b> there</p><p>more</p>')).toBe('Hi there');
    expect(htmlFirstLine(null)).toBe('');
  });

  it('renders hostile text inert', () => {
    const out = htmlToMrkdwn(
      '<p>&lt;!channel&gt; <!here> &lt;@U123&gt; &lt;https://evil.example|your bank&gt;</p>' +
        '<a href="javascript:alert(1)">click</a> <a href="https://ok.example/|&lt;!everyone&gt;">x</a>',
    );
    expect(out).not.toMatch(/<[!@#]/);
    expect(out).toContain('&lt;!channel&gt;');
    expect(out).toContain('&lt;https://evil.example|your bank&gt;');
    expect(out).toContain('click'); // a javascript: link is reduced to its text
    expect(out).not.toContain('javascript:');
    expect(out).toContain('<https://ok.example/%7C&lt;!everyone&gt;|x>');
  });

  it('never lets a Slack control sequence through, whatever the input', () => {
    const tag = fc.constantFrom('p', 'b', 'i', 'a', 'code', 'pre', 'ul', 'li', 'br', 'div', 'img', 'script');
    const fragment = fc.oneof(
      fc.string(),
      fc.constantFrom('<!channel>', '<!here>', '<@U123>', '<#C1>', '&lt;!everyone&gt;', '<https://x|y>', '&amp;'),
      fc.tuple(tag, fc.string()).map(([t, s]) => `<${t} href="${s}">${s}</${t}>`),
    );
    fc.assert(
      fc.property(fc.array(fragment, { maxLength: 12 }), (parts) => {
        const out = htmlToMrkdwn(parts.join(''));
        // the only "<" we emit opens a link we built from an http(s) URL
        for (const match of out.matchAll(/</g)) {
          expect(out.slice(match.index, match.index + 8)).toMatch(/^<https?:\/\//);
        }
        expect(out).not.toMatch(/<[!@#]/);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('htmlToMrkdwn, tag by tag', () => {
  it.each([
    // blocks: a blank line before and after
    ['a<div>b</div>c', 'a\n\nb\n\nc'],
    ['a<blockquote>q</blockquote>b', 'a\n\nq\n\nb'],
    ['a<h1>T</h1><h6>t</h6>b', 'a\n\nT\n\nt\n\nb'],
    ['a<h2>T</h2>b', 'a\n\nT\n\nb'],
    ['a<h3>T</h3>b', 'a\n\nT\n\nb'],
    ['a<h4>T</h4>b', 'a\n\nT\n\nb'],
    ['a<h5>T</h5>b', 'a\n\nT\n\nb'],
    ['a<table><tr>r1</tr><tr>r2</tr></table>b', 'a\n\nr1\n\nr2\n\nb'],
    ['a<table>t</table>b', 'a\n\nt\n\nb'],
    ['a<section>s</section>b', 'a\n\ns\n\nb'],
    // skipped: nothing inside shows, however they nest
    ['<p>a<script>x<style>y</style>z</script>b</p>', 'ab'],
    ['<head><title>T</title></head><p>body</p>', 'body'],
    ['<title>T</title>x', 'x'],
    ['<head>H</head>x', 'x'],
    // and no tag inside them shows anything either
    ['<script><img src="https://evil.example/x.png"></script>hi', 'hi'],
    ['<head><img src="https://evil.example/x.png"><br></head>hi', 'hi'],
    ['<p>a<style>p{}</style></p><p>b</p>', 'a\n\nb'],
    // line breaks
    ['a<br>b<br/>c', 'a\nb\nc'],
    // spaces at the start of a line go, as a browser would not show them
    ['<p>a</p><p>  b</p>', 'a\n\nb'],
    ['<p>a</br>b</p>', 'a\nb'],
    // preformatted: text as written, in a code block
    ['<p>x</p><pre> a\n\n b\n\n</pre><p>y</p>', 'x\n\n```\n a\n\n b\n```\n\ny'],
    ['<pre><b>x</b>  y</pre>', '```\n*x*  y\n```'],
    ['a<pre>b</pre>c', 'a\n\n```\nb\n```\n\nc'],
    ['<pre>a</pre><p>x   y</p>', '```\na\n```\n\nx y'],
    ['a<ul><li>x</li></ul>b', 'a\n\n• x\n\nb'],
    // lists and items
    ['<p>a</p><ul><li>x</li></ul><p>b</p>', 'a\n\n• x\n\nb'],
    ['<ol><li>a</li><li>b<ol><li>c</li><li>d</li></ol></li><li>e</li></ol>', '1. a\n2. b\n    1. c\n    2. d\n3. e'],
    ['<li>stray</li>', '• stray'],
    // anchors and images: links only to http(s)
    ['<a href="https://x.example/"><b>bold</b></a>', '<https://x.example/|*bold*> (x.example)'],
    ['<a href="/relative">here</a>', 'here'],
    ['<a>no href</a>', 'no href'],
    ['<img src="https://x.example/i.png">', '<https://x.example/i.png|image> (x.example)'],
    ['<img src="/i.png" alt="logo">', ''],
    // marks: on one line only, spaces outside
    [
      '<b>b</b> <strong>s</strong> <i>i</i> <em>e</em> <s>s</s> <strike>k</strike> <del>d</del> <code>c</code>',
      '*b* *s* _i_ _e_ ~s~ ~k~ ~d~ `c`',
    ],
    ['<b>two\nlines</b>', '*two lines*'],
    ['<b><br></b>x', 'x'],
    ['<b>  </b>x', 'x'],
    ['<b><i>x</b></i>', '*_x_*'],
    ['</b>stray<b>open', 'stray*open*'],
    // names in any case; unknown tags are reduced to their text
    ['<B>up</B> <P>per</P>', '*up*\n\nper'],
    ['<span>s</span><u>u</u><td>t</td>', 'sut'],
    // a tag named like an Object property is unknown too (it once printed "function Object() { [native code] }")
    ['<p>a <constructor>b</constructor> c</p>', 'a b c'],
  ])('%s', (html, mrkdwn) => {
    expect(htmlToMrkdwn(html)).toBe(mrkdwn);
  });
});

// The code points no customer text may bring into Slack (issue #12): direction controls (U+061C, U+200E–U+200F,
// U+202A–U+202E, U+2066–U+2069) and characters that show nothing (U+00AD, U+034F, U+115F, U+1160, U+17B4, U+17B5,
// U+180E, U+200B–U+200D, U+2060–U+2064 and the rest of U+2060–U+206F, U+3164, U+FEFF, U+FFA0, U+FFF9–U+FFFB,
// U+1BCA0–U+1BCA3, U+1D173–U+1D17A, tags U+E0000–U+E007F). U+200D may stay only inside an emoji sequence.
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const STRIPPED = [
  0xad,
  0x34f,
  0x61c,
  0x115f,
  0x1160,
  0x17b4,
  0x17b5,
  0x180e,
  ...range(0x200b, 0x200f),
  ...range(0x202a, 0x202e),
  ...range(0x2060, 0x206f),
  0x3164,
  0xfeff,
  0xffa0,
  ...range(0xfff9, 0xfffb),
  ...range(0x1bca0, 0x1bca3),
  ...range(0x1d173, 0x1d17a),
  ...range(0xe0000, 0xe007f),
].map((c) => String.fromCodePoint(c));
const EMOJI_ZWJ = /(?<=\p{Extended_Pictographic}|\p{Emoji_Modifier}|\uFE0F)\u200D(?=\p{Extended_Pictographic})/gu;
/** The stripped code points found in `text` (a joiner inside an emoji sequence is allowed). */
const hidden = (text: string) => [...text.replace(EMOJI_ZWJ, '')].filter((c) => STRIPPED.includes(c));

describe('invisible and direction-changing characters', () => {
  it('are removed from text and HTML, however they are written', () => {
    expect(htmlToMrkdwn('invoice\u202Efdp.exe')).toBe('invoicefdp.exe');
    expect(htmlToMrkdwn('<p>invoice\u202Efdp.exe</p>')).toBe('invoicefdp.exe');
    expect(htmlToMrkdwn('<p>invoice&#x202E;fdp.exe &#8207;x&shy;y</p>')).toBe('invoicefdp.exe xy');
    expect(htmlToMrkdwn('<pre>a\u2066b\u2069c</pre>')).toBe('```\nabc\n```');
    expect(htmlToMrkdwn('<a href="https://x.example/">pay\u200Bpal</a>')).toBe(
      '<https://x.example/|paypal> (x.example)',
    );
    expect(escapeMrkdwn(`a${STRIPPED.join('')}b`)).toBe('ab');
    expect(link('https://x.example/', 'in\u202Evoice')).toBe('<https://x.example/|invoice>');
  });

  it('keeps a zero-width joiner inside an emoji sequence, and nowhere else', () => {
    for (const emoji of ['👩‍👩‍👧‍👦', '🏳️‍🌈', '👩🏽‍💻', '🐻‍❄️', '❤️‍🔥']) expect(escapeMrkdwn(emoji)).toBe(emoji);
    expect(escapeMrkdwn('pay\u200Dpal')).toBe('paypal');
    expect(escapeMrkdwn('😀\u200Da a\u200D😀 \u200D😀')).toBe('😀a a😀 😀');
    expect(escapeMrkdwn('👩\u200B\u200D💻')).toBe('👩💻');
  });

  it('are percent-encoded in a link target, which keeps its destination', () => {
    const out = htmlToMrkdwn('<a href="https://x.example/in\u202Evoice">https://x.example/in\u202Evoice</a>');
    expect(out).toBe('<https://x.example/in%E2%80%AEvoice>');
    expect(new URL('https://x.example/in%E2%80%AEvoice').href).toBe(new URL('https://x.example/in\u202Evoice').href);
    expect(link('https://acme\u200B.example/', 'x')).toBe('<https://acme%E2%80%8B.example/|x>');
  });

  it('never reach Slack, whatever the input', () => {
    const invisible = fc.constantFrom(...STRIPPED, ...STRIPPED.map((c) => `&#x${c.codePointAt(0)?.toString(16)};`));
    const text = fc
      .array(fc.oneof(invisible, fc.string({ unit: 'grapheme', maxLength: 6 }), fc.constantFrom('👩‍💻', '<', '&')), {
        maxLength: 12,
      })
      .map((parts) => parts.join(''));
    const tag = fc.constantFrom('p', 'b', 'a', 'pre', 'li', 'img');
    const html = fc
      .array(
        fc.oneof(
          text,
          fc
            .tuple(tag, text, text)
            .map(([t, attr, inner]) => `<${t} href="https://x.example/${attr}" alt="${attr}">${inner}</${t}>`),
        ),
        { maxLength: 6 },
      )
      .map((parts) => parts.join(''));
    fc.assert(
      fc.property(html, text, (h, t) => {
        expect(hidden(htmlToMrkdwn(h))).toEqual([]);
        expect(hidden(escapeMrkdwn(t))).toEqual([]);
        expect(hidden(link(`https://x.example/${t}`, t))).toEqual([]);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('links from customer HTML say where they lead', () => {
  it.each([
    // a label naming another URL or host shows the real target instead
    ['<a href="https://evil.test/login">https://acme.example/reset</a>', '<https://evil.test/login>'],
    ['<a href="https://evil.test/login">acme.example</a>', '<https://evil.test/login>'],
    ['<a href="https://evil.test/login">Reset it on acme.example now</a>', '<https://evil.test/login>'],
    ['<a href="https://evil.test/">https://acme.example@evil.test/</a>', '<https://evil.test/>'],
    ['<a href="https://evil.test/">https://intranet/reset</a>', '<https://evil.test/>'],
    ['<a href="https://evil.test/">10.0.0.1</a>', '<https://evil.test/>'],
    ['<a href="https://evil.test/">\u0430cme.example</a>', '<https://evil.test/>'], // a Cyrillic "а"
    ['<a href="https://evil.test/">acme\u200B.example</a>', '<https://evil.test/>'],
    ['<a href="https://evil.test/">acme\uFF0Eexample</a>', '<https://evil.test/>'], // a fullwidth dot
    ['<a href="https://evil.test/">acme<b>.</b>example</a>', '<https://evil.test/>'],
    ['<a href="https://evil.test/">acme_.example</a>', '<https://evil.test/>'],
    ['<a href="https://evil.test/">acme.example-</a>', '<https://evil.test/>'],
    ['<a href="https://evil.test/">acme.example.1</a>', '<https://evil.test/>'],
    ['<img src="https://evil.test/a.png" alt="acme.example/logo.png">', '<https://evil.test/a.png>'],
    // words: the target's host follows the label
    [
      '<a href="https://evil.test/login">Open in Intercom</a>',
      '<https://evil.test/login|Open in Intercom> (evil.test)',
    ],
    [
      '<p>see <a href="https://example.com/docs">the docs</a></p>',
      'see <https://example.com/docs|the docs> (example.com)',
    ],
    [
      '<a href="https://b\u00FCcher.example/">books</a>',
      '<https://b\u00FCcher.example/|books> (xn--bcher-kva.example)',
    ],
    [
      '<img src="https://cdn.example.com/a.png" alt="screenshot">',
      '<https://cdn.example.com/a.png|image: screenshot> (cdn.example.com)',
    ],
    // the URL itself, with or without its scheme or trailing slash: the URL
    ['<a href="https://example.com">https://example.com</a>', '<https://example.com>'],
    ['<a href="https://example.com/docs/">example.com/docs</a>', '<https://example.com/docs/>'],
    ['<a href="http://Example.com/">HTTPS://EXAMPLE.COM</a>', '<http://Example.com/>'],
    ['<a href="https://example.com/docs"></a>', '<https://example.com/docs>'],
    // a label naming only the target's own host stays
    ['<a href="https://acme.example/reset?t=1">acme.example</a>', '<https://acme.example/reset?t=1|acme.example>'],
    ['<a href="https://acme.example/y">https://acme.example/x</a>', '<https://acme.example/y|https://acme.example/x>'],
    ['<a href="https://acme.example/x">https://acme.example./</a>', '<https://acme.example/x|https://acme.example./>'],
    [
      '<a href="https://b\u00FCcher.example/shop">b\u00FCcher.example</a>',
      '<https://b\u00FCcher.example/shop|b\u00FCcher.example>',
    ],
    ['<a href="  https://acme.example/ ">acme.example</a>', '<https://acme.example/>'],
    // dots as IDNA reads them, each of them; a scheme URL anywhere in the label; IPv4 addresses only
    ['<a href="https://evil.test/">acme\u3002example</a>', '<https://evil.test/>'],
    ['<a href="https://evil.test/">x\u3002y\u3002ab</a>', '<https://evil.test/>'],
    ['<a href="https://evil.test/">see https://intranet/</a>', '<https://evil.test/>'],
    ['<a href="https://evil.test/">x://intranet/</a>', '<https://evil.test/>'], // a scheme of one letter
    ['<a href="https://evil.test/">see x://intranet/</a>', '<https://evil.test/>'],
    ['<a href="https://evil.test/">10.20.30.40</a>', '<https://evil.test/>'],
    // no host named: a dot with fewer than two letters after it, or numbers that are no IPv4 address
    ['<a href="https://evil.test/">see e.g. this</a>', '<https://evil.test/|see e.g. this> (evil.test)'],
    ['<a href="https://evil.test/">version 3.14</a>', '<https://evil.test/|version 3.14> (evil.test)'],
    ['<a href="https://evil.test/">build 1234.5.6.7</a>', '<https://evil.test/|build 1234.5.6.7> (evil.test)'],
    ['<a href="https://evil.test/">version 1.2.3.4.5</a>', '<https://evil.test/|version 1.2.3.4.5> (evil.test)'],
    ['<a href="https://acme.example/r">Mail ops@ACME.example</a>', '<https://acme.example/r|Mail ops@ACME.example>'],
    // not http(s): the text only, as before
    ['<a href="mailto:a@evil.test">write to acme.example</a>', 'write to acme.example'],
    ['<a href="javascript:alert(1)">Open in Intercom</a>', 'Open in Intercom'],
  ])('%s', (html, mrkdwn) => {
    expect(htmlToMrkdwn(html)).toBe(mrkdwn);
  });

  it('shows the real target, and no other host, for any label', () => {
    const xmlText = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
    const attr = (s: string) => xmlText(s).replace(/"/g, '&quot;');
    const fromMrkdwn = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
    const target = fc.webUrl({ withQueryParameters: true, withFragments: true });
    const label = (url: string) =>
      fc.oneof(
        fc.string(),
        fc.domain(),
        fc.webUrl(),
        fc.constantFrom('Open in Intercom', 'click here', '', '  ', url, url.replace(/^https?:\/\//, '')),
        fc.constant(new URL(url).hostname),
        fc.tuple(fc.string(), fc.domain(), fc.string()).map((p) => p.join(' ')),
      );
    fc.assert(
      fc.property(
        target.chain((url) => fc.tuple(fc.constant(url), label(url))),
        ([url, text]) => {
          const out = htmlToMrkdwn(`<a href="${attr(url)}">${xmlText(text)}</a>`);
          const shown = /^<([^<>|]+)(?:\|([^<>]*))?>(?: \(([^()]*)\))?$/.exec(out);
          expect(shown, out).not.toBeNull();
          const [, to = '', visible, suffix] = shown ?? [];
          expect(fromMrkdwn(to)).toBe(url);
          const host = new URL(url).hostname;
          if (suffix !== undefined) expect(suffix).toBe(host);
          for (const [named] of fromMrkdwn(visible ?? '').matchAll(/(?:[a-z0-9-]+\.)+[a-z]{2,}/gi)) {
            expect(named.toLowerCase(), out).toBe(host);
          }
        },
      ),
      { numRuns: 3000 },
    );
  });
});

describe('links, truncation and dates', () => {
  it('links only http(s) URLs and escapes labels', () => {
    expect(link('https://x.example/a?b=1&c=2', 'A <b> & c')).toBe(
      '<https://x.example/a?b=1&amp;c=2|A &lt;b&gt; &amp; c>',
    );
    expect(link('ftp://x.example', 'file')).toBe('file');
    expect(link(undefined, 'no url')).toBe('no url');
    expect(link('https://x.example', 'a|b')).toBe('<https://x.example|a¦b>');
    expect(isWebUrl('mailto:a@b.c')).toBe(false);
  });

  it('cuts to the limit with the suffix, without splitting an escape or a surrogate pair', () => {
    expect(truncate('short', 10)).toBe('short');
    const cut = truncate('x'.repeat(50), 30);
    expect(cut).toHaveLength(30);
    expect(cut.endsWith(CUT_SUFFIX)).toBe(true);
    expect(truncate(`${'a'.repeat(7)}&amp;${'b'.repeat(40)}`, 30)).toBe(`${'a'.repeat(7)}${CUT_SUFFIX}`);
    expect(truncate(`${'a'.repeat(9)}😀${'b'.repeat(40)}`, 30)).toBe(`${'a'.repeat(9)}${CUT_SUFFIX}`);
    expect(truncate('abcdef', 3)).toBe('… (');
    expect(truncate(`${'a'.repeat(7)}👩‍💻${'b'.repeat(40)}`, 30)).toBe(`${'a'.repeat(7)}👩${CUT_SUFFIX}`);
  });

  it('drops what the URL parser ignores around a link target and trims its label', () => {
    expect(link(' \thttps://acme.example/a\tb\n ', '  go  ')).toBe('<https://acme.example/ab|go>');
    expect(link('https://acme.example', 'https://acme.example')).toBe('<https://acme.example>');
  });

  it('cut leaves a value that fits as it is', () => {
    expect(cut('x\uD83D', 2)).toBe('x\uD83D');
    expect(cut('ab\uD83D\uDE00c', 3)).toBe('ab');
  });

  it('formats dates the Slack way with a readable fallback', () => {
    expect(slackDate(1_700_000_000)).toBe('<!date^1700000000^{date_short_pretty} {time}|2023-11-14 22:13 UTC>');
  });
});

describe('slackTextToHtml (a Slack message as an Intercom note)', () => {
  it('keeps links, names mentions, undoes Slack escapes and escapes HTML', () => {
    expect(slackTextToHtml('See <https://x.io/a?b=1&amp;c=2|the doc> &amp; <mailto:a@b.io|a@b.io>')).toBe(
      '<p>See <a href="https://x.io/a?b=1&amp;c=2">the doc</a> &amp; <a href="mailto:a@b.io">a@b.io</a></p>',
    );
    expect(slackTextToHtml('<@U123> <#C9|support> <!here> <!subteam^S1|@team> 1 &lt; 2')).toBe(
      '<p>@U123 #support @here @team 1 &lt; 2</p>',
    );
    expect(slackTextToHtml('<@U123|alice> <#C9> <mailto:a@acme.example>')).toBe(
      '<p>@alice #C9 <a href="mailto:a@acme.example">a@acme.example</a></p>',
    );
    expect(slackTextToHtml('<javascript:alert(1)|click>\n\nnext')).toBe('<p>click</p><p>next</p>');
    expect(slackTextToHtml('   ')).toBe('');
  });

  it('never produces markup other than paragraphs, breaks and http(s)/mailto links', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        const html = slackTextToHtml(text);
        const rest = html.replace(/<\/?p>|<br>|<a href="(https?:|mailto:)[^"<>]*">|<\/a>/g, '');
        expect(rest).not.toMatch(/[<>]/);
      }),
      { numRuns: 1000 },
    );
  });
});
