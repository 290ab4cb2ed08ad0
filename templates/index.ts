/**
 * The index of a system: everything the SDK exports, from one module. `index.ts` by
 * default; `index.js` + `index.d.ts` with `--emit js`, where the types live in
 * types.d.ts alone (so index.js does not re-export them: there is no types.js).
 */
import type { TemplateContext } from '../src/codegen/context.js';
import type { GeneratedFile } from '../src/codegen/printer.js';

/** index.ts, and index.d.ts with `--emit js`. */
export function indexTemplate(f: GeneratedFile, _ctx: TemplateContext): void {
  f.print("export * from './types.js';");
  f.print("export * from './validators.js';");
  f.print("export * from './client.js';");
  f.print("export * from './factories.js';");
}

/** index.js (with `--emit js`). */
export function indexJsTemplate(f: GeneratedFile, _ctx: TemplateContext): void {
  f.print("export * from './validators.js';");
  f.print("export * from './client.js';");
  f.print("export * from './factories.js';");
}
