/**
 * Validators compiled ahead of time with ajv standalone, as valid ESM.
 *
 * ajv's standalone code `require`s its runtime helpers (`ajv/dist/runtime/ucs2length`) and
 * the format set (`@event-contracts/runtime/formats`, see FORMATS_MODULE in
 * src/contract/ajv.ts). Helpers become ESM default imports of the same modules; the format
 * set becomes a namespace import of the runtime's formats module, located from the
 * runtime specifier the code is generated for (formatsImport). No other module is
 * accepted. Both modes (first error, all errors) are compiled by separate ajv instances
 * whose generated names overlap, so each mode's code runs in its own function scope and
 * writes its functions on an `exports` object; the file then exports them by our names.
 */
import { DATA_KEYWORDS } from '../contract/schema-keywords.js';
import standaloneModule from 'ajv/dist/standalone/index.js';
import { createAjv, FORMATS_MODULE } from '../contract/ajv.js';
import { DEFAULT_RUNTIME_IMPORT } from './config.js';
import type { JsonSchema } from '../contract/ir.js';
import { plainSchema } from './schema-json.js';

// ajv's standalone is CommonJS with a default export; under NodeNext it sits on .default.
const standaloneCode = ((standaloneModule as unknown as { default?: unknown }).default ?? standaloneModule) as (
  ajv: unknown,
  refs: Record<string, string>,
) => string;

export interface ValidatorEntry {
  /** Export name, a safe identifier. */
  name: string;
  schema: JsonSchema;
  /** What it validates, for errors: `payload of message SkillCreated`. */
  what: string;
}

export interface CompiledValidators {
  /**
   * Module specifier -> local name: of its default import (ajv's CommonJS helpers), or with
   * `namespace` of `import * as local` (the runtime's formats module, ESM).
   */
  imports: Array<{ local: string; from: string; namespace?: true }>;
  /** One function body per mode: code that assigns `exports.<name>`. */
  firstError: string;
  allErrors: string;
}

/** Thrown when a schema does not compile: names the message. */
export class ValidatorCompileError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

const AJV_RUNTIME = /^ajv\/dist\/runtime\/[a-z0-9_]+$/;
const REQUIRE_CALL = /\brequire\("([^"\\]*)"\)/g;

/** ajv standalone code (CommonJS-shaped: `exports.name = fn`) of one mode. */
export function compileMode(entries: readonly ValidatorEntry[], allErrors: boolean): string {
  const ajv = createAjv({ allErrors, standalone: true });
  // Same configuration as every other ajv in the toolkit, but CommonJS-shaped output:
  // `exports.name = fn`, which we scope per mode (see the module comment).
  (ajv.opts.code as { esm?: boolean }).esm = false;
  // ajv's code optimizer halves neither size nor run time of these validators (+10% size
  // without it) but doubles compile time, which dominates `evc generate` on big contracts.
  (ajv.opts.code as { optimize?: boolean | number }).optimize = false;
  // The meta-schema check is `evc lint`'s job; strict mode still refuses unknown keywords here.
  (ajv.opts as { validateSchema?: boolean }).validateSchema = false;
  // A property named like an Object.prototype member (`constructor`, `toString`) would be
  // "present" on every object: check own properties then (slower, so only when needed).
  if (entries.some((e) => shadowsPrototype(e.schema))) (ajv.opts as { ownProperties?: boolean }).ownProperties = true;
  const refs: Record<string, string> = {};
  for (const e of entries) {
    const key = `evc:${e.name}`;
    try {
      ajv.addSchema(plainSchema(e.schema, { dropAnnotations: true }) as object, key);
      ajv.getSchema(key);
    } catch (err) {
      throw new ValidatorCompileError(`cannot compile the validator for the ${e.what}: ${(err as Error).message}`, { cause: err });
    }
    refs[e.name] = key;
  }
  return standaloneCode(ajv, refs);
}

/** Whether a schema names a property that plain objects inherit. */
function shadowsPrototype(schema: unknown, seen = new Set<object>()): boolean {
  if (typeof schema !== 'object' || schema === null || seen.has(schema)) return false;
  seen.add(schema);
  const s = schema as Record<string, unknown>;
  const props = s.properties;
  if (typeof props === 'object' && props !== null && Object.keys(props).some((k) => k in Object.prototype)) return true;
  if (Array.isArray(s.required) && s.required.some((k) => typeof k === 'string' && k in Object.prototype)) return true;
  for (const [key, value] of Object.entries(s)) {
    if (DATA_KEYWORDS.has(key)) continue;
    if (key === 'properties' && typeof value === 'object' && value !== null) {
      for (const sub of Object.values(value)) if (shadowsPrototype(sub, seen)) return true;
    } else if (Array.isArray(value)) {
      for (const sub of value) if (shadowsPrototype(sub, seen)) return true;
    } else if (shadowsPrototype(value, seen)) return true;
  }
  return false;
}

/**
 * Where generated validators import the format set (`fullFormats`) from, given the
 * specifier they import the runtime from: the package export `@event-contracts/runtime/formats`
 * for `@event-contracts/runtime`, the sibling `formats.js` for a path to the runtime's
 * `index.js` (this repository's `../../src/runtime/index.js`), else the runtime specifier
 * itself (the runtime's index re-exports `fullFormats`, but loads the whole runtime).
 */
export function formatsImport(runtimeImport: string): string {
  if (runtimeImport === DEFAULT_RUNTIME_IMPORT) return FORMATS_MODULE;
  const index = /(^|\/)index\.js$/.exec(runtimeImport);
  if (index) return `${runtimeImport.slice(0, index.index)}${index[1]}formats.js`;
  return runtimeImport;
}

/** Compile both modes in this thread. */
export function compileValidators(entries: readonly ValidatorEntry[], runtimeImport = DEFAULT_RUNTIME_IMPORT): CompiledValidators {
  return toEsm(compileMode(entries, false), compileMode(entries, true), runtimeImport);
}

/** How the last `compileValidatorsParallel` ran (for tests and benchmarks). */
export const parallelStats = { worker: false };

/**
 * A worker thread that compiles the all-errors mode while this thread compiles the
 * first-error mode: ajv compile time dominates big contracts. Start it before loading
 * the contracts, so it boots (tsx, ajv) while this thread parses YAML; one worker serves
 * every system of the run.
 */
export interface CompilePool {
  /** The all-errors code, or undefined when the worker cannot run (the caller compiles in-thread). */
  compile(entries: readonly ValidatorEntry[]): Promise<string | undefined>;
  close(): Promise<void>;
}

export function createCompilePool(): CompilePool {
  type Reply = { id: number; code?: string; error?: string };
  const pending = new Map<number, (code: string | undefined) => void>();
  let nextId = 0;
  let failed = false;
  const fail = () => {
    failed = true;
    for (const resolve of pending.values()) resolve(undefined);
    pending.clear();
  };
  const worker = (async () => {
    try {
      const { Worker } = await import('node:worker_threads');
      const url = new URL(`./validators-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url).href;
      // From TypeScript sources the worker registers tsx's loader first.
      const boot = url.endsWith('.ts')
        ? `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((m) => { m.register(); return import(${JSON.stringify(url)}); })`
        : `import(${JSON.stringify(url)})`;
      const w = new Worker(boot, { eval: true, resourceLimits: { maxYoungGenerationSizeMb: 64 } });
      w.on('message', (m: Reply) => {
        const resolve = pending.get(m.id);
        pending.delete(m.id);
        // On a compile error this thread compiles again and reports the error itself.
        resolve?.(m.error === undefined ? m.code : undefined);
      });
      w.on('error', fail);
      w.on('exit', fail);
      return w;
    } catch {
      fail();
      return undefined;
    }
  })();
  return {
    async compile(entries) {
      const w = await worker;
      if (!w || failed) return undefined;
      const id = nextId++;
      return new Promise((resolve) => {
        pending.set(id, resolve);
        w.postMessage({ id, entries, allErrors: true });
      });
    },
    async close() {
      const w = await worker;
      if (w) {
        w.removeAllListeners('exit');
        await w.terminate();
      }
    },
  };
}

/** Compile both modes, the all-errors one in the pool's worker when there is one. */
export async function compileValidatorsParallel(
  entries: readonly ValidatorEntry[],
  pool?: CompilePool,
  runtimeImport = DEFAULT_RUNTIME_IMPORT,
): Promise<CompiledValidators> {
  if (!pool) return compileValidators(entries, runtimeImport);
  const plain = entries.map((e) => ({ ...e, schema: plainSchema(e.schema, { dropAnnotations: true }) }));
  const inWorker = pool.compile(plain);
  const firstError = compileMode(plain, false);
  const fromWorker = await inWorker;
  parallelStats.worker = fromWorker !== undefined;
  return toEsm(firstError, fromWorker ?? compileMode(plain, true), runtimeImport);
}

function toEsm(firstError: string, allErrors: string, runtimeImport: string): CompiledValidators {
  const modes = [firstError, allErrors] as const;
  const specifiers = new Set<string>();
  for (const code of modes) for (const m of code.matchAll(REQUIRE_CALL)) specifiers.add(m[1]!);
  const imports: CompiledValidators['imports'] = [];
  const localOf = new Map<string, string>();
  // Only these specifiers, mapped to fixed local names: nothing from a contract gets here.
  for (const spec of [...specifiers].sort()) {
    if (spec === FORMATS_MODULE) {
      localOf.set(spec, 'evcFormats');
      imports.push({ local: 'evcFormats', from: formatsImport(runtimeImport), namespace: true });
    } else if (AJV_RUNTIME.test(spec)) {
      const local = `ajvRuntime_${spec.slice('ajv/dist/runtime/'.length)}`;
      localOf.set(spec, local);
      imports.push({ local, from: `${spec}.js` });
    } else {
      throw new ValidatorCompileError(`ajv standalone code requires an unexpected module "${spec}"`);
    }
  }
  // ajv escapes quotes and line separators in the values it embeds, but not `</script`;
  // that text can only sit inside ajv's string literals, where `<\/` reads the same.
  // Backstop: ajv prints a schema's $id into a `/*# sourceURL=... */` comment, where a
  // `*/` in the id would end the comment and inject code. plainSchema drops every $id,
  // so such a comment here means a schema got past it: refuse rather than emit it.
  for (const code of modes) {
    if (code.includes('/*# sourceURL=')) throw new ValidatorCompileError('ajv standalone code carries a schema $id (sourceURL comment); refusing to emit it');
  }
  const replace = (code: string) => code.replace(REQUIRE_CALL, (_, spec: string) => localOf.get(spec)!).replace(/<\/(script)/gi, '<\\/$1');
  return { imports, firstError: replace(modes[0]), allErrors: replace(modes[1]) };
}
