/**
 * A partition assigner that respects each member's subscription.
 *
 * The transport runs one kafkajs consumer per subscribe() call, so one service that
 * subscribes to several topics in one group (one subscription per topic) puts members
 * with different subscriptions into that group. kafkajs's RoundRobinAssigner spreads
 * the partitions of every topic over every member, whatever each subscribed to; a
 * member drops the partitions of topics it did not subscribe to, and nobody reads them.
 * This assigner does what Java's RoundRobinAssignor does: all topic-partitions, topics
 * by name and partitions by id, are dealt in turn to the members sorted by memberId,
 * skipping the members that did not subscribe to the partition's topic. Deterministic,
 * so any member may be the leader.
 *
 * Kafka picks one assignment protocol that every member of a group supports. Every
 * consumer of this transport offers `EvcSubscriptionRoundRobin` first and kafkajs's
 * `RoundRobinAssigner` second, so:
 * - a group of members of this transport (the normal case) uses this assigner;
 * - a group that also has plain kafkajs consumers, or members of an older version of
 *   this transport (during a rolling upgrade), falls back to RoundRobinAssigner, which
 *   is only correct when every member subscribes to the same topics. The consumer logs
 *   a warning when that happens (see consumer.ts).
 * - a member that supports neither (a Java consumer with the default assignors) cannot
 *   join: the broker answers INCONSISTENT_GROUP_PROTOCOL.
 */
import type { Assigner, GroupMemberAssignment, PartitionAssigner } from 'kafkajs';
import { kafkajs } from './kafkajs.js';

// kafkajs is CommonJS: Node's ESM loader does not see all of its named exports
const { AssignerProtocol, PartitionAssigners } = kafkajs;

export const SUBSCRIPTION_ASSIGNER = 'EvcSubscriptionRoundRobin';
const VERSION = 0;

export interface MemberSubscription {
  memberId: string;
  topics: readonly string[];
}

/**
 * The assignment, pure: members and the partitions of every topic any of them reads.
 * Returns every member (an empty assignment for one that gets nothing). Partitions of a
 * topic nobody subscribed to, or of a topic missing from `partitions`, go to nobody.
 */
export function assignBySubscription(
  members: readonly MemberSubscription[],
  partitions: ReadonlyMap<string, readonly number[]>,
): Map<string, Record<string, number[]>> {
  const sorted = [...members].sort((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0));
  const subscribed = sorted.map((m) => new Set(m.topics));
  const out = new Map<string, Record<string, number[]>>(sorted.map((m) => [m.memberId, Object.create(null) as Record<string, number[]>]));
  if (sorted.length === 0) return out;
  const topics = [...new Set(sorted.flatMap((m) => m.topics))].sort();
  let cursor = 0;
  for (const topic of topics) {
    if (!subscribed.some((s) => s.has(topic))) continue;
    const ids = [...(partitions.get(topic) ?? [])].sort((a, b) => a - b);
    for (const partition of ids) {
      // the next member, in turn, that reads this topic (one exists: checked above)
      while (!subscribed[cursor % sorted.length]!.has(topic)) cursor++;
      const memberId = sorted[cursor % sorted.length]!.memberId;
      (out.get(memberId)![topic] ??= []).push(partition);
      cursor++;
    }
  }
  return out;
}

/** kafkajs's PartitionAssigner wrapping assignBySubscription. */
export const subscriptionRoundRobin: PartitionAssigner = ({ cluster, groupId, logger }) => {
  const assigner: Assigner = {
    name: SUBSCRIPTION_ASSIGNER,
    version: VERSION,

    async assign({ members }): Promise<GroupMemberAssignment[]> {
      // kafkajs passes the leader's own topics; what matters is every member's
      const subscriptions: MemberSubscription[] = members.map(({ memberId, memberMetadata }) => {
        const decoded = AssignerProtocol.MemberMetadata.decode(memberMetadata);
        return { memberId, topics: decoded?.topics ?? [] };
      });
      const topics = [...new Set(subscriptions.flatMap((s) => s.topics))].sort();

      // The leader's cluster only holds metadata for the leader's topics: add the others
      // (this also keeps them in its metadata refreshes, which is harmless).
      try {
        await cluster.addMultipleTargetTopics(topics);
      } catch (err) {
        // one bad topic fails the whole call: add them one by one, keep what works
        logger.warn('Could not load metadata for every subscribed topic; retrying one by one', { groupId, topics, error: String(err) });
        for (const topic of topics) {
          await cluster.addTargetTopic(topic).catch((e: unknown) => {
            logger.error('No metadata for a subscribed topic; its partitions go unassigned', { groupId, topic, error: String(e) });
          });
        }
      }

      const partitions = new Map<string, number[]>();
      for (const topic of topics) {
        partitions.set(
          topic,
          cluster.findTopicPartitionMetadata(topic).map((m) => m.partitionId),
        );
      }
      const assignment = assignBySubscription(subscriptions, partitions);
      return [...assignment].map(([memberId, topicPartitions]) => ({
        memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({
          version: VERSION,
          assignment: topicPartitions,
          userData: Buffer.alloc(0),
        }),
      }));
    },

    protocol({ topics }) {
      return {
        name: SUBSCRIPTION_ASSIGNER,
        metadata: AssignerProtocol.MemberMetadata.encode({ version: VERSION, topics, userData: Buffer.alloc(0) }),
      };
    },
  };
  return assigner;
};

/** What every consumer of the transport offers, most preferred first. */
export const partitionAssigners: PartitionAssigner[] = [subscriptionRoundRobin, PartitionAssigners.roundRobin];
