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
 *
 * Keys and headers go off the heap too: kept by reference, the headers object, its two
 * UUID strings and the key of every event lived through the next `retention` publishes,
 * were copied twice by the scavenger and promoted, and were then the old generation's
 * garbage (about 40 % of the scavenge time of the in-memory bench, issue #17 item 3).
 * Headers are kept as a template (their keys in order and the values of the first
 * headers with those keys, shared by every entry that has the same keys) plus, in the
 * entry's chunk after its value, the values that differ from the template's: the
 * publisher's headers differ only in the event's ids and the batch's publish time. A
 * replay gets a fresh headers object with the same keys in the same order. Headers with
 * more than 30 keys, a value that is not a string or not well-formed are kept by
 * reference, as before.
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

/** Headers with this many keys at most are kept as template + differing values. */
const MAX_TEMPLATE_KEYS = 30;
/** Recent templates looked at before making a new one. */
const RECENT_TEMPLATES = 4;
/** Strings at most this long are written with a loop here when ASCII (a native call costs more). */
const SHORT = 64;

/** Text entries written with one native call (`flush`). */
const GROUP = 64;
/** The most bytes a length takes in a chunk: decimal digits of a byte length and a comma. */
const LENGTH_BYTES = 11;
const COMMA = 0x2c;

const KEY_NONE = 0;
const KEY_INLINE = 1;
const KEY_HEAP = 2;

/** The keys, in order, of headers kept off the heap, and the values they are compared with. */
interface Template {
  readonly keys: string[];
  readonly values: string[];
}

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
  /** Only for KEY_HEAP keys. */
  private keys: (string | undefined)[] = [];
  private keyKinds = new Uint8Array(0);
  /** Only for headers kept by reference (no template). */
  private headers: (Record<string, string> | undefined)[] = [];
  /** The entry's header template; its differing values are in its chunk from `headerAt`, as `headerMask` says. */
  private templates: (Template | undefined)[] = [];
  private headerMask = new Int32Array(0);
  private headerAt = new Int32Array(0);
  private recent: Template[] = [];
  /**
   * The previous append's template and header values (in `prev`; `cur` is scratch), to
   * see a differing value repeat: then the entry gets a new template of its own values.
   * A publishBatch stamps one `evc-published-at` on all its events, which differs from
   * the template made in an earlier batch; from the batch's second event on it is in the
   * template again, and only the event's ids are written per entry.
   */
  private prevTemplate: Template | undefined;
  private prev: string[] = [];
  private cur: string[] = [];
  /** Set by `templateFor`: the differing values' bits. */
  private mask = 0;
  /** The byte lengths of the texts being written after an entry's value (scratch). */
  private readonly pieceBytes = new Int32Array(MAX_TEMPLATE_KEYS + 1);
  /**
   * The newest text entries, whose bytes are reserved from `pendingAt` in the last chunk
   * but not written yet (`flush`), and what they were made of (to write them again when
   * one was not ASCII).
   */
  private pending: string[] = [];
  private pendingCount = 0;
  private pendingAt = 0;
  /** The position of the first pending entry (the others follow it). */
  private pendingSeq = 0;
  private pendingKeys: (string | undefined)[] = [];
  private pendingValues: string[] = [];
  private pendingHeaders: Record<string, string>[] = [];
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
    this.timestamps[slot] = timestamp;
    this.partitions[slot] = partition;
    const template = this.templateFor(headers);
    const mask = template === undefined ? 0 : this.mask;
    if (typeof value === 'string') {
      // The value, the texts of the headers' differing values (the event's ids) and of the
      // key, then their lengths: one string, written with the other entries of its group by
      // one native call (`flush`), on the assumption that it is ASCII (a byte a character).
      let text = value;
      let lengths = '';
      if (mask !== 0) {
        const keys = template!.keys;
        for (let i = 0; i < keys.length; i++) {
          if ((mask & (1 << i)) === 0) continue;
          const v = headers[keys[i]!]!;
          text += v;
          lengths += lengthText(v.length);
        }
      }
      if (key !== undefined) {
        text += key;
        lengths += lengthText(key.length);
      }
      const n = text.length + lengths.length;
      this.room(n);
      const start = this.writeAt;
      this.chunkOf[slot] = this.chunkBase + this.chunks.length - 1;
      this.offsets[slot] = start;
      this.lengths[slot] = value.length;
      this.kinds[slot] = TEXT;
      this.headerAt[slot] = start + text.length;
      this.keyKinds[slot] = key === undefined ? KEY_NONE : KEY_INLINE;
      this.keepHeaders(slot, headers, template, mask);
      this.writeAt = start + n;
      if (this.pendingCount++ === 0) {
        this.pendingAt = start;
        this.pendingSeq = seq;
      }
      this.pending.push(lengths === '' ? text : text + lengths);
      this.pendingKeys.push(key);
      this.pendingValues.push(value);
      this.pendingHeaders.push(headers);
      if (this.pendingCount === GROUP) this.flush();
      return;
    }
    // Bytes go where they are now: the group's texts first, so nothing follows them.
    this.flush();
    this.writePieces(slot, key, value, headers, template, mask);
  }

  /**
   * Writes the pending entries' texts: one native call for the group. When one was not
   * ASCII (more bytes than characters) they are written again, piece by piece after it,
   * each checked for well-formedness (the bytes past the group are free space).
   */
  private flush(): void {
    const count = this.pendingCount;
    if (count === 0) return;
    // Nothing pending from here on (writing again below may call flush).
    this.pendingCount = 0;
    const text = this.pending.join('');
    this.pending = [];
    const bytes = writeText(this.chunks[this.chunks.length - 1]!, text, this.pendingAt);
    const keys = this.pendingKeys;
    const values = this.pendingValues;
    const headers = this.pendingHeaders;
    this.pendingKeys = [];
    this.pendingValues = [];
    this.pendingHeaders = [];
    if (bytes === text.length) return;
    // Positions pendingSeq.. (consecutive), as far as they are still retained, oldest first.
    const oldest = this.lastSeq - this.count + 1;
    for (let j = 0; j < count; j++) {
      const index = this.pendingSeq + j - oldest;
      if (index < 0) continue;
      const slot = (this.start + index) % this.cap;
      const template = this.templates[slot];
      this.writePieces(slot, keys[j], values[j]!, headers[j]!, template, template === undefined ? 0 : this.headerMask[slot]!);
    }
  }

  /** Writes an entry piece by piece at `writeAt`: bytes as they are, text checked for well-formedness. */
  private writePieces(
    slot: number,
    key: string | undefined,
    value: Uint8Array | string,
    headers: Record<string, string>,
    template: Template | undefined,
    mask: number,
  ): void {
    const isText = typeof value === 'string';
    // Room for every text at 3 bytes a character, and each length with its comma.
    let extra = 0;
    if (template !== undefined && mask !== 0) {
      for (let i = 0; i < template.keys.length; i++) if ((mask & (1 << i)) !== 0) extra += LENGTH_BYTES + headers[template.keys[i]!]!.length * 3;
    }
    if (key !== undefined) extra += LENGTH_BYTES + key.length * 3;
    const chunk = this.room((isText ? value.length * 3 : value.byteLength) + extra);
    const start = this.writeAt;
    // The chunk being written (for a HEAP entry too: chunk numbers stay in append order).
    this.chunkOf[slot] = this.chunkBase + this.chunks.length - 1;
    this.offsets[slot] = start;
    let at = start;
    if (!isText) {
      chunk.set(value, at);
      this.lengths[slot] = value.byteLength;
      this.kinds[slot] = BYTES;
      at += value.byteLength;
    } else {
      const bytes = writeText(chunk, value, at);
      // As many bytes as characters: ASCII, well-formed without asking.
      if (bytes === value.length || isWellFormed(value)) {
        this.lengths[slot] = bytes;
        this.kinds[slot] = TEXT;
        at += bytes;
      } else {
        this.lengths[slot] = 0;
        this.kinds[slot] = HEAP;
        this.strings[slot] = value;
      }
    }
    const afterValue = at;
    let pieces = 0;
    let kept = template !== undefined;
    if (kept && mask !== 0) {
      const keys = template!.keys;
      for (let i = 0; i < keys.length; i++) {
        if ((mask & (1 << i)) === 0) continue;
        const n = writeString(chunk, headers[keys[i]!]!, at);
        if (n < 0) {
          // Not well-formed: the headers are kept by reference instead.
          kept = false;
          at = afterValue;
          pieces = 0;
          break;
        }
        this.pieceBytes[pieces++] = n;
        at += n;
      }
    }
    this.keepHeaders(slot, headers, kept ? template : undefined, mask);
    if (key === undefined) this.keyKinds[slot] = KEY_NONE;
    else {
      const n = writeString(chunk, key, at);
      if (n >= 0) {
        this.pieceBytes[pieces++] = n;
        at += n;
        this.keyKinds[slot] = KEY_INLINE;
      } else {
        this.keyKinds[slot] = KEY_HEAP;
        this.keys[slot] = key;
      }
    }
    this.headerAt[slot] = at;
    for (let i = 0; i < pieces; i++) at = writeLength(chunk, at, this.pieceBytes[i]!);
    this.writeAt = at;
  }

  /** The entry's headers: as `template` + the differing values written (`mask`), or by reference when there is no template. */
  private keepHeaders(slot: number, headers: Record<string, string>, template: Template | undefined, mask: number): void {
    if (template !== undefined) {
      this.templates[slot] = template;
      this.headerMask[slot] = mask;
    } else {
      this.templates[slot] = undefined;
      this.headers[slot] = headers;
    }
  }

  /**
   * The template for `headers` (a recent one with the same keys in the same order, else
   * a new one), with `mask` set; undefined when they are kept by reference.
   */
  private templateFor(headers: Record<string, string>): Template | undefined {
    const recent = this.recent;
    for (let r = 0; r < recent.length; r++) {
      const t = recent[r]!;
      const keys = t.keys;
      const values = t.values;
      const cur = this.cur;
      const prev = t === this.prevTemplate ? this.prev : undefined;
      let i = 0;
      let mask = 0;
      let same = true;
      let repeated = false;
      for (const k in headers) {
        if (i === keys.length || keys[i] !== k) {
          same = false;
          break;
        }
        const v = headers[k];
        if (v !== values[i]) {
          if (typeof v !== 'string') return this.noTemplate();
          mask |= 1 << i;
          if (prev !== undefined && v === prev[i]) repeated = true;
        }
        cur[i] = v as string;
        i++;
      }
      if (same && i === keys.length) {
        let chosen = t;
        if (repeated) {
          // A differing value the previous entry had too: this entry's values become the template.
          chosen = { keys, values: cur.slice(0, i) };
          mask = 0;
          recent[r] = chosen;
        }
        if (r > 0) {
          recent.splice(r, 1);
          recent.unshift(chosen);
        }
        this.cur = this.prev;
        this.prev = cur;
        this.prevTemplate = chosen;
        this.mask = mask;
        return chosen;
      }
    }
    const keys: string[] = [];
    const values: string[] = [];
    for (const k in headers) {
      const v = headers[k];
      // `__proto__` would not come back as a key when assigned on replay.
      if (typeof v !== 'string' || keys.length === MAX_TEMPLATE_KEYS || k === '__proto__') return this.noTemplate();
      keys.push(k);
      values.push(v);
    }
    const t: Template = { keys, values };
    recent.unshift(t);
    if (recent.length > RECENT_TEMPLATES) recent.length = RECENT_TEMPLATES;
    // The template's values are this entry's: what the next entry compares with.
    this.prevTemplate = t;
    for (let i = 0; i < values.length; i++) this.prev[i] = values[i]!;
    this.mask = 0;
    return t;
  }

  /** Headers kept by reference: no template, and nothing to compare the next entry's with. */
  private noTemplate(): undefined {
    this.prevTemplate = undefined;
    return undefined;
  }

  /** The retained messages, oldest first, each with a fresh copy of its value. */
  *[Symbol.iterator](): IterableIterator<Entry> {
    this.flush();
    const first = this.lastSeq - this.count + 1;
    for (let i = 0; i < this.count; i++) {
      const slot = (this.start + i) % this.cap;
      const kind = this.kinds[slot];
      const chunk = this.chunks[this.chunkOf[slot]! - this.chunkBase]!;
      let value: Uint8Array | string;
      if (kind === HEAP) value = this.strings[slot]!;
      else {
        const from = this.offsets[slot]!;
        const to = from + this.lengths[slot]!;
        value = kind === TEXT ? readText(chunk, from, to) : Buffer.from(chunk.subarray(from, to));
      }
      // The texts of the differing header values and the key follow the value; their lengths are at headerAt.
      let text = this.offsets[slot]! + this.lengths[slot]!;
      let at = this.headerAt[slot]!;
      const template = this.templates[slot];
      let headers: Record<string, string>;
      if (template === undefined) headers = this.headers[slot]!;
      else {
        headers = {};
        const mask = this.headerMask[slot]!;
        for (let k = 0; k < template.keys.length; k++) {
          if ((mask & (1 << k)) === 0) headers[template.keys[k]!] = template.values[k]!;
          else {
            const n = readLength(chunk, at);
            headers[template.keys[k]!] = readText(chunk, text, text + n);
            text += n;
            at = lengthEnd;
          }
        }
      }
      const keyKind = this.keyKinds[slot];
      const key = keyKind === KEY_NONE ? undefined : keyKind === KEY_HEAP ? this.keys[slot] : readText(chunk, text, text + readLength(chunk, at));
      yield {
        channel: this.channel,
        key,
        value,
        headers,
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
    // The pending texts go to the chunk they were reserved in.
    this.flush();
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
    this.templates[slot] = undefined;
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
    // The ring's two runs, oldest first: [start, end) and [0, wrapped).
    const end = Math.min(from, start + count);
    const wrapped = count - (end - start);
    /** The entries of a typed array in order (oldest at 0), in a new one of `cap` (a copy per run, not per element). */
    function typed<A extends Int32Array | Uint8Array | Float64Array>(a: A, b: A): A {
      b.set(a.subarray(start, end), 0);
      if (wrapped > 0) b.set(a.subarray(0, wrapped), end - start);
      return b;
    }
    function array<T>(a: (T | undefined)[]): (T | undefined)[] {
      const b = new Array<T | undefined>(cap);
      for (let i = 0; i < count; i++) b[i] = a[(start + i) % from];
      return b;
    }
    this.keys = array(this.keys);
    this.keyKinds = typed(this.keyKinds, new Uint8Array(cap));
    this.headers = array(this.headers);
    this.templates = array(this.templates);
    this.headerMask = typed(this.headerMask, new Int32Array(cap));
    this.headerAt = typed(this.headerAt, new Int32Array(cap));
    this.strings = array(this.strings);
    this.kinds = typed(this.kinds, new Uint8Array(cap));
    this.chunkOf = typed(this.chunkOf, new Float64Array(cap));
    this.offsets = typed(this.offsets, new Int32Array(cap));
    this.lengths = typed(this.lengths, new Int32Array(cap));
    this.timestamps = typed(this.timestamps, new Float64Array(cap));
    this.partitions = typed(this.partitions, new Int32Array(cap));
    this.cap = cap;
    this.start = 0;
  }
}

/**
 * Writes `s` as UTF-8 at `at` (room for `s.length * 3` bytes is there): short ASCII with a
 * loop, anything else natively. The bytes written, or -1 when `s` is not well-formed.
 */
function writeString(chunk: Chunk, s: string, at: number): number {
  const n = s.length;
  if (n <= SHORT) {
    let i = 0;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c > 127) break;
      chunk[at + i] = c;
    }
    if (i === n) return n;
  }
  const bytes = writeText(chunk, s, at);
  return bytes === n || isWellFormed(s) ? bytes : -1;
}

/** `${n},` for the lengths most texts have, made once. */
const LENGTH_TEXTS = Array.from({ length: 256 }, (_, n) => `${n},`);

/** A length as `writeLength` writes it. */
const lengthText = (n: number): string => (n < LENGTH_TEXTS.length ? LENGTH_TEXTS[n]! : `${n},`);

/** Where the last `readLength` stopped (after the comma). */
let lengthEnd = 0;

/** Writes `n` in decimal ASCII and a comma at `at` (the form a group's one string carries it in); returns where it ends. */
function writeLength(chunk: Chunk, at: number, n: number): number {
  const digits = `${n}`;
  for (let i = 0; i < digits.length; i++) chunk[at + i] = digits.charCodeAt(i);
  chunk[at + digits.length] = COMMA;
  return at + digits.length + 1;
}

/** Reads a length `writeLength` wrote at `at`, and sets `lengthEnd`. */
function readLength(chunk: Chunk, at: number): number {
  let n = 0;
  let c = chunk[at]!;
  while (c !== COMMA && c !== undefined) {
    n = n * 10 + (c - 48);
    c = chunk[++at]!;
  }
  lengthEnd = at + 1;
  return n;
}
