import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { withoutExternalLinks } from './dashboard-page';

describe('withoutExternalLinks', () => {
  it('removes the Google Fonts stylesheet of the installed Bull Board page and keeps its own assets', () => {
    const page = readFileSync(join(require.resolve('@bull-board/ui/package.json'), '..', 'dist', 'index.ejs'), 'utf8');
    expect(page).toContain('https://fonts.googleapis.com/');

    const local = withoutExternalLinks(page);

    expect(local).not.toMatch(/(?:https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}\//i);
    expect(local).toMatch(/<link href="static\/css\/main\.[0-9a-f]+\.css" rel="stylesheet">/);
    expect(local).toContain('<link rel="icon" type="image/svg+xml" id="fav-logo" href="<%= favIconDefault %>">');
    expect(local.match(/<script\b/g)?.length).toBe(page.match(/<script\b/g)?.length);
  });

  it.each([
    '<link href="https://fonts.googleapis.com/css2?family=X" rel="stylesheet">',
    '<link rel="preconnect" href="https://fonts.gstatic.com" crossorigin>',
    "<link rel='stylesheet' href='http://cdn.example/x.css' />",
    '<link rel="stylesheet" href="//cdn.example/x.css">',
    '<LINK REL="stylesheet" HREF = "HTTPS://cdn.example/x.css">',
    '<link rel=stylesheet href=https://cdn.example/x.css>',
  ])('removes %s', (tag) => {
    expect(withoutExternalLinks(`<head>\n    ${tag}\n<title>t</title></head>`)).toBe('<head>\n<title>t</title></head>');
  });

  it.each([
    '<link href="static/css/main.css" rel="stylesheet">',
    '<link href="/admin/queues/static/favicon.svg" rel="icon">',
    '<link href="<%= favIconDefault %>" rel="icon">',
    '<a href="https://github.com/felixmosh/bull-board">repository</a>',
  ])('keeps %s', (tag) => {
    expect(withoutExternalLinks(tag)).toBe(tag);
  });
});
