import { serviceOf } from '../../docs/model.js';
import type { LintRule } from '../rule.js';

/**
 * `x-evc-flows` (root extension) declares the sequence diagrams `evc docs` draws:
 * `[{ name, steps: [{ from, to, message }] }]`. Docs skip what is malformed, so this rule
 * is where a typo shows: a wrong shape is an error; a `from`/`to` that is no service of
 * the contract (`x-evc-service` of an operation) or a `message` that is neither a message
 * (id or name) nor a channel (id or address) is a warning.
 */
export const declaredFlows: LintRule = {
  id: 'declared-flows',
  severity: 'error',
  description: 'x-evc-flows has the shape docs read, and names services, messages and channels of the contract',
  check(system, report) {
    const raw = system.document['x-evc-flows'];
    if (raw === undefined) return;
    const file = system.files[0]!;
    const at = (pointer: string) => system.locate(file, pointer);
    if (!Array.isArray(raw)) {
      report(`x-evc-flows must be a list of { name, steps }, found ${kind(raw)}`, at('/x-evc-flows'));
      return;
    }
    const services = new Set(system.operations.map(serviceOf));
    const labels = new Set<string>();
    for (const m of system.messages) labels.add(m.id).add(m.name);
    for (const c of system.channels) {
      labels.add(c.id);
      if (c.address !== null) labels.add(c.address);
    }
    raw.forEach((flow: unknown, i) => {
      const base = `/x-evc-flows/${i}`;
      if (!isObject(flow)) return report(`x-evc-flows[${i}] must be an object { name, steps }, found ${kind(flow)}`, at(base));
      if (flow.name !== undefined && (typeof flow.name !== 'string' || flow.name.trim() === ''))
        report(`x-evc-flows[${i}].name must be a non-empty string`, at(`${base}/name`));
      if (!Array.isArray(flow.steps))
        return report(
          `x-evc-flows[${i}].steps must be a list of { from, to, message }, found ${kind(flow.steps)}`,
          at(flow.steps === undefined ? base : `${base}/steps`),
        );
      flow.steps.forEach((step: unknown, j) => {
        const sp = `${base}/steps/${j}`;
        if (!isObject(step)) return report(`x-evc-flows[${i}].steps[${j}] must be an object { from, to, message }, found ${kind(step)}`, at(sp));
        for (const key of ['from', 'to', 'message'] as const) {
          if (typeof step[key] !== 'string' || step[key] === '')
            report(
              `x-evc-flows[${i}].steps[${j}].${key} must be a non-empty string, found ${kind(step[key])}`,
              at(step[key] === undefined ? sp : `${sp}/${key}`),
            );
        }
        for (const key of ['from', 'to'] as const) {
          const v = step[key];
          if (typeof v === 'string' && v !== '' && !services.has(v)) {
            report(
              `x-evc-flows[${i}].steps[${j}].${key} "${v}" is not a service of this contract (x-evc-service of an operation)${hint(services)}`,
              at(`${sp}/${key}`),
              'warning',
            );
          }
        }
        const m = step.message;
        if (typeof m === 'string' && m !== '' && !labels.has(m)) {
          report(
            `x-evc-flows[${i}].steps[${j}].message "${m}" is neither a message (id or name) nor a channel (id or address) of this contract`,
            at(`${sp}/message`),
            'warning',
          );
        }
      });
    });
  },
};

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const kind = (v: unknown): string =>
  v === undefined ? 'nothing' : v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v === 'string' ? `"${v}"` : typeof v;
const hint = (services: Set<string>): string => (services.size > 0 && services.size <= 12 ? `; services: ${[...services].join(', ')}` : '');
