import { describe, it } from 'vitest';
import { createMemoryTransport } from '../../src/runtime/index.js';
import { postgresAvailable } from '../e2e/agent-workflows.postgres.js';
import { inboxConformance } from './inbox-suite.js';

if (await postgresAvailable()) {
  inboxConformance('memory', () => createMemoryTransport({ redeliveryDelayMs: 10 }), 10_000);
  inboxConformance('memory', () => createMemoryTransport({ redeliveryDelayMs: 10 }), 10_000, true);
} else describe.skip('postgres inbox on memory', () => it('needs PostgreSQL (DATABASE_URL)', () => undefined));
