import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { textToHtml } from '../../src/intercom/html.ts';

describe('textToHtml', () => {
  it('makes paragraphs at blank lines and breaks at single newlines', () => {
    expect(textToHtml('Hello\r\nthere\n\n\nBye ')).toBe('<p>Hello<br>there</p><p>Bye</p>');
    expect(textToHtml('  \n ')).toBe('');
  });

  it('never lets typed text become markup', () => {
    expect(textToHtml('<b>x</b> & "y"')).toBe('<p>&lt;b&gt;x&lt;/b&gt; &amp; &quot;y&quot;</p>');
    fc.assert(
      fc.property(fc.string(), (text) => {
        const html = textToHtml(text).replace(/<\/?p>|<br>/g, '');
        expect(html).not.toMatch(/[<>]/);
      }),
      { numRuns: 500 },
    );
  });
});
