/**
 * The takeover and membership timings a receive operation may carry
 * (`x-evc-claim-idle-ms`, `x-evc-session-timeout-ms`, `x-evc-heartbeat-interval-ms`):
 * the IR keeps them, the generated operation descriptor carries them to the runtime, a
 * value that is not a positive whole number of milliseconds is one error at its place.
 */
import { describe, expect, it } from 'vitest';
import { loadContracts } from '../../src/contract/index.js';
import { planSystem } from '../../src/codegen/plan.js';
import { contractDir, demoContract } from '../helpers/contract-dir.js';

const operations = (extra: string) => `  publishUserCreated:
    action: send
    channel:
      $ref: '#/channels/userCreated'
  receiveUserCreated:
    action: receive
    channel:
      $ref: '#/channels/userCreated'
    x-evc-group: demo-service
${extra}`;

describe('x-evc timing extensions', () => {
  it('reach the IR and the generated operation descriptor', async () => {
    const dir = contractDir({
      'demo.yaml': demoContract({
        operations: operations('    x-evc-claim-idle-ms: 5000\n    x-evc-session-timeout-ms: 12000\n    x-evc-heartbeat-interval-ms: 1000'),
      }),
    });
    const r = await loadContracts([dir]);
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const op = r.systems[0]!.operations.find((o) => o.id === 'receiveUserCreated')!;
    expect([op.claimIdleMs, op.sessionTimeoutMs, op.heartbeatIntervalMs]).toEqual([5000, 12000, 1000]);
    const send = r.systems[0]!.operations.find((o) => o.id === 'publishUserCreated')!;
    expect([send.claimIdleMs, send.sessionTimeoutMs, send.heartbeatIntervalMs]).toEqual([undefined, undefined, undefined]);
    const files = await planSystem(r.systems[0]!, {
      runtimeImport: '@event-contracts/runtime',
      generator: { name: 'test', version: '0' },
      sources: ['demo.yaml'],
    });
    const client = files.find((f) => f.path === 'demo/client.ts')!.contents;
    expect(client).toContain('  group: "demo-service",\n  claimIdleMs: 5000,\n  sessionTimeoutMs: 12000,\n  heartbeatIntervalMs: 1000,\n};');
  });

  it.each([
    ['x-evc-claim-idle-ms: "5s"', 'x-evc-claim-idle-ms must be a positive whole number of milliseconds, got "5s"', 'x-evc-claim-idle-ms'],
    ['x-evc-session-timeout-ms: 0', 'x-evc-session-timeout-ms must be a positive whole number of milliseconds, got 0', 'x-evc-session-timeout-ms'],
    ['x-evc-heartbeat-interval-ms: 2.5', 'x-evc-heartbeat-interval-ms must be a positive whole number of milliseconds, got 2.5', 'x-evc-heartbeat-interval-ms'],
  ])('%s is one error at its place', async (line, message, name) => {
    const dir = contractDir({ 'demo.yaml': demoContract({ operations: operations(`    ${line}`) }) });
    const r = await loadContracts([dir]);
    const errors = r.diagnostics.filter((d) => d.severity === 'error').map((d) => ({ rule: d.rule, message: d.message, pointer: d.location.pointer }));
    expect(errors).toEqual([{ rule: 'evc-extension', message, pointer: `/operations/receiveUserCreated/${name}` }]);
  });
});
