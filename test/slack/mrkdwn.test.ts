import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CUT_SUFFIX,
  escapeMrkdwn,
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
    ['<p>see <a href="https://example.com/docs">the docs</a></p>', 'see <https://example.com/docs|the docs>'],
    ['<a href="https://example.com">https://example.com</a>', '<https://example.com>'],
    ['<img src="https://cdn.example.com/a.png" alt="screenshot">', '<https://cdn.example.com/a.png|image: screenshot>'],
    ['<p>Tom &amp; Jerry &lt;3 &nbsp;ok</p>', 'Tom &amp; Jerry &lt;3 ok'],
    ['<style>p{}</style><p>kept</p><script>alert(1)</script>', 'kept'],
    ['<p>   lots   of\n\n   space   </p>', 'lots of space'],
  ])('%s', (html, mrkdwn) => {
    expect(htmlToMrkdwn(html)).toBe(mrkdwn);
  });

  it('keeps plain text (no tags) with its line breaks, escaped', () => {
    expect(htmlToMrkdwn('line one\nline 2 < 3 & four > 1')).toBe('line one\nline 2 &lt; 3 &amp; four &gt; 1');
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
