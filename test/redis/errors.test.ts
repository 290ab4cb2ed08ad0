import { describe, expect, it } from 'vitest';
import { ReplyError } from 'ioredis';
import { isTransportError } from '../../src/runtime/errors.js';
import { REDIS_ERRORS, redisErrorCode, toRedisTransportError } from '../../src/runtime/transports/redis-streams/index.js';

describe('redis error table', () => {
  const cases: [string, { given: Error; code: string; retriable: boolean }][] = [
    [
      'NOGROUP reply',
      { given: new ReplyError("NOGROUP No such key 's' or consumer group 'g' in XREADGROUP with GROUP option"), code: 'NOGROUP', retriable: true },
    ],
    ['LOADING reply', { given: new ReplyError('LOADING Redis is loading the dataset in memory'), code: 'LOADING', retriable: true }],
    ['WRONGTYPE reply', { given: new ReplyError('WRONGTYPE Operation against a key holding the wrong kind of value'), code: 'WRONGTYPE', retriable: false }],
    ['plain ERR', { given: new ReplyError('ERR syntax error'), code: 'ERR', retriable: false }],
    ['socket error', { given: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }), code: 'ECONNREFUSED', retriable: true }],
    ['closed connection', { given: new Error('Connection is closed.'), code: 'CONNECTION_CLOSED', retriable: true }],
    ['something else', { given: new Error('weird'), code: 'UNKNOWN', retriable: true }],
  ];
  it.each(cases)('%s', (_, { given, code, retriable }) => {
    const err = toRedisTransportError(given, 'XADD to s');
    expect(isTransportError(err)).toBe(true);
    expect(err.name).toBe('TransportError');
    expect(err.code).toBe(code);
    expect(err.retriable).toBe(retriable);
    expect(err.cause).toBe(given);
    expect(err.message).toContain('redis-streams: XADD to s:');
    expect(redisErrorCode(err)).toBe(code);
  });

  it('has one entry per code', () => {
    const codes = REDIS_ERRORS.map((e) => e.code);
    expect(new Set(codes).size).toBe(codes.length);
  });
});
