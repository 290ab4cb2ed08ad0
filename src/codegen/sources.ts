/**
 * The toolkit's own files, for cache keys: the same code runs from TypeScript sources (this
 * repository) and from compiled JavaScript (the published CLI), and packages it depends on
 * are found by module resolution, never by a path into node_modules.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** A module of the toolkit: `x.ts` from sources, `x.js` when compiled (not `.d.ts`, not maps). */
export const isModuleFile = (name: string): boolean => (name.endsWith('.ts') || name.endsWith('.js')) && !name.endsWith('.d.ts');

/** Feeds every module file of a folder (sorted) into `update`. */
export function hashModules(dir: URL, update: (name: string, contents: Buffer) => void): void {
  for (const name of readdirSync(dir).sort()) if (isModuleFile(name)) update(name, readFileSync(new URL(name, dir)));
}

/** A file of an installed package (`mermaid/package.json`), or an empty buffer when it is not installed. */
export function packageFile(specifier: string): Buffer {
  try {
    return readFileSync(require.resolve(specifier));
  } catch {
    return Buffer.alloc(0);
  }
}
