import { fullFormats } from '@event-contracts/runtime/formats';
import type { JsonSchema } from '../../contract/ir.js';
import type { LintRule } from '../rule.js';
import { walkSchema } from './schema-walk.js';

/**
 * JSON Schema treats a `format` it does not know as an annotation: validators accept any
 * string there. Worth a warning (a typo such as `date_time` checks nothing), never a
 * refusal: generated validators and `evc validate` ignore the keyword, as the spec says.
 */
export const formatUnknown: LintRule = {
  id: 'format-unknown',
  severity: 'warning',
  description: 'every `format` is one the validators check (an unknown format is an annotation: nothing is checked)',
  check(system, report) {
    const seen = new Set<object>();
    const visit = (root: JsonSchema | undefined, fallback: () => ReturnType<typeof system.locate>) => {
      if (!root) return;
      walkSchema(root, ({ schema }) => {
        const format = schema.format;
        if (typeof format !== 'string' || Object.hasOwn(fullFormats, format) || seen.has(schema)) return;
        seen.add(schema);
        report(
          `format "${format}" is not one the validators know: it is an annotation, and values are not checked against it (known: the JSON Schema 2020-12 formats and ${FORMAT_EXTRAS})`,
          system.locateNode(schema) ?? fallback(),
        );
      });
    };
    for (const m of system.messages) {
      visit(m.payload, () => m.location);
      visit(m.headers, () => m.location);
    }
    for (const [name, schema] of Object.entries(system.recursiveSchemas)) visit(schema, () => system.locate(system.file, `/components/schemas/${name}`));
  },
};

const FORMAT_EXTRAS = 'int32, int64, float, double, byte, binary, password';
