/**
 * validators.js and validators.d.ts of a system: one precompiled ajv validator per
 * message payload (and headers), in two modes: first error (`validateX`, what the
 * runtime runs on every publish and delivery) and all errors (`validateXAll`, for tools
 * and for the runtime's error report after a failure).
 */
import type { TemplateContext } from '../src/codegen/context.js';
import type { GeneratedFile } from '../src/codegen/printer.js';

interface Exported {
  name: string;
  /** Key on the per-mode `exports` object. */
  key: string;
  mode: 'firstError' | 'allErrors';
  doc: string;
  deprecated: boolean;
}

function exported(ctx: TemplateContext): Exported[] {
  const out: Exported[] = [];
  for (const m of ctx.messages) {
    const id = m.model.id;
    const deprecated = m.model.deprecated;
    out.push({ name: m.validate, key: m.validate, mode: 'firstError', doc: `Validates the payload of message ${id} (\`${m.payloadType}\`); stops at the first error.`, deprecated });
    out.push({ name: m.validateAll, key: m.validate, mode: 'allErrors', doc: `Validates the payload of message ${id} (\`${m.payloadType}\`), reporting every error.`, deprecated });
    if (m.validateHeaders && m.validateHeadersAll) {
      out.push({ name: m.validateHeaders, key: m.validateHeaders, mode: 'firstError', doc: `Validates the headers of message ${id}; stops at the first error.`, deprecated });
      out.push({ name: m.validateHeadersAll, key: m.validateHeaders, mode: 'allErrors', doc: `Validates the headers of message ${id}, reporting every error.`, deprecated });
    }
  }
  return out;
}

export function validatorsJsTemplate(f: GeneratedFile, ctx: TemplateContext): void {
  const compiled = ctx.validators();
  const cjs = compiled.imports.filter((i) => !i.namespace);
  // Local names `evcFormats` / `ajvRuntime_*` cannot clash with the file's own names
  // (`firstError`, `allErrors`, `validate…`), so the printer keeps them as ajv's code uses them.
  for (const i of compiled.imports) {
    if (i.namespace) f.import(i.local, i.from, { namespace: true });
    else f.import(`${i.local}$cjs`, i.from, { default: true });
  }
  f.declare('firstError', 'allErrors', ...cjs.map((i) => i.local), ...exported(ctx).map((e) => e.name));
  // ajv's code reads `require(x).default`. Node hands a CommonJS module's whole
  // `module.exports` to a default import; bundlers and vitest hand over its `default`
  // (a function, for ajv's runtime helpers). Accept both.
  for (const i of cjs) f.print(`const ${i.local} = typeof ${i.local}$cjs === "function" ? { default: ${i.local}$cjs } : ${i.local}$cjs;`);
  if (cjs.length > 0) f.print();
  // ajv's code is printed as ajv wrote it: ajv escapes every schema value it embeds.
  for (const mode of ['firstError', 'allErrors'] as const) {
    f.print(`const ${mode} = {};`);
    f.print('(function (exports) {');
    const code = mode === 'firstError' ? compiled.firstError : compiled.allErrors;
    f.print(code);
    f.print(`})(${mode});`);
    f.print();
  }
  for (const e of exported(ctx)) {
    f.jsdoc(e.doc, { deprecated: e.deprecated });
    f.print(`export const ${e.name} = ${e.mode}.${e.key};`);
  }
}

export function validatorsDtsTemplate(f: GeneratedFile, ctx: TemplateContext): void {
  const ValidateFunction = f.import('ValidateFunction', ctx.runtimeImport, { type: true });
  f.declare(...exported(ctx).map((e) => e.name));
  for (const e of exported(ctx)) {
    f.jsdoc(e.doc, { deprecated: e.deprecated });
    f.print(`export declare const ${e.name}: `, ValidateFunction, ';');
  }
}
