/**
 * Type-check generated SDKs the way a user's build would: strict, NodeNext, the
 * repository's compiler settings (tsconfig.base.json), the runtime resolved through the
 * root tsconfig's paths. Reuses test/codegen/helpers.ts's tsc.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { repoRoot, type TscResult, tsc } from '../codegen/helpers.js';

/** A fresh folder under test/.tmp (ignored by git and by the root tsconfig). */
export function tmpFolder(name: string): string {
  const dir = join(repoRoot, 'test/.tmp', name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** `tsc --noEmit` over every .ts file under `folder` (which must be inside test/.tmp). */
export function typecheck(folder: string): TscResult {
  const project = join(folder, 'tsconfig.json');
  const base = relative(folder, join(repoRoot, 'tsconfig.json'));
  writeFileSync(project, JSON.stringify({ extends: base, compilerOptions: { noEmit: true }, include: ['**/*.ts'], exclude: [] }));
  return tsc(project);
}
