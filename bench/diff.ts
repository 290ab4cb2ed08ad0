/**
 * `evc diff` of the four seed contracts (asyncapi/) against a copy with a few edits per
 * file (an integer widened to number, a uuid format dropped, an enum value added, a title
 * changed): the CLI's wall time (`node bin/evc.js diff`, process start included) and the
 * library call (`loadVersion` twice + `diffVersions`, FULL) in this process.
 *
 *   node --import tsx bench/diff.ts [--runs 3]
 *
 * Prints the median of the runs (the target for the CLI is 1.5 s on the bench machine).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { diffVersions, loadVersion } from '../src/diff/index.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' } } });
const RUNS = Math.max(1, Number(values.runs));

const copy = mkdtempSync(join(tmpdir(), 'evc-bench-diff-'));
cpSync('asyncapi', copy, { recursive: true });
let edits = 0;
for (const name of readdirSync(copy).filter((f) => f.endsWith('.yaml'))) {
  const file = join(copy, name);
  let text = readFileSync(file, 'utf8');
  const edit = (from: RegExp, to: string) => {
    const next = text.replace(from, to);
    if (next !== text) edits++;
    text = next;
  };
  edit(/type: integer/, 'type: number');
  edit(/\n(\s+)format: uuid\n/, '\n');
  edit(/enum: \[([^\]]+)\]/, 'enum: [$1, bench_added]');
  edit(/title: ([^\n]+)/, 'title: $1 Edited');
  writeFileSync(file, text);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const cli: number[] = [];
let summary = '';
for (let i = 0; i < RUNS; i++) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['bin/evc.js', 'diff', 'asyncapi', copy, '--format', 'json'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  cli.push(performance.now() - t0);
  if (r.status !== 0 && r.status !== 1) throw new Error(`evc diff failed (${r.status}): ${r.stderr}`);
  summary = r.stderr.trim();
}
const lib: number[] = [];
const compare: number[] = [];
let findings = 0;
for (let i = 0; i < RUNS; i++) {
  const t0 = performance.now();
  const a = await loadVersion('asyncapi', { specValidation: false });
  const b = await loadVersion(copy, { specValidation: false });
  const t1 = performance.now();
  const report = diffVersions([a, b], 'FULL');
  lib.push(performance.now() - t0);
  compare.push(performance.now() - t1);
  findings = report.findings.length;
}
const cpu = process.cpuUsage();
rmSync(copy, { recursive: true, force: true });

console.log(`${edits} edits over the four seed contracts; ${summary} (${findings} findings).\n`);
console.log('| what | median of ' + RUNS + ' |');
console.log('|---|---|');
console.log(`| \`evc diff asyncapi <edited copy>\` (CLI, process start included) | ${(median(cli) / 1000).toFixed(2)} s |`);
console.log(`| loadVersion ×2 + diffVersions (library, in process) | ${(median(lib) / 1000).toFixed(2)} s |`);
console.log(`| diffVersions alone (subschema checks and counterexamples) | ${(median(compare) / 1000).toFixed(2)} s |`);
console.log(`\nThis process used ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s of CPU; wall times on a shared machine include waiting for a core.`);
