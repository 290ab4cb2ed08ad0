/**
 * `evc diff`: breaking-change analysis between versions of a set of contracts.
 *
 * @example
 *   const old = await loadVersion('main:asyncapi/');
 *   const cur = await loadVersion('asyncapi/');
 *   const report = diffVersions([old, cur], 'FULL');
 *   report.findings.filter((f) => f.verdict === 'breaking');
 */
import { compareVersions, type Version } from './compare.js';
import { isTransitive, rankOf, type Category, type DiffReport, type Finding, type Mode, type Verdict } from './finding.js';

export { compareVersions, type Version } from './compare.js';
export {
  CATEGORIES,
  MODES,
  isTransitive,
  verdictUnder,
  type Category,
  type Counterexample,
  type DiffReport,
  type Finding,
  type Mode,
  type Verdict,
} from './finding.js';
export { DIFF_RULES, ruleOf, type DiffRule } from './rules.js';
export { diffSchemas, type SchemaChange } from './schema.js';
export { loadVersion, SourceError, parseGitSpec, type LoadedVersion } from './sources.js';

/**
 * Non-transitive modes compare the last two versions; transitive modes compare each
 * earlier version with the newest, and name which version each finding comes from.
 */
export function diffVersions(versions: Version[], mode: Mode): DiffReport {
  if (versions.length < 2) throw new Error('diff needs at least two versions');
  const newest = versions[versions.length - 1]!;
  const earlier = isTransitive(mode) ? versions.slice(0, -1) : [versions[versions.length - 2]!];
  const findings: Finding[] = [];
  for (const v of earlier) {
    for (const f of compareVersions(v, newest, mode)) findings.push(earlier.length > 1 ? { ...f, from: v.label, to: newest.label } : f);
  }
  const counts: Record<Verdict, number> = { breaking: 0, warning: 0, safe: 0 };
  for (const f of findings) counts[f.verdict]++;
  return { mode, versions: versions.map((v) => v.label), findings, counts };
}

/**
 * Exit status: 1 when a finding of a gated category at or above the threshold exists under
 * the mode. The gate is the wire by default: a renamed generated type (`sdk-type-renamed`,
 * a title edit) does not fail a wire-compatibility check unless `source` is asked for.
 */
export function failsOn(report: DiffReport, threshold: 'breaking' | 'warning', categories: readonly Category[] = ['wire']): boolean {
  return report.findings.some((f) => categories.includes(f.category) && rankOf(f.verdict) >= rankOf(threshold));
}

/** The report restricted to some categories (counts recomputed). */
export function onlyCategories(report: DiffReport, categories: readonly Category[]): DiffReport {
  const findings = report.findings.filter((f) => categories.includes(f.category));
  const counts: Record<Verdict, number> = { breaking: 0, warning: 0, safe: 0 };
  for (const f of findings) counts[f.verdict]++;
  return { ...report, findings, counts };
}
