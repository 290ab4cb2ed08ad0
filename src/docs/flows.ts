/**
 * Sequence diagrams of a system's flows. Declared ones come from the root extension
 * `x-evc-flows: [{name, steps: [{from, to, message}]}]`; otherwise they are derived from
 * the operations: when A sends on C and B receives C, `A->>B: C`, and what B sends next
 * follows, breadth first (what happens at the same time stays together), each send
 * operation drawn once across all diagrams, within caps so big systems stay readable.
 */

export type FlowStep = { from: string; to: string; label: string } | { note: string; over: string };

export interface FlowDoc {
  name: string;
  steps: FlowStep[];
  /** Declared in the contract (`x-evc-flows`) rather than derived. */
  declared: boolean;
  /** A cap cut the chain short. */
  truncated: boolean;
}

export interface FlowCaps {
  maxFlows: number;
  maxSteps: number;
  maxDepth: number;
}

const MAX_DECLARED_STEPS = 500;

/** `x-evc-flows` entries that have the right shape; anything else is ignored (lint reports contract errors, docs only print). */
export function declaredFlows(raw: unknown): FlowDoc[] {
  if (!Array.isArray(raw)) return [];
  return raw.flatMap((f, i): FlowDoc[] => {
    if (typeof f !== 'object' || f === null) return [];
    const { name, steps } = f as { name?: unknown; steps?: unknown };
    if (!Array.isArray(steps)) return [];
    const good = steps.flatMap((s): FlowStep[] => {
      if (typeof s !== 'object' || s === null) return [];
      const { from, to, message } = s as Record<string, unknown>;
      return typeof from === 'string' && typeof to === 'string' && typeof message === 'string' ? [{ from, to, label: message }] : [];
    });
    return [
      {
        name: typeof name === 'string' && name.trim() ? name : `Flow ${i + 1}`,
        steps: good.slice(0, MAX_DECLARED_STEPS),
        declared: true,
        truncated: good.length > MAX_DECLARED_STEPS,
      },
    ];
  });
}

type Op = { service: string; channel: string };

export function deriveFlows(declared: unknown, sends: Op[], receives: Op[], caps: FlowCaps): { flows: FlowDoc[]; omitted: number } {
  const given = declaredFlows(declared);
  if (given.length > 0) return { flows: given, omitted: 0 };

  const receiversOf = new Map<string, string[]>();
  for (const r of receives) receiversOf.set(r.channel, [...(receiversOf.get(r.channel) ?? []), r.service]);
  const sendsOf = new Map<string, string[]>();
  for (const s of sends) sendsOf.set(s.service, [...(sendsOf.get(s.service) ?? []), s.channel]);
  const receivingServices = new Set(receives.map((r) => r.service));
  const key = (o: Op) => `${o.service}\0${o.channel}`;

  // Entry points: what services that consume nothing publish (they react to the world, not to events);
  // when every publisher also consumes, the first publisher's sends.
  let roots = sends.filter((s) => !receivingServices.has(s.service));
  if (roots.length === 0 && sends[0]) roots = sends.filter((s) => s.service === sends[0]!.service);
  const covered = new Set<string>();
  const flows: FlowDoc[] = [];
  const candidates = [...roots, ...sends];
  for (const root of candidates) {
    if (covered.has(key(root))) continue;
    if (flows.length >= caps.maxFlows) break;
    covered.add(key(root));
    const steps: FlowStep[] = [];
    let truncated = false;
    const queue: { op: Op; depth: number }[] = [{ op: root, depth: 0 }];
    while (queue.length > 0) {
      const { op, depth } = queue.shift()!;
      const receivers = receiversOf.get(op.channel) ?? [];
      if (receivers.length === 0 && op === root) steps.push({ over: op.service, note: `publishes ${op.channel}; no consumer in this contract` });
      for (const to of receivers) {
        if (steps.length >= caps.maxSteps) {
          truncated = true;
          break;
        }
        steps.push({ from: op.service, to, label: op.channel });
        if (depth + 1 >= caps.maxDepth) {
          if ((sendsOf.get(to) ?? []).some((c) => !covered.has(key({ service: to, channel: c })))) truncated = true;
          continue;
        }
        for (const channel of sendsOf.get(to) ?? []) {
          const next = { service: to, channel };
          if (covered.has(key(next))) continue;
          covered.add(key(next));
          queue.push({ op: next, depth: depth + 1 });
        }
      }
      if (steps.length >= caps.maxSteps && queue.length > 0) {
        truncated = true;
        // What was queued but not drawn stays available as a root of a later diagram.
        for (const q of queue) covered.delete(key(q.op));
        break;
      }
    }
    flows.push({ name: `${root.service} publishes ${root.channel}`, steps, declared: false, truncated });
  }
  const omitted = sends.filter((s) => !covered.has(key(s))).length;
  return { flows, omitted };
}
