/**
 * What ahead-of-time validators (`evc generate`'s validators.ts) call at run time: the
 * format checkers and ajv's two runtime helpers, so generated code imports only
 * `@event-contracts/runtime` and never a package the user's project does not declare.
 * These are all the helpers ajv's standalone code needs for the schemas codegen accepts:
 * its other runtime modules serve JTD, re2, `$async` schemas or compile time only, and
 * codegen refuses code that would need them (HELPERS in src/codegen/validators.ts).
 */
import ucs2lengthModule from 'ajv/dist/runtime/ucs2length.js';
import equalModule from 'ajv/dist/runtime/equal.js';

type Cjs<T> = T | { default: T };
const unwrap = <T>(m: Cjs<T>): T => (typeof m === 'function' ? m : (m as { default: T }).default);

/** Length of a string in Unicode code points (what JSON Schema's minLength/maxLength count). */
export const ucs2length: (str: string) => number = unwrap(ucs2lengthModule as Cjs<(str: string) => number>);
/** Deep equality of JSON values (const, enum, uniqueItems). */
export const equal: (a: unknown, b: unknown) => boolean = unwrap(equalModule as unknown as Cjs<(a: unknown, b: unknown) => boolean>);
export { fullFormats } from './formats.js';
