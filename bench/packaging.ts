/**
 * What a user installs and how fast the installed CLI starts (issue #15's numbers):
 *   - the consumer test's measurements (scripts/consumer-test.mjs --json): production
 *     installs of a memory-only service, + kafkajs, + ioredis, and of the CLI without mermaid;
 *   - `evc --version` and `evc generate` of the seed contracts (no cache, --no-docs and
 *     with docs): the compiled CLI (packages/cli/bin/evc.js, as installed) against this
 *     repository's launcher from TypeScript sources through tsx (bin/evc.js, what every
 *     command cost before the packages were compiled), interleaved in the same run.
 * Targets: memory-only ≤ 15 packages and ≤ 10 MB; CLI ≤ 60 MB; evc --version ≤ 150 ms
 * median; generate no slower than through tsx.
 *
 *   node --import tsx bench/packaging.ts [--runs 20] [--skip-install]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const root = resolve(import.meta.dirname, '..');
const { values } = parseArgs({ options: { runs: { type: 'string', default: '20' }, 'skip-install': { type: 'boolean', default: false } } });
const runs = Math.max(3, Number(values.runs));
const loadBefore = loadavg()
  .map((l) => l.toFixed(2))
  .join(' ');

const build = spawnSync(process.execPath, [join(root, 'scripts/build.mjs')], { cwd: root, encoding: 'utf8' });
if (build.status !== 0) throw new Error(`build failed: ${build.stderr}`);

const compiled = [join(root, 'packages/cli/bin/evc.js')];
const viaTsx = [join(root, 'bin/evc.js')];

function time(cmd: string[], args: string[], cwd = root): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [...cmd, ...args], { cwd, encoding: 'utf8' });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${cmd.join(' ')} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2, min: s[0]!, max: s.at(-1)! };
};

/** Interleaved runs of both commands (a then b, n times), so load hits both alike. */
function compare(args: string[], n: number, cwd = root): { compiled: ReturnType<typeof stats>; tsx: ReturnType<typeof stats> } {
  const a: number[] = [];
  const b: number[] = [];
  time(compiled, args, cwd); // warm the file cache once for each
  time(viaTsx, args, cwd);
  for (let i = 0; i < n; i++) {
    a.push(time(compiled, args, cwd));
    b.push(time(viaTsx, args, cwd));
  }
  return { compiled: stats(a), tsx: stats(b) };
}

const out = mkdtempSync(join(tmpdir(), 'evc-bench-gen-'));
const version = compare(['--version'], runs);
const genNoDocs = compare(['generate', 'asyncapi/', '--out', join(out, 'a'), '--no-cache', '--no-docs'], Math.max(3, Math.round(runs / 4)));
const genDocs = compare(['generate', 'asyncapi/', '--out', join(out, 'b'), '--no-cache'], Math.max(3, Math.round(runs / 4)));
rmSync(out, { recursive: true, force: true });

type Install = { packages: number; kib: number; deltaPackages?: number; deltaKiB?: number; version?: string };
let installs: {
  memory?: Install;
  kafkajs?: Install;
  ioredis?: Install;
  cli?: Install;
  tarballs?: { runtime: { bytes: number; files: number }; cli: { bytes: number; files: number } };
} = {};
let consumerLine = 'skipped (--skip-install)';
if (!values['skip-install']) {
  const json = join(mkdtempSync(join(tmpdir(), 'evc-bench-consumer-')), 'consumer.json');
  const r = spawnSync(process.execPath, [join(root, 'scripts/consumer-test.mjs'), '--json', json], { cwd: root, encoding: 'utf8', timeout: 20 * 60_000 });
  consumerLine = (r.stdout.trim().split('\n').at(-1) ?? '') + (r.status === 0 ? '' : ` (exit ${r.status})`);
  try {
    installs = JSON.parse(readFileSync(json, 'utf8')) as typeof installs;
  } catch {
    installs = {};
  }
}

const mb = (kib: number | undefined) => (kib === undefined ? '–' : `${(kib / 1024).toFixed(1)} MB`);
const ms = (s: ReturnType<typeof stats>) => `${s.median.toFixed(0)} ms (${s.min.toFixed(0)}–${s.max.toFixed(0)})`;
const ratio = (c: ReturnType<typeof stats>, t: ReturnType<typeof stats>) => `${(c.median / t.median).toFixed(2)}×`;
const verdict = (ok: boolean | undefined) => (ok === undefined ? '–' : ok ? 'met' : 'NOT met');

console.log(
  `Node ${process.version}, load average ${loadBefore} before / ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')} after; ${runs} interleaved runs for --version, ${Math.max(3, Math.round(runs / 4))} for generate; median (min–max)\n`,
);
console.log('| measure | result | target |');
console.log('|---|---|---|');
const m = installs.memory;
console.log(
  `| production install, memory-only service (runtime tarball) | ${m ? `${m.packages} packages, ${mb(m.kib)}` : '–'} | ≤ 15 packages, ≤ 10 MB: ${verdict(m && m.packages <= 15 && m.kib <= 10 * 1024)} |`,
);
for (const client of ['kafkajs', 'ioredis'] as const) {
  const c = installs[client];
  console.log(
    `| … plus ${client}${c?.version ? `@${c.version}` : ''} | ${c ? `+${c.deltaPackages} packages, +${mb(c.deltaKiB)}` : '–'} | only that client's tree |`,
  );
}
const cli = installs.cli;
console.log(
  `| production install, CLI without mermaid (runtime + cli tarballs) | ${cli ? `${cli.packages} packages, ${mb(cli.kib)}` : '–'} | ≤ 60 MB: ${verdict(cli && cli.kib <= 60 * 1024)} |`,
);
if (installs.tarballs) {
  const t = installs.tarballs;
  console.log(
    `| npm pack | runtime ${t.runtime.files} files, ${(t.runtime.bytes / 1024).toFixed(0)} KiB; cli ${t.cli.files} files, ${(t.cli.bytes / 1024).toFixed(0)} KiB | – |`,
  );
}
console.log(`| \`evc --version\`, compiled CLI | ${ms(version.compiled)} | ≤ 150 ms: ${verdict(version.compiled.median <= 150)} |`);
console.log(`| \`evc --version\`, from sources through tsx (the old bin) | ${ms(version.tsx)} | – (compiled/tsx ${ratio(version.compiled, version.tsx)}) |`);
console.log(
  `| \`evc generate\` seeds --no-docs, compiled | ${ms(genNoDocs.compiled)} | no slower than tsx: ${verdict(genNoDocs.compiled.median <= genNoDocs.tsx.median * 1.05)} (${ratio(genNoDocs.compiled, genNoDocs.tsx)}) |`,
);
console.log(`| \`evc generate\` seeds --no-docs, through tsx | ${ms(genNoDocs.tsx)} | – |`);
console.log(
  `| \`evc generate\` seeds with docs, compiled | ${ms(genDocs.compiled)} | no slower than tsx: ${verdict(genDocs.compiled.median <= genDocs.tsx.median * 1.05)} (${ratio(genDocs.compiled, genDocs.tsx)}) |`,
);
console.log(`| \`evc generate\` seeds with docs, through tsx | ${ms(genDocs.tsx)} | – |`);
console.log(`\nconsumer test: ${consumerLine}`);
