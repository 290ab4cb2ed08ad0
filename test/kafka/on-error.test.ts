/**
 * onError: a kafkajs consumer that stops for good after subscribe() resolved is reported
 * to the subscription and logged. No broker: kafkajs's consumer is replaced by a fake
 * that emits the same events (a non-retriable crash cannot be provoked on demand from
 * outside a healthy broker).
 */
import { EventEmitter } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import type { Admin, Kafka } from 'kafkajs';
import { TransportError } from '../../src/runtime/errors.js';
import type { Logger } from '../../src/runtime/logger.js';
import { startSubscription, type KafkaSubscribeOptions } from '../../src/runtime/transports/kafka/consumer.js';

const events = {
  GROUP_JOIN: 'consumer.group_join',
  REBALANCING: 'consumer.rebalancing',
  CRASH: 'consumer.crash',
} as const;

function fakeKafka() {
  const emitter = new EventEmitter();
  const consumer = {
    events,
    on(name: string, listener: (event: { payload: unknown }) => void) {
      emitter.on(name, listener);
      return () => emitter.off(name, listener);
    },
    connect: async () => {},
    subscribe: async () => {},
    run: async () => {
      setImmediate(() => emitter.emit(events.GROUP_JOIN, { payload: { memberAssignment: {}, groupProtocol: 'EvcSubscriptionRoundRobin' } }));
    },
    disconnect: vi.fn(async () => {}),
    pause: () => {},
    resume: () => {},
    seek: () => {},
  };
  const kafka = { consumer: () => consumer } as unknown as Kafka;
  const crash = (error: Error, restart: boolean) => emitter.emit(events.CRASH, { payload: { error, groupId: 'g', restart } });
  return { kafka, consumer, crash };
}

function recordingLogger() {
  const lines: { level: string; message: string }[] = [];
  const at = (level: string) => (message: string) => void lines.push({ level, message });
  const logger: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  return { logger, lines };
}

async function subscribe(extra: Partial<KafkaSubscribeOptions> = {}) {
  const fake = fakeKafka();
  const { logger, lines } = recordingLogger();
  const errors: Error[] = [];
  const sub = await startSubscription(
    {
      kafka: fake.kafka,
      admin: {} as Admin,
      clientId: 'test',
      logger,
      ensureTopics: async () => {},
      settings: {
        sessionTimeout: 10_000,
        rebalanceTimeout: 20_000,
        heartbeatInterval: 500,
        maxWaitTimeInMs: 100,
        maxBytesPerPartition: 1_048_576,
        redeliveryDelayMs: 10,
        redeliveryMaxDelayMs: 100,
        commitIntervalMs: 1_000,
        joinTimeoutMs: 5_000,
      },
    },
    {
      group: 'g',
      channels: ['t'],
      fromBeginning: true,
      handler: async () => {},
      onError: (err) => void errors.push(err),
      ...extra,
    },
  );
  return { ...fake, sub, lines, errors };
}

describe('kafka subscription onError', () => {
  it('reports a crash kafkajs does not recover from, as a TransportError, and logs it', async () => {
    const s = await subscribe();
    const cause = Object.assign(new Error('boom'), { name: 'KafkaJSNonRetriableError' });
    s.crash(cause, false);
    expect(s.errors).toHaveLength(1);
    expect(s.errors[0]).toBeInstanceOf(TransportError);
    expect(s.errors[0]!.message).toContain('consuming t in group g');
    expect((s.errors[0] as TransportError).cause).toBe(cause);
    expect(s.lines.some((l) => l.level === 'error' && l.message.includes('stopped for good'))).toBe(true);
    await s.sub.stop();
  });

  it('only logs a crash kafkajs restarts from', async () => {
    const s = await subscribe();
    s.crash(new Error('coordinator loading'), true);
    expect(s.errors).toEqual([]);
    expect(s.lines.some((l) => l.level === 'warn' && l.message.includes('restarting'))).toBe(true);
    await s.sub.stop();
  });

  it('survives an onError that throws, and says nothing after stop()', async () => {
    const s = await subscribe({
      onError: () => {
        throw new Error('listener broke');
      },
    });
    expect(() => s.crash(new Error('boom'), false)).not.toThrow();
    expect(s.lines.some((l) => l.level === 'error' && l.message.includes('onError threw'))).toBe(true);
    await s.sub.stop();
    const after = await subscribe();
    await after.sub.stop();
    after.crash(new Error('late'), false);
    expect(after.errors).toEqual([]);
  });

  it('still logs when no onError is given', async () => {
    const s = await subscribe({ onError: undefined });
    s.crash(new Error('boom'), false);
    expect(s.lines.some((l) => l.level === 'error' && l.message.includes('stopped for good'))).toBe(true);
    await s.sub.stop();
  });
});
