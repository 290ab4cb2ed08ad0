/**
 * Docs output: Markdown per system, an index, a system map, and an offline HTML site,
 * all from the IR. `renderDocs` is pure apart from reading mermaid's prebuilt bundle
 * from node_modules when the caller does not pass it; writing is the caller's job
 * (`evc docs`, `evc generate`).
 *
 * @example
 * const { systems } = await loadContracts(['asyncapi/'], { specValidation: false });
 * for (const file of renderDocs(systems)) write(join('generated', file.path), file.contents);
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { compareCodeUnits } from '../contract/compare.js';
import type { SystemModel } from '../contract/ir.js';
import { version } from '../contract/version.js';
import { indexPage, systemMapPage, systemPage, type DocsPageContext } from '../../templates/docs.js';
import { createDocBuilder, type DocBuilder } from './blocks.js';
import { renderHtmlPage, SITE_CSS, type SearchItem } from './html.js';
import { renderMarkdown } from './markdown.js';
import { buildSystemDocs, type DocsModelOptions, type SystemDocs } from './model.js';

export { buildSystemDocs, type SystemDocs, type DocsModelOptions } from './model.js';
export { mermaidText } from './mermaid.js';
export { mdText, mdCode } from './markdown.js';
export { escapeHtml } from './html.js';

export interface DocsFile {
  /** Path relative to the output folder, `/`-separated. */
  path: string;
  /** Text, or the bundled mermaid assets as Buffers; every file is valid UTF-8, so `String(contents)` round-trips. */
  contents: string | Buffer;
}

export interface MermaidAsset {
  /** `mermaid/dist/mermaid.min.js`. */
  js: Buffer;
  /** mermaid's LICENSE, shipped beside it. */
  license?: Buffer;
}

export interface RenderDocsOptions extends DocsModelOptions {
  /** Prefix of every path; default `docs/` (paths relative to `generated/`). Use `''` to write straight into a docs folder. */
  prefix?: string;
  /** Also write the HTML site under `site/`. Default true. */
  site?: boolean;
  /** The mermaid bundle for the site; default read from node_modules. `false`: leave it out (diagrams stay as text). */
  mermaid?: MermaidAsset | false;
  /** Named in every page's preamble; default `evc <version>`. */
  generator?: string;
}

let cachedMermaid: MermaidAsset | false | undefined;

/**
 * mermaid's prebuilt browser bundle and licence from node_modules (read once), or false
 * when mermaid is not installed: it is an optional peer of the CLI (~150 MB with its
 * tree), read only when the HTML site is written; without it diagrams stay as text.
 */
export function loadMermaidAsset(): MermaidAsset | false {
  if (cachedMermaid === undefined) {
    const require = createRequire(import.meta.url);
    try {
      cachedMermaid = {
        js: readFileSync(require.resolve('mermaid/dist/mermaid.min.js')),
        license: readFileSync(require.resolve('mermaid/LICENSE')),
      };
    } catch (err) {
      if ((err as { code?: string }).code !== 'MODULE_NOT_FOUND') throw err;
      cachedMermaid = false;
    }
  }
  return cachedMermaid;
}

/** Said once by the commands that write the site when mermaid is not installed. */
export const MERMAID_MISSING_NOTICE = 'note: mermaid is not installed, so the HTML site shows diagrams as text (npm install -D mermaid to render them)';

const RESERVED = new Set(['index', 'system-map', 'site', 'assets']);

function page(write: (f: DocBuilder) => void): DocBuilder['blocks'] {
  const f = createDocBuilder();
  write(f);
  return f.blocks;
}

function systemSearch(sys: SystemDocs, page = ''): SearchItem[] {
  const kind = sys.channelNoun === 'Topics' ? 'topic' : sys.channelNoun === 'Streams' ? 'stream' : 'channel';
  return [
    ...sys.channels.map((c) => ({ k: kind, l: c.address, d: c.messages.map((m) => m.text).join(', '), h: `${page}#${c.anchor}` })),
    ...sys.messages.map((m) => ({
      k: 'event',
      l: m.name,
      d: [m.eventType, m.channels.map((c) => c.text).join(', ')].filter(Boolean).join(' · '),
      h: `${page}#${m.anchor}`,
    })),
  ];
}

/**
 * Every docs file for these systems, in a fixed order, deterministic (no timestamps,
 * no absolute paths).
 */
export function renderDocs(systems: SystemModel[], options: RenderDocsOptions = {}): DocsFile[] {
  const prefix = options.prefix ?? 'docs/';
  const generator = options.generator ?? `evc ${version}`;
  const docs = [...systems].sort((a, b) => compareCodeUnits(a.id, b.id)).map((s) => buildSystemDocs(s, options));
  const usedSlugs = new Set<string>();
  for (const d of docs) {
    let slug = RESERVED.has(d.slug.toLowerCase()) ? `${d.slug}-system` : d.slug;
    for (let i = 2; usedSlugs.has(slug.toLowerCase()); i++) slug = `${d.slug}-${i}`;
    usedSlugs.add(slug.toLowerCase());
    d.slug = slug;
  }
  const md: DocsPageContext = { ext: '.md', generator };
  const html: DocsPageContext = { ext: '.html', generator };
  const files: DocsFile[] = [
    { path: 'index.md', contents: renderMarkdown(page((f) => indexPage(f, docs, { ...md, inlineMap: false }))) },
    { path: 'system-map.md', contents: renderMarkdown(page((f) => systemMapPage(f, docs, md))) },
    ...docs.map((d) => ({ path: `${d.slug}.md`, contents: renderMarkdown(page((f) => systemPage(f, d, md))) })),
  ];
  if (options.site !== false) {
    const indexSearch: SearchItem[] = [
      ...docs.map((d) => ({ k: 'system', l: d.id, d: d.title, h: `${d.slug}.html` })),
      ...docs.flatMap((d) => systemSearch(d, `${d.slug}.html`).map((i) => ({ ...i, d: `${d.id} · ${i.d}` }))),
    ];
    files.push({
      path: 'site/index.html',
      contents: renderHtmlPage({
        title: 'Event contracts',
        blocks: page((f) => indexPage(f, docs, { ...html, inlineMap: true })),
        search: indexSearch,
        searchPlaceholder: 'Search systems, channels, events',
      }),
    });
    for (const d of docs) {
      const search = [
        ...systemSearch(d),
        ...d.messages.flatMap((m) => m.fields.map((fd) => ({ k: 'field', l: fd.path, d: `${m.name} · ${fd.type}`, h: `#${m.anchor}` }))),
      ];
      files.push({
        path: `site/${d.slug}.html`,
        contents: renderHtmlPage({
          title: `${d.title} (${d.id})`,
          crumb: d.id,
          blocks: page((f) => systemPage(f, d, html)),
          search,
          searchPlaceholder: `Search ${d.channelNoun.toLowerCase()}, events, fields`,
        }),
      });
    }
    files.push({ path: 'site/assets/docs.css', contents: SITE_CSS });
    const mermaid = options.mermaid === undefined ? loadMermaidAsset() : options.mermaid;
    if (mermaid) {
      files.push({ path: 'site/assets/mermaid.min.js', contents: mermaid.js });
      if (mermaid.license) files.push({ path: 'site/assets/mermaid.LICENSE.txt', contents: mermaid.license });
    }
  }
  return files.map((f) => ({ path: prefix + f.path, contents: f.contents }));
}
