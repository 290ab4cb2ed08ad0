import type { LintRule } from '../rule.js';

/** With an envelope, the runtime fills the type field and picks the message by it: it must be a constant. */
export const envelopeType: LintRule = {
  id: 'envelope-type-const',
  severity: 'error',
  description: 'with x-evc-envelope, every message fixes the type field with a const, unique per channel',
  check(system, report) {
    if (!system.envelope) return;
    for (const m of system.messages) {
      if (m.channelIds.length === 0) continue;
      if (!m.eventType)
        report(
          `message "${m.id}" has no const at the envelope type field ${system.envelope.type} (x-evc-envelope.type): add \`const: <event type>\``,
          m.location,
        );
    }
    for (const ch of system.channels) {
      const seen = new Map<string, string>();
      for (const id of ch.messageIds) {
        const t = system.messages.find((m) => m.id === id)?.eventType;
        if (!t) continue;
        const other = seen.get(t);
        if (other)
          report(
            `channel "${ch.id}" carries messages "${other}" and "${id}" with the same event type "${t}": the runtime could not tell them apart`,
            ch.location,
          );
        seen.set(t, id);
      }
    }
  },
};
