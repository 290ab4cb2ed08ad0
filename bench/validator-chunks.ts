/**
 * CPU of compiling validators by chunk size (src/codegen/validators.ts, VALIDATOR_CHUNK):
 * the payloads of the synthetic contract (bench/generate-synthetic.ts, 10 properties each)
 * compiled in both modes, split into chunks of each size given, one ajv instance per chunk
 * as `evc generate` does. Sizes alternate within each round (order reversed every other
 * round) in one process, so machine drift hits them alike; the first round warms up.
 *
 *   node --import tsx bench/validator-chunks.ts [--payloads 100] [--rounds 9] [--sizes 100,50,25,10]
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { compileJob, type ValidatorEntry } from '../src/codegen/validators.js';
import { plainSchema } from '../src/codegen/schema-json.js';
import { fastParse } from '../src/contract/yaml-fast.js';
import { syntheticContract } from './generate-synthetic.js';

const { values } = parseArgs({
  options: {
    payloads: { type: 'string', default: '100' },
    rounds: { type: 'string', default: '9' },
    sizes: { type: 'string', default: '100,50,25,10' },
  },
});
const sizes = values.sizes.split(',').map(Number);
const rounds = Number(values.rounds);
const doc = fastParse(syntheticContract(Number(values.payloads), 10), 64)?.data as { components: { messages: Record<string, { payload: object }> } };
const entries: ValidatorEntry[] = Object.entries(doc.components.messages).map(([id, m]) => ({
  name: `validate${id}`,
  // Plain, as jobsOf makes the entries of the jobs it posts.
  schema: plainSchema(m.payload as ValidatorEntry['schema'], { dropAnnotations: true }),
  what: `payload of message ${id}`,
}));

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const results = new Map<number, number[]>(sizes.map((s) => [s, []]));
for (let round = 0; round <= rounds; round++) {
  for (const size of round % 2 === 0 ? sizes : [...sizes].reverse()) {
    const started = cpuMs();
    for (const allErrors of [true, false]) for (let i = 0; i < entries.length; i += size) compileJob({ entries: entries.slice(i, i + size), allErrors });
    if (round > 0) results.get(size)!.push(cpuMs() - started);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
const base = median(results.get(sizes[0]!)!);
console.log(
  `\nCompiling ${entries.length} synthetic payloads in both modes, by chunk size: CPU ms, median of ${rounds} rounds (sizes alternating); node ${process.version}, ${os.cpus()[0]?.model ?? ''}, load average ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}\n`,
);
console.log(`| entries per chunk (one ajv instance each) | CPU ms | vs chunks of ${sizes[0]} | each round |`);
console.log('|---:|---:|---:|---|');
for (const [size, xs] of results) {
  const m = median(xs);
  console.log(`| ${size} | ${m.toFixed(0)} | ${(m / base).toFixed(2)}× | ${xs.map((x) => x.toFixed(0)).join(' / ')} |`);
}
