/**
 * A deliberately broken service: the chat system's notification service, with the title
 * of every NotificationCreated changed to a number on the wire (after the runtime checked
 * it, as a hand-written producer would). `evc verify` with the chat scenario fails and
 * names the field's instance path: in process on the memory transport, and as the CLI
 * against the system on Redis Streams and on Kafka.
 */
import { describe, expect, it } from 'vitest';
import { startChat } from '../../../src/flows/chat/index.js';
import { loadContracts } from '../../../src/contract/load.js';
import { runtimeSystem } from '../../../src/verify/descriptor.js';
import { formatText } from '../../../src/verify/report.js';
import { runVerify } from '../../../src/verify/run.js';
import { loadScenario } from '../../../src/verify/scenario.js';
import { kafkaAvailable } from '../../kafka/broker.js';
import { redisAvailable } from '../../redis/server.js';
import { breakOnWire, evcVerify, startLive, type Kind } from './harness.js';

const kafka = await kafkaAvailable();
const redis = await redisAvailable();

const brokenTitle = (t: Parameters<typeof breakOnWire>[0]) =>
  breakOnWire(t, 'notification.created', (p) => {
    (p.data as Record<string, unknown>).title = 42;
  });

const VIOLATION = 'NotificationCreated /data/title: expected string, got integer 42';

describe('a broken service on memory (in process)', () => {
  it('the report names /data/title on notificationCreated and fails', async () => {
    const loaded = await loadContracts(['asyncapi/chat.yaml'], { specValidation: false });
    const rt = runtimeSystem(loaded.systems[0]!);
    const live = await startLive(startChat, 'memory', brokenTitle);
    try {
      const report = await runVerify({ rt, transport: live.transport, scenario: loadScenario('test/verify/scenarios/chat.yaml', rt) });
      const notes = report.channels.find((c) => c.id === 'notificationCreated')!;
      expect([notes.seen, notes.valid, notes.invalid]).toEqual([1, 0, 1]);
      expect(notes.errors.map((e) => [e.kind, e.messageId, e.violations])).toEqual([
        ['invalid', 'NotificationCreated', [{ pointer: '/data/title', text: 'expected string, got integer 42' }]],
      ]);
      expect(report.ok).toBe(false);
      // The scenario's expectation matches on the title too: the broken message does not meet it.
      expect(report.scenario!.expectations.map((e) => e.met)).toEqual([false]);
      expect(formatText(report)).toContain(`    notificationCreated 1 ${VIOLATION}\n`);
    } finally {
      await live.stop();
    }
  });
});

const brokers: Array<[Kind, boolean]> = [
  ['redis', redis],
  ['kafka', kafka],
];
for (const [kind, available] of brokers) {
  describe.skipIf(!available)(`a broken service on ${kind} (evc verify)`, () => {
    it('exits 1 and prints the instance path of the changed field', async () => {
      const live = await startLive(startChat, kind, brokenTitle);
      try {
        const r = await evcVerify([
          'asyncapi/chat.yaml',
          '--transport',
          kind,
          '--scenario',
          'test/verify/scenarios/chat.yaml',
          ...(live.keyPrefix ? ['--key-prefix', live.keyPrefix] : []),
        ]);
        const lines = r.stdout.split('\n');
        expect(lines.filter((l) => l.includes('/data/title')).map((l) => l.replace(/^ {4}notificationCreated \S+ /, ''))).toEqual([VIOLATION]);
        expect(lines.find((l) => l.startsWith('  notificationCreated '))).toBe('  notificationCreated (notification.created): 1 seen, 0 valid, 1 invalid');
        expect(lines.at(-2)).toMatch(
          /^evc verify: FAILED: \d+ message\(s\), \d+ valid, 1 invalid, 0 of undeclared type, 0 envelope violation\(s\), 1 silent channel\(s\), 0\/1 expectation\(s\) met$/,
        );
        expect(r.code).toBe(1);
      } finally {
        await live.stop();
      }
    });
  });
}
