import type { Diagnostic, SourceLocation } from './ir.js';

/**
 * A contract could not be loaded: the place and what was expected. Thrown by the
 * loader for problems that stop it (unreadable file, YAML syntax, bad $ref); the CLI
 * prints it as one diagnostic line, never a stack trace.
 */
export class ContractError extends Error {
  readonly rule: string;
  readonly location: SourceLocation;
  constructor(rule: string, message: string, location: SourceLocation, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.rule = rule;
    this.location = location;
  }
  toDiagnostic(): Diagnostic {
    return { severity: 'error', rule: this.rule, message: this.message, location: this.location };
  }
}

export function isContractError(err: unknown): err is ContractError {
  return err instanceof ContractError;
}
