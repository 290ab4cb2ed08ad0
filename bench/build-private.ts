/**
 * The compiled CLI and runtime, as scripts/build.mjs emits them, built into a private folder
 * (`dir`), so a build another process makes meanwhile cannot change what a benchmark runs;
 * `node_modules` there points the CLI at that runtime. Returns the CLI's folder (its
 * `bin/evc.js` is what users run).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

export function buildPrivate(root: string, dir: string): string {
  const tsc = join(root, 'node_modules/typescript/bin/tsc');
  const runtime = join(dir, 'node_modules/@event-contracts/runtime');
  mkdirSync(runtime, { recursive: true });
  mkdirSync(join(dir, 'cli/bin'), { recursive: true });
  // --noCheck: `tsc --noEmit -p .` is the type check; the CLI's check would read the shared packages/runtime/dist.
  const flags = ['--noCheck', '--declaration', 'false', '--declarationMap', 'false', '--sourceMap', 'false', '--inlineSources', 'false'];
  for (const [tsconfig, out] of [
    ['packages/runtime/tsconfig.json', join(runtime, 'dist')],
    ['packages/cli/tsconfig.json', join(dir, 'cli/dist')],
  ] as const) {
    const r = spawnSync(process.execPath, [tsc, '-p', tsconfig, '--outDir', out, ...flags], { cwd: root, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`build of ${tsconfig} failed: ${r.stdout}${r.stderr}`);
  }
  copyFileSync(join(root, 'packages/runtime/package.json'), join(runtime, 'package.json'));
  copyFileSync(join(root, 'packages/cli/package.json'), join(dir, 'cli/package.json'));
  copyFileSync(join(root, 'packages/cli/bin/evc.js'), join(dir, 'cli/bin/evc.js'));
  return join(dir, 'cli');
}
