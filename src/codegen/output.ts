/**
 * Output folders shared by `evc generate` and `evc docs`: compare planned files with what
 * is on disk, then write only what changed and remove what is no longer produced.
 * Paths are `/`-separated and relative to a root folder (or absolute).
 */
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, rmSync, rmdirSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { type Line, lineText, SpoolError } from './spool.js';

export interface FileChange {
  /** Path relative to the root, `/`-separated: `generated/chat/types.ts`. */
  path: string;
  status: 'written' | 'unchanged' | 'removed' | 'stale' | 'missing' | 'extra';
}

export interface PlannedFile {
  /** Path relative to the output folder, `/`-separated: `<system>/types.ts`. */
  path: string;
  /** The file's text (a big file's is joined from `lines` when first read, see linesFile). */
  readonly contents: string;
  /**
   * A big file's text as lines (joined with `\n` they are `contents`): what comparing,
   * writing and hashing read, so that its text is never made in one piece. validators.ts is
   * over a hundred megabytes at thousands of channels: one string of it was a copy of
   * every compiled validator beside the pieces it is printed from. A line may be text in a
   * spool file (spool.ts): the compiled validators' code, read back piece by piece.
   */
  readonly lines?: readonly Line[];
}

/** Characters written per call by writeText. */
const WRITE_PIECE = 4 * 2 ** 20;

/**
 * Characters from which a planned file keeps its text as lines (see PlannedFile.lines):
 * those of one write piece, below which a file is written in one piece anyway.
 */
export const LINES_FROM = WRITE_PIECE;

/** A planned file of `lines`; `contents` joins them on first read (and keeps the text). */
export function linesFile(path: string, lines: readonly Line[]): PlannedFile {
  let text: string | undefined;
  return {
    path,
    lines,
    get contents() {
      text ??= lines.map(lineText).join('\n');
      return text;
    },
  };
}

/** The same file at another path, its text as it is (lines stay lines). */
export function atPath(file: PlannedFile, path: string): PlannedFile {
  return file.lines ? linesFile(path, file.lines) : { path, contents: file.contents };
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
    const same = holdsText(resolve(root, f.path), f);
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
  const planned = new Map(files.map((f) => [f.path, f]));
  const stopDir = resolve(root, stop);
  for (const c of changes) {
    const abs = resolve(root, c.path);
    if (c.status === 'written') {
      const file = planned.get(c.path);
      if (file === undefined) throw new Error(`no contents planned for ${c.path}`);
      mkdirSync(dirname(abs), { recursive: true });
      writeText(abs, file);
    } else if (c.status === 'removed') {
      rmSync(abs, { force: true });
      removeEmptyDirs(dirname(abs), stopDir);
    }
  }
}

/**
 * A planned file's text as UTF-8, in pieces of up to WRITE_PIECE characters: encoding a big
 * text at once makes a buffer of its size (validators.ts is over a hundred megabytes on big
 * contracts). A piece ends before a high surrogate, so no character is split. The pieces of
 * a big text are encoded into one buffer (each valid until the next is asked for): a new
 * buffer per piece left a hundred megabytes of them to the collector per big file. A file
 * of lines (PlannedFile.lines) is encoded line by line, with the newlines between them,
 * never joined; a spooled line comes as the spool's own pieces.
 */
function* utf8Pieces(file: PlannedFile): Generator<Buffer> {
  const lines = file.lines;
  if (lines === undefined && file.contents.length <= WRITE_PIECE) {
    yield Buffer.from(file.contents, 'utf8');
    return;
  }
  // A UTF-16 code unit is at most 3 bytes of UTF-8.
  const buffer = Buffer.allocUnsafeSlow(3 * WRITE_PIECE);
  let used = 0;
  const texts = lines ?? [file.contents];
  for (let i = 0; i < texts.length; i++) {
    // The newline between two lines goes in as a byte: `\n` + line would copy the line.
    if (i > 0) {
      if (used === buffer.length) {
        yield buffer.subarray(0, used);
        used = 0;
      }
      buffer[used++] = 0x0a;
    }
    const text = texts[i]!;
    if (typeof text !== 'string') {
      if (used > 0) yield buffer.subarray(0, used);
      used = 0;
      yield* text.spool.pieces(text);
      continue;
    }
    for (let at = 0; at < text.length; ) {
      let end = Math.min(at + WRITE_PIECE, text.length);
      const last = text.charCodeAt(end - 1);
      if (end < text.length && last >= 0xd800 && last <= 0xdbff) end--;
      if (used + 3 * (end - at) > buffer.length) {
        yield buffer.subarray(0, used);
        used = 0;
      }
      used += buffer.write(at === 0 && end === text.length ? text : text.slice(at, end), used, 'utf8');
      at = end;
    }
  }
  if (used > 0) yield buffer.subarray(0, used);
}

/** The UTF-8 size of a planned file's text. */
function byteLength(file: PlannedFile): number {
  if (file.lines === undefined) return Buffer.byteLength(file.contents, 'utf8');
  let n = Math.max(0, file.lines.length - 1);
  for (const l of file.lines) n += typeof l === 'string' ? Buffer.byteLength(l, 'utf8') : l.bytes;
  return n;
}

/** sha256 of a planned file's text as UTF-8 (lines hashed one after another, never joined). */
export function plannedSha256(file: PlannedFile): string {
  if (file.lines === undefined) return sha256(file.contents);
  const h = createHash('sha256');
  file.lines.forEach((l, i) => {
    if (i > 0) h.update('\n');
    if (typeof l === 'string') h.update(l);
    else for (const piece of l.spool.pieces(l)) h.update(piece);
  });
  return h.digest('hex');
}

/** writeFileSync for a planned file, in pieces when it is big (utf8Pieces). */
function writeText(path: string, file: PlannedFile): void {
  if (file.lines === undefined && file.contents.length <= WRITE_PIECE) {
    writeFileSync(path, file.contents);
    return;
  }
  const fd = openSync(path, 'w');
  try {
    for (const piece of utf8Pieces(file)) {
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
function holdsText(file: string, planned: PlannedFile): boolean | undefined {
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
      return current === undefined ? undefined : current === planned.contents;
    }
    if (stat.size !== byteLength(planned)) return false;
    // One buffer for every piece read (see utf8Pieces).
    const scratch = Buffer.allocUnsafeSlow(Math.min(stat.size, 3 * WRITE_PIECE));
    let position = 0;
    for (const piece of utf8Pieces(planned)) {
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
  } catch (err) {
    // The planned text could not be read (its spool): not a fact about the file on disk.
    if (err instanceof SpoolError) throw err;
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
