/**
 * Run by memory.test.ts in its own process: validate an NDJSON file the way `evc validate`
 * does and report the resident set size before (after the contract is loaded and the
 * validators compiled) and its peak during the run, sampled on a timer (which runs between
 * chunks) and at every reported message, and the heap in use after a full GC before and
 * after (what is retained).
 */
import { loadContracts } from '../../src/contract/load.js';
import { createChecker } from '../../src/validate/checker.js';
import { fileInput, validateInputs } from '../../src/validate/run.js';

const [contract, file] = process.argv.slice(2) as [string, string];
const loaded = await loadContracts([contract], { specValidation: false });
const checker = createChecker(loaded.systems[0]!);
// Compile every validator before the baseline.
for (const m of loaded.systems[0]!.messages) for (const e of m.examples) checker.check(e.payload);
const gc = (globalThis as { gc?: () => void }).gc!;
gc();
const heapBefore = process.memoryUsage().heapUsed;
const baseline = process.memoryUsage().rss;
let peak = baseline;
const sample = () => {
  const rss = process.memoryUsage().rss;
  if (rss > peak) peak = rss;
};
const timer = setInterval(sample, 5);
let reported = 0;
const summary = await validateInputs([fileInput(file)], checker, (r) => {
  sample();
  if (r.status !== 'valid') reported++;
});
clearInterval(timer);
sample();
gc();
const heapAfter = process.memoryUsage().heapUsed;
process.stdout.write(JSON.stringify({ baseline, peak, heapBefore, heapAfter, summary, reported }) + '\n');
