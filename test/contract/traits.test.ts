/**
 * AsyncAPI 3 traits (Message Trait Objects, Operation Trait Objects): merged into their
 * target with JSON Merge Patch in the order listed, the target's own values winning
 * (spec, "Traits Merge Mechanism"). Every reader of the IR sees the merged object.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadContract, type LoadOptions } from '../../src/contract/index.js';
import { buildSystemDocs } from '../../src/docs/index.js';
import { lintSystem } from '../../src/lint/index.js';
import { contractDir } from '../helpers/contract-dir.js';

/**
 * A contract with one channel, one message (`UserCreated`) and one receive operation.
 * `message` and `operation` are the YAML lines under them (6 and 4 spaces in);
 * `components` more entries under components (2 spaces in). With a one-line `operation`,
 * the message is on line 24 and `message` starts on line 30.
 */
function contract(parts: { message?: string; operation?: string; components?: string }): string {
  return `asyncapi: 3.0.0
info:
  title: Demo
  version: 1.0.0
defaultContentType: application/json
servers:
  local:
    host: 127.0.0.1:9092
    protocol: kafka
channels:
  userCreated:
    address: user.created
    messages:
      UserCreated:
        $ref: '#/components/messages/UserCreated'
operations:
  receiveUserCreated:
    action: receive
    channel:
      $ref: '#/channels/userCreated'
${parts.operation ?? `    x-evc-group: demo-service`}
components:
  messages:
    UserCreated:
      payload:
        type: object
        additionalProperties: false
        properties:
          user_id: {type: string}
${parts.message ?? ''}
${parts.components ?? ''}`;
}

async function load(files: Record<string, string>, options: LoadOptions = {}) {
  const dir = contractDir(files);
  const r = await loadContract(join(dir, 'demo.yaml'), options);
  return { dir, ...r };
}

const errorsOf = (r: { dir: string; diagnostics: Awaited<ReturnType<typeof loadContract>>['diagnostics'] }) =>
  r.diagnostics
    .filter((d) => d.severity === 'error')
    .map((d) => `${d.location.file.slice(r.dir.length + 1)}:${d.location.line}:${d.location.col} ${d.rule} ${d.message}`);

async function loadOk(files: Record<string, string>) {
  const r = await load(files);
  expect(errorsOf(r)).toEqual([]);
  return { dir: r.dir, system: r.systems[0]!, message: r.systems[0]!.messages[0]!, operation: r.systems[0]!.operations[0]! };
}

const commonTrait = `  messageTraits:
    Common:
      contentType: application/cloudevents+json
      x-evc-key: $message.payload#/user_id
      correlationId:
        location: $message.header#/trace_id
      headers:
        type: object
        additionalProperties: false
        required: [trace_id]
        properties:
          trace_id: {type: string, minLength: 1}
      bindings:
        kafka:
          key: {type: string, format: uuid}
          bindingVersion: 0.5.0`;

describe('message traits', () => {
  it('a trait adds headers, a Kafka key binding, content type, correlation id and key to the IR message', async () => {
    const { message } = await loadOk({
      'demo.yaml': contract({ message: `      traits:\n        - $ref: '#/components/messageTraits/Common'`, components: commonTrait }),
    });
    expect(message.headers).toEqual({
      type: 'object',
      additionalProperties: false,
      required: ['trace_id'],
      properties: { trace_id: { type: 'string', minLength: 1 } },
    });
    expect(message.kafkaKey).toEqual({ type: 'string', format: 'uuid' });
    expect(message.bindings).toEqual({ kafka: { key: { type: 'string', format: 'uuid' }, bindingVersion: '0.5.0' } });
    expect(message.contentType).toBe('application/cloudevents+json');
    expect(message.correlationIdLocation).toBe('$message.header#/trace_id');
    expect(message.keyLocation).toBe('$message.payload#/user_id');
    // The payload is the message's own.
    expect(message.payload).toEqual({ type: 'object', additionalProperties: false, properties: { user_id: { type: 'string' } } });
  });

  it("the message's own value wins over the trait's, at every depth; arrays are taken whole", async () => {
    const { message } = await loadOk({
      'demo.yaml': contract({
        message: `      description: Own description.
      contentType: application/json
      headers:
        type: object
        required: [tenant]
        properties:
          tenant: {type: string}
          trace_id: {type: string, maxLength: 64}
      bindings:
        kafka:
          key: {type: integer}
      traits:
        - $ref: '#/components/messageTraits/Common'
        - description: Trait description.
          summary: Trait summary.`,
        components: commonTrait,
      }),
    });
    expect(message.description).toBe('Own description.');
    expect(message.summary).toBe('Trait summary.');
    expect(message.contentType).toBe('application/json');
    // Nested objects merge key by key: the trait's additionalProperties and header
    // stay, the message's trace_id schema replaces the trait's (its keys win, the
    // trait's other keys of that schema stay), and its `required` list replaces the trait's.
    expect(message.headers).toEqual({
      type: 'object',
      additionalProperties: false,
      required: ['tenant'],
      properties: { trace_id: { type: 'string', minLength: 1, maxLength: 64 }, tenant: { type: 'string' } },
    });
    // A schema set on both sides is merged too (JSON Merge Patch recurses): the
    // message's `type` wins, the trait's `format` stays.
    expect(message.kafkaKey).toEqual({ type: 'integer', format: 'uuid' });
    expect(message.bindings).toEqual({ kafka: { key: { type: 'integer', format: 'uuid' }, bindingVersion: '0.5.0' } });
  });

  it('traits apply in the order listed: a later trait overrides an earlier one, both add what the other lacks', async () => {
    const { message } = await loadOk({
      'demo.yaml': contract({
        message: `      traits:
        - summary: First.
          title: First title.
          headers:
            type: object
            properties:
              a: {type: string}
        - summary: Second.
          headers:
            properties:
              b: {type: integer}`,
      }),
    });
    expect(message.summary).toBe('Second.');
    expect(message.title).toBe('First title.');
    expect(message.headers).toEqual({ type: 'object', properties: { a: { type: 'string' }, b: { type: 'integer' } } });
    // Swapped, the other trait wins.
    const swapped = await loadOk({
      'demo.yaml': contract({ message: `      traits:\n        - summary: Second.\n        - summary: First.` }),
    });
    expect(swapped.message.summary).toBe('First.');
  });

  it('a null on the message removes what a trait set (RFC 7386)', async () => {
    const { message } = await loadOk({
      'demo.yaml': contract({
        message: `      x-evc-key: null
      traits:
        - x-evc-key: $message.payload#/user_id
          title: Kept.`,
      }),
    });
    expect(message.keyLocation).toBeUndefined();
    expect(message.title).toBe('Kept.');
  });

  it('a trait from components/messageTraits and one from another file of the folder; places stay in their files', async () => {
    const { system, message } = await loadOk({
      'demo.yaml': contract({
        message: `      traits:
        - $ref: '#/components/messageTraits/Common'
        - $ref: './shared/traits.yaml#/Versioned'`,
        components: commonTrait,
      }),
      'shared/traits.yaml': `Versioned:
  summary: Versioned.
  headers:
    properties:
      version:
        type: integer
        minimum: 1
`,
    });
    expect(message.summary).toBe('Versioned.');
    expect(message.contentType).toBe('application/cloudevents+json');
    expect(message.headers!.properties).toEqual({ trace_id: { type: 'string', minLength: 1 }, version: { type: 'integer', minimum: 1 } });
    expect(message.headers!.required).toEqual(['trace_id']);
    const props = message.headers!.properties as Record<string, object>;
    // A node a trait wrote is located in the trait's file...
    expect(system.locateNode(props.version!)).toMatchObject({
      file: expect.stringMatching(/\/shared\/traits\.yaml$/),
      pointer: '/Versioned/headers/properties/version',
      line: 5,
      col: 7,
    });
    expect(system.locateNode(props.trace_id!)).toMatchObject({ pointer: '/components/messageTraits/Common/headers/properties/trace_id', line: 44, col: 11 });
    // ...and the message where the message is written.
    expect(message.location).toMatchObject({ pointer: '/components/messages/UserCreated', line: 24, col: 5 });
  });

  it('a schema only a trait sets is taken as it is: a $ref to a schema component keeps its name', async () => {
    const { message } = await loadOk({
      'demo.yaml': contract({
        message: `      traits:
        - headers:
            $ref: '#/components/schemas/TraceHeaders'`,
        components: `  schemas:
    TraceHeaders:
      type: object
      properties:
        trace_id: {type: string}`,
      }),
    });
    expect(message.headersTypeName).toBe('TraceHeaders');
    expect(message.headers).toEqual({ type: 'object', properties: { trace_id: { type: 'string' } }, 'x-evc-name': 'TraceHeaders' });
  });

  it('examples are checked against headers a trait declared (lint reads the merged message)', async () => {
    const { system } = await loadOk({
      'demo.yaml': contract({
        message: `      examples:
        - name: no-trace
          headers: {}
          payload: {user_id: u-1}
      traits:
        - $ref: '#/components/messageTraits/Common'`,
        components: commonTrait,
      }),
    });
    const found = lintSystem(system, ['example-valid']).map((d) => `${d.location.line}:${d.location.col} ${d.rule} ${d.message}`);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^32:11 example-valid .*trace_id/);
  });

  it('docs show the header fields and summary a trait gave', async () => {
    const { system } = await loadOk({
      'demo.yaml': contract({
        message: `      traits:\n        - $ref: '#/components/messageTraits/Common'\n        - summary: From a trait.`,
        components: commonTrait,
      }),
    });
    const doc = buildSystemDocs(system).messages[0]!;
    expect(doc.summary).toBe('From a trait.');
    expect(doc.contentType).toBe('application/cloudevents+json');
    expect(doc.keyLocation).toBe('$message.payload#/user_id');
    expect(doc.headers.map((f) => [f.path, f.type, f.required])).toEqual([['trace_id', 'string', true]]);
  });
});

describe('operation traits', () => {
  it('a trait sets bindings (the Kafka consumer group) and description; the operation keeps its own', async () => {
    const { system, operation } = await loadOk({
      'demo.yaml': contract({
        operation: `    summary: Own summary.
    traits:
      - $ref: '#/components/operationTraits/DemoConsumer'`,
        components: `  operationTraits:
    DemoConsumer:
      summary: Trait summary.
      description: Consumes user events.
      bindings:
        kafka:
          groupId: {type: string, const: demo-service}
          bindingVersion: 0.5.0`,
      }),
    });
    expect(operation.group).toBe('demo-service');
    expect(operation.bindings).toEqual({ kafka: { groupId: { type: 'string', const: 'demo-service' }, bindingVersion: '0.5.0' } });
    expect(operation.description).toBe('Consumes user events.');
    expect(operation.summary).toBe('Own summary.');
    expect(operation.channelId).toBe('userCreated');
    expect(operation.location).toMatchObject({ pointer: '/operations/receiveUserCreated', line: 17, col: 3 });
    // The Kafka group rule sees the group the trait gave.
    expect(lintSystem(system, ['kafka-receive-group'])).toEqual([]);
  });

  it("the operation's own group binding wins over the trait's", async () => {
    const { operation } = await loadOk({
      'demo.yaml': contract({
        operation: `    bindings:
      kafka:
        groupId: {type: string, const: own-group}
    traits:
      - bindings:
          kafka:
            groupId: {type: string, const: trait-group}
            bindingVersion: 0.5.0`,
      }),
    });
    expect(operation.group).toBe('own-group');
    expect(operation.bindings).toEqual({ kafka: { groupId: { type: 'string', const: 'own-group' }, bindingVersion: '0.5.0' } });
  });
});

describe('traits: errors at their place', () => {
  it('`payload` in a message trait is an error at file:line:col, and is not merged', async () => {
    const files = {
      'demo.yaml': contract({ message: `      traits:\n        - $ref: './shared/traits.yaml#/WithPayload'` }),
      'shared/traits.yaml': `WithPayload:
  summary: Has a payload.
  payload:
    type: string
`,
    };
    const want = [
      'shared/traits.yaml:3:3 trait-field a message trait may not set `payload` (an AsyncAPI 3 Message Trait Object may hold any field of the message except payload and traits); set it on the message itself',
    ];
    const r = await load(files, { specValidation: false });
    expect(errorsOf(r)).toEqual(want);
    expect(r.systems[0]!.messages[0]!.payload).toEqual({ type: 'object', additionalProperties: false, properties: { user_id: { type: 'string' } } });
    expect(r.systems[0]!.messages[0]!.summary).toBe('Has a payload.');
    // With the AsyncAPI parser's validation on, ours is still there (beside the parser's own finding).
    expect(errorsOf(await load(files))).toEqual(expect.arrayContaining(want));
  });

  it('a trait shared by two messages is reported once', async () => {
    const r = await load(
      {
        'demo.yaml': contract({
          message: `      traits:
        - $ref: '#/components/messageTraits/Bad'
    Other:
      payload: {type: string}
      traits:
        - $ref: '#/components/messageTraits/Bad'`,
          components: `  messageTraits:
    Bad:
      payload: {type: integer}`,
        }),
      },
      { specValidation: false },
    );
    expect(errorsOf(r).map((e) => e.split(' ').slice(0, 2).join(' '))).toEqual(['demo.yaml:38:7 trait-field']);
  });

  it('an operation trait may not set action or channel', async () => {
    const r = await load(
      { 'demo.yaml': contract({ operation: `    x-evc-group: g\n    traits:\n      - action: send\n        description: x` }) },
      { specValidation: false },
    );
    expect(errorsOf(r)).toEqual([
      'demo.yaml:23:9 trait-field an operation trait may not set `action` (an AsyncAPI 3 Operation Trait Object may hold any field of the operation except action, channel, messages, reply and traits); set it on the operation itself',
    ]);
    expect(r.systems[0]!.operations[0]!.action).toBe('receive');
  });

  it('`traits` that is not a list is an error at its place', async () => {
    const r = await load({ 'demo.yaml': contract({ message: `      traits:\n        summary: not a list` }) }, { specValidation: false });
    expect(errorsOf(r)).toEqual(['demo.yaml:30:7 trait-invalid `traits` of a message must be a list of Message Trait Objects (or $refs to them)']);
  });

  it('a $ref in a trait that leaves the contract folder is refused like any other', async () => {
    const r = await load({
      'demo.yaml': contract({
        message: `      traits:\n        - $ref: '#/components/messageTraits/Sneaky'`,
        components: `  messageTraits:\n    Sneaky:\n      headers:\n        $ref: '../../../etc/passwd'`,
      }),
    });
    expect(r.systems).toEqual([]);
    expect(errorsOf(r)).toEqual([
      expect.stringMatching(/^demo\.yaml:35:9 ref-outside-root \$ref reaches outside the contract root: \/etc\/passwd is not inside /),
    ]);
  });

  it('a trait $ref to another file that leaves the folder is refused', async () => {
    const r = await load({ 'demo.yaml': contract({ message: `      traits:\n        - $ref: '../outside-traits.yaml#/T'` }) });
    expect(r.systems).toEqual([]);
    expect(errorsOf(r)).toEqual([
      expect.stringMatching(/^demo\.yaml:31:11 ref-outside-root \$ref reaches outside the contract root: .*outside-traits\.yaml is not inside /),
    ]);
  });
});
