/**
 * The offline docs site in headless Chromium: served from generated/docs/site over a
 * loopback HTTP server, every page loads with no network beyond it, lists every channel,
 * renders every Mermaid diagram to SVG without an error, and its search filters.
 * Needs /usr/bin/chromium (CI: `apt-get install -y chromium`); skipped without it unless
 * CI=true, where a missing browser fails the test.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSystemDocs, renderDocs } from '../../src/docs/index.js';
import { contractDir } from '../helpers/contract-dir.js';
import { hostileContract, loadSystems } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
const inCi = process.env.CI === 'true';
if (!haveChromium && !inCi)
  console.warn(`test/docs/site.test.ts: skipped: ${CHROMIUM} is missing (install it: apt-get install -y chromium); CI=true makes this a failure`);

const SITE = resolve('generated/docs/site');
const SHOTS = resolve('test/.tmp');
const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.txt': 'text/plain' };

/** Serve a folder on 127.0.0.1 (random port); record every request so the test can prove nothing else was asked for. */
async function serve(root: string): Promise<{ server: Server; base: string; requests: string[] }> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    requests.push(path);
    const file = normalize(join(root, path === '/' ? 'index.html' : path));
    if (!file.startsWith(root + sep)) return void res.writeHead(403).end();
    readFile(file).then(
      (body) => res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(body),
      () => res.writeHead(404).end(),
    );
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

it.runIf(inCi)('CI has Chromium for the docs site test', () => {
  expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: CI must run apt-get install -y chromium`).toBe(true);
});

describe.skipIf(!haveChromium)('docs site in headless Chromium', () => {
  let context: BrowserContext;
  let userDataDir: string;
  const servers: Server[] = [];

  beforeAll(async () => {
    const { chromium } = await import('playwright-core');
    userDataDir = mkdtempSync(join(tmpdir(), 'evc-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      viewport: { width: 1400, height: 1000 },
    });
    mkdirSync(SHOTS, { recursive: true });
  });

  afterAll(async () => {
    await context?.close();
    for (const s of servers) s.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  });

  /** Open a page, wait for mermaid to finish, collect page errors and off-site requests. */
  async function open(base: string, path: string): Promise<{ page: Page; errors: string[]; offsite: string[] }> {
    const page = await context.newPage();
    const errors: string[] = [];
    const offsite: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error' && !/favicon/.test(m.location().url)) errors.push(m.text());
    });
    page.on('request', (r) => {
      if (!r.url().startsWith(base) && !r.url().startsWith('data:')) offsite.push(r.url());
    });
    await page.goto(`${base}/${path}`);
    // Browser-side code as strings: the project's TypeScript has no DOM lib.
    await page.waitForFunction("document.body.getAttribute('data-diagrams') !== null", null, { timeout: 30_000 });
    return { page, errors, offsite };
  }

  async function expectDiagramsRendered(page: Page, count: number): Promise<void> {
    expect(await page.evaluate("document.body.getAttribute('data-diagrams')")).toBe('rendered');
    const figures = page.locator('figure.diagram');
    expect(await figures.count()).toBe(count);
    for (let i = 0; i < count; i++) expect(await figures.nth(i).locator('svg').count(), `diagram ${i}`).toBeGreaterThan(0);
    const text = await page.locator('main').innerText();
    expect(text).not.toMatch(/Syntax error|Parse error|error in text|mermaid version/i);
    expect(await page.locator('.error-icon, .error-text').count()).toBe(0);
  }

  async function search(page: Page, query: string): Promise<{ shown: string[]; count: string }> {
    await page.fill('#search', query);
    const shown = await page.locator('#search-results li:not([hidden])').allInnerTexts();
    return { shown, count: await page.locator('#search-count').innerText() };
  }

  it('index.html lists every system, renders the system map, and searches', async () => {
    const systems = await loadSystems(['asyncapi/']);
    const { server, base, requests } = await serve(SITE);
    servers.push(server);
    const { page, errors, offsite } = await open(base, 'index.html');
    for (const s of systems) expect(await page.locator(`main a[href="${s.id}.html"]`).count(), s.id).toBeGreaterThan(0);
    await expectDiagramsRendered(page, 1);
    const svgText = await page.locator('figure.diagram svg').first().textContent();
    for (const s of systems) expect(svgText).toContain(s.id);
    const hit = await search(page, 'skill.created');
    expect(hit.shown.length).toBeGreaterThan(0);
    for (const t of hit.shown) expect(t.toLowerCase()).toContain('skill.created');
    await page.screenshot({ path: join(SHOTS, 'docs-index.png') });
    expect(errors).toEqual([]);
    expect(offsite).toEqual([]);
    expect(requests).toContain('/assets/mermaid.min.js');
    await page.close();
  });

  it('each system page lists every channel, renders every diagram, and its search filters', async () => {
    const systems = await loadSystems(['asyncapi/']);
    const { server, base } = await serve(SITE);
    servers.push(server);
    for (const sys of systems) {
      const docs = buildSystemDocs(sys);
      const { page, errors, offsite } = await open(base, `${docs.slug}.html`);
      // Every channel: its section heading and its row in the topic/stream table.
      for (const c of docs.channels) {
        expect(await page.locator(`h3#${c.anchor}`).innerText(), sys.id).toBe(c.address);
        expect(await page.locator(`#channels ~ .table-wrap a[href="#${c.anchor}"]`).count(), `${sys.id} ${c.address}`).toBeGreaterThan(0);
      }
      await expectDiagramsRendered(page, 1 + docs.flows.length);
      // Search: a field path finds its rows only; nonsense finds nothing; clearing hides the list.
      const field = docs.messages.flatMap((m) => m.fields).find((f) => f.path.includes('.'))!;
      const hit = await search(page, field.path);
      expect(hit.shown.length).toBeGreaterThan(0);
      for (const t of hit.shown) expect(t.toLowerCase()).toContain(field.path.toLowerCase());
      const total = await page.locator('#search-results li').count();
      expect(hit.shown.length).toBeLessThan(total);
      expect(hit.count).toBe(`${hit.shown.length} ${hit.shown.length === 1 ? 'match' : 'matches'}`);
      const channelHit = await search(page, docs.channels[0]!.address);
      const kind = { Topics: 'topic', Streams: 'stream', Channels: 'channel' }[docs.channelNoun];
      expect(channelHit.shown.map((t) => t.toLowerCase().split(/\s+/).slice(0, 2).join(' '))).toContain(`${kind} ${docs.channels[0]!.address.toLowerCase()}`);
      expect((await search(page, 'zz-no-such-thing-zz')).shown).toEqual([]);
      expect(await page.locator('#search-count').innerText()).toBe('0 matches');
      await page.fill('#search', '');
      expect(await page.locator('#search-results').isHidden()).toBe(true);
      await page.screenshot({ path: join(SHOTS, `docs-${docs.slug}.png`) });
      await page.evaluate("document.getElementById('event-flow').scrollIntoView()");
      await page.screenshot({ path: join(SHOTS, `docs-${docs.slug}-flow.png`) });
      expect(errors, sys.id).toEqual([]);
      expect(offsite, sys.id).toEqual([]);
      await page.close();
    }
  }, 180_000);

  it('a hostile contract renders as text: no script runs, diagrams still render', async () => {
    const systems = await loadSystems([contractDir({ 'hostile.yaml': hostileContract() })]);
    const out = mkdtempSync(join(SHOTS, 'docs-hostile-'));
    try {
      for (const f of renderDocs(systems, { prefix: '' })) {
        mkdirSync(dirname(join(out, f.path)), { recursive: true });
        writeFileSync(join(out, f.path), f.contents);
      }
      const { server, base } = await serve(join(out, 'site'));
      servers.push(server);
      const { page, errors } = await open(base, 'hostile.html');
      await page.waitForTimeout(200);
      expect(await page.evaluate('typeof window.__pwned')).toBe('undefined');
      expect(await page.locator('main script, main img, main b, main i').count()).toBe(0);
      await expectDiagramsRendered(page, 2);
      expect(await page.locator('h3#channel-evil-b-x-b-topic').innerText()).toBe('evil|<b>x</b>`.topic-->');
      const flow = await page.locator('figure.diagram svg').first().textContent();
      expect(flow).toContain('svc|<script>window.__pwned=1</script>"];  s0-->s1 %%'.replace(/\s+/g, ' '));
      expect(errors).toEqual([]);
      await page.close();
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
