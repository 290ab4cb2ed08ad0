/**
 * `evc verify`'s report as text (for people), JSON (for tools) and JUnit XML (for CI
 * test tabs: one test suite per run, one test case per channel, envelope rule and
 * scenario expectation).
 */
import type { ScenarioResult } from './scenario.js';
import type { ChannelReport, VerifyReport } from './observer.js';

export type ReportFormat = 'text' | 'json' | 'junit';
export const REPORT_FORMATS: readonly ReportFormat[] = ['text', 'json', 'junit'];

export interface FullReport extends VerifyReport {
  scenario?: ScenarioResult;
}

/** Whether the run found nothing wrong (scenario expectations included). */
export function passed(r: FullReport): boolean {
  return r.ok && (r.scenario === undefined || r.scenario.ok);
}

const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function channelLine(c: ChannelReport): string {
  const head = `  ${c.id} (${c.address}):`;
  if (!c.joined) return `${head} not joined: ${c.reason ?? 'no address'}`;
  if (c.seen === 0) return `${head} silent`;
  return `${head} ${c.seen} seen, ${c.valid} valid, ${c.invalid} invalid${c.undeclared > 0 ? `, ${c.undeclared} of undeclared type` : ''}`;
}

export function formatText(r: FullReport): string {
  const lines: string[] = [];
  lines.push(`evc verify: ${r.system} on ${r.transport} as group ${r.group} for ${secs(r.durationMs)}`);
  for (const c of r.channels) {
    lines.push(channelLine(c));
    for (const p of c.errors) {
      const what = p.kind === 'invalid' ? (p.messageId ?? 'invalid') : p.kind;
      for (const v of p.violations) lines.push(`    ${c.id} ${p.position} ${what} ${v.pointer || '/'}: ${v.text}`);
    }
    const hidden = c.invalid + c.undeclared - c.errors.length;
    if (hidden > 0) lines.push(`    (${hidden} more invalid message(s) on ${c.id} not shown)`);
  }
  if (r.envelope.total > 0) {
    lines.push(`  envelope: ${r.envelope.total} violation(s)`);
    for (const v of r.envelope.violations) lines.push(`    ${v.rule} ${v.channel} ${v.position}${v.eventId ? ` ${v.eventId}` : ''}: ${v.text}`);
    if (r.envelope.total > r.envelope.violations.length) lines.push(`    (${r.envelope.total - r.envelope.violations.length} more not shown)`);
  }
  if (r.unresolvedCausations > 0)
    lines.push(`  note: ${r.unresolvedCausations} causation id(s) name events from before the run or on channels not joined; not counted`);
  if (r.scenario) {
    const s = r.scenario;
    lines.push(`  scenario ${s.name} (${s.file}): ${s.published} published`);
    for (const e of s.expectations) {
      lines.push(
        `    ${e.met ? 'ok' : 'FAILED'} expect ${e.message} within ${e.withinMs} ms${e.met ? ` (after ${e.afterMs} ms)` : `: ${e.reason ?? 'not seen'}`}  [${e.location}]`,
      );
    }
  }
  const t = r.totals;
  const verdict = passed(r) ? 'ok' : 'FAILED';
  lines.push(
    `evc verify: ${verdict}: ${t.seen} message(s), ${t.valid} valid, ${t.invalid} invalid, ${t.undeclared} of undeclared type, ${t.envelopeViolations} envelope violation(s), ${r.silent.length} silent channel(s)${
      r.scenario ? `, ${r.scenario.expectations.filter((e) => e.met).length}/${r.scenario.expectations.length} expectation(s) met` : ''
    }`,
  );
  return lines.join('\n') + '\n';
}

export function formatJson(r: FullReport): string {
  return JSON.stringify({ ...r, passed: passed(r) }, null, 2) + '\n';
}

function xml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD]/g, '');
}

export function formatJunit(r: FullReport): string {
  const cases: string[] = [];
  const suite = `evc verify ${r.system}`;
  for (const c of r.channels) {
    const name = `channel ${c.id} (${c.address})`;
    if (!c.joined) cases.push(`    <testcase classname="${xml(suite)}" name="${xml(name)}"><skipped message="${xml(c.reason ?? 'not joined')}"/></testcase>`);
    else if (c.seen === 0) cases.push(`    <testcase classname="${xml(suite)}" name="${xml(name)}"><skipped message="silent: no message seen"/></testcase>`);
    else if (c.invalid + c.undeclared === 0) cases.push(`    <testcase classname="${xml(suite)}" name="${xml(name)}"/>`);
    else {
      const body = c.errors.flatMap((p) => p.violations.map((v) => `${p.position} ${p.messageId ?? p.kind} ${v.pointer || '/'}: ${v.text}`)).join('\n');
      cases.push(
        `    <testcase classname="${xml(suite)}" name="${xml(name)}"><failure message="${xml(`${c.invalid} invalid, ${c.undeclared} of undeclared type of ${c.seen}`)}">${xml(body)}</failure></testcase>`,
      );
    }
  }
  const rules = Object.entries(r.envelope.byRule);
  if (rules.length === 0) cases.push(`    <testcase classname="${xml(suite)}" name="envelope"/>`);
  for (const [rule, n] of rules) {
    const body = r.envelope.violations
      .filter((v) => v.rule === rule)
      .map((v) => `${v.channel} ${v.position}: ${v.text}`)
      .join('\n');
    cases.push(
      `    <testcase classname="${xml(suite)}" name="${xml(`envelope ${rule}`)}"><failure message="${xml(`${n} violation(s)`)}">${xml(body)}</failure></testcase>`,
    );
  }
  for (const e of r.scenario?.expectations ?? []) {
    const name = `scenario ${r.scenario!.name}: expect ${e.message} within ${e.withinMs} ms`;
    cases.push(
      e.met
        ? `    <testcase classname="${xml(suite)}" name="${xml(name)}"/>`
        : `    <testcase classname="${xml(suite)}" name="${xml(name)}"><failure message="${xml(e.reason ?? 'not seen')}">${xml(e.location)}</failure></testcase>`,
    );
  }
  const failures = cases.filter((c) => c.includes('<failure')).length;
  const skipped = cases.filter((c) => c.includes('<skipped')).length;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="evc verify" tests="${cases.length}" failures="${failures}">`,
    `  <testsuite name="${xml(suite)}" tests="${cases.length}" failures="${failures}" skipped="${skipped}" time="${(r.durationMs / 1000).toFixed(3)}">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}

export function formatReport(r: FullReport, format: ReportFormat): string {
  return format === 'json' ? formatJson(r) : format === 'junit' ? formatJunit(r) : formatText(r);
}
