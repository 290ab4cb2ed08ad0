import { describe, expect, it } from 'vitest';
import { DIFF_RULES } from '../../src/diff/index.js';
import { brief, diffDocs, makeDoc, type Doc } from './helpers.js';

type V = 'breaking' | 'warning' | 'safe';
const payload = { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] };
const base = () => makeDoc(structuredClone(payload));
const edit = (f: (d: Doc) => void): Doc => {
  const d = base();
  f(d);
  return d;
};
const otherMessage = { N: { payload: { type: 'object', properties: { n: { type: 'integer' } } } } };

const cases: [string, { old: Doc | Doc[]; new: Doc | Doc[]; want: [string, string, V, V][] }][] = [
  [
    'channel removed (with its operations)',
    {
      old: base(),
      new: edit((d) => {
        d.channels = { other: { address: 'o', messages: { N: { $ref: '#/components/messages/N' } } } };
        d.operations = {
          sendN: { action: 'send', channel: { $ref: '#/channels/other' } },
          receiveN: { action: 'receive', channel: { $ref: '#/channels/other' } },
        };
        d.components.messages = otherMessage;
      }),
      want: [
        ['channel-removed', 'channel c', 'breaking', 'breaking'],
        ['channel-added', 'channel other', 'safe', 'safe'],
        ['operation-removed', 'operation sendM', 'breaking', 'breaking'],
        ['operation-removed', 'operation receiveM', 'breaking', 'breaking'],
        ['operation-added', 'operation sendN', 'safe', 'safe'],
        ['operation-added', 'operation receiveN', 'safe', 'safe'],
        ['message-added', 'message N', 'safe', 'safe'],
      ],
    },
  ],
  [
    'channel address changed',
    { old: base(), new: edit((d) => (d.channels.c.address = 'c.topic.v2')), want: [['channel-address-changed', 'channel c', 'breaking', 'breaking']] },
  ],
  [
    'message added to a channel',
    {
      old: base(),
      new: edit((d) => {
        d.channels.c.messages.N = { $ref: '#/components/messages/N' };
        Object.assign(d.components.messages, otherMessage);
      }),
      want: [['channel-message-added', 'channel c', 'safe', 'breaking']],
    },
  ],
  [
    'message removed from a channel',
    {
      old: edit((d) => {
        d.channels.c.messages.N = { $ref: '#/components/messages/N' };
        Object.assign(d.components.messages, otherMessage);
      }),
      new: base(),
      want: [['channel-message-removed', 'channel c', 'breaking', 'safe']],
    },
  ],
  [
    'header became required',
    {
      old: edit((d) => (d.components.messages.M.headers = { type: 'object', properties: { h: { type: 'string' } } })),
      new: edit((d) => (d.components.messages.M.headers = { type: 'object', properties: { h: { type: 'string' } }, required: ['h'] })),
      want: [['required-added', '/h', 'breaking', 'safe']],
    },
  ],
  [
    'content type changed',
    {
      old: base(),
      new: edit((d) => (d.components.messages.M.contentType = 'application/avro')),
      want: [['content-type-changed', 'message M', 'breaking', 'breaking']],
    },
  ],
  [
    'payload type name changed',
    {
      old: base(),
      new: edit((d) => (d.components.messages.M.payload.title = 'UserCreated')),
      want: [['sdk-type-renamed', 'message M', 'breaking', 'breaking']],
    },
  ],
  [
    'Kafka key schema changed',
    {
      old: edit((d) => (d.components.messages.M.bindings = { kafka: { key: { type: 'string' } } })),
      new: edit((d) => (d.components.messages.M.bindings = { kafka: { key: { type: 'integer' } } })),
      want: [['kafka-key-changed', 'message M key', 'breaking', 'breaking']],
    },
  ],
  [
    'key location changed',
    {
      old: edit((d) => (d.components.messages.M['x-evc-key'] = '$message.payload#/id')),
      new: base(),
      want: [['kafka-key-location-changed', 'message M', 'breaking', 'breaking']],
    },
  ],
  [
    'correlation id moved',
    {
      old: base(),
      new: edit((d) => (d.components.messages.M.correlationId = { location: '$message.payload#/id' })),
      want: [['correlation-id-changed', 'message M', 'warning', 'warning']],
    },
  ],
  [
    'partitions decreased',
    {
      old: edit((d) => (d.channels.c.bindings = { kafka: { partitions: 6 } })),
      new: edit((d) => (d.channels.c.bindings = { kafka: { partitions: 3 } })),
      want: [['kafka-partitions-decreased', 'channel c', 'breaking', 'breaking']],
    },
  ],
  [
    'partitions increased',
    {
      old: edit((d) => (d.channels.c.bindings = { kafka: { partitions: 3 } })),
      new: edit((d) => (d.channels.c.bindings = { kafka: { partitions: 6 } })),
      want: [['kafka-partitions-increased', 'channel c', 'warning', 'warning']],
    },
  ],
  [
    'retention changed',
    {
      old: edit((d) => (d.channels.c.bindings = { kafka: { topicConfiguration: { 'retention.ms': 1000 } } })),
      new: edit((d) => (d.channels.c.bindings = { kafka: { topicConfiguration: { 'retention.ms': 10 } } })),
      want: [['kafka-binding-changed', 'channel c', 'warning', 'warning']],
    },
  ],
  [
    'operation added',
    {
      old: base(),
      new: edit((d) => (d.operations.auditM = { action: 'receive', channel: { $ref: '#/channels/c' }, 'x-evc-service': 'audit' })),
      want: [['operation-added', 'operation auditM', 'safe', 'safe']],
    },
  ],
  [
    'operation removed',
    { old: base(), new: edit((d) => delete d.operations.receiveM), want: [['operation-removed', 'operation receiveM', 'breaking', 'breaking']] },
  ],
  [
    'operation renamed: the generated method name changes',
    {
      old: base(),
      new: edit((d) => {
        d.operations.publishM = d.operations.sendM;
        delete d.operations.sendM;
      }),
      want: [['sdk-method-renamed', 'operation sendM', 'breaking', 'breaking']],
    },
  ],
  [
    'channel renamed at the same address: its generated parameters type is renamed',
    {
      old: edit((d) => {
        d.channels.c.address = 'c.{region}';
        d.channels.c.parameters = { region: { enum: ['eu'] } };
      }),
      new: edit((d) => {
        d.channels.orders = { ...d.channels.c, address: 'c.{region}', parameters: { region: { enum: ['eu'] } } };
        delete d.channels.c;
        d.operations.sendM.channel = d.operations.receiveM.channel = { $ref: '#/channels/orders' };
      }),
      want: [['sdk-channel-renamed', 'channel c', 'breaking', 'breaking']],
    },
  ],
  [
    'message renamed on its channel (same payload)',
    {
      old: base(),
      new: edit((d) => {
        d.components.messages.Created = d.components.messages.M;
        delete d.components.messages.M;
        d.channels.c.messages = { Created: { $ref: '#/components/messages/Created' } };
      }),
      want: [
        ['sdk-message-renamed', 'message M', 'breaking', 'breaking'],
        ['sdk-type-renamed', 'message Created', 'breaking', 'breaking'],
      ],
    },
  ],
  [
    'operation action flipped',
    {
      old: base(),
      new: edit((d) => (d.operations.receiveM.action = 'send')),
      want: [['operation-action-changed', 'operation receiveM', 'breaking', 'breaking']],
    },
  ],
  [
    'operation moved to another channel',
    {
      old: edit((d) => (d.channels.d = { address: 'd', messages: { M: { $ref: '#/components/messages/M' } } })),
      new: edit((d) => {
        d.channels.d = { address: 'd', messages: { M: { $ref: '#/components/messages/M' } } };
        d.operations.receiveM.channel = { $ref: '#/channels/d' };
      }),
      want: [['operation-channel-changed', 'operation receiveM', 'breaking', 'breaking']],
    },
  ],
  [
    'consumer group changed',
    {
      old: edit((d) => (d.operations.receiveM.bindings = { kafka: { groupId: { type: 'string', const: 'a' } } })),
      new: edit((d) => (d.operations.receiveM.bindings = { kafka: { groupId: { type: 'string', const: 'b' } } })),
      want: [['kafka-group-changed', 'operation receiveM', 'breaking', 'safe']],
    },
  ],
  [
    'servers removed and added',
    {
      old: edit((d) => (d.servers = { a: { host: 'a.example.com:9092', protocol: 'kafka' } })),
      new: edit((d) => (d.servers = { b: { host: 'b.example.com:9092', protocol: 'kafka' } })),
      want: [
        ['server-removed', 'server a', 'breaking', 'breaking'],
        ['server-added', 'server b', 'safe', 'safe'],
      ],
    },
  ],
  [
    'server address, protocol, version, variables and security changed',
    {
      old: edit(
        (d) =>
          (d.servers = {
            a: {
              host: 'a.example.com:{port}',
              protocol: 'kafka',
              protocolVersion: '3.6',
              variables: { port: { enum: ['9092', '9093'], default: '9092' } },
              security: [{ type: 'plain' }],
            },
          }),
      ),
      new: edit(
        (d) =>
          (d.servers = {
            a: {
              host: 'b.example.com:{port}',
              protocol: 'kafka-secure',
              protocolVersion: '3.7',
              variables: { port: { enum: ['9092'], default: '9092' } },
              security: [{ type: 'scramSha256' }],
            },
          }),
      ),
      want: [
        ['server-address-changed', 'server a', 'breaking', 'breaking'],
        ['server-protocol-changed', 'server a', 'breaking', 'breaking'],
        ['server-protocol-version-changed', 'server a', 'warning', 'warning'],
        ['server-variables-changed', 'server a', 'warning', 'warning'],
        ['server-security-changed', 'server a', 'breaking', 'breaking'],
      ],
    },
  ],
  ...(() => {
    const servers = { a: { host: 'a.example.com:9092', protocol: 'kafka' }, b: { host: 'b.example.com:9092', protocol: 'kafka' } };
    const on = (...ids: string[]) =>
      edit((d) => {
        d.servers = structuredClone(servers);
        d.channels.c.servers = ids.map((id) => ({ $ref: `#/servers/${id}` }));
      });
    return [
      ['channel taken off a server', { old: on('a', 'b'), new: on('a'), want: [['channel-server-removed', 'channel c', 'breaking', 'breaking']] }],
      ['channel put on another server', { old: on('a'), new: on('a', 'b'), want: [['channel-server-added', 'channel c', 'safe', 'safe']] }],
    ] as typeof cases;
  })(),
  ...(() => {
    const region = (values?: string[]) =>
      edit((d) => {
        d.channels.c.address = 'c.{region}';
        if (values) d.channels.c.parameters = { region: { enum: values } };
      });
    return [
      [
        'address parameter narrowed',
        { old: region(['eu', 'us']), new: region(['eu']), want: [['parameter-values-narrowed', 'channel c', 'breaking', 'safe']] },
      ],
      ['address parameter widened', { old: region(['eu']), new: region(['eu', 'us']), want: [['parameter-values-widened', 'channel c', 'safe', 'breaking']] }],
      [
        'address parameter values replaced',
        { old: region(['eu']), new: region(['us']), want: [['parameter-values-changed', 'channel c', 'breaking', 'breaking']] },
      ],
      ['address parameters declared', { old: region(), new: region(['eu']), want: [['sdk-parameters-changed', 'channel c', 'breaking', 'breaking']] }],
    ] as typeof cases;
  })(),
  [
    'AMQP exchange renamed and made durable, message encoding and MQTT QoS changed',
    {
      old: edit((d) => {
        d.channels.c.bindings = { amqp: { is: 'routingKey', exchange: { name: 'orders', type: 'topic', durable: false } } };
        d.components.messages.M.bindings = { amqp: { contentEncoding: 'identity' } };
        d.operations.sendM.bindings = { mqtt: { qos: 1 } };
      }),
      new: edit((d) => {
        d.channels.c.bindings = { amqp: { is: 'routingKey', exchange: { name: 'orders.v2', type: 'topic', durable: true } } };
        d.components.messages.M.bindings = { amqp: { contentEncoding: 'gzip' } };
        d.operations.sendM.bindings = { mqtt: { qos: 0 } };
      }),
      want: [
        ['amqp-declaration-changed', 'channel c', 'breaking', 'breaking'],
        ['binding-destination-changed', 'channel c', 'breaking', 'breaking'],
        ['binding-changed', 'operation sendM', 'warning', 'warning'],
        ['binding-encoding-changed', 'message M', 'breaking', 'breaking'],
      ],
    },
  ],
  [
    'operation security added',
    {
      old: base(),
      new: edit((d) => (d.operations.sendM.security = [{ type: 'plain' }])),
      want: [['operation-security-changed', 'operation sendM', 'breaking', 'breaking']],
    },
  ],
  ...(() => {
    const lists = (send: string[], receive: string[]) =>
      edit((d) => {
        d.channels.c.messages.N = { $ref: '#/components/messages/N' };
        Object.assign(d.components.messages, otherMessage);
        d.operations.sendM.messages = send.map((m) => ({ $ref: `#/channels/c/messages/${m}` }));
        d.operations.receiveM.messages = receive.map((m) => ({ $ref: `#/channels/c/messages/${m}` }));
      });
    return [
      [
        'a receive operation drops a message',
        { old: lists(['M', 'N'], ['M', 'N']), new: lists(['M', 'N'], ['M']), want: [['receive-message-removed', 'operation receiveM', 'breaking', 'safe']] },
      ],
      [
        'a send operation drops a message',
        { old: lists(['M', 'N'], ['M', 'N']), new: lists(['M'], ['M', 'N']), want: [['sdk-send-message-removed', 'operation sendM', 'breaking', 'breaking']] },
      ],
      [
        'an operation takes another message of its channel',
        { old: lists(['M'], ['M', 'N']), new: lists(['M', 'N'], ['M', 'N']), want: [['operation-message-added', 'operation sendM', 'safe', 'safe']] },
      ],
    ] as typeof cases;
  })(),
  ...(() => {
    const reply = (location?: string) =>
      edit((d) => {
        d.channels.r = { address: 'r', messages: { N: { $ref: '#/components/messages/N' } } };
        Object.assign(d.components.messages, otherMessage);
        if (location) d.operations.sendM.reply = { channel: { $ref: '#/channels/r' }, address: { location } };
      });
    return [
      ['a reply added', { old: reply(), new: reply('$message.header#/replyTo'), want: [['reply-added', 'operation sendM', 'breaking', 'safe']] }],
      ['a reply removed', { old: reply('$message.header#/replyTo'), new: reply(), want: [['reply-removed', 'operation sendM', 'safe', 'breaking']] }],
      [
        'the reply address moved',
        {
          old: reply('$message.header#/replyTo'),
          new: reply('$message.header#/reply_to'),
          want: [['reply-address-changed', 'operation sendM', 'breaking', 'breaking']],
        },
      ],
    ] as typeof cases;
  })(),
  ['contract removed', { old: [base(), base()], new: [base()], want: [['system-removed', 'system sys1', 'breaking', 'breaking']] }],
  ['contract added', { old: [base()], new: [base(), base()], want: [['system-added', 'system sys1', 'safe', 'safe']] }],
];

describe('evc diff: channel, message, operation, Kafka and SDK rules', () => {
  it.each(cases)('%s', async (_name, c) => {
    const report = await diffDocs(c.old, c.new);
    expect(brief(report.findings)).toEqual(c.want);
    for (const f of report.findings) {
      expect(f.old ?? f.new).toBeDefined();
      if (f.old) expect(f.old.line).toBeGreaterThan(0);
      if (f.new) expect(f.new.line).toBeGreaterThan(0);
    }
  });

  it('header changes are named as headers and proven on the headers', async () => {
    const report = await diffDocs(
      edit((d) => (d.components.messages.M.headers = { type: 'object', properties: { h: { type: 'string' } } })),
      edit((d) => (d.components.messages.M.headers = { type: 'object', properties: { h: { type: 'string' } }, required: ['h'] })),
    );
    const f = report.findings[0]!;
    expect([f.subject, f.message, f.counterexamples.map((c) => [c.of, c.value])]).toEqual([
      'message M headers /h',
      'headers /h: "h" is now required',
      [['headers', {}]],
    ]);
  });

  it('the Kafka key change carries a checked counterexample key', async () => {
    const report = await diffDocs(
      edit((d) => (d.components.messages.M.bindings = { kafka: { key: { type: 'string' } } })),
      edit((d) => (d.components.messages.M.bindings = { kafka: { key: { type: 'integer' } } })),
    );
    expect(report.findings[0]!.counterexamples.map((c) => [c.direction, c.of, c.value])).toEqual([
      ['backward', 'key', 'x'],
      ['forward', 'key', 0],
    ]);
  });

  it('every rule in the catalogue has a test case here or in schema-rules.test.ts', async () => {
    const here = new Set(cases.flatMap(([, c]) => c.want.map((w) => w[0])));
    const { readFileSync } = await import('node:fs');
    const schemaTable = readFileSync(new URL('./schema-rules.test.ts', import.meta.url), 'utf8');
    const missing = DIFF_RULES.map((r) => r.id).filter((id) => !here.has(id) && !schemaTable.includes(`'${id}'`));
    expect(missing).toEqual([]);
  });
});

describe('evc diff: direction of the operations', () => {
  const removedRequired = (ops: Doc) =>
    [
      makeDoc({ type: 'object', properties: { id: { type: 'string' } }, required: ['id'] }, { operations: ops }),
      makeDoc({ type: 'object', properties: { id: { type: 'string' } } }, { operations: ops }),
    ] as const;

  it('a message only received here: forward breakage is a warning (the writers are elsewhere)', async () => {
    const [o, n] = removedRequired({ receiveM: { action: 'receive', channel: { $ref: '#/channels/c' } } });
    const f = (await diffDocs(o, n)).findings[0]!;
    expect([f.rule, f.backward, f.forward, f.verdict]).toEqual(['required-removed', 'safe', 'warning', 'warning']);
    expect(f.notes).toEqual(['forward softened to warning: this system only receives the message, so no writer here sends the new shape to old readers']);
    expect(f.counterexamples.map((c) => c.direction)).toEqual(['forward']);
  });

  it('a message only sent here: backward breakage is a warning (the readers are elsewhere)', async () => {
    const [n, o] = removedRequired({ sendM: { action: 'send', channel: { $ref: '#/channels/c' } } });
    const f = (await diffDocs(o, n)).findings[0]!;
    expect([f.rule, f.backward, f.forward, f.verdict]).toEqual(['required-added', 'warning', 'safe', 'warning']);
  });

  it('sent and received here: both verdicts stand', async () => {
    const [o, n] = removedRequired({
      sendM: { action: 'send', channel: { $ref: '#/channels/c' } },
      receiveM: { action: 'receive', channel: { $ref: '#/channels/c' } },
    });
    const f = (await diffDocs(o, n)).findings[0]!;
    expect([f.rule, f.backward, f.forward, f.verdict]).toEqual(['required-removed', 'safe', 'breaking', 'breaking']);
  });
});

describe('evc diff: modes', () => {
  const v1 = makeDoc({ type: 'object', properties: { a: { type: 'string' } } });
  const v2 = makeDoc({ type: 'object', properties: { a: { type: 'string' } }, required: ['a'] });
  const v3 = makeDoc({ type: 'object', properties: { a: { type: 'string' }, b: { type: 'string' } }, required: ['a'] });

  it('BACKWARD, FORWARD and FULL pick the direction', async () => {
    const verdicts = async (mode: 'BACKWARD' | 'FORWARD' | 'FULL') => (await diffDocs(v1, v2, mode)).findings.map((f) => [f.rule, f.verdict]);
    expect(await verdicts('BACKWARD')).toEqual([['required-added', 'breaking']]);
    expect(await verdicts('FORWARD')).toEqual([['required-added', 'safe']]);
    expect(await verdicts('FULL')).toEqual([['required-added', 'breaking']]);
  });

  it('transitive modes check every earlier version against the newest', async () => {
    const { loadVersion, diffVersions } = await import('../../src/diff/index.js');
    const { contractDir } = await import('../helpers/contract-dir.js');
    const load = (d: Doc) => loadVersion(contractDir({ 'sys.json': JSON.stringify(d, null, 2) }), { specValidation: false });
    const versions = [await load(v1), await load(v2), await load(v3)];
    const t = diffVersions(versions, 'BACKWARD_TRANSITIVE');
    expect(t.findings.map((f) => [f.from === versions[0]!.label ? 'v1' : 'v2', f.rule, f.verdict])).toEqual([
      ['v1', 'required-added', 'breaking'],
      ['v1', 'property-added-open', 'breaking'],
      ['v2', 'property-added-open', 'breaking'],
    ]);
    const plain = diffVersions(versions, 'BACKWARD');
    expect(plain.findings.map((f) => [f.rule, f.verdict, f.from])).toEqual([['property-added-open', 'breaking', undefined]]);
  });
});
