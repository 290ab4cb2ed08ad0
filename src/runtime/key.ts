/**
 * Message keys on the wire are strings (Kafka's key bytes, Redis's and memory's ordering
 * key); a contract's key schema (`bindings.kafka.key`) may say number, boolean or object.
 * `keyText` is the one mapping: strings as they are, numbers, bigints and booleans as
 * their text (`42`, `true`), objects and arrays as canonical JSON (object keys sorted, no
 * spaces), so two equal keys always land on the same partition whatever order their
 * fields were written in.
 */

/** What a publish may pass as `key` (generated clients narrow it to the key schema's type). */
export type MessageKey = string | number | bigint | boolean | object;

export function keyText(key: MessageKey): string {
  if (typeof key === 'string') return key;
  if (typeof key === 'number' || typeof key === 'bigint' || typeof key === 'boolean') return String(key);
  return canonicalJson(key);
}

function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    // JSON has no bigint: its decimal text, as a number would print.
    if (typeof value === 'bigint') return value.toString();
    return JSON.stringify(value) ?? 'null';
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.keys(value)
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
  return `{${entries.join(',')}}`;
}
