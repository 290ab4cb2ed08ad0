import { loadMermaidAsset, MERMAID_MISSING_NOTICE } from '../../docs/index.js';
import { watch as fsWatch, statSync, type FSWatcher } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { formatDiagnostics } from '../../contract/diagnostics.js';
import { ConfigError, EMIT_FORMS, isEmit, readConfig } from '../../codegen/config.js';
import { generate, type GenerateOptions, type GenerateProgress, type GenerateResult } from '../../codegen/generate.js';
import { boundHeapGrowth } from '../../codegen/heap.js';
import { contractRoot, rootHelp, rootOption } from '../contract-root.js';
import { contractLimits, limitOptions, limitsHelp } from '../limits.js';
import { UsageError } from '../usage.js';
import { progressLine } from '../progress.js';

export const generateHelp = `Usage: evc generate [contracts...] [--out generated] [--emit ts|js] [--check] [--watch] [--runtime-import <specifier>] [--no-docs] [--no-cache]
                    [--strict] [--keep-going] [--quiet] [--root <dir>] [--max-contract-bytes <n>] [--max-nesting-depth <n>]

Generates a typed SDK per contract (files, or folders of *.yaml|*.yml|*.json; default
asyncapi/) into <out>/<system>/: types.ts, validators.ts, client.ts, index.ts and
schemas/*.json (with --emit js: types.d.ts, validators.js, client.js and index.js, each
with its .d.ts); and the docs of all of them into <out>/docs/ (as \`evc docs\`:
Markdown per system, index, system map, offline HTML site). Generated code imports only
the runtime. Writes only files that changed and removes stale files in the system
folders and docs it owns. The docs are written only when the contracts are given as
folders (they span every system).

  --out <dir>                 output folder (default generated)
  --emit ts|js                TypeScript (default), or JavaScript with declarations for
                              JavaScript projects (default: evc.config.json "emit")
  --check                     write nothing; exit 1 and name every stale, missing or
                              extra file (docs included) when the output differs from
                              the contracts
  --watch                     regenerate when a contract changes (Ctrl-C to stop)
  --runtime-import <spec>     module the generated code imports the runtime from
                              (default: evc.config.json "runtimeImport", else
                              @event-contracts/runtime)
  --no-docs                   leave <out>/docs/ alone (neither written nor checked)
  --no-cache                  ignore and do not update .evc-cache/
  --strict                    lint findings (payload-type-name,
                              additional-properties-explicit, example-valid, ...: see
                              \`evc lint --rules\`) are errors, as in \`evc lint\`; without
                              it they are warnings and the SDK is generated (default:
                              evc.config.json "strict")
  -q, --quiet                 no progress line (shown on a terminal for runs over 2 s)
  --keep-going                generate the contracts that load and skip the ones with
                              errors (their output and the docs are left as they are);
                              exit 1 at the end, naming each skipped contract
${rootHelp}
${limitsHelp}

Exit 0 done (or up to date), 1 stale output (--check) or contracts skipped
(--keep-going), 2 when it could not run.`;

export async function generateCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      out: { type: 'string' },
      check: { type: 'boolean', default: false },
      watch: { type: 'boolean', default: false },
      'runtime-import': { type: 'string' },
      emit: { type: 'string' },
      'no-cache': { type: 'boolean', default: false },
      'no-docs': { type: 'boolean', default: false },
      strict: { type: 'boolean', default: false },
      'keep-going': { type: 'boolean', default: false },
      quiet: { type: 'boolean', short: 'q', default: false },
      ...rootOption,
      ...limitOptions,
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(generateHelp + '\n');
    return 0;
  }
  if (values.check && values.watch) throw new UsageError('--check and --watch cannot be combined');
  if (values.out !== undefined && values.out.trim() === '') throw new UsageError('--out must not be empty');
  if (values.out !== undefined) {
    const file = fileOnTheWay(resolve(values.out));
    if (file === resolve(values.out)) throw new UsageError(`--out ${values.out} is a file, not a folder`);
    if (file !== undefined) throw new UsageError(`--out ${values.out} cannot be made: ${relative(process.cwd(), file)} is a file, not a folder`);
  }
  if (values.emit !== undefined && !isEmit(values.emit)) throw new UsageError(`--emit must be one of ${EMIT_FORMS.join(', ')}, not "${values.emit}"`);
  const options: GenerateOptions = {
    contracts: positionals.length > 0 ? positionals : ['asyncapi'],
    ...(values.out !== undefined ? { out: values.out } : {}),
    ...(values['runtime-import'] !== undefined ? { runtimeImport: values['runtime-import'] } : {}),
    ...(values.emit !== undefined ? { emit: values.emit } : {}),
    check: values.check,
    limits: contractLimits(values),
    cache: !values['no-cache'],
    docs: !values['no-docs'],
    lint: values.strict || configStrict() ? 'strict' : 'warn',
    keepGoing: values['keep-going'],
    // The CLI prints what changed, never a file's text: the validators' spool file goes at the end of each run.
    keepFileContents: false,
  };
  const root = contractRoot(values);
  if (root !== undefined) options.contractRoot = root;
  // Peak memory near the live set rather than four times it (src/codegen/heap.ts).
  boundHeapGrowth();
  try {
    if (values.watch) return await watchLoop(options);
    const progress = progressLine({ label: 'evc generate', quiet: values.quiet });
    options.onProgress = (p) => progress.update(progressText(p));
    const result = await generate(options).finally(() => progress.done());
    return report(result, options.check === true);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`evc generate: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

/** The progress line's text: `1/1 contract(s) parsed, 0/1 system(s) generated, validators 4,200/10,000`. */
export function progressText(p: GenerateProgress): string {
  const base = `${p.contractsParsed}/${p.contracts} contract(s) parsed, ${p.systemsGenerated}/${p.systems} system(s) generated`;
  if (!p.validators || p.validators.total === 0) return base;
  const n = (x: number) => x.toLocaleString('en-US');
  return `${base}, validators ${n(p.validators.compiled)}/${n(p.validators.total)}`;
}

/** `"strict": true` in evc.config.json (a broken config file is reported by generate itself). */
function configStrict(): boolean {
  try {
    return readConfig(process.cwd()).strict === true;
  } catch {
    return false;
  }
}

/** The path itself or the nearest existing path above it, when that is a file (no output folder can be made there). */
function fileOnTheWay(path: string): string | undefined {
  for (let p = path; ; p = dirname(p)) {
    let st;
    try {
      st = statSync(p, { throwIfNoEntry: false });
    } catch {
      st = undefined; // ENOTDIR: a file above it, found on the way up
    }
    if (st) return st.isDirectory() ? undefined : p;
    if (dirname(p) === p) return undefined;
  }
}

/** Prints the outcome; returns the exit code. */
function report(result: GenerateResult, check: boolean): number {
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  if (result.diagnostics.length > 0) process.stderr.write(formatDiagnostics(result.diagnostics, 'text') + '\n');
  // --keep-going: what could be generated was; the rest is named, and the run fails.
  const skippedLine = () => {
    process.stderr.write(`evc generate --keep-going: skipped ${result.skipped.length} contract(s) with errors:\n`);
    for (const s of result.skipped) process.stderr.write(`  ${s.file}: ${s.error}\n`);
  };
  if (errors.length > 0 && result.skipped.length === 0) {
    process.stderr.write(`evc generate: ${errors.length} contract error(s); nothing ${check ? 'checked' : 'written'}\n`);
    return 2;
  }
  const count = (s: string) => result.changes.filter((c) => c.status === s).length;
  const ms = Math.round(result.ms);
  const systems = (result.systems.join(', ') || 'none') + (result.docs === 'skipped' ? '' : ' + docs');
  if (result.docs !== 'skipped' && !check && loadMermaidAsset() === false) process.stderr.write(`${MERMAID_MISSING_NOTICE}\n`);
  if (check) {
    const bad = result.changes.filter((c) => c.status !== 'unchanged');
    for (const c of bad) process.stdout.write(`${c.path}: ${c.status}\n`);
    if (bad.length > 0) {
      process.stderr.write(`evc generate --check: ${bad.length} file(s) out of date (${systems}); run \`evc generate\`\n`);
      if (result.skipped.length > 0) skippedLine();
      return 1;
    }
    process.stderr.write(`evc generate --check: up to date, ${result.files.length} file(s) (${systems}) in ${ms} ms\n`);
    if (result.skipped.length > 0) {
      skippedLine();
      return 1;
    }
    return 0;
  }
  for (const c of result.changes) if (c.status === 'written' || c.status === 'removed') process.stdout.write(`${c.status.padEnd(8)} ${c.path}\n`);
  process.stderr.write(
    `evc generate: ${result.systems.length} system(s) (${systems}): ${count('written')} written, ${count('unchanged')} unchanged, ${count('removed')} removed in ${ms} ms\n`,
  );
  if (result.skipped.length > 0) {
    skippedLine();
    return 1;
  }
  return 0;
}

/** Regenerates on every change under the contract paths until SIGINT/SIGTERM. */
async function watchLoop(options: GenerateOptions): Promise<number> {
  const run = async () => {
    try {
      report(await generate(options), false);
    } catch (err) {
      process.stderr.write(`evc generate: ${(err as Error).message}\n`);
    }
  };
  await run();
  const dirs = [
    ...new Set(
      (options.contracts ?? ['asyncapi']).map((p) => {
        const abs = resolve(p);
        return statSync(abs, { throwIfNoEntry: false })?.isDirectory() ? abs : dirname(abs);
      }),
    ),
  ];
  return new Promise<number>((done) => {
    let timer: NodeJS.Timeout | undefined;
    let running: Promise<void> | undefined;
    let again = false;
    const trigger = () => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => {
        timer = undefined;
        if (running) {
          again = true;
          return;
        }
        running = run().finally(() => {
          running = undefined;
          if (again) {
            again = false;
            trigger();
          }
        });
      }, 100);
    };
    const watchers: FSWatcher[] = dirs.map((d) => fsWatch(d, { recursive: true }, trigger));
    process.stderr.write(`evc generate: watching ${dirs.join(', ')} (Ctrl-C to stop)\n`);
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      if (timer) clearTimeout(timer);
      for (const w of watchers) w.close();
      void Promise.resolve(running).then(() => {
        process.stderr.write('evc generate: stopped watching\n');
        done(0);
      });
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
