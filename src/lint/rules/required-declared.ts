import type { LintRule } from '../rule.js';
import { declaredProperties, walkSchema } from './schema-walk.js';

/** A required name that is not declared is almost always a typo, and no generated type can carry it. */
export const requiredDeclared: LintRule = {
  id: 'required-declared',
  severity: 'error',
  description: '`required` names only declared properties',
  check(system, report) {
    for (const m of system.messages) {
      for (const [root, label] of [
        [m.payload, 'payload'],
        [m.headers, 'headers'],
      ] as const) {
        if (!root) continue;
        walkSchema(root, ({ schema, path, composedWith }) => {
          if (!Array.isArray(schema.required)) return;
          const declared = declaredProperties(schema);
          for (const other of composedWith) for (const p of declaredProperties(other)) declared.add(p);
          const missing = schema.required.filter((r) => typeof r === 'string' && !declared.has(r));
          if (missing.length === 0) return;
          report(
            `${label} /${path.join('/')} of message "${m.id}" requires ${missing.map((r) => `"${String(r)}"`).join(', ')}, not declared in properties (declared: ${[...declared].join(', ') || 'none'})`,
            system.locateNode(schema) ?? m.location,
          );
        });
      }
    }
  },
};
