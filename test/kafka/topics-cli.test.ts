import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { contractDir } from '../helpers/contract-dir.js';
import { KAFKA_BROKERS, kafkaAvailable, rawAdmin, randomTopic } from './broker.js';

const run = await kafkaAvailable();

const contract = (topic: string, partitions: number, retentionMs: number) => `asyncapi: 3.0.0
info: {title: Topics, version: 1.0.0}
servers:
  local: {host: '127.0.0.1:9092', protocol: kafka}
channels:
  events:
    address: ${topic}
    x-evc-dead-letter: ${topic}.dlq
    bindings:
      kafka:
        partitions: ${partitions}
        replicas: 3
        topicConfiguration:
          retention.ms: ${retentionMs}
    messages:
      Ping:
        payload: {type: object, title: Ping, additionalProperties: true}
`;

const evc = (...args: string[]) => {
  const r = spawnSync(process.execPath, ['bin/evc.js', 'topics', 'apply', ...args, '--brokers', KAFKA_BROKERS.join(',')], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

describe.skipIf(!run)('evc topics apply (real broker)', () => {
  it('creates topics from the bindings, reports drift, changes existing topics only with --alter', async () => {
    const topic = randomTopic('cli');
    const dir = contractDir({ 'topics.yaml': contract(topic, 2, 604800000) });

    const first = evc(dir);
    expect(first.stdout).toBe(`created    ${topic}\ncreated    ${topic}.dlq\n`);
    expect(first.stderr).toContain(`warning: topic ${topic}: the contract asks for 3 replicas but the cluster has 1 broker(s); using 1\n`);
    expect(first.code).toBe(0);

    const admin = await rawAdmin();
    const meta = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(meta.topics[0]!.partitions).toHaveLength(2);

    expect(evc(dir).code).toBe(0);

    const changed = contractDir({ 'topics.yaml': contract(topic, 4, 86400000) });
    const drift = evc(changed);
    expect(drift.code).toBe(1);
    expect(drift.stdout.split('\n').filter(Boolean).sort()).toEqual(
      [
        `drift      ${topic} config retention.ms: cluster 604800000, contract 86400000`,
        `drift      ${topic} partitions: cluster 2, contract 4`,
        `drift      ${topic}.dlq config retention.ms: cluster 604800000, contract 86400000`,
        `drift      ${topic}.dlq partitions: cluster 2, contract 4`,
      ].sort(),
    );
    expect((await admin.fetchTopicMetadata({ topics: [topic] })).topics[0]!.partitions).toHaveLength(2);

    const altered = evc(changed, '--alter');
    expect(altered.code).toBe(0);
    expect(altered.stdout).toContain(`altered    ${topic}\n`);
    expect((await admin.fetchTopicMetadata({ topics: [topic] })).topics[0]!.partitions).toHaveLength(4);
    expect(evc(changed).code).toBe(0);
    await admin.deleteTopics({ topics: [`${topic}.dlq`] }).catch(() => {});
  }, 120_000);

  it('exit 2 when the broker cannot be reached', () => {
    const dir = contractDir({ 'topics.yaml': contract('never-created', 1, 1000) });
    const r = spawnSync(process.execPath, ['bin/evc.js', 'topics', 'apply', dir, '--brokers', '127.0.0.1:1'], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^evc topics apply: cannot reach Kafka at 127\.0\.0\.1:1: /);
  }, 90_000);
});
