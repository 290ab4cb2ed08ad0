/** agent-workflows end to end on the memory transport with the in-memory store (default suite). */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryTransport } from '../../src/runtime/index.js';
import { createMemoryWorkflowStore } from '../../src/flows/agent-workflows/workflow-store.js';
import { agentWorkflowScenarios } from './agent-workflows.scenarios.js';

agentWorkflowScenarios('memory', async () => ({
  transport: createMemoryTransport(),
  transportKind: 'memory',
  store: async () => createMemoryWorkflowStore(),
  workDir: mkdtempSync(join(tmpdir(), 'evc-aw-')),
}));
