#!/usr/bin/env node
/**
 * Build test/fixtures/diff/asyncapi-standard.yaml: one case per pointer pattern and action
 * of @asyncapi/diff's standard classification (a JSON table `{ pattern: { add, remove, edit } }`
 * named on the command line, e.g. extracted from github:asyncapi/diff src/standard.ts), each
 * made concrete by the hand-written templates (test/fixtures/diff/asyncapi-standard-templates.yaml):
 * the edits that turn the base contract into the old and the new side, the standard's verdict,
 * and the findings evc is expected to give. Fetches nothing.
 *
 *   node scripts/asyncapi-standard-cases.mjs /path/to/v3.json [--out test/fixtures/diff/asyncapi-standard.yaml]
 *
 * Fails when the table has a pattern the templates do not cover, or the templates one the
 * table does not have.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const tablePath = args.find((a) => !a.startsWith('--'));
const outIndex = args.indexOf('--out');
const out = outIndex >= 0 ? args[outIndex + 1] : join(root, 'test/fixtures/diff/asyncapi-standard.yaml');
if (!tablePath) {
  process.stderr.write('usage: node scripts/asyncapi-standard-cases.mjs <standard.json> [--out <file>]\n');
  process.exit(2);
}
const table = JSON.parse(readFileSync(tablePath, 'utf8'));
const templates = parse(readFileSync(join(root, 'test/fixtures/diff/asyncapi-standard-templates.yaml'), 'utf8'));
const ACTIONS = ['add', 'remove', 'edit'];
const VERDICTS = new Set(['breaking', 'non-breaking', 'unclassified']);

const MACROS = {
  '{MT}': '/channels/orders/messages/OrderPlaced/traits/0',
  '{M}': '/channels/orders/messages/OrderPlaced',
  '{C}': '/channels/orders',
  '{S}': '/servers/prod',
  '{OT}': '/operations/sendOrder/traits/0',
  '{O}': '/operations/sendOrder',
  '{R}': '/operations/receiveOrder',
  '{Q}': '/operations/requestQuote',
};
const expand = (p) => Object.entries(MACROS).reduce((s, [k, v]) => s.split(k).join(v), p);
const expandOps = (ops = []) => ops.map(([op, path, ...rest]) => [op, expand(path), ...rest]);

function get(doc, pointer) {
  let node = doc;
  for (const seg of pointer.split('/').slice(1)) {
    const key = seg.replace(/~1/g, '/').replace(/~0/g, '~');
    if (node === null || typeof node !== 'object' || !(key in node)) return undefined;
    node = node[key];
  }
  return node;
}

const problems = [];
const cases = [];
const patterns = templates.patterns ?? {};
for (const p of Object.keys(patterns)) if (!(p in table)) problems.push(`templates: pattern ${p} is not in ${tablePath}`);

for (const [pattern, verdicts] of Object.entries(table)) {
  const t = patterns[pattern];
  if (!t) {
    problems.push(`${pattern}: no template`);
    continue;
  }
  for (const action of ACTIONS) {
    const standard = verdicts[action];
    if (!VERDICTS.has(standard)) problems.push(`${pattern} ${action}: unknown verdict ${standard}`);
    const a = t[action] ?? {};
    const id = `${pattern} ${action}`;
    const none =
      a.none ??
      (typeof t.none === 'string' ? t.none : undefined) ??
      (t.required && action !== 'edit' ? t.required : undefined) ??
      (t.container && action === 'edit'
        ? "an edit inside it is an edit of one of its members, a change @asyncapi/diff reports at the member's own path and classifies under the member's pattern"
        : undefined);
    if (none) {
      cases.push({ id, pattern, action, standard, none });
      continue;
    }
    if (standard === 'unclassified' && !a.old && !a.new && t.at === undefined) {
      cases.push({ id, pattern, action, standard, none: 'unclassified by the standard; no case written' });
      continue;
    }
    const at = t.at !== undefined ? expand(t.at) : undefined;
    const both = expandOps([...(t.both ?? []), ...(a.both ?? [])]);
    let oldOps = a.old ? expandOps(a.old) : undefined;
    let newOps = a.new ? expandOps(a.new) : undefined;
    if (!oldOps || !newOps) {
      if (at === undefined) {
        problems.push(`${id}: no 'at' and no old/new ops`);
        continue;
      }
      const value = a.value ?? t.value ?? get(templates.base, at);
      if (value === undefined) problems.push(`${id}: no value for ${at}`);
      const other = a.other ?? t.other;
      if (action === 'add') [oldOps, newOps] = [[['del', at]], [['set', at, value]]];
      else if (action === 'remove') [oldOps, newOps] = [[['set', at, value]], [['del', at]]];
      else {
        if (other === undefined) problems.push(`${id}: no 'other' value for the edit`);
        [oldOps, newOps] = [[['set', at, value]], [['set', at, other]]];
      }
    }
    const evc = a.evc ?? t.evc;
    if (!Array.isArray(evc)) problems.push(`${id}: no expected evc findings`);
    cases.push({ id, pattern, action, standard, old: [...both, ...oldOps], new: [...both, ...newOps], evc });
    for (const v of a.variants ?? []) {
      const vb = expandOps([...both, ...(v.both ?? [])]);
      if (!Array.isArray(v.evc) || !v.label) problems.push(`${id}: a variant needs a label and evc findings`);
      cases.push({ id: `${id} (${v.label})`, pattern, action, standard, old: [...vb, ...expandOps(v.old)], new: [...vb, ...expandOps(v.new)], evc: v.evc });
    }
  }
}
if (problems.length > 0) {
  process.stderr.write(`${problems.join('\n')}\n`);
  process.exit(1);
}

const header = `# Generated by scripts/asyncapi-standard-cases.mjs from @asyncapi/diff's standard classification
# (${Object.keys(table).length} pointer patterns, github:asyncapi/diff src/standard.ts) and
# test/fixtures/diff/asyncapi-standard-templates.yaml. Do not edit: edit the templates and rerun.
# Each case: the pattern and action, the standard's verdict, the edits that turn \`base\` into the
# old and the new contract ([set, pointer, value] / [del, pointer]), and evc's expected findings
# ([rule, backward, forward]); or \`none\`: why evc cannot express it.
`;
writeFileSync(out, header + stringify({ base: templates.base, cases }, { lineWidth: 0, flowCollectionPadding: false, collectionStyle: 'block' }));
const count = (f) => cases.filter(f).length;
process.stdout.write(
  `${out}: ${cases.length} cases (${count((c) => !c.none)} with contracts, ${count((c) => c.none)} not expressible) from ${Object.keys(table).length} patterns\n`,
);
