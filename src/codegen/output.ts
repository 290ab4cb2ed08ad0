/**
 * Output folders shared by `evc generate` and `evc docs`: compare planned files with what
 * is on disk, then write only what changed and remove what is no longer produced.
 * Paths are `/`-separated and relative to a root folder (or absolute).
 */
import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, rmdirSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { PlannedFile } from './plan.js';

export interface FileChange {
  /** Path relative to the root, `/`-separated: `generated/chat/types.ts`. */
  path: string;
  status: 'written' | 'unchanged' | 'removed' | 'stale' | 'missing' | 'extra';
}

export const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');
export const posix = (p: string): string => p.split(sep).join('/');

export function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** Every file under a folder, relative to it, `/`-separated and sorted; `[]` when it does not exist. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(posix(relative(dir, p)));
    }
  };
  walk(dir);
  return out.sort();
}

/**
 * What writing `planned` would do: each planned file is unchanged or (check mode) missing /
 * stale, else written; each path of `present` that is not planned is (check mode) extra,
 * else removed. Changes come in the order of `planned`, then the extras.
 */
export function compareFiles(root: string, planned: readonly PlannedFile[], present: Iterable<string>, check: boolean): FileChange[] {
  const changes: FileChange[] = [];
  const wanted = new Set<string>();
  for (const f of planned) {
    wanted.add(f.path);
    const current = readText(resolve(root, f.path));
    if (current === f.contents) changes.push({ path: f.path, status: 'unchanged' });
    else changes.push({ path: f.path, status: check ? (current === undefined ? 'missing' : 'stale') : 'written' });
  }
  for (const extra of new Set(present)) if (!wanted.has(extra)) changes.push({ path: extra, status: check ? 'extra' : 'removed' });
  return changes;
}

/**
 * Carry out `written` and `removed` changes. Folders left empty by a removal are removed
 * too, up to (not including) `stop`.
 */
export function applyChanges(root: string, changes: readonly FileChange[], files: readonly PlannedFile[], stop: string): void {
  const contents = new Map(files.map((f) => [f.path, f.contents]));
  const stopDir = resolve(root, stop);
  for (const c of changes) {
    const abs = resolve(root, c.path);
    if (c.status === 'written') {
      const text = contents.get(c.path);
      if (text === undefined) throw new Error(`no contents planned for ${c.path}`);
      mkdirSync(dirname(abs), { recursive: true });
      writeText(abs, text);
    } else if (c.status === 'removed') {
      rmSync(abs, { force: true });
      removeEmptyDirs(dirname(abs), stopDir);
    }
  }
}

/** Characters written per call by writeText. */
const WRITE_PIECE = 4 * 2 ** 20;

/**
 * writeFileSync for a string, in pieces when it is big: one call would encode the whole
 * text into a buffer of its size first (validators.ts is over a hundred megabytes on big
 * contracts). A piece ends before a high surrogate, so no character is split.
 */
function writeText(file: string, text: string): void {
  if (text.length <= WRITE_PIECE) {
    writeFileSync(file, text);
    return;
  }
  const fd = openSync(file, 'w');
  try {
    for (let at = 0; at < text.length; ) {
      let end = Math.min(at + WRITE_PIECE, text.length);
      const last = text.charCodeAt(end - 1);
      if (end < text.length && last >= 0xd800 && last <= 0xdbff) end--;
      const piece = Buffer.from(text.slice(at, end), 'utf8');
      for (let done = 0; done < piece.length; ) done += writeSync(fd, piece, done);
      at = end;
    }
  } finally {
    closeSync(fd);
  }
}

function removeEmptyDirs(dir: string, stop: string): void {
  let d = dir;
  while (d.startsWith(stop + sep)) {
    try {
      if (readdirSync(d).length > 0) return;
      rmdirSync(d);
    } catch {
      return;
    }
    d = dirname(d);
  }
}
