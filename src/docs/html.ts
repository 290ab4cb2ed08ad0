/**
 * Blocks printed as a static HTML page of the offline site. Every piece of text is
 * HTML-escaped here; the only markup is ours. Pages carry a Content-Security-Policy that
 * allows only the site's own files and the two inline scripts (by hash), so even text
 * that slipped through could not run.
 */
import { createHash } from 'node:crypto';
import type { Block, Inline } from './blocks.js';
import { safeId } from './markdown.js';

/** Text escaped for HTML element content and double-quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const safeHref = (href: string): boolean => /^[A-Za-z0-9._-]*(#[A-Za-z0-9_-]+)?$/.test(href);

export function htmlInline(content: Inline[]): string {
  return content
    .map((i) => {
      if (typeof i === 'string') return escapeHtml(i);
      if ('code' in i) return `<code>${escapeHtml(i.code)}</code>`;
      if ('strong' in i) return `<strong>${escapeHtml(i.strong)}</strong>`;
      if ('br' in i) return '<br>';
      return safeHref(i.href) ? `<a href="${escapeHtml(i.href)}">${escapeHtml(i.text)}</a>` : escapeHtml(i.text);
    })
    .join('');
}

export function renderHtmlBlocks(blocks: Block[]): string {
  const out: string[] = [];
  for (const b of blocks) {
    switch (b.kind) {
      case 'heading':
        out.push(`<h${b.level} id="${safeId(b.id)}">${escapeHtml(b.text)}</h${b.level}>`);
        break;
      case 'paragraph':
        out.push(`<p>${htmlInline(b.content)}</p>`);
        break;
      case 'note':
        out.push(`<p class="note">${htmlInline(b.content)}</p>`);
        break;
      case 'list':
        out.push(`<ul>\n${b.items.map((i) => `<li>${htmlInline(i)}</li>`).join('\n')}\n</ul>`);
        break;
      case 'table':
        out.push(
          [
            `<div class="table-wrap"><table${b.id ? ` id="${safeId(b.id)}"` : ''}>`,
            `<thead><tr>${b.head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead>`,
            '<tbody>',
            ...b.rows.map((r) => `<tr>${r.map((c) => `<td>${htmlInline(c)}</td>`).join('')}</tr>`),
            '</tbody></table></div>',
          ].join('\n'),
        );
        break;
      case 'code':
        if (b.caption) out.push(`<p class="caption">${htmlInline(b.caption)}</p>`);
        out.push(`<pre class="code"><code class="language-${b.lang.replace(/[^a-z0-9-]/gi, '')}">${escapeHtml(b.text)}</code></pre>`);
        break;
      case 'mermaid':
        out.push(
          `<figure class="diagram"><pre class="mermaid">${escapeHtml(b.text)}</pre>${b.caption ? `<figcaption>${escapeHtml(b.caption)}</figcaption>` : ''}</figure>`,
        );
        break;
    }
  }
  return out.join('\n');
}

/** One entry of a page's search index. */
export interface SearchItem {
  /** Kind: channel, event, field, system. */
  k: string;
  /** Label shown and matched. */
  l: string;
  /** Detail shown and matched. */
  d: string;
  /** Link (a generated page and anchor). */
  h: string;
}

/** JSON that is safe inside a `<script>` element (no `</script>`, no HTML comment, no line separators). */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

const SEARCH_SCRIPT = `(function () {
  var data = JSON.parse(document.getElementById('search-index').textContent);
  var input = document.getElementById('search');
  var list = document.getElementById('search-results');
  var count = document.getElementById('search-count');
  var items = data.map(function (d) {
    var li = document.createElement('li');
    var kind = document.createElement('span');
    kind.className = 'kind';
    kind.textContent = d.k;
    var a = document.createElement('a');
    a.href = d.h;
    a.textContent = d.l;
    var detail = document.createElement('span');
    detail.className = 'detail';
    detail.textContent = d.d;
    li.append(kind, a, detail);
    li.hidden = true;
    list.append(li);
    return { li: li, text: (d.k + ' ' + d.l + ' ' + d.d).toLowerCase() };
  });
  function apply() {
    var words = input.value.trim().toLowerCase().split(/\\s+/).filter(Boolean);
    var n = 0;
    items.forEach(function (it) {
      var show = words.length > 0 && words.every(function (w) { return it.text.indexOf(w) >= 0; });
      it.li.hidden = !show;
      if (show) n++;
    });
    list.hidden = words.length === 0;
    count.textContent = words.length === 0 ? '' : n + (n === 1 ? ' match' : ' matches');
  }
  input.addEventListener('input', apply);
  input.addEventListener('keydown', function (e) { if (e.key === 'Escape') { input.value = ''; apply(); } });
  apply();
})();`;

const MERMAID_SCRIPT = `(function () {
  var done = function (state) { document.body.setAttribute('data-diagrams', state); };
  if (typeof mermaid === 'undefined') { done('unavailable'); return; }
  mermaid.initialize({ startOnLoad: false, securityLevel: 'strict', theme: 'default', maxTextSize: 500000, maxEdges: 2000, flowchart: { useMaxWidth: true }, sequence: { useMaxWidth: true } });
  mermaid.run({ querySelector: 'pre.mermaid' }).then(function () { done('rendered'); }, function () { done('error'); });
})();`;

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

export interface HtmlPage {
  title: string;
  /** Trail shown in the header after the site name. */
  crumb?: string;
  blocks: Block[];
  search: SearchItem[];
  searchPlaceholder: string;
}

/** A whole page: header with search, table of contents from the level-2 headings, content, scripts. */
export function renderHtmlPage(page: HtmlPage): string {
  const hasDiagrams = page.blocks.some((b) => b.kind === 'mermaid');
  const scripts = hasDiagrams ? [SEARCH_SCRIPT, MERMAID_SCRIPT] : [SEARCH_SCRIPT];
  const csp = `default-src 'none'; script-src 'self' ${scripts.map(sha256).join(' ')}; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; base-uri 'none'; form-action 'none'`;
  const toc = page.blocks.filter((b): b is Extract<Block, { kind: 'heading' }> => b.kind === 'heading' && b.level === 2);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="generator" content="evc docs">
<title>${escapeHtml(page.title)}</title>
<link rel="stylesheet" href="assets/docs.css">
</head>
<body>
<header class="top">
<a class="home" href="index.html">Event contracts</a>${page.crumb ? `<span class="crumb">/ ${escapeHtml(page.crumb)}</span>` : ''}
<div class="search"><input id="search" type="search" placeholder="${escapeHtml(page.searchPlaceholder)}" autocomplete="off" aria-label="Search"><span id="search-count" aria-live="polite"></span><ul id="search-results" hidden></ul></div>
</header>
<div class="layout">
<nav class="toc" aria-label="Contents">
<ul>
${toc.map((h) => `<li><a href="#${safeId(h.id)}">${escapeHtml(h.text)}</a></li>`).join('\n')}
</ul>
</nav>
<main>
${renderHtmlBlocks(page.blocks)}
</main>
</div>
<script type="application/json" id="search-index">${scriptJson(page.search)}</script>
<script>${SEARCH_SCRIPT}</script>
${hasDiagrams ? `<script src="assets/mermaid.min.js"></script>\n<script>${MERMAID_SCRIPT}</script>\n` : ''}</body>
</html>
`;
}

/** The site's stylesheet (`assets/docs.css`). */
export const SITE_CSS = `:root { --fg: #1d2330; --muted: #5b6475; --line: #dde2ea; --bg: #ffffff; --soft: #f5f7fa; --accent: #2f5fb3; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
header.top { position: sticky; top: 0; z-index: 10; display: flex; align-items: center; gap: 12px; padding: 10px 20px; background: #17213a; color: #fff; }
header.top a.home { color: #fff; font-weight: 600; }
header.top .crumb { color: #c7d0e4; }
.search { position: relative; margin-left: auto; }
.search input { width: 340px; padding: 6px 10px; border-radius: 6px; border: 1px solid #3a4766; background: #0f1729; color: #fff; font: inherit; }
#search-count { margin-left: 8px; color: #c7d0e4; font-size: 13px; }
#search-results { position: absolute; right: 0; top: 36px; width: 560px; max-height: 70vh; overflow: auto; margin: 0; padding: 6px 0; list-style: none; background: #fff; color: var(--fg); border: 1px solid var(--line); border-radius: 8px; box-shadow: 0 8px 24px rgba(0,0,0,.18); }
#search-results li { padding: 4px 12px; display: flex; gap: 8px; align-items: baseline; }
#search-results li[hidden] { display: none; }
#search-results .kind { font-size: 11px; text-transform: uppercase; color: var(--muted); width: 56px; flex: none; }
#search-results .detail { color: var(--muted); font-size: 13px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.layout { display: flex; }
nav.toc { flex: none; width: 210px; padding: 20px 12px; border-right: 1px solid var(--line); position: sticky; top: 52px; align-self: flex-start; max-height: calc(100vh - 52px); overflow: auto; }
nav.toc ul { list-style: none; margin: 0; padding: 0; }
nav.toc li { margin: 4px 0; }
main { flex: 1; min-width: 0; padding: 8px 32px 48px; max-width: 1200px; }
h1 { font-size: 28px; margin: 20px 0 8px; }
h2 { font-size: 21px; margin: 36px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 17px; margin: 26px 0 8px; }
h4 { font-size: 15px; margin: 18px 0 6px; color: var(--muted); }
p.note { color: var(--muted); border-left: 3px solid var(--line); padding-left: 10px; }
p.caption { color: var(--muted); margin-bottom: 4px; }
code { font: 13px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: var(--soft); padding: 1px 4px; border-radius: 4px; }
pre.code { background: var(--soft); border: 1px solid var(--line); border-radius: 6px; padding: 12px; overflow: auto; }
pre.code code { background: none; padding: 0; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 14px; }
th, td { border: 1px solid var(--line); padding: 5px 9px; text-align: left; vertical-align: top; }
th { background: var(--soft); }
figure.diagram { margin: 12px 0 20px; padding: 12px; border: 1px solid var(--line); border-radius: 8px; overflow-x: auto; background: #fff; }
figure.diagram pre.mermaid { margin: 0; }
figure.diagram figcaption { color: var(--muted); font-size: 13px; margin-top: 6px; }
`;
