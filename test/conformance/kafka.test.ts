/**
 * The shared conformance suite against a real Kafka (scripts/kafka.sh start, or
 * KAFKA_BROKERS). Consumer timings are short so rebalances and redeliveries happen
 * within the suite's waits; topics get random names per test.
 */
import { describe, it } from 'vitest';
import { kafkaAvailable, kafkaTransport } from '../kafka/broker.js';
import { transportConformance } from './suite.js';

const available = await kafkaAvailable();

if (available) {
  transportConformance('kafka', () => kafkaTransport(), { timeoutMs: 30_000, testTimeoutMs: 60_000, partitions: 4 });
} else {
  describe.skip('transport conformance: kafka', () => {
    it('needs a Kafka broker on loopback (scripts/kafka.sh start) or KAFKA_BROKERS', () => undefined);
  });
}
