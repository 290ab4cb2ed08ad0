/**
 * The kafkajs → TransportError table, with kafkajs's own error classes (no broker needed).
 */
import kafkajs from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { TransportError, isTransportError } from '../../src/runtime/errors.js';
import { isLeadershipSettling, whileLeadershipSettles } from '../../src/runtime/transports/kafka/errors.js';
import { isRebalancing, kafkaErrorCode, kafkaToTransportError } from '../../src/runtime/transports/kafka/index.js';

const { KafkaJSProtocolError, KafkaJSConnectionError, KafkaJSNumberOfRetriesExceeded, KafkaJSNonRetriableError, KafkaJSError } = kafkajs;

const protocol = (type: string, retriable: boolean) => new KafkaJSProtocolError({ message: `broker says ${type}`, type, code: 0, retriable } as never);

const cases: [string, { given: unknown; want: { code: string; retriable: boolean; rebalancing?: boolean } }][] = [
  ['a message too large for the broker', { given: protocol('MESSAGE_TOO_LARGE', false), want: { code: 'MESSAGE_TOO_LARGE', retriable: false } }],
  ['an unknown topic', { given: protocol('UNKNOWN_TOPIC_OR_PARTITION', true), want: { code: 'UNKNOWN_TOPIC_OR_PARTITION', retriable: true } }],
  ['a rebalance', { given: protocol('REBALANCE_IN_PROGRESS', false), want: { code: 'REBALANCE_IN_PROGRESS', retriable: true, rebalancing: true } }],
  ['a new generation', { given: protocol('ILLEGAL_GENERATION', false), want: { code: 'ILLEGAL_GENERATION', retriable: true, rebalancing: true } }],
  [
    "a protocol error outside the table keeps its type and kafkajs's flag",
    { given: protocol('FENCED_LEADER_EPOCH', true), want: { code: 'FENCED_LEADER_EPOCH', retriable: true } },
  ],
  [
    'a refused connection',
    { given: new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:9092'), want: { code: 'CONNECTION', retriable: true } },
  ],
  [
    'retries exhausted: the cause decides',
    {
      given: new KafkaJSNumberOfRetriesExceeded(protocol('TOPIC_AUTHORIZATION_FAILED', false), { retryCount: 5, retryTime: 100 }),
      want: { code: 'TOPIC_AUTHORIZATION_FAILED', retriable: false },
    },
  ],
  ['a non-retriable client error', { given: new KafkaJSNonRetriableError('Invalid topic'), want: { code: 'NON_RETRIABLE', retriable: false } }],
  ['a bare KafkaJSError', { given: new KafkaJSError('something', { retriable: false }), want: { code: 'UNKNOWN', retriable: false } }],
  ['not a kafkajs error at all', { given: new Error('boom'), want: { code: 'UNKNOWN', retriable: true } }],
];

describe('kafka error table', () => {
  it.each(cases)('%s', (_name, { given, want }) => {
    const err = kafkaToTransportError(given, 'publishing to t');
    expect(isTransportError(err)).toBe(true);
    expect(err).toBeInstanceOf(TransportError);
    expect(err.name).toBe('TransportError');
    expect({ code: err.code, retriable: err.retriable }).toEqual({ code: want.code, retriable: want.retriable });
    expect(err.cause).toBe(given);
    expect(err.message).toMatch(/^kafka: publishing to t: /);
    expect(kafkaErrorCode(err)).toBe(want.code);
    expect(isRebalancing(given)).toBe(want.rebalancing ?? false);
  });

  it('passes a TransportError through unchanged', () => {
    const e = new TransportError('already mapped', { code: 'X', retriable: false });
    expect(kafkaToTransportError(e, 'x')).toBe(e);
  });
});

describe('waiting for a partition leader to serve (a topic just created)', () => {
  const notLeader = () => protocol('NOT_LEADER_FOR_PARTITION', true);

  it('tells leadership answers from the rest, also when kafkajs wrapped them', () => {
    expect(isLeadershipSettling(notLeader())).toBe(true);
    expect(isLeadershipSettling(protocol('LEADER_NOT_AVAILABLE', true))).toBe(true);
    expect(isLeadershipSettling(new KafkaJSNumberOfRetriesExceeded(notLeader(), { retryCount: 5, retryTime: 100 }))).toBe(true);
    expect(isLeadershipSettling(protocol('UNKNOWN_TOPIC_OR_PARTITION', true))).toBe(false);
    expect(isLeadershipSettling(protocol('TOPIC_AUTHORIZATION_FAILED', false))).toBe(false);
    expect(isLeadershipSettling(new Error('boom'))).toBe(false);
  });

  it('tries again while the broker answers NOT_LEADER_FOR_PARTITION, then returns what the call returned', async () => {
    let calls = 0;
    const got = await whileLeadershipSettles(async () => {
      if (++calls < 4) throw notLeader();
      return [{ partition: 0, high: '0' }];
    }, 5_000);
    expect(calls).toBe(4);
    expect(got).toEqual([{ partition: 0, high: '0' }]);
  });

  it('throws any other error at once', async () => {
    let calls = 0;
    const denied = protocol('TOPIC_AUTHORIZATION_FAILED', false);
    await expect(
      whileLeadershipSettles(async () => {
        calls++;
        throw denied;
      }, 5_000),
    ).rejects.toBe(denied);
    expect(calls).toBe(1);
  });

  it('gives up at the deadline with the last answer', async () => {
    let calls = 0;
    const started = Date.now();
    await expect(
      whileLeadershipSettles(async () => {
        calls++;
        throw notLeader();
      }, 200),
    ).rejects.toMatchObject({ type: 'NOT_LEADER_FOR_PARTITION' });
    expect(calls).toBeGreaterThan(1);
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});
