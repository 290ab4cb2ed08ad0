/**
 * A channel's retained messages (for `fromBeginning`): the newest `retention` of them.
 *
 * The values are copied out of the JS heap into byte chunks (UTF-8 for text, as is for
 * bytes) and decoded again only when a subscriber reads from the beginning. Retaining the
 * published string itself kept every event alive for the next `retention` events (10,000
 * by default), so each value outlived the young generation and was copied by the
 * scavenger and promoted, on every publish, to serve a replay that rarely comes. Headers
 * and keys stay references (small, and rebuilding them would cost more than keeping them).
 * A string that is not well-formed UTF-16 (a lone surrogate) is kept as it is, since
 * UTF-8 could not give it back unchanged.
 */

export interface Entry {
  channel: string;
  key: string | undefined;
  value: Uint8Array | string;
  headers: Record<string, string>;
  position: string;
  timestamp: number;
  partition: number;
}

/** Chunk size for values; a longer value gets a chunk of its own size. */
const CHUNK_BYTES = 256 * 1024;

const TEXT = 0;
const BYTES = 1;
/** A string kept on the heap (not well-formed, so not representable in UTF-8). */
const HEAP = 2;

type Chunk = Buffer & {
  utf8Write?(text: string, offset: number): number;
  utf8Slice?(start: number, end: number): string;
};

/** `Buffer#utf8Write`/`utf8Slice` are what `write`/`toString` call after checking their arguments; fall back where a runtime lacks them. */
const writeText = (chunk: Chunk, text: string, offset: number): number => (chunk.utf8Write ? chunk.utf8Write(text, offset) : chunk.write(text, offset, 'utf8'));
const readText = (chunk: Chunk, start: number, end: number): string => (chunk.utf8Slice ? chunk.utf8Slice(start, end) : chunk.toString('utf8', start, end));

const isWellFormed: (s: string) => boolean =
  typeof (String.prototype as { isWellFormed?: unknown }).isWellFormed === 'function'
    ? (s) => (s as unknown as { isWellFormed(): boolean }).isWellFormed()
    : (s) => !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);

export class RetainedLog {
  /** Ring of entries, oldest at `start`; grows by doubling up to `retention`. */
  private cap = 0;
  private start = 0;
  private count = 0;
  /** Position (sequence) of the newest entry; the retained ones are consecutive. */
  private lastSeq = 0;
  private keys: (string | undefined)[] = [];
  private headers: (Record<string, string> | undefined)[] = [];
  /** Only for HEAP entries. */
  private strings: (string | undefined)[] = [];
  private kinds = new Uint8Array(0);
  private chunkOf = new Float64Array(0);
  private offsets = new Int32Array(0);
  private lengths = new Int32Array(0);
  private timestamps = new Float64Array(0);
  private partitions = new Int32Array(0);
  /** Value bytes: chunks[i] is chunk number chunkBase + i; the last one is written. */
  private chunks: Chunk[] = [];
  private chunkBase = 0;
  private writeAt = 0;
  /** A released standard-size chunk, reused for the next one. */
  private spare: Chunk | undefined;

  private readonly retention: number;

  constructor(
    private readonly channel: string,
    retention: number,
  ) {
    this.retention = retention >= 1 ? Math.floor(retention) : 0;
  }

  get size(): number {
    return this.count;
  }

  /** Retains a message published at position `seq` (one more than the previous append's). */
  append(key: string | undefined, value: Uint8Array | string, headers: Record<string, string>, timestamp: number, partition: number, seq: number): void {
    if (this.retention <= 0) return;
    if (this.count === this.retention) this.dropOldest();
    else if (this.count === this.cap) this.grow();
    const slot = (this.start + this.count) % this.cap;
    this.count++;
    this.lastSeq = seq;
    this.keys[slot] = key;
    this.headers[slot] = headers;
    this.timestamps[slot] = timestamp;
    this.partitions[slot] = partition;
    if (typeof value !== 'string') {
      const chunk = this.room(value.byteLength);
      chunk.set(value, this.writeAt);
      this.offsets[slot] = this.writeAt;
      this.lengths[slot] = value.byteLength;
      this.kinds[slot] = BYTES;
      this.writeAt += value.byteLength;
    } else {
      const chunk = this.room(value.length * 3);
      const bytes = writeText(chunk, value, this.writeAt);
      // As many bytes as characters: ASCII, well-formed without asking.
      if (bytes === value.length || isWellFormed(value)) {
        this.offsets[slot] = this.writeAt;
        this.lengths[slot] = bytes;
        this.kinds[slot] = TEXT;
        this.writeAt += bytes;
      } else {
        this.kinds[slot] = HEAP;
        this.strings[slot] = value;
      }
    }
    // The chunk being written (for a HEAP entry too: chunk numbers stay in append order).
    this.chunkOf[slot] = this.chunkBase + this.chunks.length - 1;
  }

  /** The retained messages, oldest first, each with a fresh copy of its value. */
  *[Symbol.iterator](): IterableIterator<Entry> {
    const first = this.lastSeq - this.count + 1;
    for (let i = 0; i < this.count; i++) {
      const slot = (this.start + i) % this.cap;
      const kind = this.kinds[slot];
      let value: Uint8Array | string;
      if (kind === HEAP) value = this.strings[slot]!;
      else {
        const chunk = this.chunks[this.chunkOf[slot]! - this.chunkBase]!;
        const from = this.offsets[slot]!;
        const to = from + this.lengths[slot]!;
        value = kind === TEXT ? readText(chunk, from, to) : Buffer.from(chunk.subarray(from, to));
      }
      yield {
        channel: this.channel,
        key: this.keys[slot],
        value,
        headers: this.headers[slot]!,
        position: String(first + i),
        timestamp: this.timestamps[slot]!,
        partition: this.partitions[slot]!,
      };
    }
  }

  /** A chunk with `bytes` free at `writeAt`. */
  private room(bytes: number): Chunk {
    const last = this.chunks[this.chunks.length - 1];
    if (last && this.writeAt + bytes <= last.length) return last;
    let chunk: Chunk;
    if (bytes <= CHUNK_BYTES && this.spare) {
      chunk = this.spare;
      this.spare = undefined;
    } else {
      chunk = Buffer.allocUnsafeSlow(Math.max(CHUNK_BYTES, bytes));
    }
    this.chunks.push(chunk);
    this.writeAt = 0;
    return chunk;
  }

  private dropOldest(): void {
    const slot = this.start;
    this.keys[slot] = undefined;
    this.headers[slot] = undefined;
    this.strings[slot] = undefined;
    this.start = (slot + 1) % this.cap;
    this.count--;
    if (this.count === 0) return;
    // Release the chunks that only dropped entries used (never the one being written).
    const keepFrom = this.chunkOf[this.start]!;
    while (this.chunkBase < keepFrom && this.chunks.length > 1) {
      const released = this.chunks.shift()!;
      this.chunkBase++;
      if (released.length === CHUNK_BYTES) this.spare = released;
    }
  }

  private grow(): void {
    const cap = Math.min(this.retention, Math.max(16, this.cap * 2));
    const { start, count } = this;
    const from = this.cap;
    /** The entries of `a` in order (oldest at 0), in `b`. */
    function move<A extends { [i: number]: unknown }>(a: A, b: A): A {
      for (let i = 0; i < count; i++) b[i] = a[(start + i) % from]!;
      return b;
    }
    this.keys = move(this.keys, new Array<string | undefined>(cap));
    this.headers = move(this.headers, new Array<Record<string, string> | undefined>(cap));
    this.strings = move(this.strings, new Array<string | undefined>(cap));
    this.kinds = move(this.kinds, new Uint8Array(cap));
    this.chunkOf = move(this.chunkOf, new Float64Array(cap));
    this.offsets = move(this.offsets, new Int32Array(cap));
    this.lengths = move(this.lengths, new Int32Array(cap));
    this.timestamps = move(this.timestamps, new Float64Array(cap));
    this.partitions = move(this.partitions, new Int32Array(cap));
    this.cap = cap;
    this.start = 0;
  }
}
