/**
 * Load contracts: files or folders → resolved documents → spec diagnostics → IR.
 */
import { closeSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { dirname, extname, join, resolve as resolvePath } from 'node:path';
import { convertAsyncApi2, isAsyncApi2 } from './asyncapi2.js';
import { convertAvroPayloads, hasAvroPayloads } from './avro.js';
import { buildSystem } from './build.js';
import { recordDerivedNames } from './derived-names.js';
import { ContractError } from './errors.js';
import type { Diagnostic, LoadResult, SystemModel } from './ir.js';
import type { ContractLimits } from './limits.js';
import { isObject, RefResolver } from './resolve.js';
// The AsyncAPI parser takes ~0.5 s to import: only lint and validate need it, and the spec
// check runs it in a worker thread (spec-validate.ts): spec-validate.js is loaded on demand.

export interface LoadOptions {
  /** Folder `$ref`s may read from. Default: the folder given, or the file's folder. */
  root?: string;
  /** Allow http(s) `$ref`s. */
  allowRemote?: boolean;
  fetchText?: (url: string) => Promise<string>;
  /** Run the AsyncAPI spec validation (Spectral). Default true. */
  specValidation?: boolean;
  /**
   * Run the spec validation in a worker thread, beside the loading and the IR build.
   * Default true; false runs it in this thread (the same findings, later).
   */
  specInWorker?: boolean;
  /**
   * Called with each system as soon as its IR is built, while the spec check may still be
   * running in its worker: `evc lint` runs its rules there, in the meantime.
   */
  onSystem?: (system: SystemModel) => void;
  /**
   * Size and nesting limits (./limits.ts; defaults where unset). A contract over them is
   * refused with one diagnostic before the AsyncAPI parser or ajv see it.
   */
  limits?: Partial<ContractLimits>;
}

const CONTRACT_EXT = new Set(['.yaml', '.yml', '.json']);

/**
 * The root documents under a path: a file is itself; a folder gives its `*.yaml|yml|json`
 * files (not its subfolders, where shared components live).
 */
export function findContracts(path: string): string[] {
  const abs = resolvePath(path);
  let stat;
  try {
    stat = statSync(abs);
  } catch {
    throw new ContractError('file-unreadable', `file not found: ${abs}`, { file: abs, pointer: '', line: 0, col: 0 });
  }
  // Not a folder: a file, or something the reader refuses with its own message (a device, a pipe).
  if (!stat.isDirectory()) return [abs];
  return readdirSync(abs)
    .filter((name) => CONTRACT_EXT.has(extname(name)) && !name.startsWith('.'))
    .sort()
    .map((name) => join(abs, name))
    .filter((file) => statSync(file).isFile());
}

/** Load every contract under the given paths. Problems become diagnostics; nothing throws for bad input. */
export async function loadContracts(paths: string[], options: LoadOptions = {}): Promise<LoadResult> {
  const result: LoadResult = { systems: [], diagnostics: [] };
  for (const path of paths) {
    let files: string[];
    try {
      files = findContracts(path);
    } catch (err) {
      if (err instanceof ContractError) {
        result.diagnostics.push(err.toDiagnostic());
        continue;
      }
      throw err;
    }
    const root = options.root ?? (statSync(resolvePath(path)).isDirectory() ? resolvePath(path) : dirname(resolvePath(path)));
    for (const file of files) {
      const one = await loadContract(file, { ...options, root });
      result.diagnostics.push(...one.diagnostics);
      result.systems.push(...one.systems);
    }
  }
  return result;
}

/** Load one root document. */
export async function loadContract(file: string, options: LoadOptions = {}): Promise<LoadResult> {
  const abs = resolvePath(file);
  const diagnostics: Diagnostic[] = [];
  const specCheck = options.specValidation !== false ? await import('./spec-validate.js') : undefined;
  // The spec check's worker loads the parser and compiles the schema while this thread reads the contract.
  const inWorker = options.specInWorker !== false;
  if (inWorker) specCheck?.startSpecWorker(versionHint(abs));
  const resolver = new RefResolver({
    root: options.root ?? dirname(abs),
    ...(options.allowRemote ? { allowRemote: true } : {}),
    ...(options.fetchText ? { fetchText: options.fetchText } : {}),
    ...(options.limits ? { limits: options.limits } : {}),
  });
  // The spec check's diagnostics come first, then the IR builder's: the order they had when
  // the one waited for the other. It runs in a worker meanwhile.
  let spec: Promise<Diagnostic[]> | undefined;
  const specFirst = async () => (spec ? await spec : []);
  try {
    const source = await resolver.load(abs);
    checkIsAsyncApi(source.data, abs, resolver);
    const resolved = resolver.resolve(abs);
    if (!isObject(resolved)) throw new ContractError('not-asyncapi', 'expected a mapping at the top level', resolver.locate({ file: abs, pointer: '' }));
    if (specCheck) {
      const bundled = resolver.bundle(abs);
      spec = specCheck.specDiagnostics(bundled, abs, resolver, { inWorker });
      // Awaited below, on every path; not an unhandled rejection while the IR is built.
      spec.catch(() => undefined);
    }
    // AsyncAPI 2.x is read into the 3.x shape (./asyncapi2.ts): one IR builder for both.
    const converted = isAsyncApi2(resolved.asyncapi) ? convertAsyncApi2(resolved, resolver, abs, (d) => diagnostics.push(d)) : undefined;
    const document = converted?.document ?? resolved;
    // Avro payloads become JSON Schema (./avro.ts) before the IR is built. That replaces
    // payloads in objects the bundle may share: the spec findings are placed first.
    if (spec && hasAvroPayloads(document)) await spec;
    convertAvroPayloads(document, resolver, (d) => diagnostics.push(d));
    const system = buildSystem({ file: abs, resolver, document }, diagnostics);
    if (converted) recordDerivedNames(system, converted.derivedNames);
    options.onSystem?.(system);
    return { systems: [system], diagnostics: [...(await specFirst()), ...diagnostics] };
  } catch (err) {
    if (err instanceof ContractError) return { systems: [], diagnostics: [...(await specFirst()), ...diagnostics, err.toDiagnostic()] };
    throw err;
  }
}

/**
 * The `asyncapi` version a document declares near its top, read from its first bytes: which
 * schema the spec check's worker compiles ahead. Only a hint (undefined when not found there).
 */
function versionHint(file: string): string | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const head = Buffer.alloc(4096);
    const text = head.subarray(0, readSync(fd, head, 0, head.length, 0)).toString('utf8');
    return /^\s*"?asyncapi"?\s*:\s*["']?(\d+\.\d+\.\d+)["']?\s*,?\s*$/m.exec(text)?.[1];
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** AsyncAPI 3.x, or 2.0-2.6 (read into the 3.x shape); anything else is one diagnostic. */
function checkIsAsyncApi(data: unknown, file: string, resolver: RefResolver): void {
  if (!isObject(data)) {
    throw new ContractError(
      'not-asyncapi',
      'not an AsyncAPI document: expected a mapping with `asyncapi: 3.x.x` (or 2.x.x) at the top level',
      resolver.locate({ file, pointer: '' }),
    );
  }
  const version = data.asyncapi;
  if (version === undefined) {
    const hint = 'openapi' in data ? ' (this is an OpenAPI document)' : '';
    throw new ContractError(
      'not-asyncapi',
      `not an AsyncAPI document${hint}: expected \`asyncapi: 3.x.x\` (or 2.x.x) at the top level`,
      resolver.locate({ file, pointer: '' }),
    );
  }
  const v = String(version);
  if (typeof version === 'string' && (/^3\.\d+\.\d+$/.test(version) || isAsyncApi2(version))) return;
  if (/^1\./.test(v))
    throw new ContractError('asyncapi-version', 'AsyncAPI 1.x is not supported; convert it to 2.x or 3.x', resolver.locate({ file, pointer: '/asyncapi' }));
  throw new ContractError(
    'asyncapi-version',
    `unsupported AsyncAPI version "${v}": expected 3.x.x or 2.0.0-2.6.0`,
    resolver.locate({ file, pointer: '/asyncapi' }),
  );
}
