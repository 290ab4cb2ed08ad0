/**
 * The code a worker thread evaluates (`new Worker(code, { eval: true })`) to run one of the
 * tooling's worker modules, from the TypeScript sources or from the compiled CLI alike.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * `name` is the worker module beside the caller (`from`: its `import.meta.url`), without
 * an extension. Compiled, the boot imports `<name>.js`. From the sources it first registers
 * tsx's loader with the source tree's tsconfig, as bin/evc.js does: its `paths` map
 * @event-contracts/runtime to src/runtime, and left to find a tsconfig from the working
 * directory, tsx finds none outside the repository and the worker fails to load.
 */
export function workerBoot(from: string, name: string): string {
  const fromSource = from.endsWith('.ts');
  const url = new URL(`./${name}${fromSource ? '.ts' : '.js'}`, from).href;
  if (!fromSource) return `import(${JSON.stringify(url)})`;
  const tsconfig = new URL('../../tsconfig.json', import.meta.url);
  const options = existsSync(tsconfig) ? JSON.stringify({ tsconfig: fileURLToPath(tsconfig) }) : '';
  return `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((m) => { m.register(${options}); return import(${JSON.stringify(url)}); })`;
}
