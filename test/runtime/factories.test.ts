import { describe, expect, it } from 'vitest';
import { mergeOverrides } from '../../src/runtime/factories.js';

describe('mergeOverrides (what generated factories call)', () => {
  it.each([
    ['nested objects merge', { a: 1, d: { x: 1, y: 2 } }, { d: { y: 3 } }, { a: 1, d: { x: 1, y: 3 } }],
    ['arrays replace', { l: [1, 2, 3] }, { l: [9] }, { l: [9] }],
    ['undefined keeps the base value', { a: 1, b: 2 }, { a: undefined }, { a: 1, b: 2 }],
    ['no overrides: a copy of the base', { a: { b: 1 } }, undefined, { a: { b: 1 } }],
    ['a scalar replaces an object', { a: { b: 1 } }, { a: 5 }, { a: 5 }],
  ])('%s', (_, base, overrides, want) => {
    expect(mergeOverrides(base, overrides)).toEqual(want);
  });

  it('returns a new object and leaves both inputs alone', () => {
    const base = { d: { x: 1 } };
    const overrides = { d: { y: 2 } };
    const out = mergeOverrides(base, overrides) as { d: Record<string, number> };
    out.d.x = 42;
    expect(base).toEqual({ d: { x: 1 } });
    expect(overrides).toEqual({ d: { y: 2 } });
  });

  it('keeps __proto__ an own key instead of changing the prototype', () => {
    const out = mergeOverrides({}, JSON.parse('{"__proto__": {"polluted": true}}')) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.hasOwn(out, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
