/** Diagnostics as text, JSON or GitHub workflow commands. */
import { relative } from 'node:path';
import type { Diagnostic } from './ir.js';

export type DiagnosticFormat = 'text' | 'json' | 'github';

const ORDER = { error: 0, warning: 1, info: 2 } as const;

export function sortDiagnostics(list: Diagnostic[]): Diagnostic[] {
  return [...list].sort(
    (a, b) =>
      a.location.file.localeCompare(b.location.file) ||
      a.location.line - b.location.line ||
      a.location.col - b.location.col ||
      ORDER[a.severity] - ORDER[b.severity] ||
      a.rule.localeCompare(b.rule),
  );
}

function place(d: Diagnostic, cwd: string): string {
  const file = d.location.file.includes('://') ? d.location.file : relative(cwd, d.location.file) || d.location.file;
  return `${file}:${d.location.line}:${d.location.col}`;
}

/** `file:line:col severity rule message` per line (text), a JSON array, or `::error file=...` lines. */
export function formatDiagnostics(list: Diagnostic[], format: DiagnosticFormat, cwd = process.cwd()): string {
  const sorted = sortDiagnostics(list);
  if (format === 'json') {
    return JSON.stringify(
      sorted.map((d) => ({ ...d, location: { ...d.location, file: d.location.file.includes('://') ? d.location.file : relative(cwd, d.location.file) } })),
      null,
      2,
    );
  }
  if (format === 'github') {
    return sorted
      .map((d) => {
        const level = d.severity === 'info' ? 'notice' : d.severity;
        const file = d.location.file.includes('://') ? d.location.file : relative(cwd, d.location.file);
        const msg = `${d.rule}: ${d.message}${d.location.pointer ? ` (at ${d.location.pointer})` : ''}`
          .replace(/%/g, '%25')
          .replace(/\r/g, '%0D')
          .replace(/\n/g, '%0A');
        return `::${level} file=${file},line=${d.location.line},col=${d.location.col},title=${d.rule}::${msg}`;
      })
      .join('\n');
  }
  return sorted.map((d) => `${place(d, cwd)} ${d.severity} ${d.rule} ${d.message}${d.location.pointer ? ` (at ${d.location.pointer})` : ''}`).join('\n');
}
