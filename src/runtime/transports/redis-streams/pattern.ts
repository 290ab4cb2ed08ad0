/**
 * Redis has no wildcard streams: `XREADGROUP ... STREAMS events:workflow.* >` (as seed
 * 004 writes it) reads a stream literally named `events:workflow.*`. A pattern is
 * resolved here against the concrete stream keys the contract declares, and the
 * consumer then reads all of them in one XREADGROUP.
 */

/**
 * Turns a Redis-style glob into a RegExp anchored at both ends: `*` any run of
 * characters (dots and colons included, as in KEYS/SCAN), `?` one character,
 * `[abc]`, `[a-z]`, `[^a]` a class, `\x` a literal x.
 */
export function streamPatternToRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\' && i + 1 < pattern.length) {
      source += escapeRegExp(pattern[++i]!);
    } else if (c === '*') {
      source += '.*';
    } else if (c === '?') {
      source += '.';
    } else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end === -1) {
        source += '\\[';
        continue;
      }
      let body = pattern.slice(i + 1, end);
      const negate = body.startsWith('^');
      if (negate) body = body.slice(1);
      source += `[${negate ? '^' : ''}${body.replace(/[\\\]]/g, '\\$&')}]`;
      i = end;
    } else {
      source += escapeRegExp(c);
    }
  }
  return new RegExp(`^${source}$`, 's');
}

/** Whether a string holds glob characters and needs resolving. */
export function isStreamPattern(value: string): boolean {
  return /[*?[]/.test(value);
}

/**
 * The concrete stream keys among `addresses` that `pattern` matches, in the order of
 * `addresses`, without duplicates. Addresses that still carry `{param}` placeholders
 * are not concrete and never match; a pattern without glob characters matches only
 * itself. Returns `[]` when nothing matches: the caller decides whether that is an
 * error.
 *
 * @example
 * resolveStreamPattern('events:workflow.*', ['events:workflow.started', 'events:workflow.completed', 'events:audit.started'])
 * // => ['events:workflow.started', 'events:workflow.completed']
 */
export function resolveStreamPattern(pattern: string, addresses: readonly string[]): string[] {
  const re = streamPatternToRegExp(pattern);
  const out: string[] = [];
  const seen = new Set<string>();
  for (const address of addresses) {
    if (seen.has(address) || /\{[^}]*\}/.test(address)) continue;
    if (re.test(address)) {
      seen.add(address);
      out.push(address);
    }
  }
  return out;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
