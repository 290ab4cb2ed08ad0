/** `evc lint`: the parser's diagnostics plus our rules over the IR. */
import type { Diagnostic, SystemModel } from '../contract/ir.js';
import { runRule, type LintRule } from './rule.js';
import { addressParameters } from './rules/address-parameters.js';
import { additionalPropertiesExplicit } from './rules/additional-properties.js';
import { declaredFlows } from './rules/declared-flows.js';
import { envelopeType } from './rules/envelope-type.js';
import { examplesValid } from './rules/examples-valid.js';
import { kafkaReceiveGroup } from './rules/kafka-group.js';
import { operationMessagesInChannel } from './rules/operation-messages.js';
import { payloadTypeName } from './rules/payload-type-name.js';
import { requiredDeclared } from './rules/required-declared.js';
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
];

export function lintSystem(system: SystemModel, only?: readonly string[]): Diagnostic[] {
  return rules.filter((r) => !only || only.includes(r.id)).flatMap((r) => runRule(r, system));
}
