import { describe, expect, it } from 'vitest';
import { decodeEntry, encodeEntry } from '../../src/runtime/transports/redis-streams/entry.js';

const b = (s: string): Buffer => Buffer.from(s);
const fieldsOf = (...kv: string[]): Buffer[] => kv.map(b);

describe('redis-streams entry layout', () => {
  it('reads back what encodeEntry writes: data, key and headers', () => {
    const written = encodeEntry({ key: 'wf-1', value: '{"id":"e1"}', headers: { 'evc-id': 'e1', traceparent: '00-a-b-01' } });
    const d = decodeEntry(written.map((f) => Buffer.from(f)));
    expect(d.value.toString()).toBe('{"id":"e1"}');
    expect(d.key).toBe('wf-1');
    expect(d.headers).toEqual({ 'evc-id': 'e1', traceparent: '00-a-b-01' });
  });

  it('field names are matched exactly (case, length), in any order', () => {
    const d = decodeEntry(fieldsOf('Data', 'x', 'headers', '{"a":"1"}', 'keys', 'k', 'data', 'v', 'key', 'k1'));
    expect(d.value.toString()).toBe('v');
    expect(d.key).toBe('k1');
    expect(d.headers).toEqual({ a: '1' });
    expect(d.raw).toHaveLength(10);
  });

  it('header values that are not strings are kept as JSON text; malformed or non-object headers are dropped', () => {
    expect(decodeEntry(fieldsOf('data', 'v', 'headers', '{"n":1,"o":{"x":true},"s":"t"}')).headers).toEqual({ n: '1', o: '{"x":true}', s: 't' });
    expect(decodeEntry(fieldsOf('data', 'v', 'headers', '[1,2]')).headers).toEqual({});
    expect(decodeEntry(fieldsOf('data', 'v', 'headers', '{oops')).headers).toEqual({});
  });

  it('a `__proto__` header from a foreign producer does not become the prototype', () => {
    const h = decodeEntry(fieldsOf('data', 'v', 'headers', '{"__proto__":{"polluted":"yes"},"a":"1"}')).headers;
    expect(Object.getPrototypeOf(h)).toBe(Object.prototype);
    expect((h as Record<string, unknown>).polluted).toBeUndefined();
    expect(h.a).toBe('1');
    const s = decodeEntry(fieldsOf('data', 'v', 'headers', '{"__proto__":"x","a":"1"}')).headers;
    expect(Object.getPrototypeOf(s)).toBe(Object.prototype);
    expect(s.a).toBe('1');
  });

  it('an entry without `data` is handed over as the JSON object of all its fields', () => {
    const d = decodeEntry(fieldsOf('event', 'created', 'id', '7'));
    expect(JSON.parse(d.value.toString())).toEqual({ event: 'created', id: '7' });
    expect(d.key).toBeUndefined();
    expect(d.headers).toEqual({});
  });
});
