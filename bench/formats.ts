/**
 * Format checks on the validation hot path: ajv-formats' fullFormats against the runtime's
 * char-code checkers (src/runtime/formats.ts), per format and inside one first-error
 * validate of the in-memory benchmark's ~300-byte `order.placed` event (two uuids, one
 * date-time). Both validators come from createAjv; only the format set differs.
 *
 *   node --import tsx bench/formats.ts [--iterations 1000000] [--runs 5]
 *
 * Rounds are interleaved and the median is printed (ns per call). Prints numbers only.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { fullFormats as ajvFormats } from 'ajv-formats/dist/formats.js';
import type { FormatDefinition } from 'ajv';
import { createAjv } from '../src/contract/ajv.js';
import { dateTime, uuid } from '../src/runtime/formats.js';
import { orderPlacedSchema } from '../test/conformance/system.js';

const { values } = parseArgs({ options: { iterations: { type: 'string', default: '1000000' }, runs: { type: 'string', default: '5' } } });
const N = Number(values.iterations);
const RUNS = Math.max(1, Number(values.runs));

const withAjvFormats = createAjv();
for (const [name, format] of Object.entries(ajvFormats)) withAjvFormats.addFormat(name, format);
const validateBefore = withAjvFormats.compile(orderPlacedSchema);
const validateAfter = createAjv().compile(orderPlacedSchema);

const events = Array.from({ length: 1024 }, (_, i) => ({
  event_id: randomUUID(),
  event_type: 'order.placed',
  timestamp: new Date(Date.now() - i * 1000).toISOString(),
  correlation_id: randomUUID(),
  sequence: 1,
  data: { order_id: `order-${i}`, seq: i, note: 'two espresso, one flat white, oat milk, no sugar, table 12' },
}));
const uuids = events.map((e) => e.event_id);
const stamps = events.map((e) => e.timestamp);
const ajvUuid = ajvFormats.uuid as RegExp;
const ajvDateTime = (ajvFormats['date-time'] as FormatDefinition<string>).validate as (s: string) => boolean;

const cases: Array<[string, (i: number) => boolean]> = [
  ['uuid: ajv-formats regex', (i) => ajvUuid.test(uuids[i & 1023]!)],
  ['uuid: fast', (i) => uuid(uuids[i & 1023]!)],
  ['date-time: ajv-formats', (i) => ajvDateTime(stamps[i & 1023]!)],
  ['date-time: fast', (i) => dateTime(stamps[i & 1023]!)],
  ['validate event: ajv-formats', (i) => validateBefore(events[i & 1023])],
  ['validate event: fast formats', (i) => validateAfter(events[i & 1023])],
];

function nsPerCall(f: (i: number) => boolean): number {
  let ok = 0;
  const start = performance.now();
  for (let i = 0; i < N; i++) if (f(i)) ok++;
  const ns = ((performance.now() - start) * 1e6) / N;
  if (ok !== N) throw new Error(`${N - ok} of ${N} calls answered false`);
  return ns;
}

for (const [, f] of cases) nsPerCall(f); // warm-up
const samples = cases.map((): number[] => []);
for (let r = 0; r < RUNS; r++) cases.forEach(([, f], i) => samples[i]!.push(nsPerCall(f)));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(`format checks, ${N} calls x ${RUNS} runs, median ns/call (node ${process.version})`);
cases.forEach(([name], i) => {
  const xs = samples[i]!;
  console.log(`  ${name.padEnd(30)} ${median(xs).toFixed(1).padStart(7)} ns  (min ${Math.min(...xs).toFixed(1)}, max ${Math.max(...xs).toFixed(1)})`);
});
