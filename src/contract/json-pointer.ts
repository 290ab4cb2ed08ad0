/**
 * RFC 6901 JSON pointers for the tooling: one place that escapes and unescapes their
 * segments (`~` is `~0`, `/` is `~1`). The runtime keeps its own cached parser
 * (src/runtime/json-pointer.ts): it never imports the tooling.
 */

/** Decode one JSON pointer segment: `~1` → `/`, then `~0` → `~` (in that order, so `~01` is `~1`). */
export function decodePointerSegment(segment: string): string {
  return segment.replace(/~1/g, '/').replace(/~0/g, '~');
}

/** Encode one JSON pointer segment: `~` → `~0`, then `/` → `~1`. */
export function encodePointerSegment(segment: string | number): string {
  return String(segment).replace(/~/g, '~0').replace(/\//g, '~1');
}

/** The decoded segments of a pointer; `''` and `'/'` both name the root here. */
export function splitPointer(pointer: string): string[] {
  if (pointer === '' || pointer === '/') return [];
  if (!pointer.startsWith('/')) throw new Error(`not a JSON pointer: ${pointer}`);
  return pointer.slice(1).split('/').map(decodePointerSegment);
}

export function joinPointer(segments: ReadonlyArray<string | number>): string {
  return segments.length === 0 ? '' : '/' + segments.map(encodePointerSegment).join('/');
}
