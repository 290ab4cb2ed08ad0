/** A diff report as text, JSON, GitHub workflow commands, a Markdown PR summary, or SARIF 2.1.0. */
import type { SourceLocation } from '../contract/ir.js';
import type { DiffReport, Finding, Verdict } from './finding.js';
import { DIFF_RULES } from './rules.js';

export const DIFF_FORMATS = ['text', 'json', 'github', 'markdown', 'sarif'] as const;
export type DiffFormat = (typeof DIFF_FORMATS)[number];

const where = (l: SourceLocation | undefined) => (l ? `${l.file}:${l.line}:${l.col}` : '(absent)');

function counterexampleLines(f: Finding): string[] {
  const out: string[] = [];
  for (const c of f.counterexamples) {
    out.push(
      `  counterexample ${c.of} (${c.direction}: valid on ${c.validOn}, rejected by ${c.invalidOn}${c.isolated ? '' : ', also for other changes'}): ${JSON.stringify(c.value)}`,
    );
    for (const why of c.rejectedBecause.slice(0, 3)) out.push(`    ${c.invalidOn} says ${why}`);
  }
  if (f.counterexampleNote) out.push(`  ${f.counterexampleNote}`);
  return out;
}

export function summaryLine(report: DiffReport): string {
  const c = report.counts;
  return `evc diff ${report.mode}: ${report.versions.join(' -> ')}: ${c.breaking} breaking, ${c.warning} warning, ${c.safe} safe`;
}

function text(report: DiffReport): string {
  const lines: string[] = [];
  for (const f of report.findings) {
    lines.push(`${f.verdict.toUpperCase().padEnd(8)} ${f.rule}  ${f.system}: ${f.subject}${f.from ? `  (from ${f.from})` : ''}`);
    lines.push(`  ${f.message}`);
    lines.push(`  backward ${f.backward}, forward ${f.forward}`);
    for (const n of f.notes) lines.push(`  note: ${n}`);
    lines.push(`  old ${where(f.old)}`);
    lines.push(`  new ${where(f.new)}`);
    lines.push(...counterexampleLines(f));
  }
  lines.push(summaryLine(report));
  return lines.join('\n');
}

function escapeGithub(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

function github(report: DiffReport): string {
  const lines: string[] = [];
  for (const f of report.findings) {
    if (f.verdict === 'safe') continue;
    const l = f.new ?? f.old;
    const file = l ? l.file.replace(/^[^:/]+:(?!\/)/, '') : '';
    const ce = f.counterexamples[0];
    const msg = `${f.subject}: ${f.message} (backward ${f.backward}, forward ${f.forward})${ce ? `\ncounterexample valid on ${ce.validOn}, rejected by ${ce.invalidOn}: ${JSON.stringify(ce.value)}` : ''}`;
    lines.push(
      `::${f.verdict === 'breaking' ? 'error' : 'warning'} file=${file},line=${l?.line ?? 1},col=${l?.col ?? 1},title=evc diff ${f.rule}::${escapeGithub(msg)}`,
    );
  }
  lines.push(`::notice title=evc diff::${escapeGithub(summaryLine(report))}`);
  return lines.join('\n');
}

const ICON: Record<Verdict, string> = { breaking: '❌ breaking', warning: '⚠️ warning', safe: '✅ safe' };

function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function markdown(report: DiffReport): string {
  const c = report.counts;
  const out: string[] = [];
  out.push(`## evc diff: ${report.versions.map((v) => `\`${v}\``).join(' → ')} (${report.mode})`);
  out.push('');
  out.push(`**${c.breaking} breaking**, ${c.warning} warning, ${c.safe} safe`);
  out.push('');
  if (report.findings.length === 0) {
    out.push('No changes.');
    return out.join('\n');
  }
  out.push('| Verdict | Rule | Change | Backward | Forward | Old | New |');
  out.push('|---|---|---|---|---|---|---|');
  for (const f of report.findings) {
    out.push(
      `| ${ICON[f.verdict]} | \`${f.rule}\` | ${cell(`${f.system}${f.pointer !== undefined && f.messageId ? ` ${f.messageId}` : ''}: ${f.message}`)}${f.from ? ` (from \`${cell(f.from)}\`)` : ''} | ${f.backward} | ${f.forward} | ${f.old ? `\`${cell(where(f.old))}\`` : '—'} | ${f.new ? `\`${cell(where(f.new))}\`` : '—'} |`,
    );
  }
  const withExamples = report.findings.filter((f) => f.counterexamples.length > 0);
  if (withExamples.length > 0) {
    out.push('');
    out.push('<details><summary>Counterexamples (checked with both validators)</summary>');
    out.push('');
    for (const f of withExamples) {
      for (const ce of f.counterexamples) {
        out.push(
          `**\`${f.rule}\`** ${f.subject}: valid on ${ce.validOn}, rejected by ${ce.invalidOn}${ce.isolated ? '' : ' (also for other changes)'}: ${ce.rejectedBecause.slice(0, 2).join('; ')}`,
        );
        out.push('');
        out.push('```json');
        out.push(JSON.stringify(ce.value, null, 2));
        out.push('```');
        out.push('');
      }
    }
    out.push('</details>');
  }
  return out.join('\n');
}

function sarifLocation(l: SourceLocation, text?: string): Record<string, unknown> {
  // A git side is shown as `ref:path`; SARIF wants a path.
  const uri = l.file.replace(/^[^:/]+:(?!\/)/, '');
  return {
    physicalLocation: {
      artifactLocation: { uri },
      ...(l.line > 0 ? { region: { startLine: l.line, ...(l.col > 0 ? { startColumn: l.col } : {}) } } : {}),
    },
    ...(text ? { message: { text } } : {}),
  };
}

function sarif(report: DiffReport, toolVersion: string): string {
  const ruleIndex = new Map(DIFF_RULES.map((r, i) => [r.id, i]));
  const level = (v: Verdict) => (v === 'breaking' ? 'error' : v === 'warning' ? 'warning' : 'note');
  const doc = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'evc diff',
            version: toolVersion,
            rules: DIFF_RULES.map((r) => ({
              id: r.id,
              shortDescription: { text: r.description },
              defaultConfiguration: {
                level: level(
                  r.backward === 'breaking' || r.forward === 'breaking' ? 'breaking' : r.backward === 'warning' || r.forward === 'warning' ? 'warning' : 'safe',
                ),
              },
              properties: { backward: r.backward, forward: r.forward },
            })),
          },
        },
        results: report.findings.map((f) => {
          const primary = f.new ?? f.old;
          const related = f.new && f.old ? [{ id: 1, ...sarifLocation(f.old, `old version: ${where(f.old)}`) }] : [];
          return {
            ruleId: f.rule,
            ruleIndex: ruleIndex.get(f.rule) ?? -1,
            level: level(f.verdict),
            message: { text: `${f.subject}: ${f.message} (backward ${f.backward}, forward ${f.forward}, ${report.mode} ${f.verdict})` },
            locations: primary ? [sarifLocation(primary)] : [],
            relatedLocations: related,
            properties: {
              system: f.system,
              backward: f.backward,
              forward: f.forward,
              verdict: f.verdict,
              ...(f.from ? { from: f.from } : {}),
              counterexamples: f.counterexamples,
              ...(f.counterexampleNote ? { counterexampleNote: f.counterexampleNote } : {}),
            },
          };
        }),
        properties: { mode: report.mode, versions: report.versions, counts: report.counts },
      },
    ],
  };
  return JSON.stringify(doc, null, 2);
}

export function formatReport(report: DiffReport, format: DiffFormat, toolVersion = '0.0.0'): string {
  switch (format) {
    case 'json':
      return JSON.stringify(report, null, 2);
    case 'github':
      return github(report);
    case 'markdown':
      return markdown(report);
    case 'sarif':
      return sarif(report, toolVersion);
    default:
      return text(report);
  }
}
