import { parseArgs } from 'node:util';
import { formatDiagnostics, type DiagnosticFormat } from '../../contract/diagnostics.js';
import type { Diagnostic, SystemModel } from '../../contract/ir.js';
import { loadContracts } from '../../contract/load.js';
import { lintSystem, rules } from '../../lint/index.js';
import { contractRoot, rootHelp, rootOption } from '../contract-root.js';
import { contractLimits, limitOptions, limitsHelp } from '../limits.js';
import { UsageError } from '../usage.js';

export const lintHelp = `Usage: evc lint [paths...] [--format text|json|github] [--allow-remote] [--root <dir>] [--rules]
                [--max-contract-bytes <n>] [--max-nesting-depth <n>]

Checks contracts (files, or folders of *.yaml|*.yml|*.json; default asyncapi/):
AsyncAPI spec validation plus event-contracts' rules over the model. AsyncAPI 3.x and
2.0-2.6 (read as 3.x); payload schemas in JSON Schema / AsyncAPI Schema or Avro.
${rootHelp}
${limitsHelp}
The rules ask more than the AsyncAPI specification (event-contracts' conventions for its
own contracts): errors here, warnings in \`evc generate\` (unless --strict there).
Exit 0 clean (warnings allowed), 1 on error-level findings, 2 when it could not run.`;

export async function lintCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      format: { type: 'string', default: 'text' },
      'allow-remote': { type: 'boolean', default: false },
      rules: { type: 'boolean', default: false },
      ...rootOption,
      ...limitOptions,
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(lintHelp + '\n');
    return 0;
  }
  if (values.rules) {
    for (const r of rules) process.stdout.write(`${r.id.padEnd(32)} ${r.severity.padEnd(8)} ${r.description}\n`);
    return 0;
  }
  const format = values.format as DiagnosticFormat;
  if (!['text', 'json', 'github'].includes(format)) throw new UsageError(`--format must be text, json or github (got "${format}")`);
  const paths = positionals.length > 0 ? positionals : ['asyncapi/'];
  const limits = contractLimits(values);
  const root = contractRoot(values);
  // The rules run on each system as soon as it is built, while the spec check finishes in its worker.
  const ruled = new Map<SystemModel, Diagnostic[]>();
  const loaded = await loadContracts(paths, {
    allowRemote: values['allow-remote'],
    limits,
    ...(root ? { root } : {}),
    onSystem: (system) => ruled.set(system, lintSystem(system)),
  });
  const diagnostics = [...loaded.diagnostics, ...loaded.systems.flatMap((s) => ruled.get(s) ?? lintSystem(s))];
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = diagnostics.filter((d) => d.severity === 'warning').length;
  const out = formatDiagnostics(diagnostics, format);
  if (out) process.stdout.write(out + '\n');
  if (format === 'text') {
    const systems = loaded.systems.map((s) => s.id).join(', ') || 'none';
    process.stderr.write(`evc lint: ${loaded.systems.length} contract(s) (${systems}), ${errors} error(s), ${warnings} warning(s)\n`);
  }
  // A path that does not exist means the tool could not run at all.
  if (diagnostics.some((d) => d.rule === 'file-unreadable' && !loaded.systems.some((s) => s.files.includes(d.location.file)))) return 2;
  return errors > 0 ? 1 : 0;
}
