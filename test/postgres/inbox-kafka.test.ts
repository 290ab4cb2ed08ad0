import { describe, it } from 'vitest';
import { kafkaAvailable, kafkaTransport } from '../kafka/broker.js';
import { postgresAvailable } from '../e2e/agent-workflows.postgres.js';
import { inboxConformance } from './inbox-suite.js';

if ((await postgresAvailable()) && (await kafkaAvailable())) {
  inboxConformance('kafka', () => kafkaTransport(), 30_000);
  inboxConformance('kafka', () => kafkaTransport(), 30_000, true);
} else describe.skip('postgres inbox on kafka', () => it('needs PostgreSQL (DATABASE_URL) and Kafka (scripts/kafka.sh start)', () => undefined));
