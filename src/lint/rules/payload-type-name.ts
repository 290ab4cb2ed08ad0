import type { LintRule } from '../rule.js';

/** Generated type names must not change when a message moves or a file is reorganised. */
export const payloadTypeName: LintRule = {
  id: 'payload-type-name',
  severity: 'error',
  description: 'every payload has a stable type name: a title, or a named component schema',
  check(system, report) {
    for (const m of system.messages) {
      if (Object.keys(m.payload).length === 0) {
        report(`message "${m.id}" has no payload schema`, m.location);
      } else if (!m.payloadNameIsStable) {
        report(
          `payload of message "${m.id}" has no stable type name: give it a \`title\` or move it to components/schemas (generated code would call it ${m.payloadTypeName})`,
          system.locate(m.location.file, `${m.location.pointer}/payload`),
        );
      }
    }
  },
};
