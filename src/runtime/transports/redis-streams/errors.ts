/**
 * Redis error replies and connection failures mapped to TransportError through one
 * table, as the STYLE guide asks of every transport. Redis prefixes each error reply
 * with an upper-case code (`NOGROUP No such key ...`); ioredis surfaces socket errors
 * with Node's `code` (`ECONNREFUSED`) or its own messages.
 */
import { TransportError, isEventContractsError } from '../../errors.js';

export interface RedisErrorEntry {
  code: string;
  retriable: boolean;
  message: string;
}

/** Known Redis reply codes and connection failures. Anything else maps to `UNKNOWN`, retriable. */
export const REDIS_ERRORS: readonly RedisErrorEntry[] = [
  { code: 'NOGROUP', retriable: true, message: 'the stream or its consumer group does not exist (deleted, trimmed away or lost in a restart)' },
  { code: 'UNBLOCKED', retriable: true, message: 'a blocked read was released because the stream was deleted' },
  { code: 'BUSYGROUP', retriable: false, message: 'the consumer group already exists' },
  { code: 'LOADING', retriable: true, message: 'Redis is loading its dataset into memory after a restart' },
  { code: 'BUSY', retriable: true, message: 'Redis is busy running a script' },
  { code: 'TRYAGAIN', retriable: true, message: 'the operation could not be done now; try again' },
  { code: 'MASTERDOWN', retriable: true, message: 'the link with the master is down' },
  { code: 'CLUSTERDOWN', retriable: true, message: 'the cluster is down' },
  { code: 'READONLY', retriable: true, message: 'the server is a read-only replica (failover in progress?)' },
  { code: 'MISCONF', retriable: true, message: 'Redis cannot persist to disk and refuses writes' },
  { code: 'OOM', retriable: true, message: 'Redis is out of memory (maxmemory reached)' },
  { code: 'NOAUTH', retriable: false, message: 'authentication is required' },
  { code: 'WRONGPASS', retriable: false, message: 'wrong user name or password' },
  { code: 'NOPERM', retriable: false, message: 'the user has no permission for this command or key' },
  { code: 'WRONGTYPE', retriable: false, message: 'the key holds a value that is not a stream' },
  { code: 'ERR', retriable: false, message: 'Redis refused the command' },
  { code: 'ECONNREFUSED', retriable: true, message: 'connection refused' },
  { code: 'ECONNRESET', retriable: true, message: 'connection reset' },
  { code: 'ETIMEDOUT', retriable: true, message: 'connection timed out' },
  { code: 'EPIPE', retriable: true, message: 'connection closed while writing' },
  { code: 'CONNECTION_CLOSED', retriable: true, message: 'the connection is closed' },
  { code: 'MAX_RETRIES', retriable: true, message: 'Redis was unreachable for longer than maxRetriesPerRequest reconnect attempts' },
  { code: 'COMMAND_TIMEOUT', retriable: true, message: 'the command timed out' },
];

const BY_CODE = new Map(REDIS_ERRORS.map((e) => [e.code, e]));
const UNKNOWN: RedisErrorEntry = { code: 'UNKNOWN', retriable: true, message: 'unexpected Redis error' };

/** The table entry for a native error (a ReplyError, a socket error, an ioredis error). */
export function redisErrorEntry(err: unknown): RedisErrorEntry {
  if (!(err instanceof Error)) return UNKNOWN;
  const nodeCode = (err as { code?: unknown }).code;
  if (typeof nodeCode === 'string' && BY_CODE.has(nodeCode)) return BY_CODE.get(nodeCode)!;
  if (err.name === 'MaxRetriesPerRequestError') return BY_CODE.get('MAX_RETRIES')!;
  if (/^Connection is closed/i.test(err.message) || /Stream isn't writeable/i.test(err.message)) {
    return BY_CODE.get('CONNECTION_CLOSED')!;
  }
  if (/Command timed out/i.test(err.message)) return BY_CODE.get('COMMAND_TIMEOUT')!;
  const prefix = /^([A-Z][A-Z_]+)\b/.exec(err.message)?.[1];
  if (prefix && BY_CODE.has(prefix)) return BY_CODE.get(prefix)!;
  return UNKNOWN;
}

/** The Redis code of an error (`NOGROUP`, `ECONNREFUSED`, ... or `UNKNOWN`). */
export function redisErrorCode(err: unknown): string {
  if (err instanceof TransportError && err.code) return err.code;
  return redisErrorEntry(err).code;
}

/** Wraps a native error in a TransportError carrying the table's code and retriable flag. */
export function toTransportError(err: unknown, doing: string): TransportError {
  if (err instanceof TransportError) return err;
  if (isEventContractsError(err)) {
    return new TransportError(`redis-streams: ${doing}: ${(err as Error).message}`, { retriable: (err as { retriable: boolean }).retriable, cause: err });
  }
  const entry = redisErrorEntry(err);
  const detail = err instanceof Error ? err.message : String(err);
  return new TransportError(`redis-streams: ${doing}: ${entry.message} (${detail})`, {
    code: entry.code,
    retriable: entry.retriable,
    cause: err,
  });
}

/** Stream or group gone: the consumer recreates its group and goes on. */
export function isGroupMissing(err: unknown): boolean {
  const code = redisErrorCode(err);
  return code === 'NOGROUP' || code === 'UNBLOCKED';
}
