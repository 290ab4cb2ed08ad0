import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadContract, loadContracts } from '../../src/contract/index.js';
import { contractDir, demoContract } from '../helpers/contract-dir.js';

const errorsOf = (r: Awaited<ReturnType<typeof loadContracts>>) =>
  r.diagnostics
    .filter((d) => d.severity === 'error')
    .map((d) => ({ rule: d.rule, message: d.message, line: d.location.line, col: d.location.col, pointer: d.location.pointer }));

describe('loader: the IR', () => {
  it('builds systems, channels, messages and operations from a valid contract', async () => {
    const dir = contractDir({ 'demo.yaml': demoContract() });
    const r = await loadContracts([dir]);
    expect(errorsOf(r)).toEqual([]);
    const [s] = r.systems;
    expect(s!.id).toBe('demo');
    expect(s!.envelope).toEqual({ id: '/event_id', type: '/event_type' });
    expect(s!.channels.map((c) => [c.id, c.address, c.messageIds, c.deadLetter])).toEqual([
      ['userCreated', 'user.created', ['UserCreated'], 'user.created.dlq'],
    ]);
    expect(s!.messages.map((m) => [m.id, m.payloadTypeName, m.payloadNameIsStable, m.eventType, m.channelIds])).toEqual([
      ['UserCreated', 'UserCreatedEvent', true, 'user.created', ['userCreated']],
    ]);
    expect(s!.operations.map((o) => [o.id, o.action, o.channelId, o.messageIds, o.group ?? null])).toEqual([
      ['publishUserCreated', 'send', 'userCreated', ['UserCreated'], null],
      ['receiveUserCreated', 'receive', 'userCreated', ['UserCreated'], 'demo-service'],
    ]);
    // Locations point at the definition, 1-based.
    expect(s!.messages[0]!.location).toMatchObject({ pointer: '/components/messages/UserCreated', line: 38, col: 5 });
  });

  it('resolves $refs across files inside the folder and keeps component names', async () => {
    const dir = contractDir({
      'demo.yaml': demoContract({
        components: `  messages:
    UserCreated:
      payload:
        $ref: './shared/schemas.yaml#/components/schemas/UserCreatedEvent'`,
      }),
      'shared/schemas.yaml': `components:
  schemas:
    Uuid:
      type: string
      format: uuid
    UserCreatedEvent:
      type: object
      additionalProperties: false
      properties:
        event_id:
          $ref: '#/components/schemas/Uuid'
        event_type:
          type: string
          const: user.created
`,
    });
    const r = await loadContracts([dir]);
    expect(errorsOf(r)).toEqual([]);
    const m = r.systems[0]!.messages[0]!;
    expect(m.payloadTypeName).toBe('UserCreatedEvent');
    expect(m.payload).toEqual({
      type: 'object',
      additionalProperties: false,
      properties: { event_id: { type: 'string', format: 'uuid', 'x-evc-name': 'Uuid' }, event_type: { type: 'string', const: 'user.created' } },
      'x-evc-name': 'UserCreatedEvent',
    });
    expect(r.systems[0]!.files.map((f) => f.slice(dir.length))).toEqual(['/demo.yaml', '/shared/schemas.yaml']);
  });

  it('follows $refs met on the way of a pointer: #/channels/echo/messages/echo where the channel and the message are $refs', async () => {
    const dir = contractDir({
      'echo.yaml': `asyncapi: 3.0.0
info: {title: Echo, version: 1.0.0}
channels:
  echo:
    $ref: './common/channels.yaml#/channels/echo'
operations:
  sendEcho:
    action: send
    channel: {$ref: '#/channels/echo'}
    messages:
      - $ref: '#/channels/echo/messages/echo'
  onTick:
    action: receive
    channel: {$ref: '#/channels/echo'}
    messages:
      - $ref: '#/channels/echo/messages/tick'
`,
      'common/channels.yaml': `channels:
  echo:
    address: /
    messages:
      echo: {$ref: './messages.yaml#/messages/echo'}
      tick: {$ref: './messages.yaml#/messages/tick'}
`,
      'common/messages.yaml': `messages:
  echo:
    payload: {title: Echo, type: string}
  tick:
    payload: {title: Tick, type: integer}
`,
    });
    const r = await loadContract(join(dir, 'echo.yaml'));
    expect(errorsOf(r)).toEqual([]);
    const s = r.systems[0]!;
    expect(s.channels.map((c) => [c.id, c.messageIds])).toEqual([['echo', ['echo.echo', 'echo.tick']]]);
    expect(s.operations.map((o) => [o.id, o.messageIds])).toEqual([
      ['sendEcho', ['echo.echo']],
      ['onTick', ['echo.tick']],
    ]);
    expect(s.messages.map((m) => m.payloadTypeName)).toEqual(['Echo', 'Tick']);
  });

  it('only loads root documents from a folder, not shared/ subfolders', async () => {
    const dir = contractDir({ 'a.yaml': demoContract(), 'b.yml': demoContract(), 'shared/c.yaml': 'components: {}\n', 'notes.txt': 'x' });
    const r = await loadContracts([dir]);
    expect(r.systems.map((s) => s.id)).toEqual(['a', 'b']);
  });
});

describe('loader: bad input gives one clear error with the place', () => {
  const cases: [string, { files: Record<string, string>; entry?: string; want: { rule: string; message: RegExp; line: number; col: number } }][] = [
    ['missing file', { files: {}, entry: 'nope.yaml', want: { rule: 'file-unreadable', message: /^file not found: .*nope\.yaml$/, line: 0, col: 0 } }],
    [
      'YAML syntax error',
      {
        files: { 'demo.yaml': 'asyncapi: 3.0.0\ninfo:\n  title: x\n version: 1\n' },
        want: { rule: 'yaml-syntax', message: /^invalid YAML: All mapping items must start at the same column$/, line: 4, col: 1 },
      },
    ],
    [
      'duplicate key',
      {
        files: { 'demo.yaml': 'asyncapi: 3.0.0\nasyncapi: 3.0.0\n' },
        want: { rule: 'yaml-syntax', message: /^invalid YAML: Map keys must be unique/, line: 2, col: 1 },
      },
    ],
    [
      '$ref to a missing file',
      {
        files: { 'demo.yaml': demoContract({ components: `  messages:\n    UserCreated:\n      payload:\n        $ref: './gone.yaml#/X'` }) },
        want: { rule: 'ref-not-found', message: /^\$ref points at a missing file: .*gone\.yaml$/, line: 40, col: 9 },
      },
    ],
    [
      '$ref to a missing pointer',
      {
        files: { 'demo.yaml': demoContract({ components: `  messages:\n    UserCreated:\n      payload:\n        $ref: '#/components/schemas/Nope'` }) },
        want: { rule: 'ref-not-found', message: /^\$ref "#\/components\/schemas\/Nope" points at nothing/, line: 40, col: 9 },
      },
    ],
    [
      '$ref whose pointer goes round through $refs for ever',
      {
        files: {
          'demo.yaml': demoContract({
            components: `  messages:\n    UserCreated:\n      payload:\n        $ref: '#/components/schemas/Loop/items'\n  schemas:\n    Loop:\n      $ref: '#/components/schemas/Loop/items'`,
          }),
        },
        want: { rule: 'ref-cycle', message: /^\$ref's pointer passes through more than 64 \$refs on its way \(a cycle\?\)/, line: 40, col: 9 },
      },
    ],
    [
      '$ref outside the contract root',
      {
        files: { 'demo.yaml': demoContract({ components: `  messages:\n    UserCreated:\n      payload:\n        $ref: '../../../etc/passwd'` }) },
        want: { rule: 'ref-outside-root', message: /^\$ref reaches outside the contract root: \/etc\/passwd is not inside /, line: 40, col: 9 },
      },
    ],
    [
      'http $ref without the flag',
      {
        files: { 'demo.yaml': demoContract({ components: `  messages:\n    UserCreated:\n      payload:\n        $ref: 'https://example.com/schema.yaml'` }) },
        want: { rule: 'ref-remote-disabled', message: /remote references are off \(pass --allow-remote/, line: 40, col: 9 },
      },
    ],
    [
      'AsyncAPI 1 document',
      {
        files: { 'demo.yaml': 'asyncapi: 1.2.0\ninfo: {title: x, version: "1"}\ntopics: {}\n' },
        want: { rule: 'asyncapi-version', message: /^AsyncAPI 1\.x is not supported; convert it to 2\.x or 3\.x$/, line: 1, col: 1 },
      },
    ],
    [
      'OpenAPI document',
      {
        files: { 'demo.yaml': 'openapi: 3.1.0\ninfo: {title: x, version: "1"}\n' },
        want: { rule: 'not-asyncapi', message: /^not an AsyncAPI document \(this is an OpenAPI document\)/, line: 1, col: 1 },
      },
    ],
    [
      'not a mapping',
      { files: { 'demo.yaml': '- a\n- b\n' }, want: { rule: 'not-asyncapi', message: /^not an AsyncAPI document: expected a mapping/, line: 1, col: 1 } },
    ],
  ];
  it.each(cases)('%s', async (_name, { files, entry, want }) => {
    const dir = contractDir(files);
    const r = await loadContract(join(dir, entry ?? 'demo.yaml'), { root: dir });
    expect(r.systems).toEqual([]);
    const errors = errorsOf(r);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ rule: want.rule, line: want.line, col: want.col });
    expect(errors[0]!.message).toMatch(want.message);
  });

  it('fetches a remote $ref only with allowRemote, through the given fetcher', async () => {
    const dir = contractDir({
      'demo.yaml': demoContract({
        components: `  messages:\n    UserCreated:\n      payload:\n        $ref: 'http://127.0.0.1:1/schemas.yaml#/UserCreatedEvent'`,
      }),
    });
    const fetched: string[] = [];
    const r = await loadContract(join(dir, 'demo.yaml'), {
      allowRemote: true,
      fetchText: async (url) => {
        fetched.push(url);
        return 'UserCreatedEvent:\n  title: UserCreatedEvent\n  type: object\n  additionalProperties: true\n  properties:\n    event_type: {type: string, const: user.created}\n';
      },
    });
    expect(fetched).toEqual(['http://127.0.0.1:1/schemas.yaml']);
    expect(r.systems[0]!.messages[0]!.payloadTypeName).toBe('UserCreatedEvent');
  });

  it('maps AsyncAPI spec errors to the line in the file that holds them', async () => {
    const dir = contractDir({ 'demo.yaml': demoContract().replace('        user_id:\n          type: string', '        user_id:\n          type: strin') });
    const r = await loadContracts([dir]);
    expect(errorsOf(r).map((e) => [e.rule, e.line, e.col, e.pointer])).toEqual([
      ['asyncapi/asyncapi-document-resolved', 60, 11, '/components/schemas/UserCreatedEvent/properties/user_id/type'],
    ]);
  });
});

describe('loader: instance data is data', () => {
  it('a $ref inside const, default, enum or an example is kept as text, not followed', async () => {
    const dir = contractDir({
      'notes.yaml': 'secret: INROOT-SECRET\n',
      'demo.yaml': demoContract({
        components: `  messages:
    UserCreated:
      payload:
        $ref: '#/components/schemas/UserCreatedEvent'
      examples:
        - name: remote-looking
          payload:
            event_id: 3f1c6a52-5c1e-4d8e-9a57-1d2b8f0f6a11
            event_type: user.created
            note: {$ref: 'https://example.com/x.json'}
  schemas:
    UserCreatedEvent:
      type: object
      additionalProperties: false
      required: [event_id, event_type]
      properties:
        event_id: {type: string, format: uuid}
        event_type: {type: string, const: user.created}
        note:
          type: object
          additionalProperties: true
          default: {$ref: './notes.yaml'}
        pinned:
          const: {$ref: './notes.yaml'}`,
      }),
    });
    const r = await loadContract(join(dir, 'demo.yaml'));
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const m = r.systems[0]!.messages[0]!;
    const props = m.payload.properties as Record<string, Record<string, unknown>>;
    expect(props.note!.default).toEqual({ $ref: './notes.yaml' });
    expect(props.pinned!.const).toEqual({ $ref: './notes.yaml' });
    expect(m.examples[0]!.payload).toEqual({
      event_id: '3f1c6a52-5c1e-4d8e-9a57-1d2b8f0f6a11',
      event_type: 'user.created',
      note: { $ref: 'https://example.com/x.json' },
    });
    expect(r.systems[0]!.files.map((f) => f.slice(dir.length))).toEqual(['/demo.yaml']);
  });

  it('a relative $ref in a remote document may not turn into a file: URL', async () => {
    const dir = contractDir({
      'demo.yaml': demoContract({ components: `  messages:\n    UserCreated:\n      payload:\n        $ref: 'http://127.0.0.1:1/a.yaml#/S'` }),
    });
    const r = await loadContract(join(dir, 'demo.yaml'), { allowRemote: true, fetchText: async () => 'S:\n  $ref: "file:///etc/passwd"\n' });
    const errors = r.diagnostics.filter((d) => d.severity === 'error');
    expect(errors.map((e) => e.rule)).toEqual(['ref-invalid']);
    expect(errors[0]!.message).toBe(
      '$ref "file:///etc/passwd" in a remote document resolves to file:///etc/passwd: only http(s) URLs are followed from remote documents',
    );
  });
});
