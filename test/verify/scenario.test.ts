/**
 * Scenario files are checked against the contract before anything is sent: every problem
 * is a diagnostic at file:line:col (the key of the entry at fault, as the contract loader
 * places its diagnostics, from the same YAML reader with positions), and a good file loads into what the runner publishes and expects.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { formatDiagnostics } from '../../src/contract/diagnostics.js';
import { loadContracts } from '../../src/contract/load.js';
import { type RuntimeSystem, runtimeSystem } from '../../src/verify/descriptor.js';
import { fieldPointer, loadScenario, ScenarioError, schemaDeclares } from '../../src/verify/scenario.js';
import { contractDir } from '../helpers/contract-dir.js';

let chat: RuntimeSystem;
beforeAll(async () => {
  const loaded = await loadContracts(['asyncapi/chat.yaml'], { specValidation: false });
  chat = runtimeSystem(loaded.systems[0]!);
}, 60_000);

function problems(yaml: string): string[] {
  const dir = contractDir({ 's.yaml': yaml });
  try {
    loadScenario(join(dir, 's.yaml'), chat);
  } catch (err) {
    if (!(err instanceof ScenarioError)) throw err;
    return formatDiagnostics(err.diagnostics, 'text', dir).split('\n');
  }
  return [];
}

describe('loadScenario: errors at file:line:col before anything is sent', () => {
  it('a message the contract lacks, an unknown example, a field path the payload does not declare', () => {
    expect(
      problems(`publish:
  - message: UserCreated
    example: registred
  - message: UserDeleted
expect:
  - message: NotificationCreated
    where:
      data.type: welcome
      data.titel: Welcome
      /data/user_id/0: x
  - message: NotificationSent
`),
    ).toEqual([
      's.yaml:3:5 error scenario-example UserCreated has no example "registred" (examples: registered) (at /publish/0/example)',
      's.yaml:4:5 error scenario-message no message "UserDeleted" in chat (messages: UserCreated, ChatCreated, NotificationCreated) (at /publish/1/message)',
      's.yaml:9:7 error scenario-field NotificationCreated has no field data.titel (/data/titel) in its payload schema (at /expect/0/where/data.titel)',
      's.yaml:10:7 error scenario-field NotificationCreated has no field /data/user_id/0 (/data/user_id/0) in its payload schema (at /expect/0/where/~1data~1user_id~10)',
      's.yaml:11:5 error scenario-message no message "NotificationSent" in chat (messages: UserCreated, ChatCreated, NotificationCreated) (at /expect/1/message)',
    ]);
  });

  it('an inline payload that fails its schema: each violation at its place in the payload', () => {
    expect(
      problems(`publish:
  - message: UserCreated
    payload:
      data:
        user_id: not-a-uuid
        email: ada@example.com
        username: ""
expect: []
`),
    ).toEqual([
      's.yaml:4:7 error scenario-payload payload of UserCreated /data: missing required property "created_at" (at /publish/0/payload/data)',
      's.yaml:5:9 error scenario-payload payload of UserCreated /data/user_id: expected format "uuid", got string "not-a-uuid" (at /publish/0/payload/data/user_id)',
      's.yaml:7:9 error scenario-payload payload of UserCreated /data/username: expected at least 1 character, got string "" (at /publish/0/payload/data/username)',
    ]);
  });

  it('channels and operations that do not carry the message, unknown keys, bad values', () => {
    expect(
      problems(`name: x
within: -5
publish:
  - message: UserCreated
    channel: chatCreated
  - message: ChatCreated
    operation: sendUserCreated
  - message: ChatCreated
    exmple: hello
expect:
  - message: ChatCreated
    count: 0
    correlated: maybe
`),
    ).toEqual([
      's.yaml:2:1 error scenario-shape within must be a number of milliseconds > 0 (got -5) (at /within)',
      's.yaml:5:5 error scenario-channel channel chatCreated does not carry UserCreated (it carries ChatCreated) (at /publish/0/channel)',
      's.yaml:7:5 error scenario-channel operation sendUserCreated is on channel userCreated, which does not carry ChatCreated (at /publish/1/operation)',
      's.yaml:9:5 error scenario-shape unknown key "exmple" (expected: message, example, payload, channel, operation, headers, key, parameters) (at /publish/2/exmple)',
      's.yaml:12:5 error scenario-shape count must be a whole number >= 1 (got 0) (at /expect/0/count)',
      's.yaml:13:5 error scenario-shape correlated must be true or false (at /expect/0/correlated)',
    ]);
  });

  it('a file that is not YAML is a ContractError at its place', () => {
    const dir = contractDir({ 's.yaml': 'publish: [\n' });
    expect(() => loadScenario(join(dir, 's.yaml'), chat)).toThrow(/invalid YAML/);
  });
});

describe('loadScenario: a good file', () => {
  it('examples lose the envelope fields the runtime fills; expectations default to 10 s, one match, correlated', () => {
    const dir = contractDir({
      's.yaml': `name: welcome
publish:
  - message: UserCreated
    example: registered
expect:
  - message: NotificationCreated
    where: { data.type: welcome }
`,
    });
    const s = loadScenario(join(dir, 's.yaml'), chat);
    expect(s.name).toBe('welcome');
    expect(s.publish.map((p) => [p.messageId, p.channelId, p.payload])).toEqual([
      [
        'UserCreated',
        'userCreated',
        {
          event_type: 'UserCreated',
          data: { user_id: '8c9d0e1f-2a3b-4c4d-9e5f-6a7b8c9d0e1f', email: 'ada@example.com', username: 'ada', created_at: '2025-01-27T10:00:00Z' },
        },
      ],
    ]);
    expect(s.expect.map((e) => [e.messageId, e.withinMs, e.count, e.correlated, e.where])).toEqual([
      ['NotificationCreated', 10_000, 1, true, [{ pointer: '/data/type', path: 'data.type', value: 'welcome' }]],
    ]);
  });
});

describe('field paths', () => {
  it.each([
    ['data.user_id', '/data/user_id'],
    ['/data/user_id', '/data/user_id'],
    ['a~b.c/d', '/a~0b/c~1d'],
  ])('%s → %s', (path, pointer) => expect(fieldPointer(path)).toBe(pointer));

  it('schemaDeclares follows properties, items, allOf and oneOf branches', () => {
    const schema = {
      type: 'object',
      properties: { list: { type: 'array', items: { type: 'object', properties: { id: { type: 'string' } } } } },
      allOf: [{ properties: { extra: { type: 'string' } } }],
      oneOf: [{ properties: { a: { type: 'string' } } }, { properties: { b: { type: 'string' } } }],
    };
    expect(['/list/0/id', '/extra', '/a', '/b', '/list/x', '/c'].map((p) => schemaDeclares(schema, p))).toEqual([true, true, true, true, false, false]);
  });
});
