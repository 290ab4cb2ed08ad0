/** `evc lint`: the parser's diagnostics plus our rules over the IR. */
import type { Diagnostic, SystemModel } from '../contract/ir.js';
import { runRule, type LintRule } from './rule.js';
import { addressParameters } from './rules/address-parameters.js';
import { additionalPropertiesExplicit } from './rules/additional-properties.js';
import { declaredFlows } from './rules/declared-flows.js';
import { derivedName } from './rules/derived-name.js';
import { envelopeType } from './rules/envelope-type.js';
import { examplesValid } from './rules/examples-valid.js';
import { formatUnknown } from './rules/format-unknown.js';
import { kafkaReceiveGroup } from './rules/kafka-group.js';
import { operationMessagesInChannel } from './rules/operation-messages.js';
import { payloadTypeName } from './rules/payload-type-name.js';
import { requiredDeclared } from './rules/required-declared.js';
import { schemaUnknownKeyword } from './rules/schema-unknown-keyword.js';
import { unusedMessage } from './rules/unused-message.js';

export type { LintRule } from './rule.js';

export const rules: readonly LintRule[] = [
  examplesValid,
  operationMessagesInChannel,
  payloadTypeName,
  requiredDeclared,
  additionalPropertiesExplicit,
  kafkaReceiveGroup,
  addressParameters,
  envelopeType,
  unusedMessage,
  declaredFlows,
  formatUnknown,
  schemaUnknownKeyword,
  derivedName,
];

export function lintSystem(system: SystemModel, only?: readonly string[]): Diagnostic[] {
  return rules.filter((r) => !only || only.includes(r.id)).flatMap((r) => runRule(r, system));
}

/**
 * The rules as `evc generate` runs them. Every rule here asks more than the AsyncAPI
 * specification does (stable type names, closed objects, valid examples, declared
 * consumer groups...): right for event-contracts' own contracts, and errors in `evc lint`,
 * but never a reason to refuse generating code for a valid document from elsewhere. So in
 * generate an error is reported as a warning; with `strict`, every rule keeps the
 * severity `evc lint` gives it. Infos (derived names) are left to `evc lint`.
 */
export function lintForGenerate(system: SystemModel, options: { strict?: boolean } = {}): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const d of lintSystem(system)) {
    if (d.severity === 'info') continue;
    out.push(!options.strict && d.severity === 'error' ? { ...d, severity: 'warning' } : d);
  }
  return out;
}
