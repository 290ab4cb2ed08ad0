/**
 * The contract limits of the commands that read contracts (lint, generate, validate, diff):
 * `--max-contract-bytes <n>` and `--max-nesting-depth <n>`, over the keys of the same names
 * in `evc.config.json` (camelCase), over the defaults.
 */
import { type ContractLimits, DEFAULT_LIMITS, limitsFromConfig, parseLimit } from '../contract/limits.js';
import { UsageError } from './usage.js';

/** For parseArgs' `options`. */
export const limitOptions = {
  'max-contract-bytes': { type: 'string' },
  'max-nesting-depth': { type: 'string' },
} as const;

export const limitsHelp = `  --max-contract-bytes <n>    refuse a contract file (or a document with the files its
                              $refs read) over n bytes (default ${DEFAULT_LIMITS.maxContractBytes}; evc.config.json
                              "maxContractBytes")
  --max-nesting-depth <n>     refuse objects/arrays nested over n levels deep
                              (default ${DEFAULT_LIMITS.maxNestingDepth}; evc.config.json "maxNestingDepth")`;

export function contractLimits(
  values: { 'max-contract-bytes'?: string | undefined; 'max-nesting-depth'?: string | undefined },
  root = process.cwd(),
): Partial<ContractLimits> {
  let limits: Partial<ContractLimits>;
  try {
    limits = limitsFromConfig(root);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const flags = [
    ['max-contract-bytes', 'maxContractBytes'],
    ['max-nesting-depth', 'maxNestingDepth'],
  ] as const;
  for (const [flag, key] of flags) {
    const raw = values[flag];
    if (raw === undefined) continue;
    const n = parseLimit(raw);
    if (n === undefined) throw new UsageError(`--${flag} must be a whole number >= 1 (got "${raw}")`);
    limits[key] = n;
  }
  return limits;
}
