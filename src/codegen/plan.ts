/**
 * Planning: a system's IR to the files of `generated/<system>/`, in memory. Each output
 * is one template; outputs are listed here in a fixed order.
 */
import { clientTemplate } from '../../templates/client.js';
import { indexTemplate } from '../../templates/index.js';
import { schemaFiles, schemaTemplate } from '../../templates/schemas.js';
import { typesTemplate } from '../../templates/types.js';
import { validatorsDtsTemplate, validatorsJsTemplate } from '../../templates/validators.js';
import type { SystemModel } from '../contract/ir.js';
import { createTemplateContext, type TemplateContext } from './context.js';
import { createGeneratedFile, type GeneratedFile, type Preamble } from './printer.js';
import type { CompilePool } from './validators.js';

export type Template = (f: GeneratedFile, ctx: TemplateContext) => void;

export interface PlannedFile {
  /** Path relative to the output folder, `/`-separated: `<system>/types.ts`. */
  path: string;
  contents: string;
}

export interface PlanOptions {
  /** Module specifier of the runtime, as generated code imports it. */
  runtimeImport: string;
  generator: { name: string; version: string };
  /** Source documents of the system relative to the repository root, root document first. */
  sources: string[];
  /** Worker that compiles the all-errors validators in parallel (see createCompilePool). */
  pool?: CompilePool;
}

/** The outputs of one system, in a fixed order. */
export function outputs(ctx: TemplateContext): Array<[string, Template]> {
  return [
    ['types.ts', typesTemplate],
    ['validators.js', validatorsJsTemplate],
    ['validators.d.ts', validatorsDtsTemplate],
    ['client.ts', clientTemplate],
    ['index.ts', indexTemplate],
    ...schemaFiles(ctx).map((s): [string, Template] => [s.path, schemaTemplate(s)]),
  ];
}

/** A system id as a folder name: safe characters only, never `..` or a path. */
export function systemFolder(id: string): string {
  const name = id.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_');
  return name === '' ? '_' : name;
}

export async function planSystem(system: SystemModel, options: PlanOptions): Promise<PlannedFile[]> {
  const preamble: Preamble = { generator: options.generator.name, version: options.generator.version, sources: options.sources };
  const ctx = createTemplateContext(system, { preamble, runtimeImport: options.runtimeImport });
  await ctx.precompile(options.pool);
  const folder = systemFolder(system.id);
  return outputs(ctx).map(([path, template]) => {
    const f = createGeneratedFile(path, preamble);
    template(f, ctx);
    return { path: `${folder}/${path}`, contents: f.toString() };
  });
}
