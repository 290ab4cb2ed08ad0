/**
 * The validators of a system: one precompiled ajv validator per message payload (and
 * headers), in two modes: first error (`validateX`, what the runtime runs on every publish
 * and delivery) and all errors (`validateXAll`, for tools and for the runtime's error
 * report after a failure). `validators.ts` by default; `validators.js` + `validators.d.ts`
 * with `--emit js`. Either imports nothing but the runtime.
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
    out.push({
      name: m.validate,
      key: m.validate,
      mode: 'firstError',
      doc: `Validates the payload of message ${id} (\`${m.payloadType}\`); stops at the first error.`,
      deprecated,
    });
    out.push({
      name: m.validateAll,
      key: m.validate,
      mode: 'allErrors',
      doc: `Validates the payload of message ${id} (\`${m.payloadType}\`), reporting every error.`,
      deprecated,
    });
    if (m.validateHeaders && m.validateHeadersAll) {
      out.push({
        name: m.validateHeaders,
        key: m.validateHeaders,
        mode: 'firstError',
        doc: `Validates the headers of message ${id}; stops at the first error.`,
        deprecated,
      });
      out.push({
        name: m.validateHeadersAll,
        key: m.validateHeaders,
        mode: 'allErrors',
        doc: `Validates the headers of message ${id}, reporting every error.`,
        deprecated,
      });
    }
  }
  return out;
}

/** validators.ts: ajv's code, unchecked (`@ts-nocheck`: it is untyped), each validator exported with its declared type. */
export function validatorsTsTemplate(f: GeneratedFile, ctx: TemplateContext): void {
  const ValidateFunction = f.import('ValidateFunction', ctx.runtimeImport, { type: true });
  printAjvCode(f, ctx);
  for (const e of exported(ctx)) {
    f.jsdoc(e.doc, { deprecated: e.deprecated });
    f.print(`export const ${e.name}: `, ValidateFunction, ` = ${e.mode}.${e.key} as `, ValidateFunction, ';');
  }
}

/** validators.js (with `--emit js`); validators.d.ts declares its exports. */
export function validatorsJsTemplate(f: GeneratedFile, ctx: TemplateContext): void {
  printAjvCode(f, ctx);
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

/**
 * The imports and both modes' code, each mode in its own function scope (their generated
 * names overlap) writing its validators on a `firstError` / `allErrors` object.
 */
function printAjvCode(f: GeneratedFile, ctx: TemplateContext): void {
  const compiled = ctx.validators();
  // ajv's code is untyped JavaScript: unchecked in a .ts file under any compiler settings,
  // and in a .js file for projects that check JavaScript (checkJs).
  f.pragma('@ts-nocheck');
  // The helpers keep their names (`ucs2length`, `equal`, `fullFormats`), as ajv's code now
  // reads them: none can clash with the file's own names (`firstError`, `allErrors`, `validate…`).
  for (const i of compiled.imports) f.import(i.name, i.from);
  f.declare('firstError', 'allErrors', ...exported(ctx).map((e) => e.name));
  // ajv's code is printed as ajv wrote it: ajv escapes every schema value it embeds. One
  // function scope per chunk of validators (each compiled by its own ajv instance).
  for (const mode of ['firstError', 'allErrors'] as const) {
    f.print(`const ${mode} = {};`);
    for (const code of compiled[mode]) {
      f.print('(function (exports) {');
      if (typeof code === 'string') f.print(code);
      else f.printSpooled(code);
      f.print(`})(${mode});`);
    }
    f.print();
  }
}
