/**
 * `evc generate` wall time, end to end in a child process (node start, module loading,
 * contract loading, planning, writing):
 *   seeds      the repository's asyncapi/ contracts, no cache
 *   synthetic  one contract of 500 channels with 10 data properties per payload, no cache
 *   no-change  the seeds again with the cache warm (nothing to load or write)
 * Targets: seeds < 1.5 s, synthetic < 5 s, no-change < 0.5 s.
 *
 *   node --import tsx bench/generate.ts [--runs 3]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { syntheticContract } from './generate-synthetic.js';

const root = resolve(import.meta.dirname, '..');
const tmp = join(root, 'bench/.tmp/generate');
const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' } } });
const runs = Math.max(1, Number(values.runs));

// The `evc` binary when its dispatcher knows `generate`, else the command module through tsx.
const viaBin = existsSync(join(root, 'bin/evc.js')) && /\bgenerate\b/.test(readFileSync(join(root, 'src/cli/main.ts'), 'utf8'));
const command = viaBin ? [join(root, 'bin/evc.js'), 'generate'] : ['--import', 'tsx', join(root, 'test/codegen/cli-runner.ts')];

function run(cwd: string, args: string[]): number {
  const started = performance.now();
  const r = spawnSync(process.execPath, [...command, ...args], { cwd, encoding: 'utf8' });
  const ms = performance.now() - started;
  if (r.status !== 0) throw new Error(`evc generate ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}

function measure(
  label: string,
  cwd: string,
  args: string[],
  targetMs: number,
  warm?: () => void,
): { label: string; median: number; min: number; targetMs: number } {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    warm?.();
    times.push(run(cwd, args));
  }
  times.sort((a, b) => a - b);
  return { label, median: times[Math.floor(times.length / 2)]!, min: times[0]!, targetMs };
}

rmSync(tmp, { recursive: true, force: true });
mkdirSync(join(tmp, 'synthetic/asyncapi'), { recursive: true });
writeFileSync(join(tmp, 'synthetic/asyncapi/bench.yaml'), syntheticContract(500, 10));
const seedsOut = 'bench/.tmp/generate/seeds';

const results = [
  measure('seeds (asyncapi/, no cache)', root, ['--out', seedsOut, '--no-cache'], 1500),
  measure('synthetic 500 channels x 10 properties (no cache)', join(tmp, 'synthetic'), ['--no-cache'], 5000),
];
// Warm the cache once, then time runs that find nothing to do.
run(root, ['--out', seedsOut]);
results.push(measure('no change (seeds, cache warm)', root, ['--out', seedsOut], 500));

const nodeVersion = process.version;
// Other work on the machine shows in these numbers: say how busy it was.
const load = loadavg()
  .map((l) => l.toFixed(1))
  .join(' ');
console.log(
  `evc generate wall time, ${runs} run(s) each, median (min); node ${nodeVersion}, ${availableParallelism()} CPUs, load average ${load}, via ${viaBin ? 'bin/evc.js' : 'tsx + command module'}`,
);
for (const r of results) {
  const ok = r.median < r.targetMs ? 'ok' : 'OVER';
  console.log(`  ${r.label.padEnd(52)} ${r.median.toFixed(0).padStart(6)} ms (${r.min.toFixed(0)})  target < ${r.targetMs} ms  ${ok}`);
}
rmSync(tmp, { recursive: true, force: true });
