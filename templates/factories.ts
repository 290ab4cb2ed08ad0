/**
 * Message factories for users' unit tests: `make<Message>(overrides?)` returns a valid,
 * fully typed event: the message's first example, else the minimal value the schema
 * sampler makes (src/verify/sample.ts, the one `evc mock` uses; required properties,
 * defaults, first enum values), chosen here at generate time so the generated file holds
 * literal values (a sampled value checked by the generated validator), deep-merged with the overrides (objects merged, arrays and other values
 * replaced). `factories.ts` by default; `factories.js` + `factories.d.ts` with `--emit js`.
 */
import { createNameRegistry, typeName } from '../src/contract/names.js';
import type { MessagePlan, TemplateContext } from '../src/codegen/context.js';
import type { GeneratedFile } from '../src/codegen/printer.js';

type Form = 'ts' | 'js' | 'dts';

/** factories.ts */
export function factoriesTemplate(f: GeneratedFile, ctx: TemplateContext): void {
  printFactories(f, ctx, 'ts');
}

/** factories.js (with `--emit js`) */
export function factoriesJsTemplate(f: GeneratedFile, ctx: TemplateContext): void {
  printFactories(f, ctx, 'js');
}

/** factories.d.ts (with `--emit js`) */
export function factoriesDtsTemplate(f: GeneratedFile, ctx: TemplateContext): void {
  printFactories(f, ctx, 'dts');
}

interface Factory {
  plan: MessagePlan;
  name: string;
  value: unknown;
  /** Where the value came from, for the JSDoc. */
  origin: string;
}

/**
 * The base value of every message: its first example with a payload (lint checks that
 * examples are valid), else a minimal sampled value that passes the payload schema
 * (checked with the generated first-error validator, see TemplateContext.sampledPayload), else none.
 */
function factories(ctx: TemplateContext): { list: Factory[]; skipped: MessagePlan[]; overrides: string } {
  // Names the SDK's index already exports: a factory must not shadow any of them.
  const exported = [
    ...Object.values(ctx.names),
    ...ctx.messages.flatMap((m) => [m.payloadType, m.inputType, m.validate, m.validateAll, m.headersType, m.validateHeaders, m.validateHeadersAll]),
    ...ctx.channels.flatMap((c) => [c.unionType, c.parametersType]),
    ...ctx.types.declarations.map((d) => d.name),
  ].filter((n): n is string => typeof n === 'string');
  const allocate = createNameRegistry(exported);
  const overrides = allocate('FactoryOverrides');
  const list: Factory[] = [];
  const skipped: MessagePlan[] = [];
  for (const plan of ctx.messages) {
    const m = plan.model;
    const name = allocate(`make${typeName(m.id)}`);
    const example = m.examples.find((e) => e.payload !== undefined);
    if (example) {
      list.push({ plan, name, value: example.payload, origin: example.name ? `the contract's example "${example.name}"` : "the contract's first example" });
      continue;
    }
    const value = ctx.sampledPayload(plan.validate);
    if (value === undefined) skipped.push(plan);
    else list.push({ plan, name, value, origin: 'minimal values of its schema (the message has no example)' });
  }
  return { list, skipped, overrides };
}

function printFactories(f: GeneratedFile, ctx: TemplateContext, form: Form): void {
  const t = (name: string) => f.import(name, './types.js', { type: true });
  const { list, skipped, overrides } = factories(ctx);
  f.declare(overrides, ...list.map((x) => x.name));
  if (form === 'js') f.pragma('@ts-nocheck');

  f.jsdoc('Overrides for a factory: any part of the event; nested objects are merged, arrays and other values replace.');
  if (form !== 'js')
    f.print(`export type ${overrides}<T> = T extends readonly unknown[] ? T : T extends object ? { [K in keyof T]?: ${overrides}<T[K]> } : T;`);
  f.print();

  // The merge lives in the runtime: one copy for every generated SDK.
  const merge = form === 'dts' ? '' : f.import('mergeOverrides', ctx.runtimeImport);

  for (const x of list) {
    const m = x.plan.model;
    // No `import type` in a .js file: the JavaScript form names no type.
    const type = form === 'js' ? '' : t(x.plan.payloadType);
    f.jsdoc(`A valid ${m.id} event for tests: ${x.origin}, deep-merged with \`overrides\`. Each call returns a new object.`, {
      deprecated: m.deprecated,
      tags: [`example\nconst event = ${x.name}({});`],
    });
    if (form === 'dts') f.print(`export declare function ${x.name}(overrides?: ${overrides}<`, type, '>): ', type, ';');
    else if (form === 'ts') {
      f.print(`export function ${x.name}(overrides?: ${overrides}<`, type, '>): ', type, ' {');
      f.print('  return ', merge, `(${f.literal(x.value)}, overrides) as `, type, ';');
      f.print('}');
    } else {
      f.print(`export function ${x.name}(overrides) {`);
      f.print('  return ', merge, `(${f.literal(x.value)}, overrides);`);
      f.print('}');
    }
    f.print();
  }
  for (const p of skipped)
    f.print(
      `// No factory for ${f.string(p.model.id).slice(1, -1).replace(/\*\//g, '*\\/')}: it has no example and no valid value could be made from its schema.`,
    );
}
