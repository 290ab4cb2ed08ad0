import { textOf } from '../../src/runtime/bytes.js';
import { describe, expect, it } from 'vitest';
import { fromBinaryCloudEvent, fromCloudEvent, isDecodeError, toBinaryCloudEvent, toCloudEvent, type EnvelopeDescriptor } from '../../src/runtime/index.js';

const snake: EnvelopeDescriptor = {
  id: '/event_id',
  type: '/event_type',
  time: '/timestamp',
  correlationId: '/correlation_id',
  causationId: '/causation_id',
  sequence: '/sequence',
  data: '/data',
};
const agents: EnvelopeDescriptor = { id: '/id', type: '/type', correlationId: '/workflow_id' };

const skillCreated = {
  event_id: '6f1c1a52-6c9e-4f55-9d51-7d0c3e3c8a10',
  event_type: 'skill.created',
  timestamp: '2026-01-02T03:04:05.000Z',
  correlation_id: 'corr-1',
  causation_id: 'cause-1',
  sequence: 3,
  version: '1.0',
  data: { skill_id: 's1', name: 'x' },
};

describe('CloudEvents', () => {
  it('maps a snake_case envelope to a structured CloudEvent and back', () => {
    const ce = toCloudEvent(snake, skillCreated, { source: 'skill-service' });
    expect(ce).toEqual({
      specversion: '1.0',
      id: '6f1c1a52-6c9e-4f55-9d51-7d0c3e3c8a10',
      source: 'skill-service',
      type: 'skill.created',
      time: '2026-01-02T03:04:05.000Z',
      datacontenttype: 'application/json',
      correlationid: 'corr-1',
      causationid: 'cause-1',
      sequence: 3,
      evcextra: '{"version":"1.0"}',
      data: { skill_id: 's1', name: 'x' },
    });
    expect(fromCloudEvent(snake, ce)).toEqual(skillCreated);
  });

  it('puts the payload without envelope fields in data when the envelope has no data pointer', () => {
    const event = { id: 'e1', type: 'task.assigned', workflow_id: 'w1', source_agent: 'coordinator', task: { n: 1 } };
    const ce = toCloudEvent(agents, event, { source: 'agents' });
    expect(ce).toEqual({
      specversion: '1.0',
      id: 'e1',
      source: 'agents',
      type: 'task.assigned',
      datacontenttype: 'application/json',
      correlationid: 'w1',
      data: { source_agent: 'coordinator', task: { n: 1 } },
    });
    expect(fromCloudEvent(agents, ce)).toEqual(event);
  });

  it('round-trips through binary mode (ce- headers and a JSON body)', () => {
    const bin = toBinaryCloudEvent(toCloudEvent(snake, skillCreated, { source: 'skill-service' }));
    expect(bin.headers).toEqual({
      'ce-specversion': '1.0',
      'ce-id': '6f1c1a52-6c9e-4f55-9d51-7d0c3e3c8a10',
      'ce-source': 'skill-service',
      'ce-type': 'skill.created',
      'ce-time': '2026-01-02T03:04:05.000Z',
      'ce-correlationid': 'corr-1',
      'ce-causationid': 'cause-1',
      'ce-sequence': '3',
      'ce-evcextra': '{"version":"1.0"}',
      'content-type': 'application/json',
    });
    expect(textOf(bin.body)).toBe('{"skill_id":"s1","name":"x"}');
    expect(fromCloudEvent(snake, fromBinaryCloudEvent(bin.headers, bin.body))).toEqual(skillCreated);
    // The same body as text, as an in-memory delivery carries it.
    expect(fromCloudEvent(snake, fromBinaryCloudEvent(bin.headers, textOf(bin.body)))).toEqual(skillCreated);
  });

  it('refuses headers that are not a binary CloudEvent', () => {
    let error: unknown;
    try {
      fromBinaryCloudEvent({ 'ce-id': 'x' }, Buffer.from('{}'));
    } catch (e) {
      error = e;
    }
    expect(isDecodeError(error)).toBe(true);
    expect((error as Error).message).toBe('not a binary CloudEvent: ce-specversion 1.0, ce-id, ce-source and ce-type are required');
  });
});
