import type { ValidateFunction } from 'ajv';
import { createAjv, prepareSchema } from '../../contract/ajv.js';
import type { JsonSchema } from '../../contract/ir.js';
import type { LintRule } from '../rule.js';
import { walkSchema } from './schema-walk.js';

/** Examples and defaults must validate against their schemas: docs and fixtures are built from them. */
export const examplesValid: LintRule = {
  id: 'example-valid',
  severity: 'error',
  description: 'message examples (payload and headers) and schema defaults validate against their schemas',
  check(system, report) {
    const ajv = createAjv({ allErrors: true });
    const compiled = new Map<object, ValidateFunction | Error>();
    const compile = (schema: JsonSchema): ValidateFunction | Error => {
      let v = compiled.get(schema);
      if (!v) {
        try {
          v = ajv.compile(prepareSchema(schema) as object);
        } catch (err) {
          v = err as Error;
        }
        compiled.set(schema, v);
      }
      return v;
    };
    for (const message of system.messages) {
      const base = message.location;
      const check = (schema: JsonSchema | undefined, value: unknown, pointer: string, what: string) => {
        if (!schema) {
          report(`${what} is given but message "${message.id}" declares no schema for it`, system.locate(base.file, pointer));
          return;
        }
        const v = compile(schema);
        if (v instanceof Error) {
          report(`schema of message "${message.id}" cannot be compiled: ${v.message}`, base);
          return;
        }
        if (v(value)) return;
        for (const e of v.errors ?? []) {
          const at = pointer + e.instancePath;
          report(
            `${what} of message "${message.id}": ${e.instancePath || '/'} ${e.message ?? 'is invalid'}${paramsText(e.params)}`,
            system.locate(base.file, at),
          );
        }
      };
      message.examples.forEach((ex, i) => {
        const label = `example ${ex.name ? `"${ex.name}"` : i}`;
        if (ex.payload !== undefined) check(message.payload, ex.payload, `${base.pointer}/examples/${i}/payload`, `${label} payload`);
        if (ex.headers !== undefined) check(message.headers, ex.headers, `${base.pointer}/examples/${i}/headers`, `${label} headers`);
      });
      for (const [schema, label] of [
        [message.payload, 'payload'],
        [message.headers, 'headers'],
      ] as const) {
        if (!schema) continue;
        walkSchema(schema, ({ schema: node, path }) => {
          if (!('default' in node)) return;
          const { default: _ignored, ...rest } = node;
          const v = compile(rest);
          if (v instanceof Error || v(node.default)) return;
          const where = system.locateNode(node) ?? base;
          const first = v.errors?.[0];
          report(
            `default of ${label} ${'/' + path.join('/')} in message "${message.id}" does not match its schema: ${first?.instancePath || '/'} ${first?.message ?? 'is invalid'}${paramsText(first?.params)}`,
            where,
          );
        });
      }
    }
  },
};

function paramsText(params: Record<string, unknown> | undefined): string {
  if (!params) return '';
  if ('allowedValues' in params) return ` (${JSON.stringify(params.allowedValues)})`;
  if ('additionalProperty' in params) return ` ("${String(params.additionalProperty)}")`;
  if ('allowedValue' in params) return ` (${JSON.stringify(params.allowedValue)})`;
  return '';
}
