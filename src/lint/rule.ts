import type { Diagnostic, Severity, SourceLocation, SystemModel } from '../contract/ir.js';

/** One lint rule: a pure check over the IR of one system. */
export interface LintRule {
  /** Stable id, printed with every finding. */
  id: string;
  severity: Severity;
  /** One line: what the rule asks of a contract, and why. */
  description: string;
  check(system: SystemModel, report: (message: string, location: SourceLocation, severity?: Severity) => void): void;
}

export function runRule(rule: LintRule, system: SystemModel): Diagnostic[] {
  const out: Diagnostic[] = [];
  rule.check(system, (message, location, severity) => out.push({ severity: severity ?? rule.severity, rule: rule.id, message, location }));
  return out;
}
