import { derivedNamesOf } from '../../contract/derived-names.js';
import type { LintRule } from '../rule.js';

/**
 * Names the contract does not give (an AsyncAPI 2.x operation without operationId, a
 * message without messageId): the loader derives them from the channel, action, message
 * name or operation, and they become method and type names in generated code. Listed so
 * a user sees them, and can pin them in the contract before code depends on them.
 */
export const derivedName: LintRule = {
  id: 'derived-name',
  severity: 'info',
  description: 'names the contract does not give (ids of 2.x operations and messages) and how they were derived',
  check(system, report) {
    for (const d of derivedNamesOf(system)) {
      const pin = d.kind === 'operation' ? 'operationId' : d.kind === 'message' ? 'messageId' : 'x-channelId';
      report(`${d.kind} id "${d.name}" is derived ${d.from}; set \`${pin}\` to choose it`, system.locate(d.file, d.pointer));
    }
  },
};
