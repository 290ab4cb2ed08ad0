/**
 * Names a contract does not give, which the loader derived (./asyncapi2.ts: operation ids
 * from channel and action, message ids from names or operations), kept beside the IR so
 * lint can tell the user (rule `derived-name`) without the IR carrying loader detail.
 */
import type { DerivedName } from './asyncapi2.js';
import type { SystemModel } from './ir.js';

const bySystem = new WeakMap<SystemModel, readonly DerivedName[]>();

export function recordDerivedNames(system: SystemModel, names: readonly DerivedName[]): void {
  if (names.length > 0) bySystem.set(system, names);
}

/** The names the loader derived for a system, in document order (empty for most contracts). */
export function derivedNamesOf(system: SystemModel): readonly DerivedName[] {
  return bySystem.get(system) ?? [];
}

export type { DerivedName };
