/**
 * The observer's checks on the memory transport with hand-made wire messages: schema
 * violations by instance path, undeclared types, the envelope rules (ids, headers,
 * causation and correlation chains, sequences), silent channels; and `runMock` answering
 * a request with a reply that carries the request's ids.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { SystemModel } from '../../src/contract/ir.js';
import { loadContracts } from '../../src/contract/load.js';
import { createClient, createMemoryTransport, textOf, type Transport } from '../../src/runtime/index.js';
import { runtimeSystem } from '../../src/verify/descriptor.js';
import { runMock } from '../../src/verify/mock.js';
import { startObserver } from '../../src/verify/observer.js';

let chat: SystemModel;
let skafu: SystemModel;
let workflows: SystemModel;
beforeAll(async () => {
  const loaded = await loadContracts(['asyncapi/chat.yaml', 'asyncapi/skafu.yaml', 'asyncapi/agent-workflows.yaml'], { specValidation: false });
  const find = (id: string): SystemModel => loaded.systems.find((s) => s.id === id)!;
  chat = find('chat');
  skafu = find('skafu');
  workflows = find('agent-workflows');
}, 60_000);

const user = (id: string, extra: Record<string, unknown> = {}) => ({
  event_id: id,
  event_type: 'UserCreated',
  timestamp: '2025-01-27T10:00:00Z',
  correlation_id: '7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d',
  data: { user_id: '8c9d0e1f-2a3b-4c4d-9e5f-6a7b8c9d0e1f', email: 'ada@example.com', username: 'ada', created_at: '2025-01-27T10:00:00Z' },
  ...extra,
});
const send = (t: Transport, address: string, payload: unknown, headers: Record<string, string> = {}) =>
  t.publish(address, [{ value: JSON.stringify(payload), headers }]);

describe('startObserver', () => {
  it('counts per channel, names instance paths, undeclared types, duplicate ids, header mismatches and broken chains', async () => {
    const t = createMemoryTransport();
    await t.connect();
    const obs = await startObserver({ system: chat, transport: t, fromBeginning: true, graceMs: 0 });
    const A = '11111111-1111-4111-8111-111111111111';
    await send(t, 'user.created', user(A));
    await send(t, 'user.created', user(A)); // duplicate id
    await send(
      t,
      'user.created',
      user('22222222-2222-4222-8222-222222222222', { data: { user_id: 'x', email: 'ada@example.com', username: 'ada', created_at: 'now' } }),
    );
    await send(t, 'user.created', { ...user('33333333-3333-4333-8333-333333333333'), event_type: 'ChatCreated' }); // another channel's type
    await t.publish('user.created', [{ value: '{not json', headers: {} }]);
    await send(t, 'user.created', user('44444444-4444-4444-8444-444444444444'), { 'evc-id': '55555555-5555-4555-8555-555555555555' });
    // A cause that was never seen, and one seen under another correlation id.
    await send(t, 'user.created', user('66666666-6666-4666-8666-666666666666', { causation_id: '99999999-9999-4999-8999-999999999999' }));
    await send(t, 'user.created', user('77777777-7777-4777-8777-777777777777', { causation_id: A, correlation_id: '0e1f2a3b-4c5d-4e6f-9a7b-8c9d0e1f2a3b' }));
    const r = await obs.stop();
    expect(obs.group).toMatch(/^evc-verify-[0-9a-f]{8}$/);
    const users = r.channels.find((c) => c.id === 'userCreated')!;
    expect([users.seen, users.valid, users.invalid, users.undeclared]).toEqual([8, 5, 2, 1]);
    expect(users.errors.map((e) => [e.kind, e.violations.map((v) => `${v.pointer || '/'}: ${v.text}`)])).toEqual([
      ['invalid', ['/data/user_id: expected format "uuid", got string "x"', '/data/created_at: expected format "date-time", got string "now"']],
      [
        'undeclared',
        [
          '/event_type: type "ChatCreated" is not declared on channel userCreated (declared: UserCreated); the contract declares it as ChatCreated on chatCreated',
        ],
      ],
      ['not-json', [`/: not valid JSON: Expected property name or '}' in JSON at position 1`]],
    ]);
    expect(r.envelope.violations.map((v) => `${v.rule}: ${v.text}`)).toEqual([
      'duplicate-id: event id 11111111-1111-4111-8111-111111111111 was seen before on userCreated',
      'header-mismatch: header evc-id is "55555555-5555-4555-8555-555555555555" but /event_id is "44444444-4444-4444-8444-444444444444"',
      "causation-unknown: causation id 99999999-9999-4999-8999-999999999999 names no event seen on the contract's channels",
      "correlation-chain: correlation id 0e1f2a3b-4c5d-4e6f-9a7b-8c9d0e1f2a3b differs from its cause 11111111-1111-4111-8111-111111111111's (7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d)",
    ]);
    expect(r.silent).toEqual(['chatCreated', 'notificationCreated']);
    expect(r.ok).toBe(false);
    await t.close();
  });

  it('sequences (skafu): per key and correlation they must increase, and pass their cause', async () => {
    const t = createMemoryTransport();
    await t.connect();
    const obs = await startObserver({ system: skafu, transport: t, fromBeginning: true, graceMs: 0 });
    const rt = runtimeSystem(skafu);
    const client = createClient(rt.descriptor, { transport: t, closeTransport: false, dedupe: false });
    const op = rt.operations.get('projectManagementSendProjectCreated')!;
    const payload = (seq: number, id: string) => ({
      eventId: id,
      sequenceNumber: seq,
      correlationId: 'req-1',
      source: 'project-management',
      eventVersion: '1.0',
      data: { projectId: '2f6c1a9e-4b3d-4e8a-9c1f-7d5e3b2a1c0d', name: 'orders-service', ownerId: 'user-123' },
    });
    await client.publish(op, payload(2, 'a0000000-0000-4000-8000-000000000001'), { key: 'k' });
    await client.publish(op, payload(2, 'a0000000-0000-4000-8000-000000000002'), { key: 'k' });
    await client.close();
    const r = await obs.stop();
    expect(r.totals).toEqual({ seen: 2, valid: 2, invalid: 0, undeclared: 0, envelopeViolations: 1 });
    expect(r.envelope.violations.map((v) => `${v.rule}: ${v.text}`)).toEqual([
      'sequence-order: sequence 2 after 2 on projectCreated (key k, correlation req-1): sequence numbers must increase',
    ]);
    await t.close();
  });
});

describe('runMock', () => {
  it("answers a request (agent-workflows a2a.request) with a valid reply carrying the request's request_id and correlation", async () => {
    const t = createMemoryTransport();
    await t.connect();
    const rt = runtimeSystem(workflows);
    const replies: Array<Record<string, unknown>> = [];
    await t.subscribe({ group: 'test', channels: ['events:a2a.response.coordinator'], handler: async (d) => void replies.push(JSON.parse(textOf(d.value))) });
    const controller = new AbortController();
    const done = runMock({ rt, transport: t, services: ['coordinator'], rate: 1, durationMs: 60_000, closeTransport: false, signal: controller.signal });
    const client = createClient(rt.descriptor, { transport: t, closeTransport: false, source: 'coordinator' });
    await new Promise((r) => setTimeout(r, 50));
    // A2A goes to the addressee's stream; the mock answers on the reply channel's first enumerated addressee.
    await client.publish(
      rt.operations.get('coordinatorSendA2ARequest')!,
      {
        workflow_id: 'wf-1',
        source_agent: 'coordinator',
        data: { request_id: '2dd5fc01-4796-4c6f-b9bc-b306989bac9e', to_agent: 'audit-agent', action: 'explain_file' },
      },
      { parameters: { to_agent: 'audit-agent' } },
    );
    for (let i = 0; i < 100 && replies.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    controller.abort();
    const report = await done;
    await client.close();
    expect(report.replies).toBe(1);
    expect(replies.map((r) => [r.workflow_id, (r.data as Record<string, unknown>).request_id, r.type])).toEqual([
      ['wf-1', '2dd5fc01-4796-4c6f-b9bc-b306989bac9e', 'a2a.response'],
    ]);
    expect(rt.messages.get('A2AResponse')!.validate(replies[0])).toBe(true);
    await t.close();
  });
});
