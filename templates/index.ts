/** index.ts of a system: everything the SDK exports, from one module. */
import type { TemplateContext } from '../src/codegen/context.js';
import type { GeneratedFile } from '../src/codegen/printer.js';

export function indexTemplate(f: GeneratedFile, _ctx: TemplateContext): void {
  f.print("export * from './types.js';");
  f.print("export * from './validators.js';");
  f.print("export * from './client.js';");
}
