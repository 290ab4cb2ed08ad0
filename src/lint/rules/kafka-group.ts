import type { ChannelModel, OperationModel, SystemModel } from '../../contract/ir.js';
import type { LintRule } from '../rule.js';

function isKafka(system: SystemModel, op: OperationModel, channel: ChannelModel | undefined): boolean {
  if ('kafka' in op.bindings || (channel && 'kafka' in channel.bindings)) return true;
  return system.servers.length > 0 && system.servers.every((s) => s.protocol.startsWith('kafka'));
}

/** Without a group every instance of a service would get every event, and nothing would be committed. */
export const kafkaReceiveGroup: LintRule = {
  id: 'kafka-receive-group',
  severity: 'error',
  description: 'every Kafka receive operation names a consumer group (bindings.kafka.groupId)',
  check(system, report) {
    for (const op of system.operations) {
      if (op.action !== 'receive') continue;
      const channel = system.channels.find((c) => c.id === op.channelId);
      if (!isKafka(system, op, channel) || op.group) continue;
      report(`Kafka receive operation "${op.id}" names no consumer group: add bindings.kafka.groupId (e.g. {type: string, const: my-service})`, op.location);
    }
  },
};
