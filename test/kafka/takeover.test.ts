/**
 * Kafka takeover: when a member is SIGKILLed, the broker gives its partitions to the live
 * members after the session timeout. The subscription's `sessionTimeoutMs` (from the
 * contract's `x-evc-session-timeout-ms`) sets it over the transport's 30 s default, so
 * the survivor gets the dead member's partition within that timeout + 5 s.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { textOf } from '../../src/runtime/bytes.js';
import { waitFor } from '../conformance/wait-for.js';
import { KAFKA_BROKERS, kafkaAvailable, kafkaTransport, randomName, randomTopic } from './broker.js';

const run = await kafkaAvailable();
const ROOT = new URL('../..', import.meta.url).pathname;

describe.skipIf(!run)('kafka takeover of a killed member', () => {
  it("the survivor gets a SIGKILLed member's partition within the subscription's session timeout + 5 s", async () => {
    const topic = randomTopic('takeover');
    const group = randomName('g');
    const sessionTimeoutMs = 7000;
    const t = kafkaTransport();
    await t.ensureChannels!([{ address: topic, partitions: 2 }]);
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'test/kafka/fixtures/consumer-child.ts')], {
      cwd: ROOT,
      env: {
        ...process.env,
        KAFKA_BROKERS: KAFKA_BROKERS.join(','),
        TOPIC: topic,
        GROUP: group,
        OUT: '/dev/null',
        SESSION_TIMEOUT_MS: String(sessionTimeoutMs),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    const got = new Set<string>();
    try {
      await waitFor(() => out.includes('ready'), { timeoutMs: 60_000, what: () => `the child to join (stdout ${out})` });
      // The survivor joins second: the two members split the two partitions.
      await t.subscribe({ group, channels: [topic], sessionTimeoutMs, handler: async (d) => void got.add(textOf(d.value)) });
    } finally {
      child.kill('SIGKILL');
    }
    await exited;
    const killedAt = Date.now();
    const ids = Array.from({ length: 20 }, (_, i) => `m${i}`);
    await t.publish(
      topic,
      ids.map((id) => ({ key: id, value: id, headers: {} })),
    );
    await waitFor(() => ids.every((id) => got.has(id)), {
      timeoutMs: sessionTimeoutMs + 5000,
      what: () => `all 20 at the survivor (has ${got.size}) within ${sessionTimeoutMs + 5000} ms of the kill`,
    });
    console.info(
      `[takeover] kafka: the survivor had every partition's events ${Date.now() - killedAt} ms after the kill (session timeout ${sessionTimeoutMs} ms)`,
    );
    expect(ids.filter((id) => !got.has(id))).toEqual([]);
  }, 120_000);
});
