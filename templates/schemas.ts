/**
 * schemas/<MessageId>.json (and <MessageId>.headers.json): the payload and header
 * schemas as plain JSON Schema draft 2020-12 for other tools: no `$id`, no `x-*` keys,
 * recursion as `$defs`/`$ref`. JSON has no comments, so the preamble is the `$comment`.
 */
import type { MessagePlan, TemplateContext } from '../src/codegen/context.js';
import { jsonText, preambleLines, type GeneratedFile } from '../src/codegen/printer.js';
import { plainSchema } from '../src/codegen/schema-json.js';
import type { JsonSchema } from '../src/contract/ir.js';

export interface SchemaFile {
  path: string;
  message: MessagePlan;
  part: 'payload' | 'headers';
}

/** The schema files of a system. */
export function schemaFiles(ctx: TemplateContext): SchemaFile[] {
  const out: SchemaFile[] = [];
  for (const m of ctx.messages) {
    out.push({ path: `schemas/${m.schemaFile}`, message: m, part: 'payload' });
    if (m.headersSchemaFile) out.push({ path: `schemas/${m.headersSchemaFile}`, message: m, part: 'headers' });
  }
  return out;
}

export function schemaTemplate(file: SchemaFile): (f: GeneratedFile, ctx: TemplateContext) => void {
  return (f, ctx) => {
    const model = file.message.model;
    const source = file.part === 'payload' ? model.payload : (model.headers as JsonSchema);
    const { $schema: _ignored, $id: _id, ...schema } = plainSchema(source);
    const doc = {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      $comment: preambleLines(ctx.preamble, 'json').join(' '),
      ...schema,
    };
    f.print(jsonText(doc));
  };
}
