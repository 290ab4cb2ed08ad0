/**
 * Names from contract text to TypeScript identifiers, in one place. Contract names are
 * untrusted: anything that is not an identifier character is dropped, reserved words
 * get a suffix, and a leading digit gets a prefix.
 */

const RESERVED = new Set([
  'break',
  'case',
  'catch',
  'class',
  'const',
  'continue',
  'debugger',
  'default',
  'delete',
  'do',
  'else',
  'enum',
  'export',
  'extends',
  'false',
  'finally',
  'for',
  'function',
  'if',
  'import',
  'in',
  'instanceof',
  'new',
  'null',
  'return',
  'super',
  'switch',
  'this',
  'throw',
  'true',
  'try',
  'typeof',
  'var',
  'void',
  'while',
  'with',
  'as',
  'implements',
  'interface',
  'let',
  'package',
  'private',
  'protected',
  'public',
  'static',
  'yield',
  'any',
  'boolean',
  'constructor',
  'declare',
  'get',
  'module',
  'require',
  'number',
  'set',
  'string',
  'symbol',
  'type',
  'from',
  'of',
  'await',
  'async',
  'unknown',
  'never',
  'object',
  'undefined',
  'bigint',
  'arguments',
  'eval',
  'keyof',
  'readonly',
  'infer',
  'is',
  'asserts',
  'namespace',
  'abstract',
  'satisfies',
  'accessor',
  'override',
  'out',
  'global',
  // Names the generated files use for themselves.
  'Array',
  'Object',
  'String',
  'Number',
  'Boolean',
  'Promise',
  'Record',
  'Date',
  'Error',
  'Map',
  'Set',
  'JSON',
  // Global utility types generated code names (a declaration with the same name would shadow them).
  'PropertyKey',
  'Omit',
  'Pick',
  'Partial',
  'Required',
  'Readonly',
  'Exclude',
  'Extract',
  'NonNullable',
  'Symbol',
  'globalThis',
]);

/** Split text into words at non-alphanumerics and lower→upper case changes. */
export function words(text: string): string[] {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .split(/[^A-Za-z0-9]+/)
    .filter((w) => w.length > 0);
}

function cap(w: string): string {
  return w.charAt(0).toUpperCase() + w.slice(1);
}

/** `skill.created` -> `SkillCreated`; `AIAnalysisCompleted` stays; `WORKFLOW_STARTED` -> `WorkflowStarted`. */
export function pascalCase(text: string): string {
  const ws = words(text);
  const out = ws.map((w) => (w === w.toUpperCase() && w.length > 1 && /[A-Z]/.test(w) && ws.length > 1 ? cap(w.toLowerCase()) : cap(w))).join('');
  return safeIdentifier(out || 'Unnamed');
}

/** `skill.created` -> `skillCreated`. */
export function camelCase(text: string): string {
  const p = pascalCase(text);
  const lowered = p.replace(/^[A-Z]+(?=[A-Z][a-z]|$)|^[A-Z]/, (m) => m.toLowerCase());
  return safeIdentifier(lowered);
}

/** Make any string a valid, non-reserved TypeScript identifier. */
export function safeIdentifier(text: string): string {
  let id = text.replace(/[^A-Za-z0-9_$]/g, '_');
  if (id === '') id = '_';
  if (/^[0-9]/.test(id)) id = `_${id}`;
  if (RESERVED.has(id)) id = `${id}_`;
  return id;
}

/** Give each name a unique identifier: clashes get `2`, `3`... in order of first use. */
export function createNameRegistry(taken: Iterable<string> = []): (name: string) => string {
  const used = new Set(taken);
  return (name: string) => {
    let candidate = name;
    for (let i = 2; used.has(candidate); i++) candidate = `${name}${i}`;
    used.add(candidate);
    return candidate;
  };
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/**
 * A type name from a contract name, keeping names that already are identifiers as
 * written (`AIAnalysisCompleted` stays; `pascalCase` would give `AiAnalysisCompleted`);
 * anything else goes through `pascalCase` (`skill.created` -> `SkillCreated`).
 */
export function typeName(text: string): string {
  if (IDENTIFIER.test(text)) return safeIdentifier(text.charAt(0).toUpperCase() + text.slice(1));
  return pascalCase(text);
}

const OPERATION_VERBS = new Set(['send', 'publish', 'emit', 'produce', 'receive', 'consume', 'subscribe']);
/** Verbs only when they start the id (`turnOn` keeps its `On`). */
const LEADING_VERBS = new Set(['on', 'handle', 'listen']);

/**
 * A method name for an operation: `prefix` plus the operation id's words, the first verb
 * word (send, receive, publish, ...) dropped and the case of the other words kept.
 * `sendSkillCreated` -> `publishSkillCreated`; `genServiceReceiveSkillCreated` ->
 * `onGenServiceSkillCreated`; `coordinatorSendA2ARequest` -> `publishCoordinatorA2ARequest`;
 * `turnOn` -> `publishTurnOn` (on, handle and listen count as verbs only in first place).
 */
export function operationMethodName(prefix: string, operationId: string): string {
  const ws = words(operationId);
  const verb = ws.findIndex((w, i) => OPERATION_VERBS.has(w.toLowerCase()) || (i === 0 && LEADING_VERBS.has(w.toLowerCase())));
  if (verb >= 0 && ws.length > 1) ws.splice(verb, 1);
  const rest = ws.map(cap).join('');
  return safeIdentifier(`${prefix}${rest || 'Operation'}`);
}
