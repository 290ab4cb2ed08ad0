/**
 * The sides of a diff: a file, a folder, or a git `ref:path` (materialized with
 * `git archive` into a temp folder, so relative `$ref`s keep working), loaded into IRs.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { Diagnostic } from '../contract/ir.js';
import type { ContractLimits } from '../contract/limits.js';
import { loadContracts } from '../contract/load.js';
import type { Version } from './compare.js';

/** A side that could not be read or loaded: the CLI exits 2. */
export class SourceError extends Error {
  readonly diagnostics: Diagnostic[];
  constructor(message: string, diagnostics: Diagnostic[] = []) {
    super(message);
    this.name = new.target.name;
    this.diagnostics = diagnostics;
  }
}

export interface LoadedVersion extends Version {
  /** Remove temp folders. */
  dispose(): void;
}

function git(args: string[], cwd: string): Buffer {
  return execFileSync('git', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 256 * 1024 * 1024 });
}

/** `main:asyncapi/`, `HEAD~1:asyncapi/x.yaml`: the ref and the path inside the repository. */
export function parseGitSpec(spec: string): { ref: string; path: string } | undefined {
  const m = /^([^:]+):(.*)$/.exec(spec);
  if (!m || /^[a-zA-Z]$/.test(m[1]!)) return undefined; // C:\ on Windows
  return { ref: m[1]!, path: m[2]!.replace(/^\.\//, '').replace(/\/+$/, '') };
}

export interface LoadSideOptions {
  cwd?: string;
  specValidation?: boolean;
  /** Size and nesting limits for the contracts (see contract/limits.ts). */
  limits?: Partial<ContractLimits>;
  /**
   * The contract root (`--root`, absolute): the folder `$ref`s may read from. A git side
   * reads the same folder of the repository at its ref. Default: each contract's folder.
   */
  root?: string;
}

/** Load one side. Throws SourceError when it cannot be read or has contract errors. */
export async function loadVersion(spec: string, options: LoadSideOptions = {}): Promise<LoadedVersion> {
  const cwd = options.cwd ?? process.cwd();
  const loadOpts = { ...(options.specValidation === false ? { specValidation: false } : {}), ...(options.limits ? { limits: options.limits } : {}) };
  const local = resolve(cwd, spec);
  if (existsSync(local)) {
    const loaded = await loadContracts([local], { ...loadOpts, ...(options.root ? { root: resolve(cwd, options.root) } : {}) });
    check(spec, loaded.diagnostics, loaded.systems.length);
    return { label: spec, systems: loaded.systems, display: (f) => showPath(cwd, f), dispose: () => {} };
  }
  const g = parseGitSpec(spec);
  if (!g) throw new SourceError(`${spec}: no such file or folder, and not a git ref:path`);
  let top: string;
  try {
    top = git(['rev-parse', '--show-toplevel'], cwd).toString().trim();
    git(['rev-parse', '--verify', '--quiet', `${g.ref}^{commit}`], cwd);
  } catch {
    throw new SourceError(`${spec}: no such file or folder, and "${g.ref}" is not a git commit here`);
  }
  let kind: string;
  try {
    kind = git(['cat-file', '-t', `${g.ref}:${g.path}`], top)
      .toString()
      .trim();
  } catch {
    throw new SourceError(`${spec}: "${g.path || '.'}" does not exist at ${g.ref}`);
  }
  // A single file is materialized with its folder, where its relative $refs point; with a
  // contract root, the root's folder of the repository too (the $refs may reach all of it).
  const folder = kind === 'blob' ? (dirname(g.path) === '.' ? '' : dirname(g.path)) : g.path;
  let rootIn: string | undefined;
  if (options.root) {
    const abs = resolve(cwd, options.root);
    rootIn = relative(realpathSync(top), realpathSync(abs));
    if (rootIn === '..' || rootIn.startsWith(`..${sep}`) || isAbsolute(rootIn))
      throw new SourceError(`${spec}: the contract root ${options.root} is outside the git repository (${top}), so it cannot be read at ${g.ref}`);
    rootIn = rootIn.split(sep).join('/');
  }
  const paths = rootIn === undefined ? [folder] : [folder, rootIn];
  const tmp = mkdtempSync(join(tmpdir(), 'evc-diff-'));
  const dispose = () => rmSync(tmp, { recursive: true, force: true });
  try {
    const tar = git(['archive', '--format=tar', g.ref, ...(paths.includes('') ? [] : ['--', ...new Set(paths)])], top);
    execFileSync('tar', ['-x', '-C', tmp], { input: tar, stdio: ['pipe', 'ignore', 'pipe'] });
    const target = join(tmp, g.path);
    const loaded = await loadContracts([target], { ...loadOpts, ...(rootIn !== undefined ? { root: join(tmp, rootIn) } : {}) });
    const display = (f: string) => (f.startsWith(tmp + '/') ? `${g.ref}:${relative(tmp, f)}` : f);
    check(
      spec,
      loaded.diagnostics.map((d) => ({ ...d, location: { ...d.location, file: display(d.location.file) } })),
      loaded.systems.length,
    );
    return { label: spec, systems: loaded.systems, display, dispose };
  } catch (err) {
    dispose();
    if (err instanceof SourceError) throw err;
    throw new SourceError(`${spec}: cannot materialize from git: ${(err as Error).message.split('\n')[0]}`);
  }
}

/** Relative to the working folder when inside it, else absolute. */
function showPath(cwd: string, file: string): string {
  if (!isAbsolute(file)) return file;
  const rel = relative(cwd, file);
  return rel && !rel.startsWith('..') ? rel : file;
}

function check(spec: string, diagnostics: Diagnostic[], systems: number): void {
  const errors = diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) throw new SourceError(`${spec}: the contract has ${errors.length} error(s)`, errors);
  if (systems === 0) throw new SourceError(`${spec}: no contracts found`);
}
