/**
 * Cut a stream of text into JSON messages without holding the whole input: NDJSON a line
 * at a time, a JSON array an element at a time (a small scanner that tracks depth and
 * strings), or a sequence of top-level JSON values (one pretty-printed object, say).
 * Only the message being cut is ever buffered, so a 1 GB input runs in constant memory.
 */

export type InputMode = 'ndjson' | 'array' | 'json';

/** One message's text and where it starts in the input. */
export interface RawMessage {
  text: string;
  /** 1-based line where the message starts. */
  line: number;
  /** 0-based position in the input (line order for NDJSON, element index in an array). */
  index: number;
}

/** The input's structure is broken beyond one message (e.g. an unclosed array). */
export interface SplitProblem {
  problem: string;
  line: number;
  index: number;
}

export type SplitItem = RawMessage | SplitProblem;

export function isProblem(item: SplitItem): item is SplitProblem {
  return 'problem' in item;
}

const NL = 10;
const QUOTE = 34;
const BACKSLASH = 92;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;
const COMMA = 44;

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13 || c === 0xfeff;
}

/**
 * Decide the mode from the head of the input: `[` first is an array; a first line that is
 * a whole JSON value (or at least balanced) is NDJSON; anything else a JSON value sequence.
 */
export function detectMode(head: string): InputMode {
  let i = 0;
  while (i < head.length && isSpace(head.charCodeAt(i))) i++;
  if (head.charCodeAt(i) === OPEN_BRACKET) return 'array';
  const nl = head.indexOf('\n', i);
  const first = (nl < 0 ? head.slice(i) : head.slice(i, nl)).trim();
  if (first === '') return 'ndjson';
  try {
    JSON.parse(first);
    return 'ndjson';
  } catch {
    // A broken first line of an NDJSON file still closes what it opens; a pretty-printed
    // object's first line (`{`) does not.
    const scan = new Scanner();
    scan.feed(first + '\n', () => {});
    return scan.depth === 0 && nl >= 0 ? 'ndjson' : 'json';
  }
}

/**
 * Depth/string tracking scanner. Reports complete top-level values (json mode) or array
 * elements (array mode) by their text.
 */
class Scanner {
  depth = 0;
  inString = false;
  escaped = false;
  line = 1;
  /** Buffered text of the value being cut (only that). */
  private pending = '';
  private pendingLine = 0;
  /** Array mode: whether the outer `[` was seen, and the `]` that closes it. */
  arrayOpened = false;
  arrayClosed = false;
  index = 0;
  problems: SplitProblem[] = [];

  constructor(private readonly mode: 'array' | 'json' = 'json') {}

  /** Depth at which values are cut: 0 for a value sequence, 1 inside the outer array. */
  private get cutDepth(): number {
    return this.mode === 'array' ? 1 : 0;
  }

  feed(chunk: string, emit: (m: RawMessage) => void): void {
    let start = this.pending === '' && this.pendingLine === 0 ? -1 : 0; // index in chunk where the current value's text starts
    let i = 0;
    const n = chunk.length;
    const flush = (end: number) => {
      const text = this.pending + chunk.slice(Math.max(start, 0), end);
      this.pending = '';
      const line = this.pendingLine;
      this.pendingLine = 0;
      start = -1;
      const trimmed = text.trim();
      if (trimmed !== '') emit({ text: trimmed, line, index: this.index++ });
    };
    const begin = (at: number) => {
      start = at;
      this.pendingLine = this.line;
    };
    while (i < n) {
      if (this.inString) {
        i = this.skipString(chunk, i);
        continue;
      }
      const c = chunk.charCodeAt(i);
      if (c === NL) this.line++;
      if (this.mode === 'array' && !this.arrayOpened) {
        if (c === OPEN_BRACKET) {
          this.arrayOpened = true;
          this.depth = 1;
        } else if (!isSpace(c)) {
          this.problem(`expected "[" to open the array, got ${JSON.stringify(chunk[i])}`);
        }
        i++;
        continue;
      }
      if (this.arrayClosed) {
        if (!isSpace(c)) this.problem(`unexpected ${JSON.stringify(chunk[i])} after the closing "]"`);
        i++;
        continue;
      }
      if (this.depth === this.cutDepth) {
        // Between values: separators end a value, anything else starts one.
        if (isSpace(c)) {
          if (start >= 0 || this.pending !== '') flush(i);
          i++;
          continue;
        }
        if (this.mode === 'array' && (c === COMMA || c === CLOSE_BRACKET)) {
          if (start >= 0 || this.pending !== '') flush(i);
          if (c === CLOSE_BRACKET) {
            this.arrayClosed = true;
            this.depth = 0;
          }
          i++;
          continue;
        }
        if (c === OPEN_BRACE || c === OPEN_BRACKET) {
          if (start >= 0 || this.pending !== '') flush(i);
          begin(i);
          this.depth++;
          i++;
          continue;
        }
        if (start < 0 && this.pending === '') begin(i);
        if (c === QUOTE) this.inString = true;
        i++;
        continue;
      }
      if (c === QUOTE) this.inString = true;
      else if (c === OPEN_BRACE || c === OPEN_BRACKET) this.depth++;
      else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
        this.depth--;
        if (this.depth === this.cutDepth) {
          i++;
          flush(i);
          continue;
        }
      }
      i++;
    }
    if (start >= 0) {
      this.pending += chunk.slice(start);
    }
  }

  end(emit: (m: RawMessage) => void): void {
    if (this.pending.trim() !== '') {
      const text = this.pending.trim();
      this.pending = '';
      emit({ text, line: this.pendingLine, index: this.index++ });
      if (this.mode === 'array') this.problem('the array is not closed: missing "]"');
    } else if (this.mode === 'array' && !this.arrayClosed) {
      this.problem(this.arrayOpened ? 'the array is not closed: missing "]"' : 'expected a JSON array, got an empty input');
    }
  }

  private problem(text: string): void {
    if (this.problems.length < 1) this.problems.push({ problem: text, line: this.line, index: this.index });
  }

  /**
   * From inside a string, the index just past its closing quote (or the chunk's end).
   * Jumps quote to quote: a quote preceded by an odd run of backslashes is escaped.
   * JSON strings hold no raw newlines, so lines need no counting here.
   */
  private skipString(chunk: string, i: number): number {
    let k = i;
    if (this.escaped) {
      this.escaped = false;
      k = i + 1;
    }
    for (;;) {
      const q = chunk.indexOf('"', k);
      const stop = q < 0 ? chunk.length : q;
      let run = 0;
      for (let j = stop - 1; j >= k && chunk.charCodeAt(j) === BACKSLASH; j--) run++;
      if (q < 0) {
        this.escaped = run % 2 === 1;
        return chunk.length;
      }
      if (run % 2 === 1) {
        k = q + 1;
        continue;
      }
      this.inString = false;
      return q + 1;
    }
  }
}

/**
 * Decide the mode (reading just enough of the head to see its first line, at most 64 KiB
 * of a huge single-line value) and hand back every chunk, the head included.
 */
export async function openMessages(chunks: AsyncIterable<string>, mode?: InputMode): Promise<{ mode: InputMode; chunks: AsyncIterable<string> }> {
  if (mode !== undefined) return { mode, chunks };
  let head = '';
  const iterator = chunks[Symbol.asyncIterator]();
  let done = false;
  while (!done && head.indexOf('\n') < 0 && head.length < 65536) {
    const r = await iterator.next();
    if (r.done) done = true;
    else head += r.value;
  }
  const rest: AsyncIterable<string> = {
    [Symbol.asyncIterator]: async function* () {
      if (head !== '') yield head;
      if (done) return;
      for (;;) {
        const r = await iterator.next();
        if (r.done) return;
        yield r.value;
      }
    },
  };
  return { mode: detectMode(head), chunks: rest };
}

/** Split a stream of text chunks into messages. `mode` defaults to detection from the head. */
export async function* splitMessages(chunks: AsyncIterable<string>, mode?: InputMode): AsyncGenerator<SplitItem> {
  const opened = await openMessages(chunks, mode);
  if (opened.mode === 'ndjson') {
    yield* splitLines(opened.chunks);
    return;
  }
  yield* splitValues(opened.chunks, opened.mode);
}

/** Array elements or a value sequence, cut by the scanner, then any structural problem. */
export async function* splitValues(chunks: AsyncIterable<string>, mode: 'array' | 'json'): AsyncGenerator<SplitItem> {
  const scanner = new Scanner(mode);
  const out: RawMessage[] = [];
  const push = (m: RawMessage) => out.push(m);
  for await (const chunk of chunks) {
    scanner.feed(chunk, push);
    yield* out;
    out.length = 0;
    if (scanner.problems.length > 0) break;
  }
  if (scanner.problems.length === 0) scanner.end(push);
  yield* out;
  yield* scanner.problems;
}

/**
 * NDJSON cut synchronously: `push` a chunk, then take its complete lines with `next()`
 * until it says `undefined`; `end()` gives the last line when the input does not end in a
 * newline. Lines are trimmed and blank ones skipped; `line` (1-based) and `index` (0-based,
 * blank lines not counted) describe the line `next()`/`end()` returned last. Only the
 * unfinished line is carried between chunks, so memory is bounded by the longest line.
 * No promise or object per line: this is the loop `evc validate` spends its time in.
 */
export class LineCutter {
  line = 0;
  index = -1;
  private text = '';
  private from = 0;
  private carry = '';

  push(chunk: string): void {
    this.text = this.carry === '' ? chunk : this.carry + chunk;
    this.carry = '';
    this.from = 0;
  }

  next(): string | undefined {
    const text = this.text;
    for (;;) {
      const nl = text.indexOf('\n', this.from);
      if (nl < 0) {
        if (this.from < text.length) this.carry = text.slice(this.from);
        this.text = '';
        this.from = 0;
        return undefined;
      }
      this.line++;
      const one = trimLine(text.slice(this.from, nl));
      this.from = nl + 1;
      if (one !== '') {
        this.index++;
        return one;
      }
    }
  }

  end(): string | undefined {
    this.line++;
    const last = this.carry.trim();
    this.carry = '';
    if (last === '') return undefined;
    this.index++;
    return last;
  }
}

/** `s.trim()`, skipped when both ends are printable ASCII (which no whitespace is). */
function trimLine(s: string): string {
  const a = s.charCodeAt(0);
  const b = s.charCodeAt(s.length - 1);
  return a > 32 && a < 127 && b > 32 && b < 127 ? s : s.trim();
}

async function* splitLines(chunks: AsyncIterable<string>): AsyncGenerator<RawMessage> {
  const cut = new LineCutter();
  for await (const chunk of chunks) {
    cut.push(chunk);
    for (let text = cut.next(); text !== undefined; text = cut.next()) yield { text, line: cut.line, index: cut.index };
  }
  const last = cut.end();
  if (last !== undefined) yield { text: last, line: cut.line, index: cut.index };
}
