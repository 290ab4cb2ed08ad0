/**
 * Output folders shared by `evc generate` and `evc docs`: compare planned files with what
 * is on disk, then write only what changed and remove what is no longer produced.
 * Paths are `/`-separated and relative to a root folder (or absolute).
 */
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, rmSync, rmdirSync, writeFileSync, writeSync } from 'node:fs';
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
    const same = holdsText(resolve(root, f.path), f.contents);
    if (same) changes.push({ path: f.path, status: 'unchanged' });
    else changes.push({ path: f.path, status: check ? (same === undefined ? 'missing' : 'stale') : 'written' });
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
 * A text as UTF-8, in pieces of up to WRITE_PIECE characters: encoding a big text at once
 * makes a buffer of its size (validators.ts is over a hundred megabytes on big contracts).
 * A piece ends before a high surrogate, so no character is split. The pieces of a big text
 * are encoded into one buffer (each valid until the next is asked for): a new buffer per
 * piece left a hundred megabytes of them to the collector per big file.
 */
function* utf8Pieces(text: string): Generator<Buffer> {
  if (text.length <= WRITE_PIECE) {
    yield Buffer.from(text, 'utf8');
    return;
  }
  // A UTF-16 code unit is at most 3 bytes of UTF-8.
  const buffer = Buffer.allocUnsafeSlow(3 * WRITE_PIECE);
  for (let at = 0; at < text.length; ) {
    let end = Math.min(at + WRITE_PIECE, text.length);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end--;
    yield buffer.subarray(0, buffer.write(text.slice(at, end), 'utf8'));
    at = end;
  }
}

/** writeFileSync for a string, in pieces when it is big (utf8Pieces). */
function writeText(file: string, text: string): void {
  if (text.length <= WRITE_PIECE) {
    writeFileSync(file, text);
    return;
  }
  const fd = openSync(file, 'w');
  try {
    for (const piece of utf8Pieces(text)) {
      for (let done = 0; done < piece.length; ) done += writeSync(fd, piece, done);
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * Whether a file holds exactly `text` in UTF-8 (what writeText would write); undefined when
 * it cannot be read. Compared by size, then piece by piece: reading a big file whole as a
 * string held it twice (bytes and text) beside the planned contents, the peak of a
 * regenerate at 5,000 channels (+750 MB).
 */
function holdsText(file: string, text: string): boolean | undefined {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return undefined;
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) {
      const current = readText(file);
      return current === undefined ? undefined : current === text;
    }
    if (stat.size !== Buffer.byteLength(text, 'utf8')) return false;
    // One buffer for every piece read (see utf8Pieces).
    const scratch = Buffer.allocUnsafeSlow(Math.min(stat.size, 3 * WRITE_PIECE));
    let position = 0;
    for (const piece of utf8Pieces(text)) {
      const read = scratch.subarray(0, piece.length);
      for (let done = 0; done < read.length; ) {
        const n = readSync(fd, read, done, read.length - done, position + done);
        if (n === 0) return false;
        done += n;
      }
      if (!read.equals(piece)) return false;
      position += piece.length;
    }
    return true;
  } catch {
    return undefined;
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
