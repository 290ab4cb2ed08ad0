export {
  createKafkaTransport,
  defaultBrokers,
  type KafkaTransportOptions,
  type KafkaProducerOptions,
  type KafkaConsumerOptions,
} from './kafka-transport.js';
export type { KafkaSubscribeOptions } from './consumer.js';
export {
  SUBSCRIPTION_ASSIGNER,
  assignBySubscription,
  subscriptionRoundRobin,
  type MemberSubscription,
} from './assigner.js';
export {
  applyTopics,
  type AdminTarget,
  type ApplyTopicsOptions,
  type ApplyTopicsReport,
  type TopicDrift,
  type TopicLog,
} from './topics.js';
export {
  KAFKA_CLIENT_ERRORS,
  KAFKA_PROTOCOL_ERRORS,
  isRebalancing,
  kafkaErrorCode,
  kafkaErrorEntry,
  toTransportError as kafkaToTransportError,
  type KafkaErrorEntry,
} from './errors.js';
