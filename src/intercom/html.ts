/** Escapes text for Intercom's HTML bodies. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/**
 * Plain text typed by a person (a modal, a Slack message) as the HTML Intercom expects in reply and note bodies:
 * blank lines make paragraphs, single line breaks stay breaks, and nothing in the text is taken as markup.
 */
export function textToHtml(text: string): string {
  return paragraphs(escapeHtml(text));
}

/** Wraps already-safe HTML text in paragraphs at blank lines, with <br> for single line breaks. */
export function paragraphs(safeHtml: string): string {
  return safeHtml
    .replace(/\r\n?/g, '\n')
    .trim()
    .split(/\n{2,}/)
    .map((paragraph) => paragraph.trim())
    .filter(Boolean)
    .map((paragraph) => `<p>${paragraph.replace(/\n/g, '<br>')}</p>`)
    .join('');
}
