import type { LintRule } from '../rule.js';

/** A `{param}` in an address with no declaration cannot be typed or filled; a declared one not in the address is dead. */
export const addressParameters: LintRule = {
  id: 'address-parameters',
  severity: 'error',
  description: 'address parameters are declared, and declared parameters appear in the address',
  check(system, report) {
    for (const ch of system.channels) {
      if (ch.address === null) continue;
      const used = [...ch.address.matchAll(/\{([^}]*)\}/g)].map((m) => m[1]!);
      const declared = new Set(ch.parameters.map((p) => p.name));
      for (const name of used) {
        if (!/^[A-Za-z0-9_.-]+$/.test(name)) {
          report(
            `channel "${ch.id}" address "${ch.address}" has an invalid parameter name "{${name}}" (expected letters, digits, _ . -)`,
            system.locate(ch.location.file, `${ch.location.pointer}/address`),
          );
        } else if (!declared.has(name)) {
          report(
            `channel "${ch.id}" address "${ch.address}" uses parameter "{${name}}", which is not declared under parameters`,
            system.locate(ch.location.file, `${ch.location.pointer}/address`),
          );
        }
      }
      for (const p of ch.parameters) {
        if (!used.includes(p.name))
          report(
            `channel "${ch.id}" declares parameter "${p.name}", which its address "${ch.address}" does not use`,
            system.locate(ch.location.file, `${ch.location.pointer}/parameters/${p.name}`),
            'warning',
          );
      }
    }
  },
};
