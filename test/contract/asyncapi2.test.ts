/**
 * AsyncAPI 2.0-2.6 read into the IR (src/contract/asyncapi2.ts): the same model as its
 * 3.0 rewrite, publish/subscribe seen from the application, 2.x trait merging, derived
 * names, and 1.x refused in one line.
 */
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { derivedNamesOf } from '../../src/contract/derived-names.js';
import { loadContract, type SystemModel } from '../../src/contract/index.js';
import { contractDir } from '../helpers/contract-dir.js';

const fixtures = resolve(import.meta.dirname, '../fixtures/asyncapi2');

async function load(file: string, specValidation = false): Promise<{ system: SystemModel; errors: string[] }> {
  const r = await loadContract(file, { specValidation });
  const errors = r.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.location.line}:${d.location.col} ${d.rule} ${d.message}`);
  if (!r.systems[0]) throw new Error(`not loaded: ${errors.join('\n')}`);
  return { system: r.systems[0], errors };
}

/** What generated code and diff see of a system, without places. */
function shape(s: SystemModel) {
  return {
    servers: s.servers.map((x) => [x.id, x.host, x.protocol, x.protocolVersion]),
    channels: s.channels.map((c) => ({
      id: c.id,
      address: c.address,
      messageIds: c.messageIds,
      parameters: c.parameters,
      kafka: c.kafka,
      bindings: c.bindings,
    })),
    messages: s.messages.map((m) => ({
      id: m.id,
      name: m.name,
      title: m.title,
      contentType: m.contentType,
      payload: m.payload,
      payloadTypeName: m.payloadTypeName,
      headers: m.headers,
      headersTypeName: m.headersTypeName,
      correlation: m.correlationIdLocation,
      kafkaKey: m.kafkaKey,
      examples: m.examples,
      channelIds: m.channelIds,
    })),
    operations: s.operations.map((o) => ({ id: o.id, action: o.action, channelId: o.channelId, messageIds: o.messageIds, group: o.group, summary: o.summary })),
    schemas: s.schemas,
  };
}

describe('AsyncAPI 2.x input', () => {
  it('the 2.6 fixture and its 3.0 rewrite give the same model', async () => {
    const v2 = await load(join(fixtures, 'v2/shop.yaml'), true);
    const v3 = await load(join(fixtures, 'v3/shop.yaml'), true);
    expect(v2.errors).toEqual([]);
    expect(v3.errors).toEqual([]);
    expect(shape(v2.system)).toEqual(shape(v3.system));
    expect(v2.system.asyncapi).toBe('2.6.0');
    expect(v2.system.id).toBe('shop');
  });

  it('subscribe is what the application sends, publish what it receives; places stay in the 2.x file', async () => {
    const { system } = await load(join(fixtures, 'v2/shop.yaml'));
    expect(system.operations.map((o) => [o.id, o.action, o.channelId, o.messageIds, o.group ?? null, o.location.pointer, o.location.line])).toEqual([
      ['sendOrderPlaced', 'send', 'orderPlaced', ['OrderPlaced'], null, '/channels/shop.orders.placed/subscribe', 28],
      ['receiveOrderPlaced', 'receive', 'orderPlaced', ['OrderPlaced'], 'billing', '/channels/shop.orders.placed/publish', 33],
      ['sendOrderStatus', 'send', 'orderStatus', ['OrderShipped', 'OrderCancelled'], null, '/channels/shop~1{region}~1orders~1{orderId}~1status/subscribe', 48],
    ]);
    expect(system.servers.map((s) => [s.id, s.host, s.protocol, s.location.line])).toEqual([['production', 'broker.example.internal:9092', 'kafka', 9]]);
    expect(system.channels[1]!.parameters).toEqual([
      { name: 'region', description: 'Where the order ships from.', enum: ['eu', 'us'], default: 'eu' },
      { name: 'orderId', description: 'The order.' },
    ]);
    expect(system.messages[0]!.location).toMatchObject({ pointer: '/components/messages/OrderPlaced', line: 100, col: 5 });
  });

  const doc = (channels: string, components = '') => `asyncapi: 2.4.0
info: {title: T, version: '1'}
channels:
${channels}
${components ? `components:\n${components}` : ''}`;

  it('2.x traits are merge-patched onto the object in order: the trait wins (3.0 reversed this)', async () => {
    const dir = contractDir({
      'd.yaml': doc(
        `  a:
    publish:
      traits:
        - {summary: from the trait, bindings: {kafka: {groupId: {type: string, enum: [g1]}}}}
        - operationId: fromSecondTrait
      summary: from the operation
      message:
        messageId: m1
        contentType: text/plain
        traits:
          - {contentType: application/json, headers: {type: object, properties: {h: {type: string}}}}
        payload: {type: string}`,
      ),
    });
    const { system, errors } = await load(join(dir, 'd.yaml'));
    expect(errors).toEqual([]);
    expect(system.operations.map((o) => [o.id, o.action, o.summary, o.group])).toEqual([['fromSecondTrait', 'receive', 'from the trait', 'g1']]);
    expect(system.messages.map((m) => [m.id, m.contentType, m.headers])).toEqual([
      ['m1', 'application/json', { type: 'object', properties: { h: { type: 'string' } } }],
    ]);
  });

  it('names a contract does not give are derived from messageId, name, operation and channel, and recorded', async () => {
    const dir = contractDir({
      'd.yaml': doc(
        `  user/signedup:
    subscribe:
      message:
        oneOf:
          - {name: UserSignedUp, payload: {type: string}}
          - {payload: {type: integer}}
          - {messageId: explicit, payload: {type: boolean}}
  user/left:
    x-parser-channel-id: ignored
    publish:
      operationId: onLeft
      message:
        x-parser-message-name: <anonymous-message-4>
        payload: {type: string}
  other:
    publish:
      message: {name: UserSignedUp, payload: {type: number}}`,
      ),
    });
    const { system, errors } = await load(join(dir, 'd.yaml'));
    expect(errors).toEqual([]);
    expect(system.channels.map((c) => [c.id, c.address, c.messageIds])).toEqual([
      ['user/signedup', 'user/signedup', ['UserSignedUp', 'sendUserSignedupMessage2', 'explicit']],
      ['user/left', 'user/left', ['onLeftMessage']],
      ['other', 'other', ['UserSignedUp2']],
    ]);
    expect(system.operations.map((o) => [o.id, o.action])).toEqual([
      ['sendUserSignedup', 'send'],
      ['onLeft', 'receive'],
      ['receiveOther', 'receive'],
    ]);
    expect(system.messages.map((m) => [m.id, m.name, m.payloadTypeName])).toEqual([
      ['UserSignedUp', 'UserSignedUp', 'UserSignedUpPayload'],
      ['sendUserSignedupMessage2', 'sendUserSignedupMessage2', 'SendUserSignedupMessage2Payload'],
      ['explicit', 'explicit', 'ExplicitPayload'],
      ['onLeftMessage', 'onLeftMessage', 'OnLeftMessagePayload'],
      ['UserSignedUp2', 'UserSignedUp', 'UserSignedUp2Payload'],
    ]);
    expect(derivedNamesOf(system).map((d) => [d.kind, d.name, d.pointer, d.from])).toEqual([
      [
        'operation',
        'sendUserSignedup',
        '/channels/user~1signedup/subscribe',
        'from the channel ("user/signedup") and the action (subscribe in 2.x: the application sends)',
      ],
      ['message', 'UserSignedUp', '/channels/user~1signedup/subscribe/message/oneOf/0', 'from its name (no messageId)'],
      [
        'message',
        'sendUserSignedupMessage2',
        '/channels/user~1signedup/subscribe/message/oneOf/1',
        'from its operation ("sendUserSignedup"): it has no messageId or name',
      ],
      ['message', 'onLeftMessage', '/channels/user~1left/publish/message', 'from its operation ("onLeft"): it has no messageId or name'],
      ['operation', 'receiveOther', '/channels/other/publish', 'from the channel ("other") and the action (publish in 2.x: the application receives)'],
      ['message', 'UserSignedUp2', '/channels/other/publish/message', 'from its name (no messageId), numbered: "UserSignedUp" names another message'],
    ]);
    // x-parser-* keys are gone from the model's document.
    expect(JSON.stringify(system.document)).not.toMatch(/x-parser-/);
  });

  it('a non-JSON-Schema schemaFormat becomes a 3.x multi-format payload; JSON Schema formats stay plain', async () => {
    const dir = contractDir({
      'd.yaml': doc(`  a:
    subscribe:
      message:
        messageId: plain
        schemaFormat: application/schema+json;version=draft-07
        payload: {type: string}`),
    });
    const { system, errors } = await load(join(dir, 'd.yaml'));
    expect(errors).toEqual([]);
    expect(system.messages[0]!.payload).toEqual({ type: 'string' });
  });

  it('servers: url splits into host and pathname', async () => {
    const dir = contractDir({
      'd.yaml': `asyncapi: 2.0.0
info: {title: T, version: '1'}
servers:
  mqtt: {url: 'mqtt://test.mosquitto.org:{port}/base', protocol: mqtt, variables: {port: {default: '1883'}}}
  bare: {url: 'localhost:9092', protocol: kafka}
channels: {}
`,
    });
    const { system } = await load(join(dir, 'd.yaml'));
    expect(system.servers.map((s) => [s.id, s.host, s.protocol])).toEqual([
      ['mqtt', 'test.mosquitto.org:{port}', 'mqtt'],
      ['bare', 'localhost:9092', 'kafka'],
    ]);
    expect((system.document.servers as Record<string, Record<string, unknown>>).mqtt!.pathname).toBe('/base');
  });

  it.each([
    ['1.2.0', 'asyncapi-version', 'AsyncAPI 1.x is not supported; convert it to 2.x or 3.x'],
    ['2.7.0', 'asyncapi-version', 'unsupported AsyncAPI version "2.7.0": expected 3.x.x or 2.0.0-2.6.0'],
  ])('asyncapi: %s is one line at 1:1', async (version, rule, message) => {
    const dir = contractDir({ 'd.yaml': `asyncapi: '${version}'\ninfo: {title: x, version: '1'}\ntopics: {}\n` });
    const r = await loadContract(join(dir, 'd.yaml'));
    expect(r.systems).toEqual([]);
    expect(r.diagnostics.map((d) => [d.location.line, d.location.col, d.severity, d.rule, d.message])).toEqual([[1, 1, 'error', rule, message]]);
  });
});
