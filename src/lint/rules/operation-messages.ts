import type { LintRule } from '../rule.js';

/** An operation can only send or receive what its channel carries. */
export const operationMessagesInChannel: LintRule = {
  id: 'operation-message-in-channel',
  severity: 'error',
  description: "an operation's messages belong to its channel",
  check(system, report) {
    for (const op of system.operations) {
      const channel = system.channels.find((c) => c.id === op.channelId);
      if (!channel) continue;
      op.messageIds.forEach((id, i) => {
        if (!channel.messageIds.includes(id)) {
          report(
            `operation "${op.id}" uses message "${id}", which channel "${channel.id}" does not carry (it carries: ${channel.messageIds.join(', ') || 'nothing'})`,
            system.locate(op.location.file, `${op.location.pointer}/messages/${i}`),
          );
        }
      });
      if (!op.messagesListed && channel.messageIds.length === 0) {
        report(`operation "${op.id}" has no messages: channel "${channel.id}" declares none`, op.location);
      }
    }
  },
};
