import { parseArgs } from 'node:util';
import { formatDiagnostics } from '../../contract/diagnostics.js';
import { DIFF_FORMATS, formatReport, summaryLine, type DiffFormat } from '../../diff/format.js';
import { DIFF_RULES, diffVersions, failsOn, isTransitive, loadVersion, MODES, SourceError, type LoadedVersion, type Mode } from '../../diff/index.js';
import { contractLimits, limitOptions, limitsHelp } from '../limits.js';
import { UsageError } from '../usage.js';
import { version } from '../version.js';

export const diffHelp = `Usage: evc diff <old> <new> [--mode MODE] [--fail-on breaking|warning]
                [--format text|json|github|markdown|sarif] [--rules]
                [--max-contract-bytes <n>] [--max-nesting-depth <n>]
       evc diff --mode FULL_TRANSITIVE <v1> <v2> ... <new>

Each side is a file, a folder, or a git ref:path (main:asyncapi/, HEAD~1:asyncapi/x.yaml),
loaded without the AsyncAPI spec validation (that is evc lint's job).
Modes (Confluent Schema Registry): BACKWARD (new reads old data), FORWARD (old reads
new data), FULL (both; default), and *_TRANSITIVE (each earlier version vs the newest).
Exit 1 when a finding under the mode is breaking (--fail-on breaking, default) or a
warning (--fail-on warning); 0 otherwise; 2 when it could not run.
${limitsHelp}`;

export async function diffCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      mode: { type: 'string', default: 'FULL' },
      'fail-on': { type: 'string', default: 'breaking' },
      format: { type: 'string', default: 'text' },
      rules: { type: 'boolean', default: false },
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
  if (positionals.length < 2) throw new UsageError('give two versions: evc diff <old> <new>');
  if (positionals.length > 2 && !isTransitive(mode))
    throw new UsageError(`--mode ${mode} compares two versions (got ${positionals.length}); use ${mode}_TRANSITIVE to check several`);
  const limits = contractLimits(values);

  const versions: LoadedVersion[] = [];
  try {
    for (const spec of positionals) versions.push(await loadVersion(spec, { specValidation: false, limits }));
    const report = diffVersions(versions, mode);
    process.stdout.write(formatReport(report, format, version) + '\n');
    if (format !== 'text') process.stderr.write(summaryLine(report) + '\n');
    return failsOn(report, failOn) ? 1 : 0;
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
