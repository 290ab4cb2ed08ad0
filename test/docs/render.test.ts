import { readFileSync, writeFileSync } from 'node:fs';
import { marked } from 'marked';
import { describe, expect, it } from 'vitest';
import { buildSystemDocs, renderDocs, type DocsFile } from '../../src/docs/index.js';
import { contractDir } from '../helpers/contract-dir.js';
import { HOSTILE, hostileContract, loadSystems } from './helpers.js';
import { escapeHtml } from '../../src/docs/html.js';
import { mdText } from '../../src/docs/markdown.js';

const GOLDEN = 'test/docs/golden/orders.md';
const text = (files: DocsFile[], path: string): string => {
  const f = files.find((x) => x.path === path);
  if (!f) throw new Error(`no ${path} in ${files.map((x) => x.path).join(', ')}`);
  return String(f.contents);
};
const mermaidBlocks = (md: string): string[] => [...md.matchAll(/^```mermaid\n([\s\S]*?)\n```$/gm)].map((m) => m[1]!);

describe('renderDocs: golden Markdown', () => {
  it('orders.md is exactly the golden file (UPDATE_GOLDEN=1 rewrites it)', async () => {
    const files = renderDocs(await loadSystems(['test/docs/fixtures/orders.yaml']), { generator: 'evc', site: false });
    const md = text(files, 'docs/orders.md');
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(GOLDEN, md);
    expect(md).toBe(readFileSync(GOLDEN, 'utf8'));
  });

  it('writes the same files, in the same order, byte for byte, every time', async () => {
    const systems = await loadSystems(['test/docs/fixtures/orders.yaml']);
    const a = renderDocs(systems, { mermaid: { js: Buffer.from('/* mermaid */') } });
    const b = renderDocs(systems, { mermaid: { js: Buffer.from('/* mermaid */') } });
    expect(a.map((f) => f.path)).toEqual([
      'docs/index.md',
      'docs/system-map.md',
      'docs/orders.md',
      'docs/site/index.html',
      'docs/site/orders.html',
      'docs/site/assets/docs.css',
      'docs/site/assets/mermaid.min.js',
    ]);
    expect(a).toEqual(b);
    expect(renderDocs(systems, { prefix: '', site: false }).map((f) => f.path)).toEqual(['index.md', 'system-map.md', 'orders.md']);
    for (const f of a) expect(String(f.contents)).not.toMatch(/\/work\/|\d{4}-\d\d-\d\dT\d\d:\d\d(?!:00Z)/);
  });

  it('index and system map name every system, service and connection', async () => {
    const files = renderDocs(await loadSystems(['test/docs/fixtures/orders.yaml']), { generator: 'evc', site: false });
    expect(text(files, 'docs/index.md')).toContain('| [orders](orders.md) | Orders | 2.1.0 | kafka | 2 | 2 | 3 |');
    const map = text(files, 'docs/system-map.md');
    expect(mermaidBlocks(map)).toEqual([
      [
        'graph LR',
        '  subgraph y0["orders"]',
        '    direction LR',
        '    y0s0["shop"]',
        '    y0s1["billing"]',
        '    y0s2["mailer"]',
        '  end',
        '  y0s0 -->|"order.placed"| y0s1',
        '  y0s1 -->|"invoice.issued"| y0s2',
      ].join('\n'),
    ]);
    expect(map).toContain('| [orders](orders.md) | shop | billing | `order.placed` |');
  });

  it('declared x-evc-flows replace the derived sequences', async () => {
    const yaml =
      readFileSync('test/docs/fixtures/orders.yaml', 'utf8') +
      `x-evc-flows:
  - name: Checkout
    steps:
      - { from: customer, to: shop, message: POST /orders }
      - { from: shop, to: billing, message: OrderPlaced }
  - { name: broken, steps: not-a-list }
  - 42
`;
    const [sys] = await loadSystems([contractDir({ 'orders.yaml': yaml })]);
    const docs = buildSystemDocs(sys!);
    expect(docs.flows).toEqual([
      {
        name: 'Checkout',
        declared: true,
        truncated: false,
        steps: [
          { from: 'customer', to: 'shop', label: 'POST /orders' },
          { from: 'shop', to: 'billing', label: 'OrderPlaced' },
        ],
      },
    ]);
    const md = text(renderDocs([sys!], { site: false }), 'docs/orders.md');
    expect(md).toContain('The flows the contract declares (x-evc-flows).');
    expect(mermaidBlocks(md)[1]).toBe(
      [
        'sequenceDiagram',
        '  participant p0 as customer',
        '  participant p1 as shop',
        '  participant p2 as billing',
        '  p0->>p1: POST /orders',
        '  p1->>p2: OrderPlaced',
      ].join('\n'),
    );
  });
});

describe('renderDocs: the seed contracts', async () => {
  const systems = await loadSystems(['asyncapi/']);
  const files = renderDocs(systems, { mermaid: false });

  it('covers the four seed systems', () => {
    expect(systems.map((s) => s.id).sort()).toEqual(['agent-workflows', 'chat', 'skafu', 'skills-platform']);
  });

  for (const sys of systems) {
    it(`${sys.id}: every channel, event and consumer group appears in the Markdown and the HTML`, () => {
      const docs = buildSystemDocs(sys);
      const md = text(files, `docs/${sys.id}.md`);
      const html = text(files, `docs/site/${sys.id}.html`);
      expect(sys.channels.length).toBeGreaterThan(0);
      for (const c of docs.channels) {
        expect(md).toContain(`| [${mdText(c.address)}](#${c.anchor}) |`);
        expect(md).toContain(`### <a id="${c.anchor}"></a>${mdText(c.address)}\n`);
        expect(html).toContain(`<h3 id="${c.anchor}">${escapeHtml(c.address)}</h3>`);
        expect(html).toContain(`<a href="#${c.anchor}">${escapeHtml(c.address)}</a>`);
      }
      for (const m of docs.messages) {
        expect(md).toContain(`### <a id="${m.anchor}"></a>${mdText(m.name)}\n`);
        expect(html).toContain(`<h3 id="${m.anchor}">${escapeHtml(m.name)}</h3>`);
        if (m.example) expect(md).toContain('```json\n' + m.example.json + '\n```');
      }
      for (const op of sys.operations.filter((o) => o.group !== undefined)) expect(md).toContain(`\`${op.group}\``);
      // One flow graph plus the sequences, each a mermaid block, in both outputs.
      expect(mermaidBlocks(md)).toHaveLength(1 + docs.flows.length);
      expect(html.match(/<pre class="mermaid">/g)).toHaveLength(1 + docs.flows.length);
    });
  }

  it('skills-platform: topic table and consumer groups as in seed 001', () => {
    const md = text(files, 'docs/skills-platform.md');
    expect(md).toContain('| Topic | Messages | Partitions | Replicas | Retention | Cleanup | Dead letter |');
    expect(md).toContain(
      '| [validation.completed](#channel-validation-completed) | [ValidationCompleted](#event-validationcompleted) | 3 | 3 | 30 days | delete | `validation.completed.dlq` |',
    );
    expect(md).toContain('| generation-service | `gen-service` | [skill.created](#channel-skill-created), [skill.updated](#channel-skill-updated) |');
    expect(md).toContain('| `data.skill_id` |');
  });

  it('agent-workflows: streams with trimming, no Kafka columns', () => {
    const md = text(files, 'docs/agent-workflows.md');
    expect(md).toContain('## <a id="channels"></a>Streams');
    expect(md).toContain('| Stream | Messages | Trimming | Dead letter |');
    expect(md).toContain(`| ${mdText('MAXLEN ~ 100000')} |`);
  });
});

describe('renderDocs: hostile contract text stays inert', async () => {
  const systems = await loadSystems([contractDir({ 'hostile.yaml': hostileContract() })]);
  const files = renderDocs(systems, { mermaid: false });
  const md = text(files, 'docs/hostile.md');
  const html = text(files, 'docs/site/hostile.html');

  it('Markdown: rendered by a GFM renderer, no tag, link or heading comes from the contract, tables keep their columns', async () => {
    const rendered = await marked.parse(md, { gfm: true });
    expect(rendered).not.toMatch(/<(script|img|svg|b|i)\b/i);
    expect(rendered).not.toMatch(/href="(?!#|[a-z-]+\.md)/);
    expect(rendered).not.toMatch(/<h1[^>]*>\s*Heading/);
    expect(rendered).not.toMatch(/<li>item/);
    expect(rendered).toContain('&lt;script&gt;window.__pwned=1&lt;/script&gt;');
    for (const table of rendered.match(/<table>[\s\S]*?<\/table>/g) ?? []) {
      const heads = (table.match(/<th[ >]/g) ?? []).length;
      for (const row of table.match(/<tbody>[\s\S]*<\/tbody>/)?.[0].match(/<tr>[\s\S]*?<\/tr>/g) ?? [])
        expect((row.match(/<td[ >]/g) ?? []).length).toBe(heads);
    }
    // The example keeps the text exactly, inside a fence no backtick run can close.
    expect(md).toContain(JSON.stringify(HOSTILE));
  });

  it('Mermaid: generated ids only; labels carry no quote, bracket-closing, comment, arrow or HTML of their own', () => {
    const blocks = mermaidBlocks(md);
    expect(blocks.length).toBe(2);
    const line = [
      /^graph LR$/,
      /^sequenceDiagram$/,
      /^ {2}s\d+\["[^"]*"\]$/,
      /^ {2}c\d+\(\["[^"]*"\]\)$/,
      /^ {2}[sc]\d+ --> [sc]\d+$/,
      /^ {2}classDef (service|channel) [a-z0-9:#,]+$/,
      /^ {2}class [sc0-9,]+ (service|channel)$/,
      /^ {2}participant p\d+ as [^\n]+$/,
      /^ {2}p\d+->>p\d+: [^\n]+$/,
    ];
    for (const b of blocks)
      for (const l of b.split('\n')) {
        expect(
          line.some((re) => re.test(l)),
          l,
        ).toBe(true);
        // Contract text sits in a quoted label or after `as ` / `: `; with Mermaid's entity codes taken out, nothing with a meaning is left.
        const label = l.match(/"(.*)"|(?: as |: )(.*)$/);
        if (label) expect((label[1] ?? label[2])!.replace(/#\d+;/g, ''), l).not.toMatch(/["<>`;%|&#\\]/);
      }
    expect(blocks.join('\n')).toContain('svc#124;#60;script#62;window.__pwned=1#60;/script#62;#34;]#59; s0--#62;s1 #37;#37;');
  });

  it('HTML: only our own tags and scripts; contract text escaped everywhere, also in the search index', () => {
    expect(html.match(/<script\b[^>]*>/g)).toEqual([
      '<script type="application/json" id="search-index">',
      '<script>',
      '<script src="assets/mermaid.min.js">',
      '<script>',
    ]);
    expect(html).not.toMatch(/<(img|svg|b|i)\b/);
    expect(html).not.toContain('onerror="');
    expect(html).not.toContain('href="javascript:');
    expect(html).toContain('&lt;script&gt;window.__pwned=1&lt;/script&gt;');
    const json = html.match(/<script type="application\/json" id="search-index">([^<]*)<\/script>/)?.[1];
    expect(JSON.parse(json!)).toContainEqual({
      k: 'topic',
      l: 'evil|<b>x</b>`.topic-->',
      d: 'Evil<svg onload="window.__pwned=1">|',
      h: '#channel-evil-b-x-b-topic',
    });
    expect(html).toMatch(/<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'self' 'sha256-[^']+' 'sha256-[^']+';/);
  });
});
