/**
 * Reading contract files: YAML or JSON, with a map from JSON pointers to line:col so
 * every diagnostic can name its place.
 */
import { readFileSync } from 'node:fs';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { ContractError } from './errors.js';
import { splitPointer } from './json-pointer.js';

export interface SourceFile {
  path: string;
  text: string;
  /** The parsed value (plain JSON data). */
  data: unknown;
  /** 1-based line/col of the node at a JSON pointer (nearest existing ancestor when absent). */
  position(pointer: string): { line: number; col: number };
}

/** Parse a file's text. Throws ContractError with the place of the first syntax error. */
export function parseSource(path: string, text: string): SourceFile {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, keepSourceTokens: false, uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    const first = doc.errors[0]!;
    const pos = lineCounter.linePos(first.pos[0]);
    const reason = first.message.split('\n')[0] ?? first.message;
    throw new ContractError('yaml-syntax', `invalid YAML: ${reason}`, { file: path, pointer: '', line: pos.line, col: pos.col });
  }
  const data = doc.toJS({ maxAliasCount: 100 }) as unknown;
  const root = doc.contents as Node | null;
  const cache = new Map<string, { line: number; col: number }>();
  const position = (pointer: string) => {
    const hit = cache.get(pointer);
    if (hit) return hit;
    let node: Node | null = root;
    let found: Node | null = root;
    for (const segment of splitPointer(pointer)) {
      if (node && isMap(node)) {
        const pair = node.items.find((p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === segment);
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

/** Read and parse a file from disk. Throws ContractError when it cannot be read. */
export function readSource(path: string): SourceFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const what = code === 'ENOENT' ? 'file not found' : code === 'EISDIR' ? 'is a directory, expected a file' : `cannot read file (${code ?? String(err)})`;
    throw new ContractError('file-unreadable', `${what}: ${path}`, { file: path, pointer: '', line: 0, col: 0 });
  }
  return parseSource(path, text);
}
