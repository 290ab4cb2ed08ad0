/** RFC 6901 JSON pointers, compiled once per pointer string (hot path). */

const cache = new Map<string, string[]>();

export function parsePointer(pointer: string): string[] {
  let tokens = cache.get(pointer);
  if (tokens) return tokens;
  if (pointer === '' || pointer === '/') tokens = [];
  else {
    const p = pointer.startsWith('#') ? pointer.slice(1) : pointer;
    tokens = p
      .split('/')
      .slice(1)
      .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
  }
  cache.set(pointer, tokens);
  return tokens;
}

/**
 * The value at an RFC 6901 JSON pointer, or undefined where the path leaves the document:
 * how a service reads the envelope fields a `SystemDescriptor` names by pointer. Each
 * distinct pointer is parsed once and kept, which suits a contract's few pointers, not
 * pointers built from data.
 *
 * @example
 *   getPointer({ data: { 'a/b': 1 } }, '/data/a~1b'); // 1
 *   const time = system.envelope?.time; // e.g. '/timestamp'
 *   if (time) console.log(getPointer(event, time));
 */
export function getPointer(doc: unknown, pointer: string): unknown {
  let node = doc;
  for (const token of parsePointer(pointer)) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[token];
  }
  return node;
}

/**
 * Returns a copy of `doc` with `value` at `pointer`. Only the objects along the path are
 * copied (the caller's payload is never mutated); missing objects are created.
 */
export function withPointer<T>(doc: T, pointer: string, value: unknown): T {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) return value as T;
  return setIn(doc, tokens, 0, value) as T;
}

function setIn(node: unknown, tokens: string[], i: number, value: unknown): unknown {
  const copy: Record<string, unknown> = node !== null && typeof node === 'object' && !Array.isArray(node) ? { ...(node as Record<string, unknown>) } : {};
  const token = tokens[i]!;
  copy[token] = i === tokens.length - 1 ? value : setIn(copy[token], tokens, i + 1, value);
  return copy;
}
