import { encodePointerSegment } from '../../contract/json-pointer.js';
import type { JsonSchema } from '../../contract/ir.js';
import { SCHEMA_KEYWORDS } from '../../contract/schema-keywords.js';
import type { LintRule } from '../rule.js';
import { walkSchema } from './schema-walk.js';

/**
 * A key JSON Schema does not define, in a schema (often a property written one level too
 * high, beside `properties` instead of in it): JSON Schema treats it as an annotation, so
 * nothing checks it. Generated validators and `evc validate` drop it, as they drop an
 * unknown format; a warning tells the author. `x-*` extensions are AsyncAPI's own: silent.
 */
export const schemaUnknownKeyword: LintRule = {
  id: 'schema-unknown-keyword',
  severity: 'warning',
  description:
    'every key of a schema is a JSON Schema (draft-07, 2020-12) or AsyncAPI keyword, or an `x-` extension (anything else is an annotation: nothing checks it)',
  check(system, report) {
    const seen = new Set<object>();
    const visit = (root: JsonSchema | undefined, where: (place: string) => string, fallback: () => ReturnType<typeof system.locate>) => {
      if (!root) return;
      walkSchema(root, ({ schema, path }) => {
        if (seen.has(schema)) return;
        seen.add(schema);
        for (const key of Object.keys(schema)) {
          if (key.startsWith('x-') || SCHEMA_KEYWORDS.has(key)) continue;
          const node = system.locateNode(schema);
          const place = path.length > 0 ? `/${path.map(encodePointerSegment).join('/')}` : '/';
          report(
            `${where(place)} has "${key}", which is not a JSON Schema keyword: it is an annotation and nothing checks it (a property belongs under \`properties\`; an extension is spelled \`x-${key}\`)`,
            node ? system.locate(node.file, `${node.pointer}/${encodePointerSegment(key)}`) : fallback(),
          );
        }
      });
    };
    for (const m of system.messages) {
      visit(
        m.payload,
        (p) => `payload ${p} of message "${m.id}"`,
        () => m.location,
      );
      visit(
        m.headers,
        (p) => `headers ${p} of message "${m.id}"`,
        () => m.location,
      );
      visit(
        m.kafkaKey,
        (p) => `Kafka key ${p} of message "${m.id}"`,
        () => m.location,
      );
    }
    for (const [name, schema] of Object.entries(system.recursiveSchemas)) {
      visit(
        schema,
        (p) => `recursive schema ${name} ${p}`,
        () => system.locate(system.file, `/components/schemas/${name}`),
      );
    }
  },
};
