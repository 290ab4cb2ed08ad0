/**
 * A fast reader for the plain shape most contracts have: block mappings and sequences,
 * one-line plain and quoted scalars, one-line flow collections, literal and folded block
 * scalars. It builds the data and a tree of node offsets in one pass over the text, about
 * an order of magnitude less work than the yaml package's tokens, syntax tree and nodes.
 *
 * It gives up (undefined) at the first thing outside that shape or that it is not sure of:
 * anchors, aliases, tags, directives, document markers, tabs, carriage returns, multi-line
 * plain or quoted scalars, keys that are not strings (or that a plain object would order or
 * treat differently: integer-like keys, `__proto__`, `<<`), duplicate keys, nesting near the
 * limit, anything the yaml package would call an error. The caller then parses with the
 * yaml package, which finds the same data and positions or names the error (source.ts):
 * this reader never reports an error itself.
 */

/** Offsets of a mapping's keys or a sequence's items, with the same for their children. */
export interface FastPos {
  /** A mapping's keys, in order (undefined for a sequence). */
  keys: string[] | undefined;
  /** Offset of each key (mapping) or item (sequence). */
  offsets: number[];
  /** Each entry's value, when it is a mapping or sequence. */
  kids: Array<FastPos | null>;
  /** Key -> entry, built for big mappings on first lookup. */
  index?: Map<string, number>;
}

export interface FastParse {
  data: unknown;
  /** Offset of the top node (its first key, or its first item's `-`). */
  rootOffset: number;
  root: FastPos;
}

const BAIL = new Error('not the fast shape');

// Characters the fast reader leaves to the yaml package wherever they are.
const UNUSUAL = /[\t\r\x00-\x08\x0b-\x1f\x7f\x85\u2028\u2029\ufeff]/;

const NULL = /^(?:~|[Nn]ull|NULL)?$/;
const BOOL = /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/;
const INT_OCT = /^0o[0-7]+$/;
const INT = /^[-+]?[0-9]+$/;
const INT_HEX = /^0x[0-9a-fA-F]+$/;
const FLOAT_NAN = /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;
const FLOAT_EXP = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/;
const FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/;

/** A plain scalar's value under the YAML 1.2 core schema, as the yaml package resolves it (its tags, in its order). */
function resolvePlain(text: string): unknown {
  const c = text.charCodeAt(0);
  // Only these can start a null, bool, int or float: anything else is a string.
  // + - . 0-9 ~ N n T t F f
  if (!(c === 43 || c === 45 || c === 46 || (c >= 48 && c <= 57) || c === 126 || c === 78 || c === 110 || c === 84 || c === 116 || c === 70 || c === 102)) {
    return text;
  }
  if (NULL.test(text)) return null;
  if (BOOL.test(text)) return c === 116 || c === 84;
  if (INT_OCT.test(text)) return parseInt(text.substring(2), 8);
  if (INT.test(text)) return parseInt(text, 10);
  if (INT_HEX.test(text)) return parseInt(text.substring(2), 16);
  if (FLOAT_NAN.test(text)) return text.slice(-3).toLowerCase() === 'nan' ? NaN : text[0] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  if (FLOAT_EXP.test(text)) return parseFloat(text);
  if (FLOAT.test(text)) return parseFloat(text);
  return text;
}

/** A key a plain object keeps as written and in order: a string that is not integer-like, `__proto__` or `<<`. */
function checkKey(key: unknown): string {
  if (typeof key !== 'string' || key === '__proto__' || key === '<<') throw BAIL;
  const c = key.charCodeAt(0);
  if (c >= 48 && c <= 57 && /^[0-9]+$/.test(key)) throw BAIL;
  return key;
}

const ESCAPES: Record<string, string> = {
  '0': '\0',
  a: '\x07',
  b: '\b',
  e: '\x1b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  N: '\u0085',
  _: '\u00a0',
  L: '\u2028',
  P: '\u2029',
  ' ': ' ',
  '"': '"',
  '/': '/',
  '\\': '\\',
};

/**
 * Parse `text`; undefined when it is not in the fast shape (the caller parses it with the
 * yaml package). `maxDepth`: mappings/sequences nested deeper are left to the yaml package's
 * path, which refuses them with their place.
 */
export function fastParse(text: string, maxDepth: number): FastParse | undefined {
  if (UNUSUAL.test(text)) return undefined;
  try {
    return new Reader(text, maxDepth).document();
  } catch (err) {
    if (err === BAIL) return undefined;
    throw err;
  }
}

class Reader {
  private readonly s: string;
  private readonly len: number;
  private readonly maxDepth: number;
  /** Start of the line the reader is at. */
  private ls = 0;
  /** End of that line (its newline, or the end of the text). */
  private le = 0;

  constructor(text: string, maxDepth: number) {
    this.s = text;
    this.len = text.length;
    // Leave a margin: the yaml package's path decides what happens near the limit.
    this.maxDepth = maxDepth - 2;
  }

  document(): FastParse {
    this.setLine(0);
    const indent = this.skipBlank();
    if (indent < 0) throw BAIL;
    const at = this.ls + indent;
    const out = this.node(indent, at, 1);
    if (this.skipBlank() >= 0) throw BAIL;
    return { data: out.value, rootOffset: at, root: out.pos };
  }

  private setLine(start: number): void {
    this.ls = start;
    const nl = this.s.indexOf('\n', start);
    this.le = nl < 0 ? this.len : nl;
  }

  private nextLine(): void {
    this.setLine(this.le < this.len ? this.le + 1 : this.len);
  }

  /**
   * Move to the next line with content (not blank, not only a comment), from the current
   * one; its indent, or -1 at the end of the text.
   */
  private skipBlank(): number {
    const s = this.s;
    for (;;) {
      if (this.ls >= this.len) return -1;
      let i = this.ls;
      while (i < this.le && s.charCodeAt(i) === 32) i++;
      if (i < this.le && s.charCodeAt(i) !== 35) {
        const indent = i - this.ls;
        if (indent === 0) {
          const c = s.charCodeAt(i);
          // Directives and document markers.
          if (c === 37) throw BAIL;
          if ((c === 45 || c === 46) && s.startsWith(c === 45 ? '---' : '...', i)) {
            const after = s.charCodeAt(i + 3);
            if (i + 3 >= this.le || after === 32) throw BAIL;
          }
        }
        return indent;
      }
      if (this.le >= this.len) {
        this.ls = this.len;
        return -1;
      }
      this.nextLine();
    }
  }

  /** `-` at `at` followed by a space or the end of the line. */
  private isDash(at: number): boolean {
    if (this.s.charCodeAt(at) !== 45) return false;
    return at + 1 >= this.le || this.s.charCodeAt(at + 1) === 32;
  }

  /** A block node whose first line's content is at `at` (column `col`): a sequence or a mapping. */
  private node(col: number, at: number, level: number): { value: unknown; pos: FastPos } {
    if (level > this.maxDepth) throw BAIL;
    return this.isDash(at) ? this.sequence(col, level) : this.mapping(col, at, level);
  }

  private mapping(col: number, first: number, level: number): { value: unknown; pos: FastPos } {
    const s = this.s;
    const obj: Record<string, unknown> = {};
    const keys: string[] = [];
    const offsets: number[] = [];
    const kids: Array<FastPos | null> = [];
    let at = first;
    for (;;) {
      // The key, up to its `:`.
      let key: string;
      let i: number;
      const c = s.charCodeAt(at);
      if (c === 34 || c === 39) {
        const q = this.quoted(at);
        key = q.value;
        i = q.end;
        if (s.charCodeAt(i) !== 58) throw BAIL;
      } else {
        if (isIndicator(c)) throw BAIL;
        i = at;
        for (;;) {
          i = this.find(58, i);
          if (i < 0) throw BAIL;
          const n = s.charCodeAt(i + 1);
          if (i + 1 >= this.le || n === 32) break;
          i++;
        }
        const raw = s.slice(at, i);
        if (raw.includes(' #') || raw.length > 1000) throw BAIL;
        key = checkKey(resolvePlain(raw.trimEnd()));
      }
      key = checkKey(key);
      if (Object.hasOwn(obj, key)) throw BAIL;
      // After the `:`.
      i++;
      if (i < this.le && s.charCodeAt(i) !== 32) throw BAIL;
      while (i < this.le && s.charCodeAt(i) === 32) i++;
      let value: unknown;
      let kid: FastPos | null = null;
      if (i >= this.le || s.charCodeAt(i) === 35) {
        // Nothing on the line: the value is the block below, or null.
        this.nextLine();
        const indent = this.skipBlank();
        if (indent > col || (indent === col && this.isDash(this.ls + indent))) {
          const out = this.node(indent, this.ls + indent, level + 1);
          value = out.value;
          kid = out.pos;
        } else {
          value = null;
        }
      } else {
        const out = this.inlineValue(i, col, level);
        value = out.value;
        kid = out.pos;
      }
      obj[key] = value;
      keys.push(key);
      offsets.push(at);
      kids.push(kid);
      const indent = this.skipBlank();
      if (indent < col) break;
      if (indent > col || this.isDash(this.ls + indent)) throw BAIL;
      at = this.ls + indent;
    }
    return { value: obj, pos: { keys, offsets, kids } };
  }

  private sequence(col: number, level: number): { value: unknown; pos: FastPos } {
    const s = this.s;
    const items: unknown[] = [];
    const offsets: number[] = [];
    const kids: Array<FastPos | null> = [];
    for (;;) {
      let i = this.ls + col + 1;
      while (i < this.le && s.charCodeAt(i) === 32) i++;
      if (i >= this.le || s.charCodeAt(i) === 35) {
        // The item is the block below (an empty item is left to the yaml package).
        this.nextLine();
        const indent = this.skipBlank();
        if (indent <= col) throw BAIL;
        const at = this.ls + indent;
        const out = this.node(indent, at, level + 1);
        items.push(out.value);
        offsets.push(at);
        kids.push(out.pos);
      } else if (this.isDash(i)) {
        throw BAIL;
      } else if (this.startsKey(i)) {
        // A mapping begun on the item's line.
        const out = this.mapping(i - this.ls, i, level + 1);
        items.push(out.value);
        offsets.push(i);
        kids.push(out.pos);
      } else {
        const out = this.inlineValue(i, col, level);
        items.push(out.value);
        offsets.push(i);
        kids.push(out.pos);
      }
      const indent = this.skipBlank();
      if (indent < col) break;
      if (indent > col) throw BAIL;
      if (!this.isDash(this.ls + indent)) break;
    }
    return { value: items, pos: { keys: undefined, offsets, kids } };
  }

  /** Whether the line's content from `at` is a mapping's key and its `:`. */
  private startsKey(at: number): boolean {
    const s = this.s;
    const c = s.charCodeAt(at);
    if (c === 34 || c === 39) {
      const q = this.quoted(at);
      return s.charCodeAt(q.end) === 58;
    }
    if (c === 91 || c === 123) return false;
    for (let i = at; ; i++) {
      i = this.find(58, i);
      if (i < 0) return false;
      if (i + 1 >= this.le || s.charCodeAt(i + 1) === 32) {
        // A comment before it: not a key.
        const hash = this.comment(at);
        return hash < 0 || hash > i;
      }
    }
  }

  /**
   * A value that starts on its key's (or item's) line at `i`, inside a block node at column
   * `col`: a block scalar, a flow collection, a quoted or a plain scalar. Leaves the reader on
   * the line after it.
   */
  private inlineValue(i: number, col: number, level: number): { value: unknown; pos: FastPos | null } {
    const s = this.s;
    const c = s.charCodeAt(i);
    if (c === 124 || c === 62) return { value: this.blockScalar(i, col), pos: null };
    let value: unknown;
    let pos: FastPos | null = null;
    let end: number;
    if (c === 91 || c === 123) {
      const out = this.flow(i, level + 1);
      value = out.value;
      pos = out.pos;
      end = out.end;
    } else if (c === 34 || c === 39) {
      const q = this.quoted(i);
      value = q.value;
      end = q.end;
    } else {
      if (isIndicator(c) && !((c === 45 || c === 63 || c === 58) && s.charCodeAt(i + 1) !== 32 && i + 1 < this.le)) throw BAIL;
      let stop = this.comment(i);
      if (stop < 0) stop = this.le;
      const raw = s.slice(i, stop).trimEnd();
      if (raw.includes(': ') || raw.endsWith(':')) throw BAIL;
      value = resolvePlain(raw);
      end = stop;
    }
    // Only spaces and a comment may follow on the line.
    while (end < this.le && s.charCodeAt(end) === 32) end++;
    if (end < this.le && (s.charCodeAt(end) !== 35 || s.charCodeAt(end - 1) !== 32)) throw BAIL;
    this.nextLine();
    // A more indented line after a one-line value: a continuation, or an error.
    const indent = this.skipBlank();
    if (indent > col) throw BAIL;
    return { value, pos };
  }

  /** A quoted scalar on one line from `at`; `end` is just past its closing quote. */
  private quoted(at: number): { value: string; end: number } {
    const s = this.s;
    if (s.charCodeAt(at) === 39) {
      let value = '';
      let from = at + 1;
      for (;;) {
        const q = this.find(39, from);
        if (q < 0) throw BAIL;
        value += s.slice(from, q);
        if (s.charCodeAt(q + 1) === 39) {
          value += "'";
          from = q + 2;
          continue;
        }
        return { value, end: q + 1 };
      }
    }
    let value = '';
    let from = at + 1;
    for (let i = from; ; i++) {
      if (i >= this.le) throw BAIL;
      const c = s.charCodeAt(i);
      if (c === 34) {
        value += s.slice(from, i);
        return { value, end: i + 1 };
      }
      if (c !== 92) continue;
      value += s.slice(from, i);
      const next = s[i + 1];
      if (next === undefined || i + 1 >= this.le) throw BAIL;
      const plain = ESCAPES[next];
      if (plain !== undefined && Object.hasOwn(ESCAPES, next)) {
        value += plain;
        i += 1;
      } else if (next === 'x' || next === 'u' || next === 'U') {
        const length = next === 'x' ? 2 : next === 'u' ? 4 : 8;
        const hex = s.substr(i + 2, length);
        if (hex.length !== length || !/^[0-9a-fA-F]+$/.test(hex) || i + 2 + length > this.le) throw BAIL;
        const code = parseInt(hex, 16);
        if (code > 0x10ffff) throw BAIL;
        value += String.fromCodePoint(code);
        i += 1 + length;
      } else {
        throw BAIL;
      }
      from = i + 1;
    }
  }

  /** A flow collection on one line from `at` (`[` or `{`); `end` is just past its close. */
  private flow(at: number, level: number): { value: unknown; pos: FastPos; end: number } {
    if (level > this.maxDepth) throw BAIL;
    const s = this.s;
    const isMap = s.charCodeAt(at) === 123;
    const close = isMap ? 125 : 93;
    const offsets: number[] = [];
    const kids: Array<FastPos | null> = [];
    const keys: string[] | undefined = isMap ? [] : undefined;
    const obj: Record<string, unknown> = {};
    const items: unknown[] = [];
    let i = this.spaces(at + 1);
    if (s.charCodeAt(i) === close) return { value: isMap ? obj : items, pos: { keys, offsets, kids }, end: i + 1 };
    for (;;) {
      if (i >= this.le) throw BAIL;
      const start = i;
      if (keys) {
        const c = s.charCodeAt(i);
        let key: unknown;
        if (c === 34 || c === 39) {
          const q = this.quoted(i);
          key = q.value;
          i = q.end;
          if (s.charCodeAt(i) !== 58) throw BAIL;
        } else {
          if (isIndicator(c)) throw BAIL;
          let j = i;
          for (;;) {
            if (j >= this.le) throw BAIL;
            const d = s.charCodeAt(j);
            if (d === 44 || d === 91 || d === 93 || d === 123 || d === 125 || (d === 35 && s.charCodeAt(j - 1) === 32)) throw BAIL;
            if (d === 58) {
              const n = s.charCodeAt(j + 1);
              if (n === 32) break;
              if (j + 1 >= this.le || n === 44 || n === 93 || n === 125) throw BAIL;
            }
            j++;
          }
          key = resolvePlain(s.slice(i, j).trimEnd());
          i = j;
        }
        const name = checkKey(key);
        if (Object.hasOwn(obj, name)) throw BAIL;
        // Past the `:` and the space after it.
        i = this.spaces(i + 1);
        if (i === start || s.charCodeAt(i - 1) !== 32) throw BAIL;
        const out = this.flowItem(i, level);
        obj[name] = out.value;
        keys.push(name);
        offsets.push(start);
        kids.push(out.pos);
        i = out.end;
      } else {
        const out = this.flowItem(i, level);
        items.push(out.value);
        offsets.push(start);
        kids.push(out.pos);
        i = out.end;
      }
      i = this.spaces(i);
      const c = s.charCodeAt(i);
      if (i >= this.le) throw BAIL;
      if (c === close) return { value: isMap ? obj : items, pos: { keys, offsets, kids }, end: i + 1 };
      if (c !== 44) throw BAIL;
      i = this.spaces(i + 1);
      // A trailing comma, or an empty entry.
      if (s.charCodeAt(i) === close || s.charCodeAt(i) === 44) throw BAIL;
    }
  }

  /** A value inside a flow collection at `i`: a flow collection, a quoted or a plain scalar. */
  private flowItem(i: number, level: number): { value: unknown; pos: FastPos | null; end: number } {
    const s = this.s;
    if (i >= this.le) throw BAIL;
    const c = s.charCodeAt(i);
    if (c === 91 || c === 123) return this.flow(i, level + 1);
    if (c === 34 || c === 39) {
      const q = this.quoted(i);
      // `"a": b` inside a sequence is a mapping.
      if (s.charCodeAt(this.spaces(q.end)) === 58) throw BAIL;
      return { value: q.value, pos: null, end: q.end };
    }
    if (isIndicator(c)) throw BAIL;
    let j = i;
    for (;;) {
      if (j >= this.le) throw BAIL;
      const d = s.charCodeAt(j);
      if (d === 44 || d === 93 || d === 125) break;
      if (d === 91 || d === 123 || d === 58 || (d === 35 && s.charCodeAt(j - 1) === 32)) throw BAIL;
      j++;
    }
    return { value: resolvePlain(s.slice(i, j).trimEnd()), pos: null, end: j };
  }

  /** The first `code` on the line from `from`, or -1 (indexOf would look past the line, all the way through a big text). */
  private find(code: number, from: number): number {
    const s = this.s;
    for (let i = from; i < this.le; i++) if (s.charCodeAt(i) === code) return i;
    return -1;
  }

  /** The space of the first ` #` on the line from `from` (a comment's start), or -1. */
  private comment(from: number): number {
    const s = this.s;
    for (let i = from + 1; i < this.le; i++) if (s.charCodeAt(i) === 35 && s.charCodeAt(i - 1) === 32) return i - 1;
    return -1;
  }

  private spaces(i: number): number {
    while (i < this.le && this.s.charCodeAt(i) === 32) i++;
    return i;
  }

  /**
   * A literal (`|`) or folded (`>`) block scalar whose header is at `at`, in a block node at
   * column `col`. Chomping indicators are read; an explicit indentation, leading empty lines,
   * lines indented more than the first (folded) or blank lines longer than the indentation
   * are left to the yaml package. Leaves the reader on the first line after it.
   */
  private blockScalar(at: number, col: number): string {
    const s = this.s;
    const folded = s.charCodeAt(at) === 62;
    let i = at + 1;
    let chomp: 'clip' | 'strip' | 'keep' = 'clip';
    if (s.charCodeAt(i) === 45) {
      chomp = 'strip';
      i++;
    } else if (s.charCodeAt(i) === 43) {
      chomp = 'keep';
      i++;
    }
    if (i < this.le && s.charCodeAt(i) !== 32) throw BAIL;
    i = this.spaces(i);
    if (i < this.le && s.charCodeAt(i) !== 35) throw BAIL;
    // The content: lines indented as the first one, and blank lines.
    this.nextLine();
    if (this.ls >= this.len) throw BAIL;
    let indent = 0;
    while (this.ls + indent < this.le && s.charCodeAt(this.ls + indent) === 32) indent++;
    if (this.ls + indent >= this.le || indent <= col) throw BAIL;
    const lines: string[] = [];
    let blanks = 0;
    let lastEnd = 0;
    for (;;) {
      if (this.ls >= this.len) break;
      let n = 0;
      while (this.ls + n < this.le && s.charCodeAt(this.ls + n) === 32) n++;
      if (this.ls + n >= this.le) {
        // A blank line.
        if (n > indent) throw BAIL;
        blanks++;
      } else if (n < indent) {
        break;
      } else {
        if (folded && n > indent) throw BAIL;
        for (let k = 0; k < blanks; k++) lines.push('');
        blanks = 0;
        lines.push(s.slice(this.ls + indent, this.le));
        lastEnd = this.le;
      }
      if (this.le >= this.len) {
        this.ls = this.len;
        break;
      }
      this.nextLine();
    }
    // Line breaks after the last content line (kept by `+`).
    let breaks = 0;
    for (let k = lastEnd; k < this.ls && k < this.len; k++) if (s.charCodeAt(k) === 10) breaks++;
    let body: string;
    if (!folded) {
      body = lines.join('\n');
    } else {
      body = lines[0]!;
      let empty = 0;
      for (let k = 1; k < lines.length; k++) {
        const line = lines[k]!;
        if (line === '') {
          empty++;
          continue;
        }
        body += (empty === 0 ? ' ' : '\n'.repeat(empty)) + line;
        empty = 0;
      }
    }
    // The last content line ends with a line break, also at the end of the text.
    if (chomp === 'strip') return body;
    if (chomp === 'clip') return `${body}\n`;
    return body + '\n'.repeat(Math.max(breaks, 1));
  }
}

/** Characters a plain scalar may not start with (some may when a non-space follows: left to the yaml package). */
function isIndicator(c: number): boolean {
  // - ? : , [ ] { } # & * ! | > ' " % @ `
  return (
    c === 45 ||
    c === 63 ||
    c === 58 ||
    c === 44 ||
    c === 91 ||
    c === 93 ||
    c === 123 ||
    c === 125 ||
    c === 35 ||
    c === 38 ||
    c === 42 ||
    c === 33 ||
    c === 124 ||
    c === 62 ||
    c === 39 ||
    c === 34 ||
    c === 37 ||
    c === 64 ||
    c === 96 ||
    c === 32 ||
    Number.isNaN(c)
  );
}
