import type { LintRule } from '../rule.js';

export const unusedMessage: LintRule = {
  id: 'unused-message',
  severity: 'warning',
  description: 'every component message is carried by some channel',
  check(system, report) {
    for (const m of system.messages) if (m.channelIds.length === 0) report(`message "${m.id}" is not carried by any channel`, m.location);
  },
};
