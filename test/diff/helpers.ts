import { createAjv, prepareSchema } from '../../src/contract/ajv.js';
import type { JsonSchema } from '../../src/contract/ir.js';
import { schemaTo2020 } from '../../src/contract/drafts.js';
import { diffVersions, loadVersion, type DiffReport, type Finding, type Mode } from '../../src/diff/index.js';
import { contractDir } from '../helpers/contract-dir.js';

export type Doc = Record<string, any>;

/**
 * A one-channel contract (JSON is YAML): channel `c` carries message `M` with `payload`,
 * sent and received by this system unless `operations` says otherwise.
 */
export function makeDoc(payload: JsonSchema, extra: { message?: Doc; channel?: Doc; operations?: Doc } = {}): Doc {
  return {
    asyncapi: '3.0.0',
    info: { title: 'T', version: '1.0.0' },
    channels: {
      c: { address: 'c.topic', messages: { M: { $ref: '#/components/messages/M' } }, ...(extra.channel ?? {}) },
    },
    operations: extra.operations ?? {
      sendM: { action: 'send', channel: { $ref: '#/channels/c' } },
      receiveM: { action: 'receive', channel: { $ref: '#/channels/c' } },
    },
    components: { messages: { M: { payload, ...(extra.message ?? {}) } } },
  };
}

export async function diffDocs(oldDoc: Doc | Doc[], newDoc: Doc | Doc[], mode: Mode = 'FULL'): Promise<DiffReport> {
  const load = async (d: Doc | Doc[]) => {
    const files = Object.fromEntries((Array.isArray(d) ? d : [d]).map((doc, i) => [`sys${i === 0 ? '' : i}.json`, JSON.stringify(doc, null, 2)]));
    return loadVersion(contractDir(files), { specValidation: false });
  };
  const a = await load(oldDoc);
  const b = await load(newDoc);
  return diffVersions([a, b], mode);
}

/**
 * A reference-suite case's schema as the payload of `makeDoc`'s one message (sent and
 * received): its own `definitions` / `$defs` move to components/schemas, and refs follow.
 */
export function wrapPayload(schema: JsonSchema): Doc {
  const { definitions, $defs, ...payload } = schema as JsonSchema & { definitions?: JsonSchema; $defs?: JsonSchema };
  const schemas = { ...(definitions ?? {}), ...($defs ?? {}) };
  const text = JSON.stringify(payload).replace(/"#\/(?:definitions|\$defs)\//g, '"#/components/schemas/');
  const doc = makeDoc(JSON.parse(text) as JsonSchema);
  if (Object.keys(schemas).length > 0) doc.components.schemas = schemas;
  return doc;
}

export type SuiteAnswer = 'compatible' | 'incompatible' | 'undecided';

/**
 * The BACKWARD answer of the real `evc diff` for a payload change, wire findings only (the
 * `sdk-*` source findings are another axis): incompatible when some finding is breaking,
 * undecided when some is a warning, else compatible; `rules` lists the non-safe findings.
 */
export async function backwardAnswer(oldSchema: JsonSchema, newSchema: JsonSchema): Promise<{ answer: SuiteAnswer; rules: string[]; report: DiffReport }> {
  const report = await diffDocs(wrapPayload(oldSchema), wrapPayload(newSchema), 'BACKWARD');
  const wire = report.findings.filter((f) => f.category === 'wire');
  const rules = wire.filter((f) => f.verdict !== 'safe').map((f) => `${f.rule}(${f.verdict})`);
  if (wire.some((f) => f.verdict === 'breaking')) return { answer: 'incompatible', rules, report };
  if (wire.some((f) => f.verdict === 'warning')) return { answer: 'undecided', rules, report };
  return { answer: 'compatible', rules, report };
}

/** [rule, pointer, backward, forward] of each finding, for exact comparisons. */
export function brief(findings: Finding[]): [string, string, string, string][] {
  return findings.map((f) => [f.rule, f.pointer ?? f.subject, f.backward, f.forward]);
}

const ajv = createAjv({ allErrors: true });
// Draft-07 tuples are judged as 2020-12 prefixItems, as evc diff does (src/contract/drafts.ts).
(ajv.opts as { strictTuples?: boolean }).strictTuples = false;
export function validOn(schema: JsonSchema, value: unknown): boolean {
  return ajv.validate(prepareSchema(schemaTo2020(schema)) as object, value) as boolean;
}
