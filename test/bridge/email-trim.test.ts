import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { Parser } from 'htmlparser2';
import { describe, expect, it } from 'vitest';
import { trimEmail } from '../../src/bridge/email-trim.ts';
import { htmlToMrkdwn } from '../../src/slack/mrkdwn.ts';

const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`../fixtures/intercom/real/${name}`, import.meta.url), 'utf8'));

/** The text a reader sees, whitespace left out (what the property test compares). */
function visibleText(html: string): string {
  let text = '';
  let hidden = 0;
  const parser = new Parser(
    {
      onopentag: (name) => {
        if (['script', 'style', 'head', 'title'].includes(name)) hidden += 1;
      },
      onclosetag: (name) => {
        if (['script', 'style', 'head', 'title'].includes(name)) hidden = Math.max(0, hidden - 1);
      },
      ontext: (chunk) => {
        if (!hidden) text += chunk;
      },
    },
    { decodeEntities: true, lowerCaseTags: true },
  );
  parser.write(html);
  parser.end();
  return text.replace(/\s+/g, '');
}

/** The elements a parser still has open at the end of `html`. */
function leftOpen(html: string): string[] {
  const open: string[] = [];
  let ending = false;
  const parser = new Parser({
    onclosetag: (name) => {
      if (ending) open.push(name);
    },
  });
  parser.write(html);
  ending = true;
  parser.end();
  return open;
}

const kept = (html: string) => expect(trimEmail(html)).toEqual({ html, trimmed: false });
const cutTo = (html: string, expected: string) => expect(trimEmail(html)).toEqual({ html: expected, trimmed: true });

describe('trimEmail: Gmail', () => {
  // the shape Gmail sends (reply above, attribution in gmail_attr, history in blockquote.gmail_quote)
  const reply =
    '<div dir="ltr">Thanks, that fixed it!<div><br></div><div>Jane</div></div><br>' +
    '<div class="gmail_quote gmail_quote_container"><div dir="ltr" class="gmail_attr">On Mon, Jun 3, 2024 at ' +
    '10:02\u202fAM Acme Support &lt;<a href="mailto:support@example.com">support@example.com</a>&gt; wrote:<br></div>' +
    '<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid rgb(204,204,204);' +
    'padding-left:1ex"><div dir="ltr">Hi Jane,<br>Could you try clearing the cache?</div></blockquote></div>';

  it('cuts the gmail_quote div and all after it', () => {
    const { html, trimmed } = trimEmail(reply);
    expect(trimmed).toBe(true);
    expect(html).toBe('<div dir="ltr">Thanks, that fixed it!<div><br></div><div>Jane</div></div><br>');
    expect(htmlToMrkdwn(html)).toBe('Thanks, that fixed it!\n\nJane');
  });

  it('cuts the older gmail_extra wrapper, closing the elements left open', () => {
    const html =
      '<div dir="ltr"><font size="6">This should have a big font</font><div><br></div><div>and some color</div>' +
      '<div class="gmail_extra"><br><div class="gmail_quote">On Fri, Aug 11, 2017 at 8:40 PM, Bill Smith ' +
      '<span dir="ltr">&lt;<a href="mailto:bill@example.com">bill@example.com</a>&gt;</span> wrote:<br>' +
      '<blockquote class="gmail_quote">So this is a nice<br>——<br>Bill Smith</blockquote></div><br></div></div>';
    cutTo(
      html,
      '<div dir="ltr"><font size="6">This should have a big font</font><div><br></div><div>and some color</div></div>',
    );
  });

  it('cuts the signature div and its "-- " prefix', () => {
    const html =
      '<div dir="ltr">Works now.<br clear="all"><br><span class="gmail_signature_prefix">-- </span><br>' +
      '<div dir="ltr" class="gmail_signature" data-smartmail="gmail_signature">Jane Doe<br>Acme Inc.</div></div>';
    cutTo(html, '<div dir="ltr">Works now.<br clear="all"><br></div>');
  });

  it('cuts a quote nested in a quote at the outer one', () => {
    const html =
      '<div>Third answer</div><div class="gmail_quote"><div class="gmail_attr">On Tue, 4 Jun 2024 at 09:00, B ' +
      '&lt;b@example.com&gt; wrote:</div><blockquote class="gmail_quote">Second<div class="gmail_quote">On Mon, 3 ' +
      'Jun 2024 at 10:02, A &lt;a@example.com&gt; wrote:<blockquote class="gmail_quote">First</blockquote></div>' +
      '</blockquote></div>';
    cutTo(html, '<div>Third answer</div>');
  });
});

describe('trimEmail: attribution lines', () => {
  it.each([
    ['English', 'On Mon, 3 Jun 2024 at 10:02, Jane &lt;jane@example.com&gt; wrote:'],
    ['Apple Mail', 'On 22 Aug 2015, at 19:21, Adam Renberg &lt;adam@example.com&gt; wrote:'],
    ['French', 'Le lun. 3 juin 2024 à 10:02, Jane &lt;jane@example.com&gt; a écrit&nbsp;:'],
    ['German', 'Am Mo., 3. Juni 2024 um 10:02 Uhr schrieb Jane &lt;jane@example.com&gt;:'],
    ['Spanish', 'El lun, 3 jun 2024 a las 10:02, Jane (&lt;jane@example.com&gt;) escribió:'],
    ['Dutch', 'Op ma 3 jun. 2024 om 10:02 schreef Jane &lt;jane@example.com&gt;:'],
    ['Italian', 'Il giorno lun 3 giu 2024 alle ore 10:02 Jane &lt;jane@example.com&gt; ha scritto:'],
    ['Portuguese', 'Em seg., 3 de jun. de 2024 às 10:02, Jane &lt;jane@example.com&gt; escreveu:'],
    ['a plain-text client', 'Bob Barker &lt;bob@example.com&gt; wrote:'],
  ])('cuts at the %s attribution and the blockquote after it', (_, attribution) => {
    cutTo(
      `<p>Merci, ça marche.</p><p>${attribution}</p><blockquote><p>Earlier</p></blockquote>`,
      '<p>Merci, ça marche.</p>',
    );
  });

  it('cuts an attribution wrapped onto two lines', () => {
    cutTo(
      '<p>Yes, Tuesday works.</p><p>On Mon, Jun 3, 2024 at 10:02 AM Jane Doe &lt;jane@example.com&gt;<br>wrote:</p>' +
        '<blockquote>Does Tuesday work?</blockquote>',
      '<p>Yes, Tuesday works.</p>',
    );
    cutTo(
      '<div>Yes.</div><div>On Mon, Jun 3, 2024 at 10:02 AM Jane Doe</div><div>&lt;jane@example.com&gt; wrote:</div>' +
        '<blockquote>Does Tuesday work?</blockquote>',
      '<div>Yes.</div>',
    );
  });

  it('cuts an attribution inside the blockquote it starts, taking the emptied blockquote along', () => {
    cutTo(
      'Reply\n<blockquote>\n\n<div>\nOn 11-Apr-2011, at 6:54 PM, Bob &lt;bob@example.com&gt; wrote:\n</div>\n\n' +
        '<div>\nTest\n</div>\n\n</blockquote>',
      'Reply\n',
    );
  });

  it('cuts the history Intercom keeps of an email conversation, when it comes with the body', () => {
    const { source } = fixture('api-conversation-email-with-history.json');
    const history: string = source.email_message_metadata.history;
    cutTo(`${source.body}${history}`, source.body);
    // a body that is nothing but the quote is shown as it is
    kept(history);
  });

  it('keeps prose that starts like an attribution', () => {
    kept('<p>On second thought, here is what I wrote:</p><blockquote>Keep it short.</blockquote>');
    kept('<p>On Monday the import failed.</p><p>Nothing was written.</p>');
  });
});

describe('trimEmail: Outlook', () => {
  it('cuts the From/Sent/To/Subject block of Outlook for Windows', () => {
    const html =
      '<div class=WordSection1><p class=MsoNormal><span style="color:#1F497D">Allo! Follow up MIME!<o:p></o:p></span>' +
      '</p><p class=MsoNormal><o:p>&nbsp;</o:p></p><p class=MsoNormal><b><span lang=EN-US>From:</span></b>' +
      '<span lang=EN-US> xxx@example.org [mailto:xxx@example.org] <br><b>Sent:</b> March-09-12 4:22 PM<br>' +
      '<b>To:</b> Dan Le<br><b>Subject:</b> The manager has commented on your Loop<o:p></o:p></span></p>' +
      '<p class=MsoNormal>Hi Dan,<br>The manager&#39;s comment</p></div>';
    const { html: out, trimmed } = trimEmail(html);
    expect(trimmed).toBe(true);
    expect(out).toBe(
      '<div class=WordSection1><p class=MsoNormal><span style="color:#1F497D">Allo! Follow up MIME!<o:p></o:p></span>' +
        '</p><p class=MsoNormal><o:p>&nbsp;</o:p></p></div>',
    );
    expect(htmlToMrkdwn(out)).toBe('Allo! Follow up MIME!');
  });

  it('cuts at appendonsend / the rule before divRplyFwdMsg', () => {
    cutTo(
      '<div style="font-family:Calibri">Sure, see you then.</div><div id="appendonsend"></div>' +
        '<hr style="display:inline-block;width:98%" tabindex="-1"><div id="divRplyFwdMsg" dir="ltr">' +
        '<font face="Calibri, sans-serif" style="font-size:11pt"><b>From:</b> Alice &lt;alice@example.com&gt;<br>' +
        '<b>Sent:</b> Saturday, 25 April 2026 16:08<br><b>To:</b> Bob<br><b>Subject:</b> Re: Report</font></div>' +
        '<div>Original content</div>',
      '<div style="font-family:Calibri">Sure, see you then.</div>',
    );
    cutTo(
      '<p>Antworttext</p><hr tabindex="-1"><div id="divRplyFwdMsg" dir="ltr"><b>Von:</b> Vorname Nachname<br>' +
        '<b>Gesendet:</b> Freitag, 14. August 2026</div><div>zitierter Text</div>',
      '<p>Antworttext</p>',
    );
  });

  it('cuts at an <hr> directly before a From: header block (Hotmail, Date first)', () => {
    cutTo(
      '<div dir="ltr">Hi. I am fine.<div><br></div><div>Thanks,</div><div>Alex<br><br><div><hr id="stopSpelling">' +
        'Date: Thu, 26 Jun 2014 13:53:45 +0400<br>Subject: Test message<br>From: abc@example.com<br>' +
        'To: alex@example.com<br><br><div dir="ltr">Hello! How are you?</div></div></div></div>',
      '<div dir="ltr">Hi. I am fine.<div><br></div><div>Thanks,</div><div>Alex<br><br></div></div>',
    );
  });

  it('cuts a French header block and the underscore rule of plain-text Outlook', () => {
    cutTo(
      '<p>Bien reçu.</p><p>________________________________<br>De&nbsp;: Jane &lt;jane@example.com&gt;<br>' +
        'Envoyé&nbsp;: lundi 3 juin 2024 10:02<br>À&nbsp;: Support<br>Objet&nbsp;: Facture</p><p>Bonjour</p>',
      '<p>Bien reçu.</p>',
    );
  });

  it('cuts a header block on one line, and "-----Original Message-----"', () => {
    cutTo(
      '<p>Done.</p><p>From: Jane Sent: Monday, June 3, 2024 10:02 AM To: Support Subject: Invoice</p><p>Hi</p>',
      '<p>Done.</p>',
    );
    cutTo('<p>See below.</p><p>-----Original Message-----<br>From: Jane<br>Hello</p>', '<p>See below.</p>');
  });

  it('cuts a header block whose names are bold up to the colon', () => {
    cutTo(
      '<p>Done.</p><p><b>From</b>: Jane<br><b>Sent</b>: Monday<br><b>To</b>: Support<br><b>Subject</b>: Hi</p>',
      '<p>Done.</p>',
    );
  });

  it('keeps a sentence that merely mentions From: or To:', () => {
    kept('<p>From: the billing page, click Export.</p><p>To: see the totals, open Reports.</p>');
  });
});

describe('trimEmail: Apple Mail and plain-text quotes', () => {
  it('cuts <blockquote type="cite"> and its attribution', () => {
    cutTo(
      '<div>Great, thanks!</div><div><br><blockquote type="cite"><div>On 3 Jun 2024, at 10:02, Support ' +
        '&lt;support@example.com&gt; wrote:</div><div>Your order shipped.</div></blockquote></div>',
      '<div>Great, thanks!</div>',
    );
  });

  it('cuts Thunderbird’s and Yahoo’s quote wrappers', () => {
    cutTo(
      '<p>Agreed.</p><div class="moz-cite-prefix">On 03/06/2024 10:02, Jane wrote:<br></div>' +
        '<blockquote type="cite" cite="mid:abc@example.com">Earlier</blockquote>',
      '<p>Agreed.</p>',
    );
    cutTo(
      '<div>Agreed.</div><div class="yahoo_quoted"><div>On Monday, June 3, 2024, 10:02 AM, Jane wrote:</div></div>',
      '<div>Agreed.</div>',
    );
  });

  it('cuts trailing > lines as Intercom renders plain-text mail', () => {
    cutTo(
      '<p>Hello</p><p>&gt; On 22 Aug 2015, at 19:21, Adam &lt;adam@example.com&gt; wrote:<br>&gt;<br>' +
        '&gt; Hi there!</p>',
      '<p>Hello</p>',
    );
    cutTo('<p>Panama!</p><p>&gt; a canal<br>&gt; &gt; A man, a plan...</p>', '<p>Panama!</p>');
  });

  it('cuts trailing > lines of a body without tags', () => {
    cutTo('Sounds good\n\n> Can we meet?\n> Tuesday?', 'Sounds good\n\n');
  });

  it('keeps > lines answered in between, and > as "greater than"', () => {
    kept('<p>&gt; Can you send the invoice?<br>Attached.<br>&gt; And the receipt?<br>Coming tomorrow.</p>');
    kept('<p>Latency is &gt; 300 ms since the deploy.</p>');
    kept('<p>Still slow:</p><p>&gt; 300 ms on every request</p>');
    kept('<p>Open</p><p>&gt; Settings &gt; Billing</p>');
  });

  it('keeps a quote written in Intercom’s composer (no attribution before it)', () => {
    kept('<p>You said:</p><blockquote><p>the export is empty</p></blockquote><p>Fixed now.</p>');
    kept('<p>Noted:</p><blockquote><p>outer</p><blockquote><p>inner</p></blockquote></blockquote>');
  });

  it('keeps > in <pre>', () => {
    kept('<p>Run:</p><pre>&gt; npm install\n&gt; npm test</pre>');
  });
});

describe('trimEmail: signatures', () => {
  it.each([
    ['"-- "', '<p>Thanks<br>-- <br>Jane Doe<br>Acme Inc.</p>', '<p>Thanks<br></p>'],
    ['"--" in its own paragraph', '<p>Thanks</p><p>--</p><p>Jane Doe</p>', '<p>Thanks</p>'],
    ['"--&nbsp;"', '<div>Thanks</div><div>--&nbsp;</div><div>Jane</div>', '<div>Thanks</div>'],
    ['Sent from my iPhone', '<p>On my way.</p><p>Sent from my iPhone</p>', '<p>On my way.</p>'],
    ['Sent from my iPad', '<p>OK</p><p><br>Sent from my iPad</p>', '<p>OK</p>'],
    ['Sent from my Android', '<p>OK</p><p>Sent from my Android phone</p>', '<p>OK</p>'],
    [
      'Get Outlook for iOS',
      '<div>Yes</div><div><br></div><div>Get Outlook for iOS</div>',
      '<div>Yes</div><div><br></div>',
    ],
    [
      'Get Outlook for Android',
      '<p>Yes</p><p>Get <a href="https://aka.ms/x">Outlook for Android</a></p>',
      '<p>Yes</p>',
    ],
  ])('cuts %s', (_, html, expected) => {
    cutTo(html, expected);
  });

  it('cuts a signature that ends a body without tags', () => {
    cutTo('Hi\n-- \nJane', 'Hi\n');
  });

  it('keeps a "- Jane" sign-off (not the signature delimiter)', () => {
    const { conversation_message } = fixture('api-v1-conversation-admin-message-signature-attachment.json');
    kept(conversation_message.body);
    kept('<p>Thanks — see you tomorrow</p><p>-- Jane</p>');
  });

  it('keeps a mail that is only a signature or only a forward', () => {
    kept('<p>Sent from my iPhone</p>');
    kept('<div class="gmail_quote">---------- Forwarded message ---------<br>From: Jane</div>');
  });
});

describe('trimEmail: chat messages', () => {
  it.each([
    '<p>Hi, how do I export my invoices?</p>',
    '<p>Hello <b>there</b> &amp; welcome</p>',
    'plain text without tags',
    '',
    '<p>I wrote: hello</p>',
    '<p>Sent: yesterday</p>',
  ])('returns %j unchanged', (html) => {
    const result = trimEmail(html);
    expect(result.html).toBe(html);
    expect(result.trimmed).toBe(false);
  });
});

describe('trimEmail properties', () => {
  const piece = fc.oneof(
    fc.constantFrom(
      '<p>',
      '</p>',
      '<div>',
      '</div>',
      '<br>',
      '<b>',
      '</b>',
      '<pre>',
      '</pre>',
      '<blockquote>',
      '</blockquote>',
      '<blockquote type="cite">',
      '<div class="gmail_quote">',
      '<div id="divRplyFwdMsg">',
      '<div id="appendonsend"></div>',
      '<hr>',
      '<script>',
      '</script>',
      '<!--',
      '-->',
      'On Mon, 3 Jun 2024 at 10:02, Jane &lt;jane@example.com&gt; wrote:',
      'On Mon, 3 Jun 2024 Jane',
      'wrote:',
      '&gt; quoted',
      '&gt;',
      '\n> ',
      '\n',
      '-- ',
      '--',
      'Sent from my iPhone',
      'From: Jane',
      'Sent: Monday',
      'To: Bob',
      'Subject: Hi',
      '_______________',
      '-----Original Message-----',
      'Hello',
      ' ',
      '&amp;',
      '&nbsp;',
      '<',
      '>',
    ),
    fc.string({ maxLength: 8 }),
  );
  const body = fc.array(piece, { maxLength: 40 }).map((pieces) => pieces.join(''));

  it('never throws, never shows more than it was given, and trimming twice changes nothing', () => {
    fc.assert(
      fc.property(body, (html) => {
        const once = trimEmail(html);
        const shown = visibleText(once.html);
        expect(visibleText(html).startsWith(shown)).toBe(true);
        if (!once.trimmed) expect(once.html).toBe(html);
        else if (leftOpen(html).length === 0) expect(leftOpen(once.html)).toEqual([]);
        expect(trimEmail(once.html)).toEqual({ html: once.html, trimmed: false });
      }),
      { numRuns: 2_000 },
    );
  });
});
