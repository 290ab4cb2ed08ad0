/**
 * Reading contract files: YAML or JSON, with a map from JSON pointers to line:col so
 * every diagnostic can name its place.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node, type Pair, type YAMLMap } from 'yaml';
import { ContractError } from './errors.js';
import { type ContractLimits, MAX_ALIAS_EXPANSION, raiseHint, withDefaults } from './limits.js';
import { encodePointerSegment, splitPointer } from './json-pointer.js';
import { type FastParse, type FastPos, fastParse } from './yaml-fast.js';

export interface SourceFile {
  path: string;
  text: string;
  /** The parsed value (plain JSON data). */
  data: unknown;
  /** 1-based line/col of the node at a JSON pointer (nearest existing ancestor when absent). */
  position(pointer: string): { line: number; col: number };
}

/**
 * Parse a file's text. Throws ContractError with the place of the first syntax error, of
 * an alias bomb, or of the first node nested deeper than the limit: all found on the YAML
 * syntax tree, before it is turned into data.
 */
export function parseSource(path: string, text: string, limits?: Partial<ContractLimits>): SourceFile {
  const { maxNestingDepth } = withDefaults(limits);
  // Most contracts are plain block YAML: read in one pass (./yaml-fast.ts). Anything else,
  // errors included, goes through the yaml package below, which has the same data and places.
  const fast = fastParse(text, Math.min(maxNestingDepth, FAST_MAX_DEPTH));
  if (fast) return fastSource(path, text, fast);
  return parseSourceWithYaml(path, text, limits);
}

/** parseSource through the yaml package alone (what the fast reader must agree with; tests compare them). */
export function parseSourceWithYaml(path: string, text: string, limits?: Partial<ContractLimits>): SourceFile {
  const { maxNestingDepth } = withDefaults(limits);
  const lineCounter = new LineCounter();
  // Duplicate keys are found here (firstDuplicateKey), not by the parser: its check scans
  // the entries before each new one, quadratic in a mapping's size (`channels` of thousands).
  const doc = parseDocument(text, { lineCounter, keepSourceTokens: false, uniqueKeys: false, prettyErrors: false });
  const duplicate = firstDuplicateKey(doc);
  if (doc.errors.length > 0 || duplicate !== undefined) {
    // The parser reports errors in document order; a duplicate key before its first one comes first.
    const first =
      duplicate !== undefined && (doc.errors.length === 0 || duplicate < doc.errors[0]!.pos[0])
        ? { pos: [duplicate], code: 'DUPLICATE_KEY', message: 'Map keys must be unique' }
        : doc.errors[0]!;
    const pos = lineCounter.linePos(first.pos[0]!);
    const at = { file: path, pointer: '', line: pos.line, col: pos.col };
    // The YAML parser recurses per level and gives up (RangeError) somewhere past 800.
    if (first.code === 'RESOURCE_EXHAUSTION') {
      throw new ContractError('nesting-too-deep', `nested too deep for the YAML parser (the limit is ${maxNestingDepth} levels of objects/arrays)`, at);
    }
    const reason = first.message.split('\n')[0] ?? first.message;
    throw new ContractError('yaml-syntax', `invalid YAML: ${reason}`, at);
  }
  const firstAlias = checkTree(doc, path, lineCounter, maxNestingDepth);
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 }) as unknown;
  } catch (err) {
    // The yaml package's own alias check (nested aliases used too often): a bomb that
    // slipped under ours. A plain ReferenceError without a place: name the first alias.
    if (!(err instanceof ReferenceError)) throw err;
    const pos = lineCounter.linePos(firstAlias?.offset ?? 0);
    throw new ContractError('yaml-alias', `YAML aliases refused: ${err.message}`, {
      file: path,
      pointer: firstAlias?.pointer ?? '',
      line: pos.line,
      col: pos.col,
    });
  }
  const root = doc.contents as Node | null;
  const cache = new Map<string, { line: number; col: number }>();
  const position = (pointer: string) => {
    const hit = cache.get(pointer);
    if (hit) return hit;
    let node: Node | null = root;
    let found: Node | null = root;
    for (const segment of splitPointer(pointer)) {
      if (node && isMap(node)) {
        const pair = pairByKey(node, segment);
        if (!pair) break;
        // Point at the key of a mapping entry: that is where a reader looks.
        found = (pair.key as Node | null) ?? found;
        node = (pair.value as Node | null) ?? null;
      } else if (node && isSeq(node)) {
        const item = (node.items[Number(segment)] as Node | undefined) ?? null;
        if (!item) break;
        found = item;
        node = item;
      } else {
        break;
      }
    }
    const offset = found?.range?.[0] ?? 0;
    const p = lineCounter.linePos(offset);
    const result = { line: p.line, col: p.col };
    cache.set(pointer, result);
    return result;
  };
  return { path, text, data, position };
}

/** The fast reader leaves deeper documents to the yaml package, whose parser has a depth limit of its own. */
const FAST_MAX_DEPTH = 200;

/** A SourceFile from the fast reader: positions from its offsets, as parseSource's from the syntax tree. */
function fastSource(path: string, text: string, fast: FastParse): SourceFile {
  let lineCounter: LineCounter | undefined;
  const cache = new Map<string, { line: number; col: number }>();
  const position = (pointer: string) => {
    const hit = cache.get(pointer);
    if (hit) return hit;
    let node: FastPos | null = fast.root;
    let found = fast.rootOffset;
    for (const segment of splitPointer(pointer)) {
      if (!node) break;
      const i: number = node.keys ? fastKeyIndex(node, segment) : Number(segment);
      const offset = node.offsets[i];
      if (offset === undefined) break;
      found = offset;
      node = node.kids[i] ?? null;
    }
    if (!lineCounter) {
      // Line starts as the yaml package's lexer records them.
      lineCounter = new LineCounter();
      lineCounter.addNewLine(0);
      for (let i: number = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lineCounter.addNewLine(i + 1);
    }
    const p = lineCounter.linePos(found);
    const result = { line: p.line, col: p.col };
    cache.set(pointer, result);
    return result;
  };
  return { path, text, data: fast.data, position };
}

function fastKeyIndex(node: FastPos, key: string): number {
  const keys = node.keys!;
  if (keys.length <= 16) return keys.indexOf(key);
  if (!node.index) {
    node.index = new Map();
    keys.forEach((k, i) => node.index!.set(k, i));
  }
  return node.index.get(key) ?? -1;
}

/**
 * Keys of big mappings, indexed on first lookup: a contract's `channels` or `operations`
 * may hold thousands of entries, each located once (a linear scan each made loading
 * quadratic in the contract's size).
 */
const keyIndex = new WeakMap<YAMLMap, Map<string, Pair>>();

function pairByKey(node: YAMLMap, key: string): Pair | undefined {
  if (node.items.length <= 16) return node.items.find((p) => keyText(p.key) === key);
  let index = keyIndex.get(node);
  if (!index) {
    index = new Map();
    for (const p of node.items) {
      const k = keyText(p.key);
      // The first entry of a key, as a scan finds it.
      if (!index.has(k)) index.set(k, p);
    }
    keyIndex.set(node, index);
  }
  return index.get(key);
}

/**
 * Offset of the first key that repeats an earlier key of its mapping, as the yaml
 * package's `uniqueKeys` check finds them (scalar keys equal by value, other keys only to
 * themselves), in document order; undefined when there is none. Iterative: the tree may
 * be deeper than the stack.
 */
function firstDuplicateKey(doc: Document): number | undefined {
  let first: number | undefined;
  const stack: unknown[] = doc.contents ? [doc.contents] : [];
  while (stack.length > 0) {
    const node = stack.pop();
    if (isMap(node)) {
      const seen = new Set<unknown>();
      for (const pair of node.items) {
        const key = pair.key;
        // NaN is not equal to itself for the parser's check either.
        if (isScalar(key) && !(typeof key.value === 'number' && Number.isNaN(key.value))) {
          if (seen.has(key.value)) {
            const at = key.range?.[0];
            if (at !== undefined && (first === undefined || at < first)) first = at;
          } else seen.add(key.value);
        }
        if (key && typeof key === 'object') stack.push(key);
        if (pair.value) stack.push(pair.value);
      }
    } else if (isSeq(node)) {
      for (const item of node.items) if (item) stack.push(item);
    }
  }
  return first;
}

function keyText(key: unknown): string {
  return isScalar(key) ? String(key.value) : String(key);
}

/**
 * One pass over the syntax tree (iterative: the tree may be deeper than the stack) that
 * refuses, at the place it happens:
 * - an alias to an unknown anchor or to a node that contains it (the data would be circular);
 * - aliases that together repeat more than MAX_ALIAS_EXPANSION nodes (a "billion laughs");
 * - a mapping or sequence deeper than `maxDepth` levels, aliases counted as what they repeat.
 * Returns the first alias (for the yaml package's own check, see parseSource).
 */
function checkTree(doc: Document, path: string, lineCounter: LineCounter, maxDepth: number): { offset: number; pointer: string } | undefined {
  /**
   * A node on the walk. Its JSON pointer is only spelled out when a refusal or the first
   * alias needs it (pointerOf): most nodes of a big contract never need theirs.
   */
  interface Frame {
    node: Node;
    parent: Frame | undefined;
    /** How the parent holds it: the key of a mapping entry (the mapping's own pointer), the value of a key, an item. */
    via: 'key' | 'value' | 'item';
    /** The entry's key (via 'value') or the item's index (via 'item'). */
    step: unknown;
    /** The level this node has when it is a mapping or sequence (the root's is 1). */
    level: number;
    /** Where a reader looks for it: the key of a mapping entry, else the node. */
    offset: number;
    /** Its children, once entered (a mapping or sequence); the walk leaves it when it meets it again. */
    kids: Frame[] | undefined;
    /** Nodes in the subtree once aliases are expanded, and levels of mappings/sequences in it (0 for a scalar). */
    size: number;
    height: number;
  }
  const pointerOf = (frame: Frame): string => {
    const segments: string[] = [];
    for (let f: Frame | undefined = frame; f; f = f.parent) {
      if (f.via === 'value') segments.push(encodePointerSegment(keyText(f.step)));
      else if (f.via === 'item') segments.push(String(f.step));
    }
    let pointer = '';
    for (let i = segments.length - 1; i >= 0; i--) pointer += `/${segments[i]}`;
    return pointer;
  };
  /** Subtree stats of the anchored nodes walked so far (an alias repeats its anchor's). */
  const anchored = new Map<Node, { size: number; height: number }>();
  const anchors = new Map<string, Node>();
  let expanded = 0;
  let firstAlias: { offset: number; pointer: string } | undefined;
  const fail = (rule: string, message: string, frame: Frame): never => {
    const pos = lineCounter.linePos(frame.offset);
    throw new ContractError(rule, message, { file: path, pointer: pointerOf(frame), line: pos.line, col: pos.col });
  };
  const frameOf = (node: Node, parent: Frame | undefined, via: Frame['via'], step: unknown, level: number, offset: number): Frame => ({
    node,
    parent,
    via,
    step,
    level,
    offset,
    kids: undefined,
    size: 1,
    height: 0,
  });
  const children = (frame: Frame): Frame[] => {
    const { node, level } = frame;
    const out: Frame[] = [];
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = pair.key as Node | null;
        const value = pair.value as Node | null;
        const keyOffset = key?.range?.[0] ?? frame.offset;
        if (key && typeof key === 'object') out.push(frameOf(key, frame, 'key', undefined, level + 1, keyOffset));
        if (value) out.push(frameOf(value, frame, 'value', key, level + 1, keyOffset));
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        const n = item as Node | null;
        if (n) out.push(frameOf(n, frame, 'item', i, level + 1, n.range?.[0] ?? frame.offset));
      });
    }
    return out;
  };
  const root = doc.contents as Node | null;
  if (!root) return undefined;
  const stack: Frame[] = [frameOf(root, undefined, 'key', undefined, 1, root.range?.[0] ?? 0)];
  while (stack.length > 0) {
    const frame = stack.pop()!;
    const { node } = frame;
    if (frame.kids) {
      // Leaving a mapping or sequence: its children are done.
      let size = 1;
      let height = 0;
      for (const child of frame.kids) {
        size += child.size;
        height = Math.max(height, child.height);
      }
      frame.size = size;
      frame.height = height + 1;
      if (node.anchor) anchored.set(node, { size, height: height + 1 });
      continue;
    }
    if (isAlias(node)) {
      firstAlias ??= { offset: frame.offset, pointer: pointerOf(frame) };
      const target = anchors.get(node.source);
      if (!target) fail('yaml-alias', `alias *${node.source} names no anchor before it (&${node.source})`, frame);
      const s = anchored.get(target!);
      if (!s) fail('yaml-alias', `alias *${node.source} is inside the node it names: the data would be circular`, frame);
      expanded += s!.size;
      if (expanded > MAX_ALIAS_EXPANSION) {
        fail(
          'yaml-alias',
          `YAML aliases expand the document by more than ${MAX_ALIAS_EXPANSION} nodes (here *${node.source}, ${s!.size} nodes): refused as an alias bomb`,
          frame,
        );
      }
      if (frame.level - 1 + s!.height > maxDepth) {
        fail('nesting-too-deep', `alias *${node.source} nests deeper than ${maxDepth} levels of objects/arrays (${raiseHint('maxNestingDepth')})`, frame);
      }
      frame.size = s!.size;
      frame.height = s!.height;
      continue;
    }
    if (node.anchor) anchors.set(node.anchor, node);
    if (!isMap(node) && !isSeq(node)) {
      if (node.anchor) anchored.set(node, { size: 1, height: 0 });
      continue;
    }
    if (frame.level > maxDepth) fail('nesting-too-deep', `nested deeper than ${maxDepth} levels of objects/arrays (${raiseHint('maxNestingDepth')})`, frame);
    frame.kids = children(frame);
    stack.push(frame);
    for (let i = frame.kids.length - 1; i >= 0; i--) stack.push(frame.kids[i]!);
  }
  return firstAlias;
}

/**
 * Read and parse a file from disk. Throws ContractError when it cannot be read, is not a
 * regular file, or is larger than the limit (checked before a byte is read).
 */
export function readSource(path: string, limits?: Partial<ContractLimits>): SourceFile {
  const { maxContractBytes } = withDefaults(limits);
  const unreadable = (what: string) => new ContractError('file-unreadable', `${what}: ${path}`, { file: path, pointer: '', line: 0, col: 0 });
  const tooLarge = (size: number) =>
    new ContractError(
      'contract-too-large',
      `file is ${size} bytes, over the limit of ${maxContractBytes} bytes for a contract file (${raiseHint('maxContractBytes')})`,
      { file: path, pointer: '', line: 1, col: 1 },
    );
  let text: string;
  let fd: number | undefined;
  try {
    // stat before open: opening a pipe waits for a writer; a device (/dev/zero) never ends.
    const stat = statSync(path);
    if (stat.isDirectory()) throw unreadable('is a directory, expected a file');
    if (!stat.isFile()) throw unreadable('not a regular file');
    if (stat.size > maxContractBytes) throw tooLarge(stat.size);
    fd = openSync(path, 'r');
    // Read at most one byte past the limit, whatever the file became since the stat.
    const bytes = readAtMost(fd, maxContractBytes + 1);
    if (bytes.length > maxContractBytes) throw tooLarge(bytes.length);
    text = bytes.toString('utf8');
  } catch (err) {
    if (err instanceof ContractError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    const what = code === 'ENOENT' ? 'file not found' : code === 'EISDIR' ? 'is a directory, expected a file' : `cannot read file (${code ?? String(err)})`;
    throw unreadable(what);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  return parseSource(path, text, limits);
}

function readAtMost(fd: number, max: number): Buffer {
  const chunks: Buffer[] = [];
  let total = 0;
  while (total < max) {
    const chunk = Buffer.allocUnsafe(Math.min(1024 * 1024, max - total));
    const n = readSync(fd, chunk, 0, chunk.length, null);
    if (n === 0) break;
    chunks.push(n === chunk.length ? chunk : chunk.subarray(0, n));
    total += n;
  }
  return Buffer.concat(chunks, total);
}
