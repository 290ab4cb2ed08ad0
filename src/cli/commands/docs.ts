import { loadMermaidAsset, MERMAID_MISSING_NOTICE } from '../../docs/index.js';
import { normalize } from 'node:path';
import { parseArgs } from 'node:util';
import { generatedDocsFiles, planDocs } from '../../codegen/docs.js';
import { applyChanges, compareFiles, posix } from '../../codegen/output.js';
import { formatDiagnostics } from '../../contract/diagnostics.js';
import { loadContracts } from '../../contract/load.js';
import { contractRoot, rootHelp, rootOption } from '../contract-root.js';
import { contractLimits } from '../limits.js';
import { UsageError } from '../usage.js';

export const docsHelp = `Usage: evc docs [paths...] [--out generated/docs] [--no-site] [--check] [--root <dir>]

Writes the documentation of the contracts (files, or folders of *.yaml|*.yml|*.json;
default asyncapi/), the docs part of \`evc generate\`: <system>.md per system (connection details, topics or streams,
consumer groups, flow and sequence diagrams, every event with its payload table and
example), index.md, system-map.md, and an offline HTML site in <out>/site/ (open
site/index.html; diagrams by the bundled mermaid, no network).

  --out DIR    output folder (default generated/docs)
  --no-site    Markdown only
  --check      write nothing; exit 1 when a file is missing, different or stale
${rootHelp}

Exit 0 ok, 1 when --check finds differences or a contract has errors, 2 when it could not run.`;

export async function docsCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      out: { type: 'string', default: 'generated/docs' },
      'no-site': { type: 'boolean', default: false },
      check: { type: 'boolean', default: false },
      ...rootOption,
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(docsHelp + '\n');
    return 0;
  }
  if (!values.out) throw new UsageError('--out needs a folder');
  const paths = positionals.length > 0 ? positionals : ['asyncapi/'];
  // The contract limits of evc.config.json (maxContractBytes, maxNestingDepth) hold here too.
  const refRoot = contractRoot(values);
  const loaded = await loadContracts(paths, { specValidation: false, limits: contractLimits({}), ...(refRoot ? { root: refRoot } : {}) });
  const errors = loaded.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) {
    process.stdout.write(formatDiagnostics(errors, 'text') + '\n');
    process.stderr.write(`evc docs: ${errors.length} error(s) in the contracts; run evc lint\n`);
    return loaded.systems.length === 0 ? 2 : 1;
  }
  if (loaded.systems.length === 0) {
    process.stderr.write(`evc docs: no contracts found in ${paths.join(', ')}\n`);
    return 2;
  }
  const out = values.out;
  // The same rendering and stale-file rule as `evc generate` (src/codegen/docs.ts).
  const root = process.cwd();
  const dir = posix(normalize(out)).replace(/(.)\/+$/, '$1');
  const files = await planDocs(loaded.systems, { dir, site: !values['no-site'] });
  const changes = compareFiles(root, files, generatedDocsFiles(root, dir), values.check);
  const words: Record<string, string> = { missing: 'missing', stale: 'differs', extra: 'stale' };
  const report = changes.filter((c) => c.status in words).map((c) => `${words[c.status]}: ${c.path}`);
  const changed = changes.filter((c) => c.status === 'written').length;
  const removed = changes.filter((c) => c.status === 'removed').length;
  if (!values.check) applyChanges(root, changes, files, dir);
  if (values.check) {
    if (report.length > 0) process.stdout.write(report.join('\n') + '\n');
    process.stderr.write(`evc docs --check: ${report.length === 0 ? `${out} is up to date` : `${report.length} file(s) out of date; run evc docs`}\n`);
    return report.length === 0 ? 0 : 1;
  }
  if (!values['no-site'] && loadMermaidAsset() === false) process.stderr.write(`${MERMAID_MISSING_NOTICE}\n`);
  process.stderr.write(`evc docs: ${loaded.systems.length} system(s), ${files.length} file(s) in ${out} (${changed} written, ${removed} removed)\n`);
  return 0;
}
