#!/usr/bin/env node
// Builds the published packages from the sources: packages/runtime/dist (from src/runtime)
// and packages/cli/dist (from the tooling folders and templates/), with the TypeScript
// compiler alone. `node scripts/build.mjs [runtime|cli]...`; no argument builds both,
// runtime first (the CLI compiles against the runtime's declarations).
import { execFileSync } from 'node:child_process';
import { copyFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tsc = join(dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin', 'tsc');
const wanted = process.argv.slice(2);
const packages = wanted.length > 0 ? wanted : ['runtime', 'cli'];

for (const name of packages) {
  if (name !== 'runtime' && name !== 'cli') {
    console.error(`build: unknown package "${name}" (runtime, cli)`);
    process.exit(2);
  }
  const dir = join(root, 'packages', name);
  const started = Date.now();
  rmSync(join(dir, 'dist'), { recursive: true, force: true });
  try {
    execFileSync(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json')], { stdio: 'inherit', cwd: root });
  } catch {
    console.error(`build: ${name} did not compile`);
    process.exit(1);
  }
  // The licence travels with every package.
  copyFileSync(join(root, 'LICENSE'), join(dir, 'LICENSE'));
  console.error(`build: packages/${name}/dist in ${Date.now() - started} ms`);
}
