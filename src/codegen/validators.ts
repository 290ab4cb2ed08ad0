/**
 * Validators compiled ahead of time with ajv standalone, as valid ESM that imports nothing
 * but the runtime.
 *
 * ajv's standalone code `require`s its runtime helpers (`require("ajv/dist/runtime/ucs2length").default`)
 * and the format set (`require("@event-contracts/runtime/formats").fullFormats`, see
 * FORMATS_MODULE in src/contract/ajv.ts). Each such expression becomes a named import from
 * the runtime's `validator-support` entry (src/runtime/validator-support.ts), located from
 * the runtime specifier the code is generated for (validatorSupportImport): a user's
 * project declares the runtime, not ajv. No other module is accepted (see HELPERS). Both
 * modes (first error, all errors), and in each mode every chunk of VALIDATOR_CHUNK
 * entries, are compiled by separate ajv instances whose generated names overlap, so each
 * chunk's code runs in its own function scope and writes its functions on the mode's
 * `exports` object; the file then exports them by our names.
 */
import { availableParallelism } from 'node:os';
import { DATA_KEYWORDS } from '../contract/schema-keywords.js';
import standaloneModule from 'ajv/dist/standalone/index.js';
import equalModule from 'ajv/dist/runtime/equal.js';
import ucs2lengthModule from 'ajv/dist/runtime/ucs2length.js';
import { createAjv, FORMATS_MODULE } from '../contract/ajv.js';
import { workerBoot } from '../contract/worker-boot.js';
import { DEFAULT_RUNTIME_IMPORT } from './config.js';
import type { JsonSchema } from '../contract/ir.js';
import { certainlyValid } from './candidate-check.js';
import { plainSchema } from './schema-json.js';
import type { Line, Spool, SpooledText, SpoolTarget } from './spool.js';
import { equal, fullFormats, ucs2length } from '@event-contracts/runtime/validator-support';

// ajv's standalone is CommonJS with a default export; under NodeNext it sits on .default.
const standaloneCode = ((standaloneModule as unknown as { default?: unknown }).default ?? standaloneModule) as (
  ajv: unknown,
  refs: Record<string, string>,
) => string;

/**
 * ajv's runtime helpers, whose `code` property is the expression standalone code reads
 * them with (`require("ajv/dist/runtime/equal").default`), and the name the generated file
 * imports each under (see HELPERS). compileMode has ajv print the names themselves.
 */
const HELPER_FUNCTIONS: ReadonlyArray<[helper: { code: string }, name: string]> = [
  [((ucs2lengthModule as unknown as { default?: unknown }).default ?? ucs2lengthModule) as { code: string }, 'ucs2length'],
  [((equalModule as unknown as { default?: unknown }).default ?? equalModule) as { code: string }, 'equal'],
];

export interface ValidatorEntry {
  /** Export name, a safe identifier. */
  name: string;
  schema: JsonSchema;
  /** What it validates, for errors: `payload of message SkillCreated`. */
  what: string;
  /**
   * A value to check with this entry's first-error validator where the chunk is compiled
   * (in whichever thread), so that the caller need not evaluate the code itself: the
   * result is `CompiledValidators.checked`. Structured-cloneable.
   */
  candidate?: { value: unknown };
}

export interface CompiledValidators {
  /** Named imports the code uses (sorted by name), all from the runtime's validator-support entry. */
  imports: Array<{ name: string; from: string }>;
  /**
   * Per mode, one function body per chunk of VALIDATOR_CHUNK entries (each its own ajv
   * instance, whose generated names overlap the others'): code that assigns `exports.<name>`.
   * Compiled with a spool (startValidators), each chunk's code is in the spool file.
   */
  firstError: Line[];
  allErrors: Line[];
  /** Export name -> whether the entry's `candidate` passed its first-error validator (entries with a candidate only). */
  checked: Map<string, boolean>;
}

/**
 * The validators of one chunk of compiled code (CompiledValidators.firstError or
 * .allErrors), as functions of this process, by export name: what `validators.ts` will
 * run, for checks at generate time (factories.ts's sampled values) without compiling the
 * schemas again. The code is ajv's own output, which ajv itself evaluates the same way
 * when it compiles a schema; its only free names are the helpers chunkToEsm maps to.
 */
export function evaluateChunk(code: string): Record<string, (data: unknown) => boolean> {
  const exports: Record<string, (data: unknown) => boolean> = {};
  new Function('exports', 'fullFormats', 'ucs2length', 'equal', code)(exports, fullFormats, ucs2length, equal);
  return exports;
}

/** Thrown when a schema does not compile: names the message. */
export class ValidatorCompileError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The runtime entry generated validators import their helpers from (src/runtime/validator-support.ts). */
export const VALIDATOR_SUPPORT_MODULE = `${DEFAULT_RUNTIME_IMPORT}/validator-support`;

/**
 * Every `require(module).member` ajv's standalone code may hold, and the name
 * validator-support exports it under. What ajv 8 (draft 2020-12) emits: `ucs2length`
 * (minLength, maxLength), `equal` (const, enum and uniqueItems over objects and arrays),
 * the format set, and `validation_error` for `$async` schemas only (refused in
 * compileMode: the runtime validates synchronously). ajv's other runtime modules are never
 * emitted by this configuration: `timestamp`, `parseJson` and `quote` serve JTD, `re2` the
 * re2 regexp engine, `uri` only resolves `$id`s at compile time. chunkToEsm refuses anything not
 * listed here rather than import a package the user's project does not declare.
 */
const HELPERS: ReadonlyMap<string, string> = new Map([
  ['ajv/dist/runtime/ucs2length\0default', 'ucs2length'],
  ['ajv/dist/runtime/equal\0default', 'equal'],
  [`${FORMATS_MODULE}\0fullFormats`, 'fullFormats'],
]);
/**
 * `require("module").member`. ajv prints schema values with JSON escapes, so `require("` can
 * only appear in a string literal as `require(\"`: a match is always ajv's own code.
 */
const REQUIRE_CALL = /require\("([^"\\]*)"\)(?:\.([A-Za-z_$][\w$]*))?/g;
/** What `\b` before `require` rules out (chunkToEsm checks it itself). */
const WORD_CHAR = /\w/;
/**
 * How ajv's scope code declares a helper it prints by name (compileMode): `const func0 = equal;`,
 * `const formats0 = fullFormats.uuid;` or `fullFormats["date-time"]`.
 */
const HELPER_DECLARATIONS: ReadonlyArray<[name: string, declared: string[]]> = [...new Set(HELPERS.values())].map((name) => [
  name,
  [` = ${name};`, ` = ${name}.`, ` = ${name}[`],
]);

/** What ajv evaluates in place of each validator's code (see compileMode). */
const STUB_VALIDATOR = 'return function standaloneOnly() { throw new Error("evc: validator compiled for its source text only"); };';

/**
 * ajv standalone code (CommonJS-shaped: `exports.name = fn`) of one mode. The entries'
 * schemas are compiled as they are: plainSchema's output, as jobsOf makes them.
 */
export function compileMode(entries: readonly ValidatorEntry[], allErrors: boolean): string {
  // ajv prints each helper's `code` where the validators take it from: the names the file
  // imports, so the code needs no rewriting (a copy of every chunk, see chunkToEsm). Set for
  // this synchronous call only; ajv reads it while compiling.
  const before = HELPER_FUNCTIONS.map(([helper]) => helper.code);
  for (const [helper, name] of HELPER_FUNCTIONS) helper.code = name;
  try {
    return compileModeWith(entries, allErrors);
  } finally {
    HELPER_FUNCTIONS.forEach(([helper], i) => {
      helper.code = before[i]!;
    });
  }
}

function compileModeWith(entries: readonly ValidatorEntry[], allErrors: boolean): string {
  const ajv = createAjv({ allErrors, standalone: true });
  // Same configuration as every other ajv in the toolkit, but CommonJS-shaped output:
  // `exports.name = fn`, which we scope per mode (see the module comment).
  (ajv.opts.code as { esm?: boolean }).esm = false;
  // ajv's code optimizer halves neither size nor run time of these validators (+10% size
  // without it) but doubles compile time, which dominates `evc generate` on big contracts.
  (ajv.opts.code as { optimize?: boolean | number }).optimize = false;
  // The meta-schema check is `evc lint`'s job; strict mode still refuses unknown keywords here.
  (ajv.opts as { validateSchema?: boolean }).validateSchema = false;
  // ajv evaluates the code of every validator it compiles (`new Function`), which only its
  // text is wanted of here: V8 parsing 15-30 KB per schema and mode was a tenth of the
  // compile time, plus its garbage. ajv keeps the text (validate.source) apart from the
  // function, so the function is a stub that throws if anything ever called it. The text
  // of the first-error mode is still evaluated, as the file will run it, for factories.ts
  // (evaluateChunk); tests import the generated files in both modes.
  (ajv.opts.code as { process?: (code: string) => string }).process = () => STUB_VALIDATOR;
  // A property named like an Object.prototype member (`constructor`, `toString`) would be
  // "present" on every object: check own properties then (slower, so only when needed).
  if (entries.some((e) => shadowsPrototype(e.schema))) (ajv.opts as { ownProperties?: boolean }).ownProperties = true;
  const refs: Record<string, string> = {};
  for (const e of entries) {
    const key = `evc:${e.name}`;
    let validate: unknown;
    try {
      ajv.addSchema(e.schema as object, key);
      validate = ajv.getSchema(key);
    } catch (err) {
      throw new ValidatorCompileError(`cannot compile the validator for the ${e.what}: ${(err as Error).message}`, { cause: err });
    }
    // An `$async` schema compiles to a validator that returns a promise, which the runtime
    // (and ValidateFunction) would take for "valid".
    if ((validate as { $async?: unknown } | undefined)?.$async === true) {
      throw new ValidatorCompileError(
        `cannot compile the validator for the ${e.what}: "$async" schemas are not supported (generated validators are synchronous)`,
      );
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
 * Where generated validators import their helpers (`ucs2length`, `equal`, `fullFormats`)
 * from, given the specifier they import the runtime from: the package export
 * `@event-contracts/runtime/validator-support` for `@event-contracts/runtime`; for a path
 * to the runtime's entry module (this repository's `../../src/runtime/index.js`, a user's
 * own copy) or any `.../index.js`, the sibling `validator-support.js`; for another package
 * name (a fork of the runtime), its `validator-support` subpath.
 */
export function validatorSupportImport(runtimeImport: string): string {
  if (runtimeImport === DEFAULT_RUNTIME_IMPORT) return VALIDATOR_SUPPORT_MODULE;
  const file = /(^|\/)[^/]*$/.exec(runtimeImport)!;
  const isPath = /^\.{0,2}\//.test(runtimeImport);
  if (isPath || /(^|\/)index\.js$/.test(runtimeImport)) return `${runtimeImport.slice(0, file.index)}${file[1]}validator-support.js`;
  return `${runtimeImport.replace(/\/+$/, '')}/validator-support`;
}

/**
 * Entries per ajv instance. One instance for a whole system made compile time and memory
 * grow faster than the contract (the instance keeps every compiled schema, its code tree
 * and the whole module's text until the end): each chunk of entries compiles in its own
 * instance, into its own function scope, and only its text is kept. Fixed, so the output
 * depends on the contract only; a system of up to this many validators is one chunk, as
 * before chunking.
 *
 * 25 rather than 100: an instance's compiled schemas and code trees live until its chunk is
 * done, so a bigger chunk keeps more of them through each young-generation collection,
 * and the last jobs of a request are shorter. `evc generate --no-docs` on 5,000 channels,
 * the compiled CLI, runs alternating on 2 cores: faster in chunks of 25 in 9 pairs of 9,
 * 17.4-21.2 s (26.6-33.4 s of CPU) against 18.9-25.8 s (30.6-40.6 s) in chunks of 100; at
 * 2,000 channels 8.5-9.6 s against 9.6-10.3 s, at 1,000 4.9-6.1 against 5.6-6.9 s, at 500
 * the same within the noise. Chunks of 10 were no better than 25 (19.4 and 22.9 s) and
 * print 2.5 times the scopes. Compiling alone (bench/validator-chunks.ts, 100 payloads)
 * the difference is within the noise (0.9-1.0x of the CPU of chunks of 100).
 */
export const VALIDATOR_CHUNK = 25;

/** One unit of work: a chunk of entries (plain schemas) in one mode. */
export interface CompileJob {
  /** Their schemas plainSchema's output, `dropAnnotations` (jobsOf makes them so): compiled as they are. */
  entries: readonly ValidatorEntry[];
  allErrors: boolean;
}

/** A job's code with ajv's requires made named imports, and the helper names it uses. */
export interface CompiledChunk {
  code: string;
  helpers: string[];
  /** First-error jobs: the entries' candidates checked with the chunk's validators, as [name, passed]. */
  checked?: Array<[string, boolean]>;
}

/** Compile one job into ESM-ready code (see chunkToEsm); throws ValidatorCompileError. */
export function compileJob(job: CompileJob): CompiledChunk {
  const chunk = chunkToEsm(compileMode(job.entries, job.allErrors));
  const withCandidate = job.allErrors ? [] : job.entries.filter((e) => e.candidate !== undefined);
  if (withCandidate.length > 0) {
    // Values certainly valid by their plain schema need no run (candidate-check.ts); the
    // others are checked with the code validators.ts will hold, run here: the same check
    // as evaluating it later in the caller.
    const verdicts = withCandidate.map((e) => certainlyValid(e.schema, e.candidate!.value));
    const fns = verdicts.includes(undefined) ? evaluateChunk(chunk.code) : undefined;
    chunk.checked = withCandidate.map((e, i) => [e.name, verdicts[i] ?? fns![e.name]?.(e.candidate!.value) === true]);
  }
  return chunk;
}

/** The jobs of a system, in order: per chunk, the all-errors mode then the first-error mode. */
function jobsOf(entries: readonly ValidatorEntry[]): CompileJob[] {
  const plain = entries.map((e) => ({ ...e, schema: plainSchema(e.schema, { dropAnnotations: true }) }));
  const jobs: CompileJob[] = [];
  for (let i = 0; i < plain.length || i === 0; i += VALIDATOR_CHUNK) {
    const chunk = plain.slice(i, i + VALIDATOR_CHUNK);
    jobs.push({ entries: chunk, allErrors: true }, { entries: chunk, allErrors: false });
  }
  return jobs;
}

/** Compile both modes in this thread. */
export function compileValidators(entries: readonly ValidatorEntry[], runtimeImport = DEFAULT_RUNTIME_IMPORT): CompiledValidators {
  const jobs = jobsOf(entries);
  return assemble(
    jobs,
    jobs.map((j) => compileJob(j)),
    runtimeImport,
  );
}

/** How the last `compileValidatorsParallel` ran (for tests and benchmarks). */
export const parallelStats = { worker: false, workerJobs: 0, jobs: 0, callerJobs: 0 };

/**
 * Worker threads that compile validators while this thread renders the other files: ajv
 * compile time dominates big contracts. Start the pool before loading the contracts, so
 * its first worker boots (tsx, ajv) while this thread parses YAML; the workers serve every
 * system of the run. Work is shared through a claim per job in shared memory, each job
 * compiled once: the workers take jobs from the front; with one worker this thread takes
 * them from the back too, and a big request (SPREAD_AT) gets more workers and leaves this
 * thread out.
 */
export interface CompilePool {
  /** Resolves once the worker is up (or known not to run): `compile` posts at once after it. */
  ready(): Promise<void>;
  /**
   * Post `jobs` to the worker, which compiles each one it claims (`claims[i]` 0 -> 1).
   * Resolves when it has gone through the list, with its chunks by job index (holes where
   * another thread claimed the job or compiling failed); undefined when the worker cannot run.
   * With a `spool`, the workers append each chunk's code to it and post the chunk without
   * it (`code` empty): `onChunk` gets where the code went.
   */
  compile(
    jobs: readonly CompileJob[],
    claims: Int32Array,
    onChunk?: (index: number, chunk: CompiledChunk, spooled?: { offset: number; bytes: number }) => void,
    spool?: SpoolTarget,
  ): Promise<Array<CompiledChunk | undefined> | undefined>;
  /**
   * Whether the requesting thread should take jobs from the back of the list (asked after
   * `compile`): with a single worker it should, with more it leaves them the jobs.
   */
  callerCompiles(): boolean;
  /**
   * A hint, before the jobs exist: about `entries` validator entries are coming (a loaded
   * system's messages). Boots now the workers `compile` would start for them, so they are
   * up when the jobs are posted rather than booting then (the boot, ~0.5 s here, overlaps
   * the planning that comes before the jobs). Nothing for a request below SPREAD_AT.
   */
  expect(entries: number): void;
  close(): Promise<void>;
}

export interface CompilePoolOptions {
  /**
   * Most worker threads a request may use (default: the cores `availableParallelism()`
   * reports, at most MAX_COMPILE_WORKERS). One boots with the pool; the others when a
   * request has `spreadAt` jobs or more.
   */
  maxWorkers?: number;
  /** Jobs from which a request is spread over more workers (default SPREAD_AT). */
  spreadAt?: number;
}

/** Most workers by default: each boots ajv (~0.25 s of CPU) and holds its own heap. */
export const MAX_COMPILE_WORKERS = 4;
/**
 * Jobs (two per VALIDATOR_CHUNK messages), here those of 2,000 messages, from which a
 * request gets more workers and the requesting thread leaves the compiling to them. ajv
 * compiled 100 payloads in a worker in ~200 ms but in the main thread, once it holds a big
 * contract's model, in ~380 ms (each collection the compiling triggers walks that heap).
 * Measured on 2 cores (in chunks of 100), one worker plus the main thread against two
 * workers: 5,000 channels 27-30 s against 24-26 s, 2,000 channels 13.2-14.3 s against
 * 12.2-13.8 s; at 1,000 and 500 channels two workers were slower (7.0 against 7.3 s,
 * 4.1-4.5 against 4.6-5.7 s: the second worker's boot and heap for a main thread that
 * compiles about as fast).
 */
export const SPREAD_AT = (2 * 2000) / VALIDATOR_CHUNK;

/** Each validator worker's young generation, in MB (see spawn in createCompilePool). */
const WORKER_YOUNG_MB = 128;

export function createCompilePool(options: CompilePoolOptions = {}): CompilePool {
  type Reply = { id: number; index?: number; chunk?: CompiledChunk; at?: { offset: number; bytes: number }; done?: boolean };
  const maxWorkers = Math.max(1, Math.floor(options.maxWorkers ?? Math.min(availableParallelism(), MAX_COMPILE_WORKERS)));
  const spreadAt = options.spreadAt ?? SPREAD_AT;
  const pending = new Map<
    number,
    {
      chunks: Array<CompiledChunk | undefined>;
      left: number;
      onChunk: ((index: number, chunk: CompiledChunk, spooled?: { offset: number; bytes: number }) => void) | undefined;
      resolve: (r: Array<CompiledChunk | undefined> | undefined) => void;
    }
  >();
  let nextId = 0;
  let failed = false;
  const workers: import('node:worker_threads').Worker[] = [];
  const fail = () => {
    failed = true;
    for (const p of pending.values()) p.resolve(undefined);
    pending.clear();
    // The other workers stop too: their requests are answered (the callers compile the
    // jobs themselves), and a worker left running would still append to a spool whose
    // descriptor its owner may close once the run is over.
    for (const w of workers) {
      w.removeAllListeners('exit');
      void w.terminate();
    }
  };
  let WorkerClass: typeof import('node:worker_threads').Worker | undefined;
  const spawn = () => {
    if (!WorkerClass) return;
    // From the sources the worker registers tsx with the source tree's tsconfig (worker-boot.ts).
    // A young generation of 128 MB (was 64): fewer of ajv's short-lived trees survive into the old
    // one. At 5,000 channels on 2 cores faster in 7 of 9 alternating pairs (medians 11.7 s against
    // 12.1 s in the first 7, up to 1 s less CPU), +30-80 MB of peak; 256 MB was no faster and +300 MB.
    const w = new WorkerClass(workerBoot(import.meta.url, 'validators-worker'), { eval: true, resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_MB } });
    w.on('message', (m: Reply) => {
      const p = pending.get(m.id);
      if (!p) return;
      // A job that failed comes back without a chunk: the caller compiles it again and reports the error itself.
      if (m.index !== undefined) {
        p.chunks[m.index] = m.chunk;
        if (m.chunk) p.onChunk?.(m.index, m.chunk, m.at);
      }
      if (m.done && --p.left === 0) {
        pending.delete(m.id);
        p.resolve(p.chunks);
      }
    });
    w.on('error', fail);
    w.on('exit', fail);
    // Not kept alive by an idle worker: close() ends it, and a caller that forgot does not hang.
    w.unref();
    workers.push(w);
  };
  const started = (async () => {
    try {
      WorkerClass = (await import('node:worker_threads')).Worker;
      spawn();
    } catch {
      fail();
    }
  })();
  /** Starts the workers a request of `jobs` jobs gets (one below spreadAt). */
  const spawnFor = (jobs: number) => {
    try {
      const wanted = jobs >= spreadAt ? Math.min(maxWorkers, Math.ceil(jobs / 2)) : 1;
      for (let n = wanted - workers.length; n > 0; n--) spawn();
    } catch {
      // The workers already up do the work.
    }
  };
  return {
    ready: () => started,
    expect(entries) {
      // The count jobsOf will make of them: two modes per chunk.
      if (workers.length > 0 && !failed) spawnFor(2 * Math.ceil(entries / VALIDATOR_CHUNK));
    },
    compile(jobs, claims, onChunk, spool) {
      if (workers.length === 0 || failed) return Promise.resolve(undefined);
      spawnFor(jobs.length);
      const id = nextId++;
      const serving = [...workers];
      // Kept alive while some request waits on them.
      for (const w of serving) w.ref();
      return new Promise<Array<CompiledChunk | undefined> | undefined>((resolve) => {
        pending.set(id, { chunks: new Array(jobs.length), left: serving.length, onChunk, resolve });
        for (const w of serving) w.postMessage({ id, jobs, claims, ...(spool ? { spool } : {}) });
      }).finally(() => {
        if (pending.size === 0) for (const w of workers) w.unref();
      });
    },
    callerCompiles: () => workers.length <= 1,
    async close() {
      await started;
      // A request after close gets undefined (its caller compiles in its own thread).
      failed = true;
      await Promise.all(
        workers.map((w) => {
          w.removeAllListeners('exit');
          return w.terminate();
        }),
      );
    },
  };
}

/**
 * `pool` for its last request: its worker ends as soon as that request is done, so the
 * worker's heap is gone before the caller prints validators.ts (the peak of memory).
 */
export function lastUseOf(pool: CompilePool): CompilePool {
  return {
    ready: () => pool.ready(),
    compile: (jobs, claims, onChunk, spool) => pool.compile(jobs, claims, onChunk, spool).finally(() => pool.close()),
    callerCompiles: () => pool.callerCompiles(),
    expect: (entries) => pool.expect(entries),
    close: () => pool.close(),
  };
}

/** How many of a system's validators are compiled (two per message payload: first error and all errors). */
export interface ValidatorProgress {
  compiled: number;
  total: number;
}

/** Validators being compiled: `finish` compiles in this thread what the worker has not claimed, then waits for the worker. */
export interface ValidatorBuild {
  finish(): Promise<CompiledValidators>;
}

/**
 * Start compiling both modes, in the pool's worker from now on when there is one (it is
 * posted the jobs before this resolves, so it works while the caller renders other files).
 */
export async function startValidators(
  entries: readonly ValidatorEntry[],
  pool?: CompilePool,
  runtimeImport = DEFAULT_RUNTIME_IMPORT,
  onProgress?: (progress: ValidatorProgress) => void,
  spool?: Spool,
): Promise<ValidatorBuild> {
  const jobs = jobsOf(entries);
  // Two validators per entry (first error, all errors); a job holds one mode of a chunk of entries.
  const progress: ValidatorProgress = { compiled: 0, total: 2 * entries.length };
  /** Every job's chunk as it arrives, from whichever thread (assemble compiles the missing ones here). */
  const chunks: Array<CompiledChunk | undefined> = new Array(jobs.length);
  /** With a spool, where each job's code went: appended as the chunk arrives, its string dropped. */
  const spooled: Array<SpooledText | undefined> = [];
  const compiled = (index: number, chunk: CompiledChunk, at?: { offset: number; bytes: number }) => {
    chunks[index] = chunk;
    // A worker appended the code itself (at); this thread's chunks are appended here.
    if (at && spool) spooled[index] = spool.adopt(at);
    else if (spool) {
      try {
        spooled[index] = spool.append(chunk.code);
        chunk.code = '';
      } catch {
        // The spool cannot take it (a full disk): this chunk's code is held instead.
      }
    }
    progress.compiled += jobs[index]!.entries.length;
    onProgress?.({ ...progress });
  };
  /** Job `index` compiled in this thread and recorded (a job that does not compile is left to assemble). */
  const here = (index: number): void => {
    const chunk = tryCompile(jobs[index]!);
    if (chunk) compiled(index, chunk);
  };
  onProgress?.({ ...progress });
  if (!pool)
    return {
      async finish() {
        for (let i = 0; i < jobs.length; i++) here(i);
        return assemble(jobs, chunks, runtimeImport, spooled);
      },
    };
  await pool.ready();
  const claims = new Int32Array(new SharedArrayBuffer(4 * jobs.length));
  const fromWorker = pool.compile(jobs, claims, compiled, spool?.target());
  return {
    async finish() {
      let mine = 0;
      if (pool.callerCompiles())
        for (let i = jobs.length - 1; i >= 0; i--)
          if (Atomics.compareExchange(claims, i, 0, 1) === 0) {
            here(i);
            mine++;
          }
      // Chunks a worker delivered before its pool failed are kept (recorded by compiled), not compiled again.
      const theirs = await fromWorker;
      parallelStats.callerJobs = mine;
      parallelStats.worker = theirs !== undefined;
      parallelStats.jobs = jobs.length;
      parallelStats.workerJobs = theirs?.filter((c) => c !== undefined).length ?? 0;
      return assemble(jobs, chunks, runtimeImport, spooled);
    },
  };
}

/** Compile both modes, the worker (when there is one) sharing the jobs with this thread. */
export async function compileValidatorsParallel(
  entries: readonly ValidatorEntry[],
  pool?: CompilePool,
  runtimeImport = DEFAULT_RUNTIME_IMPORT,
): Promise<CompiledValidators> {
  return (await startValidators(entries, pool, runtimeImport)).finish();
}

/** A job's chunk, or undefined when it does not compile (assemble compiles it again to throw in order). */
function tryCompile(job: CompileJob): CompiledChunk | undefined {
  try {
    return compileJob(job);
  } catch (err) {
    if (err instanceof ValidatorCompileError) return undefined;
    throw err;
  }
}

/**
 * The chunks as one result. A missing chunk (its compile failed, or the worker died) is
 * compiled here, in order, first-error mode before all-errors of the same chunk: the error
 * thrown names the first entry that does not compile, whichever thread met it first.
 */
function assemble(
  jobs: readonly CompileJob[],
  chunks: ReadonlyArray<CompiledChunk | undefined>,
  runtimeImport: string,
  spooled: ReadonlyArray<SpooledText | undefined> = [],
): CompiledValidators {
  const firstError: Line[] = [];
  const allErrors: Line[] = [];
  const used = new Set<string>();
  const checked = new Map<string, boolean>();
  for (let i = 0; i < jobs.length; i += 2) {
    const first = chunks[i + 1] ?? compileJob(jobs[i + 1]!);
    const all = chunks[i] ?? compileJob(jobs[i]!);
    firstError.push(spooled[i + 1] ?? first.code);
    allErrors.push(spooled[i] ?? all.code);
    for (const name of [...first.helpers, ...all.helpers]) used.add(name);
    for (const [name, passed] of first.checked ?? []) checked.set(name, passed);
  }
  const from = validatorSupportImport(runtimeImport);
  return { imports: [...used].sort().map((name) => ({ name, from })), firstError, allErrors, checked };
}

/**
 * ajv's CommonJS-shaped code of one job as code for an ES module. compileMode has ajv print
 * the helpers by the names the file imports (`const func0 = ucs2length;`, `fullFormats.uuid`):
 * the code is kept as it is, and which helpers it uses is read off those declarations. A
 * `require(...)` that is there all the same (an ajv that prints another way) of HELPERS
 * becomes the helper's name; anything else is refused.
 */
export function chunkToEsm(code: string): CompiledChunk {
  const used = new Set<string>();
  // ajv declares each helper it uses once, in its scope code (HELPER_DECLARATIONS). The same
  // text inside one of ajv's string literals would only add an unused import.
  for (const [name, declared] of HELPER_DECLARATIONS) if (declared.some((d) => code.includes(d))) used.add(name);
  // Only the HELPERS, mapped to fixed names: nothing from a contract gets here. ajv's scope
  // names end in a counter (`func0`, `formats2`, `validate0`) and its fixed names are
  // others (`data`, `errors`, `vErrors`, `instancePath`...), so the helper names cannot
  // clash with ajv's.
  REQUIRE_CALL.lastIndex = 0;
  const esm = !REQUIRE_CALL.test(code)
    ? code
    : code.replace(REQUIRE_CALL, (match: string, spec: string, member: string | undefined, offset: number) => {
        if (offset > 0 && WORD_CHAR.test(code[offset - 1]!)) return match;
        const name = HELPERS.get(`${spec}\0${member ?? ''}`);
        if (name === undefined) {
          const what = member === undefined ? `"${spec}"` : `"${spec}" (.${member})`;
          throw new ValidatorCompileError(
            `ajv standalone code requires ${what}, which generated validators cannot import: they import only ${VALIDATOR_SUPPORT_MODULE} (${[...HELPERS.values()].join(', ')})`,
          );
        }
        used.add(name);
        return name;
      });
  // ajv escapes quotes and line separators in the values it embeds, but not `</script`;
  // that text can only sit inside ajv's string literals, where `<\/` reads the same.
  // Backstop: ajv prints a schema's $id into a `/*# sourceURL=... */` comment, where a
  // `*/` in the id would end the comment and inject code. plainSchema drops every $id,
  // so such a comment here means a schema got past it: refuse rather than emit it.
  if (code.includes('/*# sourceURL=')) throw new ValidatorCompileError('ajv standalone code carries a schema $id (sourceURL comment); refusing to emit it');
  return { code: esm.includes('</') ? esm.replace(/<\/(script)/gi, '<\\/$1') : esm, helpers: [...used] };
}
