#!/usr/bin/env node
/**
 * Runs event-contracts over folders of AsyncAPI documents a person fetched (public
 * repositories: spec examples, tool fixtures, projects' contracts) and prints a table:
 *
 *   document | version | parser ok | lint errors | generate ok | tsc ok | reason
 *
 * For each document (every *.yaml, *.yml, *.json under the folders whose top level has an
 * `asyncapi` key): the @asyncapi/parser check (as `asyncapi validate` does), `evc lint`,
 * `evc generate` into a scratch folder with the given folder as the contract root (so
 * `$ref`s between files of one repository resolve), then `tsc --noEmit` over the SDK under
 * the repository's strict NodeNext settings. It never fetches anything: http(s) `$ref`s
 * stay unresolved (the parser's remote readers are replaced, evc runs without
 * --allow-remote), so a document that needs the network shows as such in `reason`.
 *
 * Not run in CI (it needs documents that are not in this repository). See docs/corpus.md.
 *
 *   node scripts/corpus.mjs ~/corpus/asyncapi-spec/examples ~/corpus/parser-js/test
 *   node scripts/corpus.mjs --json ~/corpus/... > results.json
 *   node scripts/corpus.mjs --keep ~/corpus/...     # keep .scratch/corpus/<n>/ to look at
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Parser, fromFile } from '@asyncapi/parser';
import { parse as parseYaml } from 'yaml';

const repo = resolve(fileURLToPath(new URL('..', import.meta.url)));
const args = process.argv.slice(2);
const json = args.includes('--json');
const keep = args.includes('--keep');
const folders = args.filter((a) => !a.startsWith('--'));
if (folders.length === 0) {
  process.stderr.write('usage: node scripts/corpus.mjs [--json] [--keep] <folder>...\n');
  process.exit(2);
}
const scratch = join(repo, '.scratch/corpus');
rmSync(scratch, { recursive: true, force: true });
mkdirSync(scratch, { recursive: true });

/** Every AsyncAPI document under a folder (node_modules and dot folders skipped). */
function documents(dir) {
  const out = [];
  const walk = (d) => {
    for (const name of readdirSync(d).sort()) {
      if (name.startsWith('.') || name === 'node_modules') continue;
      const path = join(d, name);
      const st = statSync(path);
      if (st.isDirectory()) walk(path);
      else if (/\.(ya?ml|json)$/i.test(name) && st.size < 10 * 1024 * 1024) {
        const version = asyncapiVersion(path);
        if (version !== undefined) out.push({ path, version });
      }
    }
  };
  walk(dir);
  return out;
}

function asyncapiVersion(path) {
  try {
    const data = parseYaml(readFileSync(path, 'utf8'), { maxAliasCount: 100 });
    return data && typeof data === 'object' && 'asyncapi' in data ? String(data.asyncapi) : undefined;
  } catch {
    return undefined;
  }
}

// The parser resolves local files; remote references get an empty document, never a fetch.
const inert = (schema) => ({ schema, order: 0, read: () => '{}' });
const parser = new Parser({ __unstable: { resolver: { resolvers: [inert('http'), inert('https')] } } });

async function parserCheck(path) {
  try {
    const diagnostics = await fromFile(parser, path).validate();
    const errors = diagnostics.filter((d) => d.severity === 0);
    return { ok: errors.length === 0, reason: errors[0] ? `parser: ${errors[0].code}: ${errors[0].message}` : '' };
  } catch (err) {
    return { ok: false, reason: `parser threw: ${String(err?.message ?? err).split('\n')[0]}` };
  }
}

function evc(...a) {
  const r = spawnSync(process.execPath, [join(repo, 'bin/evc.js'), ...a], { cwd: repo, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** A crash is a stack trace or an exit code other than 0, 1 and 2. */
function crashed(r) {
  return (r.code !== 0 && r.code !== 1 && r.code !== 2) || /\n\s+at .+\(.*:\d+:\d+\)/.test(r.stderr);
}

function firstLine(text) {
  return (
    text
      .split('\n')
      .find((l) => / error /.test(l))
      ?.replace(/^.*?:\d+:\d+ error /, '') ??
    text.split('\n').find(Boolean) ??
    ''
  );
}

const rows = [];
let n = 0;
for (const folder of folders) {
  const root = resolve(folder);
  for (const { path, version } of documents(root)) {
    n++;
    const row = { document: relative(process.cwd(), path), version, parserOk: false, lintErrors: '', generateOk: false, tscOk: false, reason: '' };
    rows.push(row);
    const parsed = await parserCheck(path);
    row.parserOk = parsed.ok;
    const lint = evc('lint', path, '--root', root, '--format', 'json');
    if (crashed(lint)) row.reason = `lint crashed: ${lint.stderr.split('\n')[0]}`;
    else {
      try {
        row.lintErrors = String(JSON.parse(lint.stdout || '[]').filter((d) => d.severity === 'error').length);
      } catch {
        row.lintErrors = '?';
      }
    }
    const out = join(scratch, String(n));
    const gen = evc('generate', path, '--root', root, '--out', join(out, 'generated'), '--no-cache', '--no-docs');
    row.generateOk = gen.code === 0;
    if (!row.generateOk) row.reason ||= crashed(gen) ? `generate crashed: ${gen.stderr.split('\n')[0]}` : `generate: ${firstLine(gen.stderr)}`;
    else {
      writeFileSync(
        join(out, 'tsconfig.json'),
        JSON.stringify({ extends: join(repo, 'tsconfig.json'), compilerOptions: { noEmit: true }, include: ['generated/**/*.ts'], exclude: [] }),
      );
      const tsc = spawnSync(join(repo, 'node_modules/.bin/tsc'), ['--noEmit', '-p', join(out, 'tsconfig.json')], {
        cwd: repo,
        encoding: 'utf8',
        timeout: 300_000,
      });
      row.tscOk = tsc.status === 0;
      if (!row.tscOk) row.reason ||= `tsc: ${(tsc.stdout || tsc.stderr).split('\n')[0]}`;
    }
    if (!row.parserOk && !row.reason) row.reason = parsed.reason;
    else if (!row.parserOk) row.reason = `${parsed.reason}; ${row.reason}`;
    if (!keep) rmSync(out, { recursive: true, force: true });
    process.stderr.write(
      `${n} ${row.document}: parser ${row.parserOk ? 'ok' : 'refused'}, generate ${row.generateOk ? 'ok' : 'failed'}${row.generateOk ? `, tsc ${row.tscOk ? 'ok' : 'failed'}` : ''}\n`,
    );
  }
}

if (json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
else {
  const cell = (v) => String(v).replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const yes = (b) => (b ? 'yes' : 'no');
  process.stdout.write('| document | version | parser ok | lint errors | generate ok | tsc ok | reason |\n|---|---|---|---|---|---|---|\n');
  for (const r of rows)
    process.stdout.write(
      `| ${cell(r.document)} | ${cell(r.version)} | ${yes(r.parserOk)} | ${cell(r.lintErrors)} | ${yes(r.generateOk)} | ${r.generateOk ? yes(r.tscOk) : '-'} | ${cell(r.reason)} |\n`,
    );
  const valid = rows.filter((r) => r.parserOk);
  const good = valid.filter((r) => r.generateOk && r.tscOk);
  process.stdout.write(
    `\n${rows.length} document(s); ${valid.length} accepted by @asyncapi/parser, of which ${good.length} generate code that compiles (${valid.length ? Math.round((100 * good.length) / valid.length) : 0} %).\n`,
  );
}
if (!keep) rmSync(scratch, { recursive: true, force: true });
else process.stderr.write(`kept ${scratch}\n`);
