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
 * lives as long as its descriptor, which is closed by Spool.close (the CLI's runs, watch
 * mode included, once the files are written), else once nothing refers to the spool any
 * more, or when the process exits. On a RAM-backed temporary folder (tmpfs) the spool is
 * memory all the same, outside the process: point TMPDIR at a disk folder there.
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

/** A spool that cannot be read (closed, or the read failed): not a fact about any output file. */
export class SpoolError extends Error {
  override name = 'SpoolError';
}

/** What a spool holds open: its descriptor, and where the file could not be unlinked while open (Windows), its path and folder. */
interface Held {
  fd: number;
  closed: boolean;
  path?: string;
  folder?: string;
}

/** Descriptors to close once their spool is collected (Spool.close does it sooner). */
const closer = new FinalizationRegistry<Held>((held) => release(held));
/** Spools whose file is still on disk (not unlinked while open): removed at exit. */
const leftOnDisk = new Set<Held>();
let exitHook = false;

function release(held: Held): void {
  if (held.closed) return;
  held.closed = true;
  leftOnDisk.delete(held);
  try {
    closeSync(held.fd);
  } catch {
    // Already closed.
  }
  if (held.folder !== undefined) rmSync(held.folder, { recursive: true, force: true });
}

export class Spool {
  private readonly held: Held;
  /** Where the next append goes (shared with the threads given target()). */
  private readonly end = new BigInt64Array(new SharedArrayBuffer(8));
  /** The read buffer of Spool.pieces, while no generator of it is under way. */
  private scratch: Buffer | undefined;

  /** A new spool file in `dir` (default: the system's temporary folder). */
  constructor(dir = tmpdir()) {
    const cannot = (err: unknown) =>
      new SpoolError(`evc: cannot make a spool file for the compiled validators in ${dir} (${(err as Error).message}); set TMPDIR to a writable folder`);
    let folder: string;
    try {
      folder = mkdtempSync(join(dir, 'evc-spool-'));
    } catch (err) {
      throw cannot(err);
    }
    const path = join(folder, 'validators');
    let fd: number;
    try {
      fd = openSync(path, 'w+', 0o600);
    } catch (err) {
      rmSync(folder, { recursive: true, force: true });
      throw cannot(err);
    }
    this.held = { fd, closed: false };
    try {
      unlinkSync(path);
      rmdirSync(folder);
    } catch {
      // A system that cannot unlink an open file (Windows): removed when released or at exit.
      this.held.path = path;
      this.held.folder = folder;
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

  /** Bytes appended so far. */
  get size(): number {
    return Number(Atomics.load(this.end, 0));
  }

  /**
   * Closes the file now (its disk space is free), instead of when nothing refers to the
   * spool any more; reading a text of it then throws a SpoolError. Only once no thread
   * appends to it (the validator workers of a run are gone by then).
   */
  close(): void {
    closer.unregister(this);
    release(this.held);
    this.scratch = undefined;
  }

  /** Appends `text` (as UTF-8); where it is. */
  append(text: string): SpooledText {
    return { spool: this, ...appendTo(this.target(), text) };
  }

  /** For a worker thread that appends with appendTo: valid until the spool is closed or collected. */
  target(): SpoolTarget {
    this.open();
    return { fd: this.held.fd, end: this.end };
  }

  /** A text appended by another thread (appendTo on target()), as a text of this spool. */
  adopt(at: { offset: number; bytes: number }): SpooledText {
    const ref = { spool: this, offset: at.offset, bytes: at.bytes };
    this.check(ref);
    return ref;
  }

  /**
   * A spooled text's bytes in pieces of up to READ_PIECE, each valid until the next is asked
   * for. The spool's read buffer serves one generator at a time; one started while another
   * is under way reads into a buffer of its own.
   */
  *pieces(ref: SpooledText): Generator<Buffer> {
    this.check(ref);
    const want = Math.min(READ_PIECE, Math.max(ref.bytes, 1));
    let buffer = this.scratch;
    this.scratch = undefined;
    if (buffer === undefined || buffer.length < want) buffer = Buffer.allocUnsafeSlow(want);
    try {
      for (let at = 0; at < ref.bytes; ) {
        const piece = Math.min(buffer.length, ref.bytes - at);
        this.read(buffer, piece, ref.offset + at, ref);
        yield buffer.subarray(0, piece);
        at += piece;
      }
    } finally {
      if (!this.held.closed) this.scratch = buffer;
    }
  }

  /** A spooled text as a string. */
  text(ref: SpooledText): string {
    this.check(ref);
    const bytes = Buffer.allocUnsafe(ref.bytes);
    this.read(bytes, ref.bytes, ref.offset, ref);
    return bytes.toString('utf8');
  }

  /** Not its bytes (an output file's text is what to print): how much it holds. */
  toJSON(): { spool: string; bytes: number } {
    return { spool: this.held.closed ? 'closed' : 'open', bytes: this.size };
  }

  private read(into: Buffer, length: number, position: number, ref: SpooledText): void {
    this.open();
    for (let got = 0; got < length; ) {
      let n: number;
      try {
        n = readSync(this.held.fd, into, got, length - got, position + got);
      } catch (err) {
        throw new SpoolError(`evc: cannot read the spool file (${(err as Error).message})`, { cause: err });
      }
      if (n === 0) throw new SpoolError(`evc: the spool file ended at byte ${position + got} of ${ref.offset + ref.bytes}`);
      got += n;
    }
  }

  private open(): void {
    if (this.held.closed) throw new SpoolError('evc: the spool file is closed: its texts were let go (GenerateOptions.keepFileContents false)');
  }

  private check(ref: SpooledText): void {
    if (ref.spool !== this || ref.offset < 0 || ref.offset + ref.bytes > this.size)
      throw new SpoolError('evc: a spooled text read from the wrong spool or past its end');
  }
}
