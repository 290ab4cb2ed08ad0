/**
 * Recursive contract types (test/fixtures/codegen/recursive) at depth: each line after
 * `@ts-expect-error` must be a type error (tsc fails on an unused directive), the others
 * must compile. Type-checked by test/codegen/recursive.test.ts.
 */
import type { JsonValue, ListNode, Section, TreeNode } from '../../fixtures/codegen/recursive/expected/documents/types.js';

export const tree: TreeNode = { label: 'root', children: [{ label: 'a', children: [{ label: 'a.1', children: [] }] }] };
export const list: ListNode = { value: 1, next: { value: 2, next: { value: 3, next: null } } };
export const json: JsonValue = { a: [1, 'two', null, { b: [true, { c: {} }] }] };
export const outline: Section = { heading: 'h', paragraphs: [{ text: 't', subsections: [{ heading: 'h2', paragraphs: [{ text: 't2' }] }] }] };

// @ts-expect-error a label three levels down is a number
export const badTree: TreeNode = { label: 'root', children: [{ label: 'a', children: [{ label: 1 }] }] };
// @ts-expect-error the third node's next is missing
export const badList: ListNode = { value: 1, next: { value: 2, next: { value: 3 } } };
// @ts-expect-error a function is not a JSON value, even nested
export const badJson: JsonValue = { a: [1, { b: [() => 1] }] };
// @ts-expect-error a subsection's paragraph without text
export const badOutline: Section = { heading: 'h', paragraphs: [{ text: 't', subsections: [{ heading: 'h2', paragraphs: [{}] }] }] };
