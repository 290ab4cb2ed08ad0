/**
 * `evc validate` against the plain loop on the same NDJSON file, in the same run (issue
 * #17 item 2: ≥ 0.8×). Every contender is its own process, timed from spawn to exit:
 *   - the plain loop (bench/validate-loop.mjs): readline + JSON.parse + the same ajv
 *     validator, compiled once, picked by the type field; it loads the contract without
 *     the AsyncAPI spec validation and reports its own loop time as well;
 *   - `evc validate` as users run it: the compiled CLI (packages/cli/bin/evc.js over dist,
 *     built here with the packages' own tsconfig into a private folder, so a build another
 *     engineer runs meanwhile cannot break or change it);
 *   - this repository's tsx launcher (bin/evc.js), for reference.
 * Rounds interleave them, the order rotating. Also: `evc validate` of an empty file (its
 * fixed start-up: contract load with spec validation, compiling the validators) and each
 * process's peak RSS (the input is streamed: memory is bounded by the longest line).
 *
 *   node --import tsx bench/validate.ts [MB=200] [invalidEvery=1000] [rounds=3]
 *
 * Prints markdown; BENCHMARKS.md is written by bench/run.ts.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SHOP_CONTRACT, writeShopNdjson } from './validate-data.js';
import { buildPrivate } from './build-private.js';

const root = resolve(import.meta.dirname, '..');
const mb = Number(process.argv[2] ?? 200);
const invalidEvery = Number(process.argv[3] ?? 1000);
const rounds = Number(process.argv[4] ?? 3);
const loadBefore = loadavg()
  .map((l) => l.toFixed(2))
  .join(' ');

interface Run {
  ms: number;
  /** User + system CPU time: less sensitive than wall time to what else runs on the machine. */
  cpuMs: number;
  rssMb: number;
  stdout: string;
  stderr: string;
  code: number | null;
}

// Each process reports its peak RSS and CPU time on exit (stderr's last line), the same way for all.
const usageHook =
  "data:text/javascript,process.on('exit',()=>{const u=process.resourceUsage();process.stderr.write('\\nusage '+u.maxRSS+' '+(u.userCPUTime+u.systemCPUTime)+'\\n')})";

function run(args: string[]): Run {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--import', usageHook, ...args], { cwd: root, encoding: 'utf8', maxBuffer: 256 << 20 });
  const ms = performance.now() - t0;
  const m = /\nusage (\d+) (\d+)\n$/.exec(r.stderr);
  if (!m) throw new Error(`no usage line from ${args.join(' ')}: exit ${r.status}, ${r.stderr.slice(-2000)}`);
  return { ms, cpuMs: Number(m[2]) / 1000, rssMb: Number(m[1]) / 1024, stdout: r.stdout, stderr: r.stderr.slice(0, m.index), code: r.status };
}

const benchDir = join(root, 'bench/.tmp');
mkdirSync(benchDir, { recursive: true });
const buildDir = mkdtempSync(join(benchDir, 'validate-build-'));
const dataDir = mkdtempSync(join(tmpdir(), 'evc-bench-validate-'));
try {
  const cli = buildPrivate(root, buildDir);
  const file = join(dataDir, 'bench.ndjson');
  const gen = writeShopNdjson(file, mb * 1024 * 1024, invalidEvery);
  const empty = join(dataDir, 'empty.ndjson');
  writeFileSync(empty, '');

  const expected = `evc validate: ${gen.messages} message(s) by /event_type against shop: ${gen.messages - gen.invalid} valid, ${gen.invalid} invalid, 0 unknown type\n`;
  const evc = (bin: string, input: string) => (): Run => {
    const r = run([bin, 'validate', '--contract', SHOP_CONTRACT, input]);
    const want = input === file ? expected : 'evc validate: 0 message(s) by /event_type against shop: 0 valid, 0 invalid, 0 unknown type\n';
    if (r.stderr !== want || r.code !== (input === file ? 1 : 0)) throw new Error(`${bin}: exit ${r.code}, stderr ${r.stderr}`);
    return r;
  };
  let loopMs = 0;
  const contenders: { key: string; run: () => Run }[] = [
    {
      key: 'plain',
      run: () => {
        const r = run(['bench/validate-loop.mjs', join(cli, 'dist'), SHOP_CONTRACT, file]);
        const out = JSON.parse(r.stdout) as { total: number; invalid: number; loopMs: number };
        if (r.code !== 0 || out.total !== gen.messages || out.invalid !== gen.invalid) throw new Error(`plain loop: exit ${r.code}, ${r.stdout}${r.stderr}`);
        loopMs = out.loopMs;
        return r;
      },
    },
    { key: 'compiled', run: evc(join(cli, 'bin/evc.js'), file) },
    { key: 'tsx', run: evc('bin/evc.js', file) },
    { key: 'compiled-empty', run: evc(join(cli, 'bin/evc.js'), empty) },
  ];
  const results = new Map<string, Run[]>(contenders.map((c) => [c.key, []]));
  const loops: number[] = [];
  for (const c of contenders) c.run(); // warm the page cache and the compile caches once
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < contenders.length; i++) {
      const c = contenders[(i + round) % contenders.length]!;
      results.get(c.key)!.push(c.run());
      if (c.key === 'plain') loops.push(loopMs);
    }
  }

  const ms = (key: string) => results.get(key)!.map((r) => r.ms);
  const cpu = (key: string) => results.get(key)!.map((r) => r.cpuMs);
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
  const s = (x: number) => (x / 1000).toFixed(2);
  const rate = (x: number) => Math.round(gen.messages / (x / 1000)).toLocaleString('en-US');
  const rss = (key: string) => Math.max(...results.get(key)!.map((r) => r.rssMb)).toFixed(0);
  const plain = ms('plain');
  const row = (name: string, key: string, ratio: boolean, messages = true) => {
    const xs = ms(key);
    const m = median(xs);
    const c = median(cpu(key));
    const perRound = xs.map((x, i) => (plain[i]! / x).toFixed(2));
    return `| ${name} | ${s(m)} s | ${xs.map(s).join(' / ')} | ${messages ? rate(m) : '–'} | ${s(c)} s | ${rss(key)} MB | ${ratio ? `**${(median(plain) / m).toFixed(2)}×** (${perRound.join(' / ')})` : '–'} | ${ratio ? `${(median(cpu('plain')) / c).toFixed(2)}×` : '–'} |`;
  };
  console.log(
    `NDJSON of ${gen.messages.toLocaleString('en-US')} messages (${(gen.bytes / gen.messages).toFixed(0)} B avg, 1 in ${invalidEvery} invalid), ${(gen.bytes / 1048576).toFixed(0)} MB; ${rounds} rounds, order rotating, after one warm-up run each; node ${process.version}, load average ${loadBefore} before / ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} after\n`,
  );
  console.log(
    '| process | wall, spawn to exit (median) | each round | messages/s | CPU user+sys (median) | peak RSS | wall: plain loop / this (target ≥ 0.8×), each round | CPU: plain / this |',
  );
  console.log('|---|---:|---|---:|---:|---:|---|---:|');
  console.log(row('plain loop: readline + JSON.parse + the same ajv validator (bench/validate-loop.mjs)', 'plain', false));
  console.log(row('`evc validate`, compiled CLI (packages/cli/bin/evc.js)', 'compiled', true));
  console.log(row('`evc validate`, tsx launcher (bin/evc.js)', 'tsx', true));
  console.log(row('`evc validate` of an empty file, compiled CLI (start-up)', 'compiled-empty', false, false));
  console.log(
    `\nThe plain loop's own loop, without its process start and contract load: ${s(median(loops))} s median (${loops.map(s).join(' / ')}). ` +
      '`evc validate` also validates the contract against the AsyncAPI specification, which the plain loop skips: in a worker thread beside the reading (its CPU time counts in the CPU column), and that is most of the start-up row.',
  );
} finally {
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(buildDir, { recursive: true, force: true });
}
