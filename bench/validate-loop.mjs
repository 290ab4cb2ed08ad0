// The plain loop `evc validate` is measured against (bench/validate.ts runs it as its own
// process, like the CLI): readline over the file, JSON.parse, and the validator `evc
// validate` compiles for the message the type field names (the same ajv, options and
// schema, compiled once), counting the invalid ones. Nothing is explained or printed
// per message. Plain JavaScript importing the compiled tooling, so no loader is timed.
//
//   node bench/validate-loop.mjs <compiled cli dist> <contract> <file.ndjson>
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';

const [dist, contract, file] = process.argv.slice(2);
const t0 = performance.now();
const { loadContracts } = await import(pathToFileURL(`${dist}/src/contract/load.js`).href);
const { createAjv, prepareSchema } = await import(pathToFileURL(`${dist}/src/contract/ajv.js`).href);
const system = (await loadContracts([contract], { specValidation: false })).systems[0];
const ajv = createAjv({ allErrors: true });
const byType = new Map();
for (const m of system.messages) byType.set(m.eventType, ajv.compile(prepareSchema(m.payload)));
const typeField = system.envelope.type.slice(1);
const t1 = performance.now();

let total = 0;
let invalid = 0;
for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Number.POSITIVE_INFINITY })) {
  if (line === '') continue;
  total++;
  const value = JSON.parse(line);
  const validate = byType.get(value[typeField]);
  if (validate === undefined || !validate(value)) invalid++;
}
const t2 = performance.now();
process.stdout.write(`${JSON.stringify({ total, invalid, setupMs: t1 - t0, loopMs: t2 - t1 })}\n`);
