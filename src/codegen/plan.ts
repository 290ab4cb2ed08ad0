/**
 * Planning: a system's IR to the files of `generated/<system>/`, in memory. Each output
 * is one template; outputs are listed here in a fixed order.
 */
import { clientDtsTemplate, clientJsTemplate, clientTemplate } from '../../templates/client.js';
import { factoriesDtsTemplate, factoriesJsTemplate, factoriesTemplate } from '../../templates/factories.js';
import { indexJsTemplate, indexTemplate } from '../../templates/index.js';
import { schemaFiles, schemaTemplate } from '../../templates/schemas.js';
import { typesTemplate } from '../../templates/types.js';
import { validatorsDtsTemplate, validatorsJsTemplate, validatorsTsTemplate } from '../../templates/validators.js';
import type { SystemModel } from '../contract/ir.js';
import { DEFAULT_EMIT, type Emit } from './config.js';
import { createTemplateContext, type TemplateContext } from './context.js';
import { LINES_FROM, linesFile, type PlannedFile } from './output.js';
import { createGeneratedFile, type GeneratedFile, type Preamble } from './printer.js';
import type { Spool } from './spool.js';
import type { CompilePool, ValidatorProgress } from './validators.js';

export type Template = (f: GeneratedFile, ctx: TemplateContext) => void;

export type { PlannedFile } from './output.js';

export interface PlanOptions {
  /** Module specifier of the runtime, as generated code imports it. */
  runtimeImport: string;
  generator: { name: string; version: string };
  /** Source documents of the system relative to the repository root, root document first. */
  sources: string[];
  /** Worker that compiles the all-errors validators in parallel (see createCompilePool). */
  pool?: CompilePool;
  /** TypeScript (default) or JavaScript with declarations. */
  emit?: Emit;
  /** Called as the system's validators compile: at the start, then after each chunk. */
  onValidators?: (progress: ValidatorProgress) => void;
  /**
   * Where the compiled validators' code goes as it is compiled, instead of memory: the
   * planned validators file reads it from there (spool.ts). Without it the code is held.
   */
  spool?: Spool;
}

/**
 * The outputs of one system, in a fixed order: TypeScript, or with `js` JavaScript plus
 * declarations (types are declarations only: types.d.ts has no .js beside it).
 */
export function outputs(ctx: TemplateContext, emit: Emit = DEFAULT_EMIT): Array<[string, Template]> {
  const code: Array<[string, Template]> =
    emit === 'js'
      ? [
          ['types.d.ts', typesTemplate],
          ['validators.js', validatorsJsTemplate],
          ['validators.d.ts', validatorsDtsTemplate],
          ['client.js', clientJsTemplate],
          ['client.d.ts', clientDtsTemplate],
          ['factories.js', factoriesJsTemplate],
          ['factories.d.ts', factoriesDtsTemplate],
          ['index.js', indexJsTemplate],
          ['index.d.ts', indexTemplate],
        ]
      : [
          ['types.ts', typesTemplate],
          ['validators.ts', validatorsTsTemplate],
          ['client.ts', clientTemplate],
          ['factories.ts', factoriesTemplate],
          ['index.ts', indexTemplate],
        ];
  return [...code, ...schemaFiles(ctx).map((s): [string, Template] => [s.path, schemaTemplate(s)])];
}

/** A system id as a folder name: safe characters only, never `..` or a path. */
export function systemFolder(id: string): string {
  const name = id.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_');
  return name === '' ? '_' : name;
}

export async function planSystem(system: SystemModel, options: PlanOptions): Promise<PlannedFile[]> {
  const preamble: Preamble = { generator: options.generator.name, version: options.generator.version, sources: options.sources };
  const ctx = createTemplateContext(system, { preamble, runtimeImport: options.runtimeImport });
  // The worker compiles validators while this thread renders the files that do not need them.
  const validators = await ctx.startValidators(options.pool, options.onValidators, options.spool);
  const folder = systemFolder(system.id);
  const render = ([path, template]: [string, Template]): PlannedFile => {
    const f = createGeneratedFile(path, preamble);
    template(f, ctx);
    const lines = f.toLines();
    let length = lines.length;
    // A spooled line (the compiled validators' code) stays where it is: a file of lines.
    let spooled = false;
    for (const l of lines) {
      if (typeof l === 'string') length += l.length;
      else spooled = true;
    }
    if (spooled || length >= LINES_FROM) return linesFile(`${folder}/${path}`, lines);
    // Only text lines here.
    return { path: `${folder}/${path}`, contents: (lines as string[]).join('\n') };
  };
  const list = outputs(ctx, options.emit);
  // validators.* print the compiled code; factories.* check their sampled values with it.
  const needsCode = ([, template]: [string, Template]) =>
    template === validatorsTsTemplate ||
    template === validatorsJsTemplate ||
    template === factoriesTemplate ||
    template === factoriesJsTemplate ||
    template === factoriesDtsTemplate;
  const files = list.map((o) => (needsCode(o) ? undefined : render(o)));
  await validators.finish();
  // The factories (which run the code) before the validators file (which prints it), then
  // the compiled code goes: only the file's text is kept.
  const printsCode = ([, template]: [string, Template]) => template === validatorsTsTemplate || template === validatorsJsTemplate;
  list.forEach((o, i) => {
    if (!files[i] && !printsCode(o)) files[i] = render(o);
  });
  list.forEach((o, i) => {
    files[i] ??= render(o);
  });
  ctx.releaseValidators();
  return files as PlannedFile[];
}
