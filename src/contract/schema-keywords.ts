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

/**
 * The keywords JSON Schema draft-07 and 2020-12 define, and those AsyncAPI's schema object
 * adds (`discriminator`, `externalDocs`, `deprecated`, `example`), and OpenAPI's `nullable`. Any other key in a schema
 * is an annotation for JSON Schema: strict ajv would refuse it, so the schemas it compiles
 * drop it (./ajv.ts, src/codegen/schema-json.ts) and `evc lint` warns (schema-unknown-keyword).
 * `x-*` keys are AsyncAPI's specification extensions: allowed, never reported.
 */
export const SCHEMA_KEYWORDS: ReadonlySet<string> = new Set([
  // core
  '$schema',
  '$id',
  '$ref',
  '$anchor',
  '$dynamicRef',
  '$dynamicAnchor',
  '$vocabulary',
  '$comment',
  '$defs',
  'definitions',
  // applicators
  'allOf',
  'anyOf',
  'oneOf',
  'not',
  'if',
  'then',
  'else',
  'dependentSchemas',
  'dependencies',
  'prefixItems',
  'items',
  'additionalItems',
  'contains',
  'properties',
  'patternProperties',
  'additionalProperties',
  'propertyNames',
  'unevaluatedItems',
  'unevaluatedProperties',
  // validation
  'type',
  'const',
  'enum',
  'multipleOf',
  'maximum',
  'exclusiveMaximum',
  'minimum',
  'exclusiveMinimum',
  'maxLength',
  'minLength',
  'pattern',
  'maxItems',
  'minItems',
  'uniqueItems',
  'maxContains',
  'minContains',
  'maxProperties',
  'minProperties',
  'required',
  'dependentRequired',
  'format',
  'contentEncoding',
  'contentMediaType',
  'contentSchema',
  // meta-data
  'title',
  'description',
  'default',
  'deprecated',
  'readOnly',
  'writeOnly',
  'examples',
  // AsyncAPI schema object
  'discriminator',
  'externalDocs',
  'example',
  // OpenAPI 3.0's, common in AsyncAPI documents: ajv and the type printer honour it
  'nullable',
]);

/**
 * Keywords whose values hold neither schemas nor keywords (names, URIs): copied as they are,
 * never filtered key by key.
 */
export const NAME_VALUED_KEYWORDS: ReadonlySet<string> = new Set(['required', 'dependentRequired', '$vocabulary']);
