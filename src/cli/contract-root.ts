/**
 * The contract root of the commands that read contracts: the folder `$ref`s may reach.
 * `--root <dir>` over `"root"` in `evc.config.json` (relative to the config's folder) over
 * the default, each contract's own folder (decided by the loader). A `$ref` outside the
 * root, or over a symbolic link that leaves it, stays refused (src/contract/resolve.ts).
 */
import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UsageError } from './usage.js';

/** For parseArgs' `options`. */
export const rootOption = { root: { type: 'string' } } as const;

export const rootHelp = `  --root <dir>                $refs may read any file under <dir> (default: the
                              contract's own folder; evc.config.json "root", relative to
                              it); outside it, over a symbolic link that leaves it, and
                              over http(s) without --allow-remote they stay refused`;

/** The contract root as an absolute path, or undefined for the default. */
export function contractRoot(values: { root?: string | undefined }, cwd = process.cwd()): string | undefined {
  let dir = values.root;
  let what = '--root';
  if (dir === undefined) {
    const file = join(cwd, 'evc.config.json');
    let data: unknown;
    try {
      data = JSON.parse(readFileSync(file, 'utf8'));
    } catch {
      return undefined;
    }
    const raw = typeof data === 'object' && data !== null && !Array.isArray(data) ? (data as Record<string, unknown>).root : undefined;
    if (raw === undefined) return undefined;
    if (typeof raw !== 'string' || raw.trim() === '') throw new UsageError(`${file}: "root" must be a non-empty string (a folder)`);
    dir = raw;
    what = `${file}: "root"`;
  }
  if (dir.trim() === '') throw new UsageError('--root must not be empty');
  const abs = resolve(cwd, dir);
  if (!statSync(abs, { throwIfNoEntry: false })?.isDirectory()) throw new UsageError(`${what} ${dir} is not a folder`);
  return abs;
}
