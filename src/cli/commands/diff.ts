import { parseArgs } from 'node:util';
import { formatDiagnostics } from '../../contract/diagnostics.js';
import { DIFF_FORMATS, formatReport, summaryLine, type DiffFormat } from '../../diff/format.js';
import {
  type Category,
  DIFF_RULES,
  diffVersions,
  failsOn,
  isTransitive,
  type LoadedVersion,
  loadVersion,
  MODES,
  type Mode,
  onlyCategories,
  SourceError,
} from '../../diff/index.js';
import { contractRoot, rootHelp, rootOption } from '../contract-root.js';
import { contractLimits, limitOptions, limitsHelp } from '../limits.js';
import { UsageError } from '../usage.js';
import { version } from '../version.js';

export const diffHelp = `Usage: evc diff <old> <new> [--mode MODE] [--fail-on breaking|warning]
                [--category wire|source|all] [--format text|json|github|markdown|sarif] [--rules]
                [--root <dir>] [--max-contract-bytes <n>] [--max-nesting-depth <n>]
       evc diff --mode FULL_TRANSITIVE <v1> <v2> ... <new>

Each side is a file, a folder, or a git ref:path (main:asyncapi/, HEAD~1:asyncapi/x.yaml),
loaded without the AsyncAPI spec validation (that is evc lint's job).
Modes (Confluent Schema Registry): BACKWARD (new reads old data), FORWARD (old reads
new data), FULL (both; default), and *_TRANSITIVE (each earlier version vs the newest).
Two axes: wire (can a reader accept what a writer sends: payloads, keys, channels,
operations) and source (does code against the generated SDK still compile: sdk-* rules,
e.g. a title edit renames a type). Without --category every finding is reported and only
wire findings decide the exit code; --category wire|source|all reports and gates that set.
Exit 1 when a gated finding under the mode is breaking (--fail-on breaking, default) or a
warning (--fail-on warning); 0 otherwise; 2 when it could not run.
${rootHelp}
                              (every side; a git ref:path side is read with the same
                              folder of the repository at that ref)
${limitsHelp}`;

export async function diffCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      mode: { type: 'string', default: 'FULL' },
      'fail-on': { type: 'string', default: 'breaking' },
      category: { type: 'string' },
      format: { type: 'string', default: 'text' },
      rules: { type: 'boolean', default: false },
      ...rootOption,
      ...limitOptions,
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(diffHelp + '\n');
    return 0;
  }
  if (values.rules) {
    for (const r of DIFF_RULES) process.stdout.write(`${r.id.padEnd(32)} backward ${r.backward.padEnd(8)} forward ${r.forward.padEnd(8)} ${r.description}\n`);
    return 0;
  }
  const mode = values.mode.toUpperCase() as Mode;
  if (!(MODES as readonly string[]).includes(mode)) throw new UsageError(`--mode must be one of ${MODES.join(', ')} (got "${values.mode}")`);
  const failOn = values['fail-on'];
  if (failOn !== 'breaking' && failOn !== 'warning') throw new UsageError(`--fail-on must be breaking or warning (got "${failOn}")`);
  const format = values.format as DiffFormat;
  if (!(DIFF_FORMATS as readonly string[]).includes(format)) throw new UsageError(`--format must be one of ${DIFF_FORMATS.join(', ')} (got "${format}")`);
  const category = values.category;
  if (category !== undefined && category !== 'wire' && category !== 'source' && category !== 'all')
    throw new UsageError(`--category must be wire, source or all (got "${category}")`);
  const gate: Category[] = category === undefined || category === 'wire' ? ['wire'] : category === 'source' ? ['source'] : ['wire', 'source'];
  if (positionals.length < 2) throw new UsageError('give two versions: evc diff <old> <new>');
  if (positionals.length > 2 && !isTransitive(mode))
    throw new UsageError(`--mode ${mode} compares two versions (got ${positionals.length}); use ${mode}_TRANSITIVE to check several`);
  const limits = contractLimits(values);
  const root = contractRoot(values);

  const versions: LoadedVersion[] = [];
  try {
    for (const spec of positionals) versions.push(await loadVersion(spec, { specValidation: false, limits, ...(root ? { root } : {}) }));
    const full = diffVersions(versions, mode);
    const report = category === undefined ? full : onlyCategories(full, gate);
    process.stdout.write(formatReport(report, format, version) + '\n');
    if (format !== 'text') process.stderr.write(summaryLine(report) + '\n');
    return failsOn(report, failOn, gate) ? 1 : 0;
  } catch (err) {
    if (err instanceof SourceError) {
      if (err.diagnostics.length > 0) process.stderr.write(formatDiagnostics(err.diagnostics, 'text') + '\n');
      process.stderr.write(`evc diff: ${err.message}\n`);
      return 2;
    }
    throw err;
  } finally {
    for (const v of versions) v.dispose();
  }
}
