/**
 * Text kept on disk instead of in memory while a run plans its files: the compiled
 * validators' code, which is most of validators.ts (over a hundred megabytes at thousands
 * of channels) and was held whole until the file was written, the peak of `evc generate`'s
 * memory (issue #17). Each chunk of code is appended to a spool file as it is compiled and
 * dropped; the planned file holds where it is (SpooledText), and comparing, writing and
 * hashing read it back piece by piece (output.ts).
 *
 * The spool is a file in the system's temporary folder, unlinked as soon as it is open
 * where the system allows it (nothing is left behind, whatever way the process ends): it
 * lives as long as its descriptor, which is closed once nothing refers to the spool any
 * more, or when the process exits.
 */
import { closeSync, mkdtempSync, openSync, readSync, rmdirSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** `bytes` bytes of UTF-8 at `offset` of a spool: one appended text. */
export interface SpooledText {
  readonly spool: Spool;
  readonly offset: number;
  readonly bytes: number;
}

/**
 * What a worker thread needs to append to a spool itself (structured-cloneable): its
 * descriptor, open in the whole process, and its end, shared: each append takes its place
 * with one atomic add, so threads append side by side without a lock.
 */
export interface SpoolTarget {
  readonly fd: number;
  readonly end: BigInt64Array;
}

/** Appends `text` (as UTF-8) at a place of its own in a spool; where it went. */
export function appendTo(target: SpoolTarget, text: string): { offset: number; bytes: number } {
  const bytes = Buffer.byteLength(text, 'utf8');
  const offset = Number(Atomics.add(target.end, 0, BigInt(bytes)));
  let done = writeSync(target.fd, text, offset, 'utf8');
  if (done < bytes) {
    const rest = Buffer.from(text, 'utf8');
    while (done < bytes) done += writeSync(target.fd, rest, done, bytes - done, offset + done);
  }
  return { offset, bytes };
}

/** A line of a planned file: text, or text in a spool (always a whole line). */
export type Line = string | SpooledText;

export const isSpooled = (value: unknown): value is SpooledText =>
  typeof value === 'object' && value !== null && (value as { spool?: unknown }).spool instanceof Spool;

/** A line's text: a spooled one is read back (made a string: for small uses, not the big file). */
export const lineText = (line: Line): string => (typeof line === 'string' ? line : line.spool.text(line));

/** Bytes read per call by Spool.pieces. */
const READ_PIECE = 4 * 2 ** 20;

/** Descriptors (and, where a file could not be unlinked while open, its paths) to close once their spool is collected. */
const closer = new FinalizationRegistry<{ fd: number; path?: string }>((held) => release(held));
/** Spools whose file is still on disk (not unlinked while open): removed at exit. */
const leftOnDisk = new Set<{ fd: number; path?: string }>();
let exitHook = false;

function release(held: { fd: number; path?: string }): void {
  leftOnDisk.delete(held);
  try {
    closeSync(held.fd);
  } catch {
    // Already closed.
  }
  if (held.path !== undefined) rmSync(held.path, { force: true });
}

export class Spool {
  private readonly held: { fd: number; path?: string };
  /** Where the next append goes (shared with the threads given target()). */
  private readonly end = new BigInt64Array(new SharedArrayBuffer(8));
  /** One buffer for every piece read (each valid until the next is asked for). */
  private scratch: Buffer | undefined;

  /** A new spool file in `dir` (default: the system's temporary folder). */
  constructor(dir = tmpdir()) {
    let folder: string;
    try {
      folder = mkdtempSync(join(dir, 'evc-spool-'));
    } catch (err) {
      throw new Error(`evc: cannot make a spool file for the compiled validators in ${dir} (${(err as Error).message}); set TMPDIR to a writable folder`);
    }
    const path = join(folder, 'validators');
    const fd = openSync(path, 'w+', 0o600);
    this.held = { fd };
    try {
      unlinkSync(path);
      rmdirSync(folder);
    } catch {
      // A system that cannot unlink an open file (Windows): removed when released or at exit.
      this.held.path = path;
      leftOnDisk.add(this.held);
      if (!exitHook) {
        exitHook = true;
        process.once('exit', () => {
          for (const held of [...leftOnDisk]) release(held);
        });
      }
    }
    closer.register(this, this.held, this);
  }

  /** Appends `text` (as UTF-8); where it is. */
  append(text: string): SpooledText {
    return { spool: this, ...appendTo(this.target(), text) };
  }

  /** For a worker thread that appends with appendTo: valid as long as this spool is referred to. */
  target(): SpoolTarget {
    return { fd: this.held.fd, end: this.end };
  }

  /** A text appended by another thread (appendTo on target()), as a text of this spool. */
  adopt(at: { offset: number; bytes: number }): SpooledText {
    const ref = { spool: this, offset: at.offset, bytes: at.bytes };
    this.check(ref);
    return ref;
  }

  /** A spooled text's bytes in pieces of up to READ_PIECE, each valid until the next is asked for. */
  *pieces(ref: SpooledText): Generator<Buffer> {
    this.check(ref);
    this.scratch ??= Buffer.allocUnsafeSlow(Math.min(READ_PIECE, Math.max(ref.bytes, 1)));
    if (this.scratch.length < Math.min(READ_PIECE, ref.bytes)) this.scratch = Buffer.allocUnsafeSlow(Math.min(READ_PIECE, ref.bytes));
    const scratch = this.scratch;
    for (let at = 0; at < ref.bytes; ) {
      const want = Math.min(scratch.length, ref.bytes - at);
      let got = 0;
      while (got < want) {
        const n = readSync(this.held.fd, scratch, got, want - got, ref.offset + at + got);
        if (n === 0) throw new Error(`evc: the spool file ended at byte ${ref.offset + at + got} of ${ref.offset + ref.bytes}`);
        got += n;
      }
      yield scratch.subarray(0, want);
      at += want;
    }
  }

  /** A spooled text as a string. */
  text(ref: SpooledText): string {
    this.check(ref);
    const bytes = Buffer.allocUnsafe(ref.bytes);
    for (let got = 0; got < ref.bytes; ) {
      const n = readSync(this.held.fd, bytes, got, ref.bytes - got, ref.offset + got);
      if (n === 0) throw new Error(`evc: the spool file ended at byte ${ref.offset + got} of ${ref.offset + ref.bytes}`);
      got += n;
    }
    return bytes.toString('utf8');
  }

  private check(ref: SpooledText): void {
    if (ref.spool !== this || ref.offset < 0 || ref.offset + ref.bytes > Number(Atomics.load(this.end, 0)))
      throw new Error('evc: a spooled text read from the wrong spool or past its end');
  }
}
