/**
 * Bull Board's page (its index.ejs) links a stylesheet on Google Fonts for IBM Plex. An operator's browser would ask a
 * third party for it on every visit, telling it who opens the dashboard and when, and the page would wait on it where
 * the internet is out of reach. Its own CSS names system fonts after IBM Plex (`system-ui`, `ui-monospace`, ...), so
 * the page reads the same without the link, and IBM Plex is still used where it is installed.
 */
const externalLinkTag = /[ \t]*<link\b[^>]*\bhref\s*=\s*["']?(?:[a-z][a-z0-9+.-]*:)?\/\/[^>]*>[ \t]*\r?\n?/gi;

/** The page without its `<link>` tags to other origins (absolute or protocol-relative `href`); nothing else changes. */
export function withoutExternalLinks(html: string): string {
  return html.replace(externalLinkTag, '');
}
