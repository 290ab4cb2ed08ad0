export {
  createRedisStreamsTransport,
  defaultRetryStrategy,
  type RedisStreamsTransport,
  type RedisStreamsTransportOptions,
  type StreamTrimming,
} from './transport.js';
export type { RedisStreamsStats, LogFn as RedisStreamsLogFn } from './consumer.js';
export { resolveStreamPattern, streamPatternToRegExp, isStreamPattern } from './pattern.js';
export { createRedisDedupeStore, type RedisDedupeStore, type RedisDedupeStoreOptions } from './dedupe-store.js';
export { REDIS_ERRORS, redisErrorCode, redisErrorEntry, toTransportError as toRedisTransportError, type RedisErrorEntry } from './errors.js';
export { FIELD_DATA, FIELD_KEY, FIELD_HEADERS, DLQ_FIELDS } from './entry.js';
