import { createMemoryTransport } from '../../src/runtime/index.js';
import { transportConformance } from './suite.js';

transportConformance('memory', () => createMemoryTransport({ redeliveryDelayMs: 10 }), { timeoutMs: 10_000, testTimeoutMs: 20_000 });
