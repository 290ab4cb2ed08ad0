import type { LintRule } from '../rule.js';
import { isObjectSchema, walkSchema } from './schema-walk.js';

/** Open or closed decides compatibility (and what `evc diff` calls breaking): it must be a choice, not a default. */
export const additionalPropertiesExplicit: LintRule = {
  id: 'additional-properties-explicit',
  severity: 'error',
  description: 'object payloads say whether extra properties are allowed (additionalProperties or unevaluatedProperties)',
  check(system, report) {
    for (const m of system.messages) {
      for (const [root, label] of [
        [m.payload, 'payload'],
        [m.headers, 'headers'],
      ] as const) {
        if (!root) continue;
        walkSchema(root, ({ schema, path, composedWith }) => {
          // allOf branches are judged together with the schema that composes them.
          if (composedWith.length > 0) return;
          if (!isObjectSchema(schema) || !schema.properties) return;
          if ('additionalProperties' in schema || 'unevaluatedProperties' in schema) return;
          report(
            `${label} /${path.join('/')} of message "${m.id}" does not say whether extra properties are allowed: add \`additionalProperties: false\` (closed) or \`true\` (open)`,
            system.locateNode(schema) ?? m.location,
          );
        });
      }
    }
  },
};
