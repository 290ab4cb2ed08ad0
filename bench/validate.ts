/**
 * `evc validate` throughput on NDJSON: messages/s and MB/s through the same path the CLI
 * takes (file stream -> line splitter -> JSON.parse -> type lookup -> ajv, all errors).
 *
 *   node --import tsx bench/validate.ts [MB=200] [invalidEvery=1000]
 *
 * Prints numbers; BENCHMARKS.md is written by bench/run.ts, not here.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadContracts } from '../src/contract/load.js';
import { createChecker } from '../src/validate/checker.js';
import { fileInput, validateInputs } from '../src/validate/run.js';
import { SHOP_CONTRACT, writeShopNdjson } from './validate-data.js';

const mb = Number(process.argv[2] ?? 200);
const invalidEvery = Number(process.argv[3] ?? 1000);
const dir = mkdtempSync(join(tmpdir(), 'evc-bench-validate-'));
try {
  const file = join(dir, 'bench.ndjson');
  const gen = writeShopNdjson(file, mb * 1024 * 1024, invalidEvery);
  const loaded = await loadContracts([SHOP_CONTRACT], { specValidation: false });
  const checker = createChecker(loaded.systems[0]!);
  const runs: { seconds: number; rssPeak: number }[] = [];
  for (let run = 0; run < 3; run++) {
    let rssPeak = 0;
    let n = 0;
    const t0 = process.hrtime.bigint();
    const summary = await validateInputs([fileInput(file)], checker, () => {
      if (++n % 10000 === 0) rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
    });
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    if (summary.total !== gen.messages || summary.invalid !== gen.invalid)
      throw new Error(`wrong counts: ${JSON.stringify(summary)} vs ${JSON.stringify(gen)}`);
    runs.push({ seconds, rssPeak });
  }
  const best = runs.reduce((a, b) => (b.seconds < a.seconds ? b : a));
  const avgMsg = gen.bytes / gen.messages;
  console.log(
    `evc validate, NDJSON: ${gen.messages} messages (${avgMsg.toFixed(0)} B avg, 1 in ${invalidEvery} invalid), ${(gen.bytes / 1048576).toFixed(0)} MB`,
  );
  for (const [i, r] of runs.entries()) {
    console.log(
      `  run ${i + 1}: ${r.seconds.toFixed(2)} s  ${Math.round(gen.messages / r.seconds).toLocaleString('en-US')} messages/s  ${(gen.bytes / 1048576 / r.seconds).toFixed(1)} MB/s  peak RSS ${(r.rssPeak / 1048576).toFixed(0)} MB`,
    );
  }
  console.log(
    `best: ${Math.round(gen.messages / best.seconds).toLocaleString('en-US')} messages/s, ${(gen.bytes / 1048576 / best.seconds).toFixed(1)} MB/s (node ${process.version})`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
