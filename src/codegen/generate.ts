/**
 * `evc generate` as a library: contracts -> planned files -> compare with the output
 * folder -> write (or, in check mode, report). Only the folders of the systems it
 * generates are touched.
 *
 * An unchanged run must not pay for loading contracts (the loader pulls in the AsyncAPI
 * parser, ~0.5 s to import): a manifest in `.evc-cache/` maps each root document to the
 * hashes of the files it was built from and of the files it produced. When both still
 * match, the system is skipped without parsing anything. Planning and the loader are
 * imported only when some system needs them.
 *
 * The docs (`<out>/docs/`, see ./docs.ts) span every system: the manifest keys them on the
 * hashes of all contract files and of the renderer's sources. When that key or a docs
 * file on disk no longer matches, every system is loaded (the ones whose SDK is cached
 * are not planned again) and the docs are rendered.
 */
import { compareCodeUnits } from '../contract/compare.js';
import { version as toolkitVersion } from '../contract/version.js';
import { hashModules, packageFile } from './sources.js';
import { fullFormats } from '@event-contracts/runtime/formats';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join, relative, resolve } from 'node:path';
import type { Diagnostic, SystemModel } from '../contract/ir.js';
import type { ContractLimits } from '../contract/limits.js';
import { DEFAULT_EMIT, DEFAULT_RUNTIME_IMPORT, readConfig, type Emit, type EvcConfig } from './config.js';
import { DOCS_FOLDER, docsSourceKey, generatedDocsFiles } from './docs.js';
import { applyChanges, atPath, compareFiles, listFiles, plannedSha256, posix, readText, sha256, type FileChange } from './output.js';
import type { PlannedFile } from './plan.js';
import type { Spool } from './spool.js';
import type { CompilePool, ValidatorProgress } from './validators.js';

export type { FileChange } from './output.js';

export const GENERATOR_NAME = 'event-contracts evc generate';

export interface GenerateOptions {
  /** Contract files or folders (relative to `root`). Default `['asyncapi']`. */
  contracts?: string[];
  /** Output folder (relative to `root`). Default `generated`. */
  out?: string;
  /** Repository root: paths in preambles are relative to it, `evc.config.json` is read from it. Default cwd. */
  root?: string;
  /** Runtime module specifier. Default: `evc.config.json` runtimeImport, else `@event-contracts/runtime`. */
  runtimeImport?: string;
  /** TypeScript (`ts`) or JavaScript with declarations (`js`). Default: `evc.config.json` emit, else `ts`. */
  emit?: Emit;
  /** Compare only; write nothing. */
  check?: boolean;
  /** Size and nesting limits for the contracts (see contract/limits.ts); defaults where unset. */
  limits?: Partial<ContractLimits>;
  /** Use and update `.evc-cache/` (default true). */
  cache?: boolean;
  /** Cache folder (relative to `root`). Default `.evc-cache`. */
  cacheDir?: string;
  /**
   * Also the docs (Markdown, system map, offline HTML site) in `<out>/docs/`; default
   * true. Only when every contract path is a folder: the docs span all systems, so one
   * contract file alone would rewrite them without the others.
   */
  docs?: boolean;
  /**
   * Run the lint rules on the contracts it loads (src/lint: lintForGenerate): `warn` reports
   * their errors as warnings (they never stop generation), `strict` with the severities
   * `evc lint` gives them (an error stops it). Default `off` (the CLI passes `warn`).
   */
  lint?: 'off' | 'warn' | 'strict';
  /**
   * Folder `$ref`s may read from (relative to `root`), for every contract: e.g. the
   * repository root, so a contract may reach `../schemas/`. Default: each contract's own
   * folder (the folder given, or the file's folder).
   */
  contractRoot?: string;
  /**
   * Generate the systems whose contracts load, skipping (not failing on) the ones with
   * errors: their output folders are left as they are, the docs are not rewritten, and
   * `skipped` lists them. Default false: any contract error writes nothing.
   */
  keepGoing?: boolean;
  /** Called as the run goes (each contract parsed, each system generated): for a progress line. */
  onProgress?: (progress: GenerateProgress) => void;
  /**
   * Keep the text of every planned file readable after the run (default true). The
   * compiled validators' code goes through a temporary file (spool.ts), which the result's
   * `files` then keep open until they are collected; with false it is closed when the run
   * returns (its disk space free at once, as the CLI does in watch mode), and reading the
   * `contents` of a validators file then throws.
   */
  keepFileContents?: boolean;
}

/** How far a run is: contracts parsed and systems generated so far, of how many. */
export interface GenerateProgress {
  /** The validators of the system being generated: compiled so far, of how many (two per message payload). */
  validators?: ValidatorProgress;
  /** Root documents loaded, of `contracts` to load (the ones whose SDK is cached are not loaded unless the docs need them). */
  contractsParsed: number;
  contracts: number;
  /** Systems planned, of `systems` loaded so far. */
  systemsGenerated: number;
  systems: number;
}

export interface GenerateResult {
  /** Ids of the systems generated, in order. */
  systems: string[];
  /** Every file the contracts produce (paths relative to the root). */
  files: PlannedFile[];
  /** What happened to each file (write mode: written/unchanged/removed; check mode: unchanged/stale/missing/extra). */
  changes: FileChange[];
  /** Contract problems; when any is an error nothing was written. */
  diagnostics: Diagnostic[];
  /** Systems skipped through the cache (not planned; not loaded unless the docs needed them). */
  cachedSystems: string[];
  /** Whether the docs were part of the run (`docs` option, contract folders), and whether they came from the cache. */
  docs: 'rendered' | 'cached' | 'skipped';
  /** With `keepGoing`: the root documents (root-relative) not generated, and the first error of each. */
  skipped: Array<{ file: string; error: string }>;
  /** Wall time in ms. */
  ms: number;
  /** Check mode: whether the output folder equals what the contracts produce. */
  upToDate: boolean;
}

interface ManifestSystem {
  id: string;
  /** Output folder of the system (root-relative). */
  folder: string;
  /** Input files (root-relative) -> sha256. Root document first. */
  inputs: Record<string, string>;
  /** Output files (root-relative) -> sha256. */
  outputs: Record<string, string>;
}

interface ManifestDocs {
  /** See docsKey: the contracts and the renderer the docs were made from. */
  key: string;
  /** Output files (root-relative) -> sha256. */
  outputs: Record<string, string>;
}

interface Manifest {
  key: string;
  /** Root document (root-relative) -> its system. */
  systems: Record<string, ManifestSystem>;
  docs?: ManifestDocs;
}

const CONTRACT_EXT = new Set(['.yaml', '.yml', '.json']);

/** The root documents under a path (same rule as the loader's findContracts, without importing it). */
function rootDocuments(path: string): string[] {
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st) return [];
  if (st.isFile()) return [path];
  return readdirSync(path)
    .filter((name) => CONTRACT_EXT.has(extname(name)) && !name.startsWith('.'))
    .sort()
    .map((name) => join(path, name))
    .filter((file) => statSync(file).isFile());
}

/** The toolkit's version (package.json). */
export function version(): string {
  return toolkitVersion;
}

/**
 * What the output depends on besides the contracts: the toolkit version, the sources of
 * the generator, loader, templates and format set, and the ajv versions. Any change
 * misses the cache.
 */
function cacheKey(runtimeImport: string, emit: Emit, out: string): string {
  const h = createHash('sha256').update(`${version()}\0${runtimeImport}\0${emit}\0${out}\0`);
  const here = new URL('.', import.meta.url);
  const dirs = [here, new URL('../contract/', here), new URL('../../templates/', here)];
  for (const d of dirs) hashModules(d, (name, contents) => h.update(name).update(contents));
  h.update(formatsShape());
  for (const pkg of ['ajv', 'ajv-formats']) h.update(pkg).update(packageFile(`${pkg}/package.json`));
  return h.digest('hex');
}

/**
 * What of the format set shapes the validators' code: which formats are functions
 * (referenced from the runtime) and which regexes (inlined), and their other fields.
 * Described rather than hashed as a file: the same set is src/runtime/formats.ts from
 * sources (tsx, vitest) and the package's dist/formats.js when built or installed.
 */
function formatsShape(): string {
  const describe = (v: unknown): string => {
    if (v instanceof RegExp) return `/${v.source}/${v.flags}`;
    if (typeof v === 'function') return 'function';
    if (typeof v === 'object' && v !== null)
      return `{${Object.entries(v)
        .map(([k, x]) => `${k}:${describe(x)}`)
        .join(',')}}`;
    return JSON.stringify(v) ?? 'undefined';
  };
  return Object.entries(fullFormats)
    .map(([name, format]) => `${name}=${describe(format)}\n`)
    .join('');
}

/** The docs' cache key: the renderer's sources (docsSourceKey) and every input file of every system. */
function docsKey(outRel: string, systems: Array<[rel: string, entry: ManifestSystem]>): string {
  const h = createHash('sha256').update(`${version()}\0${outRel}\0${docsSourceKey()}\0`);
  for (const [rel, entry] of [...systems].sort((a, b) => compareCodeUnits(a[0], b[0]))) {
    h.update(`${rel}\0`);
    for (const [file, hash] of Object.entries(entry.inputs)) h.update(`${file}\0${hash}\0`);
  }
  return h.digest('hex');
}

/**
 * A loaded model without its source-location index (`locate`, `locateNode`: the parsed
 * documents and a pointer index, about 50 KB per channel, most of the model). Neither the
 * templates nor the docs locate anything, and the lint findings were taken at load time.
 */
function withoutLocations(system: SystemModel): SystemModel {
  return { ...system, locate: (file, pointer) => ({ file, pointer, line: 0, col: 0 }), locateNode: () => undefined };
}

function readManifest(file: string): Manifest | undefined {
  const text = readText(file);
  if (!text) return undefined;
  try {
    const m = JSON.parse(text) as Manifest;
    if (typeof m.key !== 'string' || typeof m.systems !== 'object' || m.systems === null) return undefined;
    if (m.docs !== undefined && (typeof m.docs?.key !== 'string' || typeof m.docs.outputs !== 'object' || m.docs.outputs === null)) delete m.docs;
    return m;
  } catch {
    return undefined;
  }
}

/**
 * Generate (or, with `check`, compare) the SDK of every contract under `contracts`.
 * Writes only files whose bytes change and removes stale files in the system folders it
 * owns; contract errors come back as diagnostics with nothing written.
 *
 * @example
 * const result = await generate({ contracts: ['asyncapi'], out: 'generated', check: true });
 * for (const c of result.changes) if (c.status !== 'unchanged') console.log(`${c.path}: ${c.status}`);
 * process.exitCode = result.upToDate ? 0 : 1;
 */
/**
 * Generate (or, with `check`, compare) the SDK of every contract under `contracts`, and
 * the docs of all of them in `<out>/docs/`. Writes only files whose bytes change and
 * removes stale files in the system folders it owns and docs files it wrote before;
 * contract errors come back as diagnostics with nothing written.
 *
 * @example
 * const result = await generate({ contracts: ['asyncapi'], out: 'generated', check: true });
 * for (const c of result.changes) if (c.status !== 'unchanged') console.log(`${c.path}: ${c.status}`);
 * process.exitCode = result.upToDate ? 0 : 1;
 */
export async function generate(options: GenerateOptions = {}): Promise<GenerateResult> {
  const started = performance.now();
  const root = resolve(options.root ?? process.cwd());
  const contractPaths = (options.contracts && options.contracts.length > 0 ? options.contracts : ['asyncapi']).map((p) => resolve(root, p));
  const outDir = resolve(root, options.out ?? 'generated');
  const outRel = posix(relative(root, outDir));
  const docsDir = `${outRel}/${DOCS_FOLDER}`;
  // The config file is read only for what the options leave open.
  const config: EvcConfig = options.runtimeImport !== undefined && options.emit !== undefined ? {} : readConfig(root);
  const runtimeImport = options.runtimeImport ?? config.runtimeImport ?? DEFAULT_RUNTIME_IMPORT;
  const emit = options.emit ?? config.emit ?? DEFAULT_EMIT;
  const check = options.check === true;
  const useCache = options.cache !== false;
  const manifestFile = join(resolve(root, options.cacheDir ?? '.evc-cache'), 'generate.json');
  // With a single contract file, the other system folders and the docs of the other systems are not ours to judge.
  const wholeFolders = contractPaths.every((p) => statSync(p, { throwIfNoEntry: false })?.isDirectory());
  const withDocs = options.docs !== false && wholeFolders;

  const diagnostics: Diagnostic[] = [];
  const keepGoing = options.keepGoing === true;
  const skipped: GenerateResult['skipped'] = [];
  /** Output folders of skipped systems: left alone (not removed as orphans). */
  const keptFolders = new Set<string>();
  const hasError = (list: readonly Diagnostic[]) => list.some((d) => d.severity === 'error');
  const roots: Array<{ file: string; contractRoot: string }> = [];
  for (const p of contractPaths) {
    const st = statSync(p, { throwIfNoEntry: false });
    if (!st) {
      diagnostics.push({ severity: 'error', rule: 'file-unreadable', message: `file not found: ${p}`, location: { file: p, pointer: '', line: 0, col: 0 } });
      continue;
    }
    const contractRoot = options.contractRoot !== undefined ? resolve(root, options.contractRoot) : st.isDirectory() ? p : dirname(p);
    for (const file of rootDocuments(p)) roots.push({ file, contractRoot });
  }

  // A strict run must see every system's lint findings: its key differs from a lenient run's.
  const key = useCache ? cacheKey(runtimeImport, emit, outRel) + (options.lint === 'strict' ? ':strict' : '') : '';
  const previous = useCache ? readManifest(manifestFile) : undefined;
  // The docs entry survives runs that leave the docs alone (--no-docs, a single contract file).
  const manifest: Manifest = { key, systems: {}, ...(!withDocs && previous?.docs ? { docs: previous.docs } : {}) };

  const files: PlannedFile[] = [];
  const changes: FileChange[] = [];
  const systems: string[] = [];
  const cachedSystems: string[] = [];
  const toLoad: typeof roots = [];
  /** Systems whose SDK is cached: loaded only when the docs must be rendered. */
  const cachedRoots: typeof roots = [];
  /** Per system folder (root-relative): the planned files. */
  const planned = new Map<string, PlannedFile[]>();
  /** Root document -> its manifest entry, when its input files are unchanged (whatever its outputs). */
  const knownInputs = new Map<string, ManifestSystem>();

  // 1. Systems whose inputs and outputs still match the manifest: nothing to load.
  for (const r of roots) {
    const rel = posix(relative(root, r.file));
    // Input hashes are facts about the contract files whatever the generator: the docs key
    // may use them even when the SDK's key changed (another runtime import, say).
    const recorded = previous?.systems[rel];
    const inputsOk = recorded !== undefined && recorded.folder !== docsDir && unchangedInputs(recorded);
    if (inputsOk) knownInputs.set(rel, recorded);
    const entry = previous?.key === key ? recorded : undefined;
    const hit = entry && inputsOk ? cachedOutputs(entry) : undefined;
    if (entry && hit) {
      systems.push(entry.id);
      cachedSystems.push(entry.id);
      manifest.systems[rel] = entry;
      for (const f of hit) {
        files.push(f);
        changes.push({ path: f.path, status: 'unchanged' });
      }
      planned.set(entry.folder, hit);
      cachedRoots.push(r);
    } else toLoad.push(r);
  }

  // 1b. The docs: cached when made from exactly these inputs and still intact on disk.
  let docsState: GenerateResult['docs'] = withDocs ? 'rendered' : 'skipped';
  if (withDocs && previous?.docs && knownInputs.size === roots.length) {
    const hit = previous.docs.key === docsKey(outRel, [...knownInputs]) ? cachedDocs(previous.docs) : undefined;
    if (hit) {
      docsState = 'cached';
      manifest.docs = previous.docs;
      for (const f of hit) {
        files.push(f);
        changes.push({ path: f.path, status: 'unchanged' });
      }
    }
  }
  const needDocs = docsState === 'rendered';

  // 2. The others: load (without spec validation: that is `evc lint`'s job) and plan; for
  //    the docs, every system is loaded.
  const loadedSystems: SystemModel[] = [];
  /** Where the compiled validators' code goes (made with the first system planned; null when none could be made). */
  let spool: Spool | null | undefined;
  if (toLoad.length > 0) {
    // The validator worker boots while this thread imports the loader and parses YAML.
    const { createCompilePool } = await import('./validators.js');
    const pool = createCompilePool();
    try {
      await loadAndPlan(pool);
    } finally {
      await pool.close();
    }
  } else if (needDocs && cachedRoots.length > 0) await loadAndPlan(undefined);
  if (hasError(diagnostics) && !keepGoing) return finish();

  async function loadAndPlan(pool: CompilePool | undefined): Promise<void> {
    const [{ loadContract }, { planSystem, systemFolder }, { ValidatorCompileError, lastUseOf }, { Spool: SpoolFile }] = await Promise.all([
      import('../contract/load.js'),
      import('./plan.js'),
      import('./validators.js'),
      import('./spool.js'),
    ]);
    /**
     * The compiled validators' code of every system goes to a spool file as it is compiled
     * and is read back when validators.ts is compared and written (spool.ts): held in
     * memory it was the peak of a big run. Where no temporary file can be made, it is held.
     */
    const spoolFor = (): Spool | undefined => {
      if (spool === undefined) {
        try {
          spool = new SpoolFile();
        } catch {
          spool = null;
        }
      }
      return spool ?? undefined;
    };
    const loaded: Array<{ system?: SystemModel; rel: string }> = [];
    const progress: GenerateProgress = { contractsParsed: 0, contracts: toLoad.length + (needDocs ? cachedRoots.length : 0), systemsGenerated: 0, systems: 0 };
    // progress.validators is a new object at each report from startValidators: a shallow copy is a snapshot.
    const report = () => options.onProgress?.({ ...progress });
    report();
    /**
     * One root document: its diagnostics, lint findings included, and its systems without
     * their location index (withoutLocations). A function of its own, so that the loaded
     * models are gone when it returns: a variable of loadAndPlan would be kept by its frame
     * while it awaits the planning.
     */
    const loadOne = async (r: (typeof toLoad)[number]): Promise<{ found: Diagnostic[]; result: { systems: SystemModel[] } }> => {
      const loadedContract = await loadContract(r.file, { root: r.contractRoot, specValidation: false, ...(options.limits ? { limits: options.limits } : {}) });
      const found = [...loadedContract.diagnostics];
      // The workers the biggest system's validators get boot while this thread lints and plans.
      pool?.expect(Math.max(0, ...loadedContract.systems.map((s) => s.messages.length)));
      if (options.lint !== undefined && options.lint !== 'off' && loadedContract.systems.length > 0) {
        const { lintForGenerate } = await import('../lint/index.js');
        for (const system of loadedContract.systems) found.push(...lintForGenerate(system, { strict: options.lint === 'strict' }));
      }
      return { found, result: { systems: loadedContract.systems.map(withoutLocations) } };
    };
    for (const r of toLoad) {
      const { found, result } = await loadOne(r);
      diagnostics.push(...found);
      progress.contractsParsed++;
      progress.systems += result.systems.length;
      report();
      const rel = posix(relative(root, r.file));
      if (keepGoing && hasError(found)) {
        skip(rel, found.find((d) => d.severity === 'error')!);
        const before = previous?.systems[rel]?.folder;
        if (before) keptFolders.add(before);
        keptFolders.add(`${outRel}/${systemFolder(basename(r.file, extname(r.file)))}`);
        for (const system of result.systems) keptFolders.add(`${outRel}/${systemFolder(system.id)}`);
        continue;
      }
      for (const system of result.systems) loaded.push({ system, rel });
    }
    if (needDocs) {
      for (const r of cachedRoots) {
        const result = await loadContract(r.file, { root: r.contractRoot, specValidation: false, ...(options.limits ? { limits: options.limits } : {}) });
        diagnostics.push(...result.diagnostics);
        loadedSystems.push(...result.systems);
        progress.contractsParsed++;
        report();
      }
    }
    if (hasError(diagnostics) && !keepGoing) return;
    const seen = new Map<string, string>(Object.entries(manifest.systems).map(([rel, e]) => [e.folder, rel]));
    for (let index = 0; index < loaded.length; index++) {
      const { rel } = loaded[index]!;
      const system = loaded[index]!.system!;
      // Only the docs need the models after planning: without them each one can go once its
      // files are planned (tens of megabytes per thousand channels).
      if (needDocs) loadedSystems.push(system);
      loaded[index] = { rel };
      const folder = `${outRel}/${systemFolder(system.id)}`;
      if (folder === docsDir) {
        // Reserved even with --no-docs: the docs there would be removed as stale SDK files.
        diagnostics.push({
          severity: 'error',
          rule: 'system-id-unique',
          message: `system "${system.id}" (${rel}) would generate into ${docsDir}, the docs folder; give it another id (x-evc-system)`,
          location: { file: system.file, pointer: '', line: 0, col: 0 },
        });
        if (keepGoing) skip(rel, diagnostics.at(-1)!);
        continue;
      }
      const other = seen.get(folder);
      if (other !== undefined) {
        diagnostics.push({
          severity: 'error',
          rule: 'system-id-unique',
          message: `system "${system.id}" (${rel}) generates into the same folder as ${other}`,
          location: { file: system.file, pointer: '', line: 0, col: 0 },
        });
        if (keepGoing) skip(rel, diagnostics.at(-1)!);
        continue;
      }
      seen.set(folder, rel);
      const sources = system.files.map((f) => posix(relative(root, f)));
      let plan: PlannedFile[];
      const systemSpool = spoolFor();
      try {
        plan = (
          await planSystem(system, {
            runtimeImport,
            emit,
            generator: { name: GENERATOR_NAME, version: version() },
            sources,
            // The worker's heap goes once the last system's validators are compiled, before its validators.ts is printed.
            ...(pool ? { pool: index === loaded.length - 1 ? lastUseOf(pool) : pool } : {}),
            ...(systemSpool ? { spool: systemSpool } : {}),
            onValidators: (v) => {
              progress.validators = v;
              report();
            },
          })
        ).map((f) => atPath(f, `${outRel}/${f.path}`));
      } catch (err) {
        if (!(err instanceof ValidatorCompileError)) throw err;
        const d: Diagnostic = {
          severity: 'error',
          rule: 'codegen-validator',
          message: err.message,
          location: { file: system.file, pointer: '', line: 0, col: 0 },
        };
        diagnostics.push(d);
        if (keepGoing) {
          skip(rel, d);
          keptFolders.add(folder);
        }
        continue;
      }
      systems.push(system.id);
      for (const f of plan) files.push(f);
      planned.set(folder, plan);
      progress.systemsGenerated++;
      delete progress.validators;
      report();
      const inputs: Record<string, string> = {};
      for (const f of system.files) inputs[posix(relative(root, f))] = sha256(readFileSync(f));
      // Output hashes serve only the manifest: not computed without the cache (megabytes per file on big contracts).
      const outputs = useCache ? Object.fromEntries(plan.map((f) => [f.path, plannedSha256(f)])) : {};
      manifest.systems[rel] = { id: system.id, folder, inputs, outputs };
    }
    if (hasError(diagnostics) && !keepGoing) return;
    for (const { rel } of loaded) {
      const entry = manifest.systems[rel];
      if (entry) compareFolder(entry.folder, planned.get(entry.folder) ?? []);
    }
  }

  // 3. The docs of all systems; stale docs files are the ones the renderer wrote (its
  //    marker) or the previous run recorded.
  // With systems skipped (keepGoing), the docs would lose them: left as they are.
  if (needDocs && skipped.length > 0) {
    docsState = 'skipped';
    if (previous?.docs) manifest.docs = previous.docs;
  } else if (needDocs) {
    const { planDocs } = await import('./docs.js');
    const docs = loadedSystems.length > 0 ? await planDocs(loadedSystems, { dir: docsDir }) : [];
    const before = new Set(Object.keys(previous?.docs?.outputs ?? {}).filter((p) => p.startsWith(`${docsDir}/`)));
    changes.push(...compareFiles(root, docs, generatedDocsFiles(root, docsDir, before), check));
    files.push(...docs);
    if (useCache)
      manifest.docs = { key: docsKey(outRel, Object.entries(manifest.systems)), outputs: Object.fromEntries(docs.map((f) => [f.path, plannedSha256(f)])) };
  }

  // 4. Folders of systems that no longer exist: only when whole contract folders were given
  //    (with a single file, the other folders belong to contracts not asked about).
  if (wholeFolders) {
    let entries: string[] = [];
    try {
      entries = readdirSync(outDir, { withFileTypes: true })
        .filter((e) => e.isDirectory())
        .map((e) => e.name)
        .sort();
    } catch {
      entries = [];
    }
    for (const name of entries) {
      const folder = `${outRel}/${name}`;
      if (planned.has(folder) || folder === docsDir || keptFolders.has(folder)) continue;
      // Ours when its index (of either emit form) carries the generator's preamble.
      const ours = ['index.ts', 'index.js', 'index.d.ts'].some((name) =>
        readText(join(root, folder, name))?.startsWith(`// Code generated by ${GENERATOR_NAME}`),
      );
      if (!ours) continue;
      compareFolder(folder, []);
    }
  }

  // 5. Write.
  if (!check) applyChanges(root, changes, files, outRel);
  const upToDate = changes.every((c) => c.status === 'unchanged');
  // The manifest records what is on disk: after writing, or in check mode when equal.
  if (useCache && (!check || upToDate)) {
    mkdirSync(dirname(manifestFile), { recursive: true });
    const text = JSON.stringify(manifest, null, 1) + '\n';
    if (readText(manifestFile) !== text) writeFileSync(manifestFile, text);
  }
  return finish();

  function skip(file: string, first: Diagnostic): void {
    if (skipped.some((s) => s.file === file)) return;
    const where = `${posix(relative(root, first.location.file))}:${first.location.line}:${first.location.col}`;
    skipped.push({ file, error: `${where} ${first.rule} ${first.message}` });
  }

  function compareFolder(folder: string, plan: PlannedFile[]): void {
    const onDisk = listFiles(join(root, folder)).map((p) => `${folder}/${p}`);
    changes.push(...compareFiles(root, plan, onDisk, check));
  }

  function unchangedInputs(entry: ManifestSystem): boolean {
    for (const [file, hash] of Object.entries(entry.inputs)) {
      const text = readText(join(root, file));
      if (text === undefined || sha256(text) !== hash) return false;
    }
    return true;
  }

  function cachedOutputs(entry: ManifestSystem): PlannedFile[] | undefined {
    const out: PlannedFile[] = [];
    for (const [file, hash] of Object.entries(entry.outputs)) {
      const text = readText(join(root, file));
      if (text === undefined || sha256(text) !== hash) return undefined;
      out.push({ path: file, contents: text });
    }
    if (out.length === 0) return undefined;
    // No extra files in the folder either.
    const listed = listFiles(join(root, entry.folder));
    if (listed.length !== out.length || listed.some((f) => !(`${entry.folder}/${f}` in entry.outputs))) return undefined;
    return out;
  }

  function cachedDocs(entry: ManifestDocs): PlannedFile[] | undefined {
    const out: PlannedFile[] = [];
    for (const [file, hash] of Object.entries(entry.outputs)) {
      if (!file.startsWith(`${docsDir}/`)) return undefined;
      let bytes: Buffer;
      try {
        bytes = readFileSync(join(root, file));
      } catch {
        return undefined;
      }
      if (sha256(bytes) !== hash) return undefined;
      out.push({ path: file, contents: bytes.toString('utf8') });
    }
    // No docs files the renderer would not write now (hand-written files in the folder are fine).
    if (generatedDocsFiles(root, docsDir, new Set(Object.keys(entry.outputs))).some((f) => !(f in entry.outputs))) return undefined;
    return out;
  }

  function finish(): GenerateResult {
    // The validator workers are gone by now (the pool is closed before any return after it).
    if (options.keepFileContents === false) spool?.close();
    const byPath = (a: { path: string }, b: { path: string }) => compareCodeUnits(a.path, b.path);
    changes.sort(byPath);
    files.sort(byPath);
    systems.sort();
    return {
      systems,
      files,
      changes,
      diagnostics,
      cachedSystems,
      docs: docsState,
      skipped,
      ms: performance.now() - started,
      upToDate: changes.every((c) => c.status === 'unchanged') && !diagnostics.some((d) => d.severity === 'error'),
    };
  }
}
