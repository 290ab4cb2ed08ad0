/**
 * Limits on what a contract may cost to read. A contract is untrusted input: a huge file,
 * a YAML alias bomb ("billion laughs") or a schema nested thousands of levels deep must
 * end as one diagnostic, before the YAML conversion, ajv or the AsyncAPI parser recurse.
 *
 * `maxContractBytes` and `maxNestingDepth` can be raised per run (`--max-contract-bytes`,
 * `--max-nesting-depth`) or per repository (the same keys in `evc.config.json`).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ContractLimits {
  /**
   * Bytes one contract file may have (checked with stat before it is read), and the files
   * one root document reads through `$ref`s together. Default 10 MiB.
   */
  maxContractBytes: number;
  /**
   * Levels of nested objects/arrays, counted from the document root (the root mapping is
   * level 1), in each file and once `$ref`s are resolved. Default 64.
   */
  maxNestingDepth: number;
}

export const DEFAULT_LIMITS: Readonly<ContractLimits> = Object.freeze({
  maxContractBytes: 10 * 1024 * 1024,
  maxNestingDepth: 64,
});

/**
 * Nodes a document may gain through YAML aliases (each alias counts as the size of what it
 * repeats). Ordinary sharing of a fragment stays far below; a billion-laughs document goes
 * past it within a few lines.
 */
export const MAX_ALIAS_EXPANSION = 100_000;

export function withDefaults(limits: Partial<ContractLimits> | undefined): ContractLimits {
  return { ...DEFAULT_LIMITS, ...(limits ?? {}) };
}

/** The config keys, the command-line flags and what each means, for messages and help. */
export const LIMIT_SETTINGS = {
  maxContractBytes: { flag: '--max-contract-bytes', what: 'bytes' },
  maxNestingDepth: { flag: '--max-nesting-depth', what: 'levels' },
} as const satisfies Record<keyof ContractLimits, { flag: string; what: string }>;

/** How to raise a limit: said in every diagnostic that a limit produces. */
export function raiseHint(key: keyof ContractLimits): string {
  return `${LIMIT_SETTINGS[key].flag} <n> or "${key}" in evc.config.json raises it`;
}

/** A limit value from a flag or the config file: a whole number >= 1, else undefined. */
export function parseLimit(value: unknown): number | undefined {
  const n = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 1 ? n : undefined;
}

/**
 * The limits set in `<root>/evc.config.json` (keys `maxContractBytes`, `maxNestingDepth`).
 * A missing file or key sets nothing; an unreadable file is the generator's business
 * (it reports it); a key with a bad value throws an Error naming it.
 */
export function limitsFromConfig(root: string): Partial<ContractLimits> {
  const file = join(root, 'evc.config.json');
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return {};
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return {};
  const out: Partial<ContractLimits> = {};
  for (const key of Object.keys(LIMIT_SETTINGS) as (keyof ContractLimits)[]) {
    const raw = (data as Record<string, unknown>)[key];
    if (raw === undefined) continue;
    const n = parseLimit(raw);
    if (n === undefined || typeof raw !== 'number') throw new Error(`${file}: "${key}" must be a whole number >= 1 (${LIMIT_SETTINGS[key].what})`);
    out[key] = n;
  }
  return out;
}
