/**
 * kafkajs errors mapped to TransportError through one table, as the STYLE guide asks of
 * every transport. kafkajs raises two kinds: protocol errors carrying the broker's error
 * `type` (`UNKNOWN_TOPIC_OR_PARTITION`, `MESSAGE_TOO_LARGE`, ...) and client errors told
 * apart by their class name (`KafkaJSConnectionError`, ...). The table keys on both;
 * the code we expose is the broker's type or a short name for the client error.
 */
import { TransportError, isEventContractsError } from '../../errors.js';
import { retry } from '../../retry.js';

export interface KafkaErrorEntry {
  code: string;
  retriable: boolean;
  message: string;
}

/** Broker protocol error types we expect to meet, and what they mean to a caller. */
export const KAFKA_PROTOCOL_ERRORS: readonly KafkaErrorEntry[] = [
  { code: 'UNKNOWN_TOPIC_OR_PARTITION', retriable: true, message: 'the topic or partition does not exist (yet)' },
  { code: 'LEADER_NOT_AVAILABLE', retriable: true, message: 'the partition has no leader right now (topic being created, or a leader election)' },
  { code: 'NOT_LEADER_FOR_PARTITION', retriable: true, message: 'the broker is no longer the leader of the partition' },
  { code: 'REQUEST_TIMED_OUT', retriable: true, message: 'the broker did not answer in time' },
  { code: 'NOT_ENOUGH_REPLICAS', retriable: true, message: 'fewer in-sync replicas than min.insync.replicas; the write was refused' },
  { code: 'NOT_ENOUGH_REPLICAS_AFTER_APPEND', retriable: true, message: 'written, but fewer in-sync replicas than required acknowledged it' },
  { code: 'NETWORK_EXCEPTION', retriable: true, message: 'the broker lost a connection while handling the request' },
  { code: 'BROKER_NOT_AVAILABLE', retriable: true, message: 'the broker is not available' },
  { code: 'GROUP_COORDINATOR_NOT_AVAILABLE', retriable: true, message: 'the group coordinator is not available' },
  { code: 'NOT_COORDINATOR_FOR_GROUP', retriable: true, message: 'the broker is not the coordinator of this group' },
  { code: 'GROUP_LOAD_IN_PROGRESS', retriable: true, message: 'the group coordinator is still loading' },
  { code: 'REBALANCE_IN_PROGRESS', retriable: true, message: 'the consumer group is rebalancing' },
  { code: 'ILLEGAL_GENERATION', retriable: true, message: 'the consumer group moved to a new generation (rebalanced)' },
  { code: 'UNKNOWN_MEMBER_ID', retriable: true, message: 'the coordinator does not know this group member (session expired)' },
  { code: 'KAFKA_STORAGE_ERROR', retriable: true, message: 'the broker could not read or write its log' },
  { code: 'UNKNOWN_PRODUCER_ID', retriable: true, message: 'the broker no longer knows the idempotent producer id' },
  { code: 'OUT_OF_ORDER_SEQUENCE_NUMBER', retriable: false, message: 'the idempotent producer lost a write (sequence gap)' },
  { code: 'MESSAGE_TOO_LARGE', retriable: false, message: 'the message (or record batch) is larger than the broker accepts (message.max.bytes)' },
  { code: 'RECORD_LIST_TOO_LARGE', retriable: false, message: 'the record batch is larger than the broker accepts' },
  { code: 'INVALID_RECORD', retriable: false, message: 'the broker refused the record' },
  { code: 'CORRUPT_MESSAGE', retriable: true, message: 'the message failed its CRC check' },
  { code: 'INVALID_TOPIC_EXCEPTION', retriable: false, message: 'the topic name is not valid' },
  { code: 'TOPIC_ALREADY_EXISTS', retriable: false, message: 'the topic already exists' },
  { code: 'INVALID_PARTITIONS', retriable: false, message: 'the partition count is not valid (e.g. fewer than the topic has)' },
  { code: 'INVALID_REPLICATION_FACTOR', retriable: false, message: 'the replication factor is not valid (more than the brokers?)' },
  { code: 'INVALID_CONFIG', retriable: false, message: 'a topic configuration value is not valid' },
  { code: 'POLICY_VIOLATION', retriable: false, message: 'the request breaks a broker policy' },
  { code: 'TOPIC_AUTHORIZATION_FAILED', retriable: false, message: 'not authorised to use the topic' },
  { code: 'GROUP_AUTHORIZATION_FAILED', retriable: false, message: 'not authorised to use the consumer group' },
  { code: 'CLUSTER_AUTHORIZATION_FAILED', retriable: false, message: 'not authorised for this cluster operation' },
  { code: 'INVALID_REQUIRED_ACKS', retriable: false, message: 'acks must be -1, 0 or 1' },
  { code: 'UNSUPPORTED_VERSION', retriable: false, message: 'the broker does not support this request version' },
  { code: 'OFFSET_OUT_OF_RANGE', retriable: true, message: 'the requested offset is outside the log (deleted by retention?)' },
  { code: 'INVALID_SESSION_TIMEOUT', retriable: false, message: "the session timeout is outside the broker's allowed range" },
];

/** kafkajs client-side errors, by class name. */
export const KAFKA_CLIENT_ERRORS: readonly (KafkaErrorEntry & { name: string })[] = [
  { name: 'KafkaJSConnectionError', code: 'CONNECTION', retriable: true, message: 'could not connect to the broker' },
  { name: 'KafkaJSConnectionClosedError', code: 'CONNECTION_CLOSED', retriable: true, message: 'the broker closed the connection' },
  { name: 'KafkaJSRequestTimeoutError', code: 'REQUEST_TIMEOUT', retriable: true, message: 'a request to the broker timed out' },
  { name: 'KafkaJSNoBrokerAvailableError', code: 'NO_BROKER_AVAILABLE', retriable: true, message: 'no broker is reachable' },
  { name: 'KafkaJSBrokerNotFound', code: 'BROKER_NOT_FOUND', retriable: true, message: 'the broker is not in the cluster metadata' },
  { name: 'KafkaJSMetadataNotLoaded', code: 'METADATA_NOT_LOADED', retriable: true, message: 'cluster metadata is not loaded yet' },
  { name: 'KafkaJSTopicMetadataNotLoaded', code: 'TOPIC_METADATA_NOT_LOADED', retriable: true, message: 'metadata for the topic is not loaded yet' },
  {
    name: 'KafkaJSStaleTopicMetadataAssignment',
    code: 'STALE_METADATA',
    retriable: true,
    message: 'the topic changed (partitions added) during an assignment',
  },
  { name: 'KafkaJSGroupCoordinatorNotFound', code: 'GROUP_COORDINATOR_NOT_FOUND', retriable: true, message: 'no coordinator found for the consumer group' },
  { name: 'KafkaJSNumberOfRetriesExceeded', code: 'RETRIES_EXCEEDED', retriable: true, message: 'kafkajs gave up after its own retries' },
  { name: 'KafkaJSLockTimeout', code: 'LOCK_TIMEOUT', retriable: true, message: 'timed out waiting for a client lock' },
  { name: 'KafkaJSTimeout', code: 'TIMEOUT', retriable: true, message: 'the operation timed out' },
  { name: 'KafkaJSSASLAuthenticationError', code: 'AUTHENTICATION', retriable: false, message: 'authentication failed' },
  {
    name: 'KafkaJSServerDoesNotSupportApiKey',
    code: 'UNSUPPORTED_API',
    retriable: false,
    message: 'the broker does not support a request kafkajs needs (Kafka 4.x with kafkajs 2?)',
  },
  { name: 'KafkaJSNotImplemented', code: 'NOT_IMPLEMENTED', retriable: false, message: 'kafkajs does not implement this' },
  { name: 'KafkaJSInvariantViolation', code: 'INVARIANT_VIOLATION', retriable: false, message: 'kafkajs hit an internal invariant violation' },
  { name: 'KafkaJSNonRetriableError', code: 'NON_RETRIABLE', retriable: false, message: 'kafkajs refused the request' },
];

const PROTOCOL = new Map(KAFKA_PROTOCOL_ERRORS.map((e) => [e.code, e]));
const CLIENT = new Map(KAFKA_CLIENT_ERRORS.map((e) => [e.name, e]));
const UNKNOWN: KafkaErrorEntry = { code: 'UNKNOWN', retriable: true, message: 'unexpected Kafka error' };

interface KafkaJSErrorShape {
  name?: string;
  type?: string;
  retriable?: boolean;
  cause?: unknown;
  message?: string;
}

/** The table entry for a native kafkajs error (or the error it wraps). */
export function kafkaErrorEntry(err: unknown): KafkaErrorEntry {
  if (typeof err !== 'object' || err === null) return UNKNOWN;
  const e = err as KafkaJSErrorShape;
  // kafkajs wraps the last attempt's error when its own retrier gives up: the cause says more
  if (e.name === 'KafkaJSNumberOfRetriesExceeded' && e.cause && e.cause !== err) {
    const inner = kafkaErrorEntry(e.cause);
    if (inner !== UNKNOWN) return inner;
  }
  if (typeof e.type === 'string') {
    const known = PROTOCOL.get(e.type);
    if (known) return known;
    return { code: e.type, retriable: e.retriable ?? true, message: 'the broker refused the request' };
  }
  if (typeof e.name === 'string') {
    const known = CLIENT.get(e.name);
    if (known) return known;
  }
  if (e.name === 'KafkaJSError' || e.name === 'KafkaJSProtocolError') {
    return { code: 'UNKNOWN', retriable: e.retriable ?? true, message: UNKNOWN.message };
  }
  return UNKNOWN;
}

/** The Kafka code of an error (`REBALANCE_IN_PROGRESS`, `CONNECTION`, ... or `UNKNOWN`). */
export function kafkaErrorCode(err: unknown): string {
  if (err instanceof TransportError && err.code) return err.code;
  return kafkaErrorEntry(err).code;
}

/** Wraps a native error in a TransportError carrying the table's code and retriable flag. */
export function toTransportError(err: unknown, doing: string): TransportError {
  if (err instanceof TransportError) return err;
  if (isEventContractsError(err)) {
    return new TransportError(`kafka: ${doing}: ${(err as Error).message}`, {
      retriable: (err as { retriable: boolean }).retriable,
      cause: err,
    });
  }
  const entry = kafkaErrorEntry(err);
  const detail = err instanceof Error ? err.message : String(err);
  return new TransportError(`kafka: ${doing}: ${entry.message} (${detail})`, {
    code: entry.code,
    retriable: entry.retriable,
    cause: err,
  });
}

const REBALANCING = new Set(['REBALANCE_IN_PROGRESS', 'NOT_COORDINATOR_FOR_GROUP', 'ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID']);

/**
 * The group moved on while we worked: kafkajs must rejoin. Inside `eachBatch` such an
 * error is rethrown so kafkajs's runner rejoins the group; anything else is handled.
 */
export function isRebalancing(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const type = (err as KafkaJSErrorShape).type;
  return typeof type === 'string' && REBALANCING.has(type);
}

/** Broker answers that mean a partition's leadership is still settling: a topic just created (KRaft applies it asynchronously), an election. */
const LEADERSHIP_SETTLING = new Set(['LEADER_NOT_AVAILABLE', 'NOT_LEADER_FOR_PARTITION', 'NOT_LEADER_OR_FOLLOWER']);

/** Whether `err` (a kafkajs error, or one it wraps) says a partition's leader is not serving yet. */
export function isLeadershipSettling(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as KafkaJSErrorShape;
  if (typeof e.type === 'string' && LEADERSHIP_SETTLING.has(e.type)) return true;
  return e.cause !== undefined && e.cause !== err && isLeadershipSettling(e.cause);
}

/**
 * `fn`, tried again (the runtime's retrier, backing off from 20 to 500 ms) while the broker
 * answers that a partition's leader is not serving yet, for up to `timeoutMs`. Any other
 * error, or the last one at the deadline, is thrown as it is. kafkajs's admin gives up on
 * these at once (`fetchTopicOffsets` bails on NOT_LEADER_FOR_PARTITION), and a single
 * KRaft broker answers them for a moment after a topic's metadata already shows its leader.
 */
export function whileLeadershipSettles<T>(fn: () => Promise<T>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  return retry(
    fn,
    { maxAttempts: Number.MAX_SAFE_INTEGER, initialDelayMs: 20, maxDelayMs: 500, jitter: false },
    { shouldContinue: (_attempt, err) => isLeadershipSettling(err) && Date.now() < deadline },
  );
}
