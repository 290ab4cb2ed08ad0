/**
 * JSON Schema keywords that every reader of contract schemas must treat the same way
 * (loader, lint, codegen, validate). Kept in one place: when one reader forgot one of
 * these, a contract could smuggle a `$ref` through an example or code through an `$id`.
 */

/** Keywords whose values are instance data, never schemas or references. */
export const DATA_KEYWORDS: ReadonlySet<string> = new Set(['const', 'enum', 'default', 'examples', 'example']);

/**
 * Identifier keywords that must not reach ajv: the loader inlines every `$ref`, so they
 * resolve nothing; a nested `$id` moves the base URI of generated refs; and ajv's
 * standalone code prints `$id` into a comment, where a `*\/` in it would inject code.
 */
export const ID_KEYWORDS: ReadonlySet<string> = new Set(['$id', '$schema', '$anchor', '$dynamicAnchor']);
