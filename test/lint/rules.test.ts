import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadContract } from '../../src/contract/index.js';
import { lintSystem } from '../../src/lint/index.js';
import { contractDir, demoContract } from '../helpers/contract-dir.js';

async function lint(yaml: string) {
  const dir = contractDir({ 'demo.yaml': yaml });
  const r = await loadContract(join(dir, 'demo.yaml'));
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return lintSystem(r.systems[0]!).map((d) => `${d.location.line}:${d.location.col} ${d.severity} ${d.rule} ${d.message}`);
}

const user = (props: string, extra = '') => `  messages:
    UserCreated:
      payload:
        $ref: '#/components/schemas/UserCreatedEvent'
${extra}  schemas:
    UserCreatedEvent:
      type: object
${props}`;

const baseProps = `      additionalProperties: false
      required: [event_id, event_type]
      properties:
        event_id: {type: string, format: uuid}
        event_type: {type: string, const: user.created}`;

describe('lint rules: each with a contract that breaks it and the exact finding', () => {
  it('the demo contract is clean', async () => {
    expect(await lint(demoContract())).toEqual([]);
  });

  const cases: [string, { given: string; want: string[] }][] = [
    [
      'example-valid: an example that violates its payload',
      {
        given: demoContract({
          components: user(
            baseProps,
            `      examples:
        - name: bad
          payload:
            event_id: not-a-uuid
            event_type: user.created
            extra: 1
`,
          ),
        }),
        want: [
          '43:11 error example-valid example "bad" payload of message "UserCreated": / must NOT have additional properties ("extra")',
          '44:13 error example-valid example "bad" payload of message "UserCreated": /event_id must match format "uuid"',
        ],
      },
    ],
    [
      'example-valid: a default that violates its schema',
      {
        given: demoContract({ components: user(baseProps + `\n        level: {type: integer, minimum: 1, default: 0}`) }),
        want: ['49:9 error example-valid default of payload /properties/level in message "UserCreated" does not match its schema: / must be >= 1'],
      },
    ],
    [
      "operation-message-in-channel: an operation using another channel's message",
      {
        given: demoContract({
          channels: `  userCreated:
    address: user.created
    messages:
      UserCreated:
        $ref: '#/components/messages/UserCreated'
  other:
    address: other
    messages:
      Other:
        $ref: '#/components/messages/Other'`,
          operations: `  publishUserCreated:
    action: send
    channel:
      $ref: '#/channels/userCreated'
    messages:
      - $ref: '#/channels/other/messages/Other'
  publishOther:
    action: send
    channel:
      $ref: '#/channels/other'`,
          components: user(
            baseProps,
            `    Other:
      payload:
        $ref: '#/components/schemas/UserCreatedEvent'
`,
          ),
        }),
        want: [
          '31:9 error operation-message-in-channel operation "publishUserCreated" uses message "Other", which channel "userCreated" does not carry (it carries: UserCreated)',
        ],
      },
    ],
    [
      'payload-type-name: an inline payload without a title',
      {
        given: demoContract({
          components: `  messages:
    UserCreated:
      payload:
        type: object
        additionalProperties: false
        properties:
          event_type: {type: string, const: user.created}`,
        }),
        want: [
          '39:7 error payload-type-name payload of message "UserCreated" has no stable type name: give it a `title` or move it to components/schemas (generated code would call it UserCreatedPayload)',
        ],
      },
    ],
    [
      'required-declared: required names an undeclared property',
      {
        given: demoContract({ components: user(baseProps.replace('required: [event_id, event_type]', 'required: [event_id, event_type, user_id]')) }),
        want: [
          '42:5 error required-declared payload / of message "UserCreated" requires "user_id", not declared in properties (declared: event_id, event_type)',
        ],
      },
    ],
    [
      'required-declared: allOf branches count as declared',
      {
        given: demoContract({
          components: user(`      allOf:
        - type: object
          additionalProperties: true
          properties:
            event_id: {type: string}
            event_type: {type: string, const: user.created}
        - type: object
          additionalProperties: true
          required: [event_id, nope]
          properties:
            data: {type: object, additionalProperties: true}`),
        }),
        want: [
          '50:11 error required-declared payload /allOf/1 of message "UserCreated" requires "nope", not declared in properties (declared: data, event_id, event_type)',
        ],
      },
    ],
    [
      'additional-properties-explicit: a nested object that does not say',
      {
        given: demoContract({ components: user(baseProps + `\n        data:\n          type: object\n          properties:\n            a: {type: string}`) }),
        want: [
          '49:9 error additional-properties-explicit payload /properties/data of message "UserCreated" does not say whether extra properties are allowed: add `additionalProperties: false` (closed) or `true` (open)',
        ],
      },
    ],
    [
      'kafka-receive-group: a Kafka receive operation with no group',
      {
        given: demoContract({
          operations: `  receiveUserCreated:
    action: receive
    channel:
      $ref: '#/channels/userCreated'`,
        }),
        want: [
          '21:3 error kafka-receive-group Kafka receive operation "receiveUserCreated" names no consumer group: add bindings.kafka.groupId (e.g. {type: string, const: my-service})',
        ],
      },
    ],
    [
      'address-parameters: an undeclared and an unused parameter',
      {
        given: demoContract({
          channels: `  userCreated:
    address: users.{userId}.created
    parameters:
      region:
        description: unused
    messages:
      UserCreated:
        $ref: '#/components/messages/UserCreated'`,
        }),
        want: [
          '16:5 error address-parameters channel "userCreated" address "users.{userId}.created" uses parameter "{userId}", which is not declared under parameters',
          '18:7 warning address-parameters channel "userCreated" declares parameter "region", which its address "users.{userId}.created" does not use',
        ],
      },
    ],
    [
      'envelope-type-const: a message without a const type',
      {
        given: demoContract({ components: user(baseProps.replace('event_type: {type: string, const: user.created}', 'event_type: {type: string}')) }),
        want: [
          '38:5 error envelope-type-const message "UserCreated" has no const at the envelope type field /event_type (x-evc-envelope.type): add `const: <event type>`',
        ],
      },
    ],
    [
      'unused-message: a component message no channel carries',
      {
        given: demoContract({ components: user(baseProps, `    Orphan:\n      payload:\n        $ref: '#/components/schemas/UserCreatedEvent'\n`) }),
        want: ['41:5 warning unused-message message "Orphan" is not carried by any channel'],
      },
    ],
    [
      'schema-unknown-keyword: keys JSON Schema does not define (a property one level too high, in a draft-07 tuple), x-* allowed',
      {
        given: demoContract({
          components: user(
            baseProps +
              `
        channel:
          type: object
          additionalProperties: false
          is_shared: {type: boolean}
          x-origin: slack
        pair:
          type: array
          items:
            - {type: string, test: true}
            - {type: integer}`,
          ),
        }),
        want: [
          '52:11 warning schema-unknown-keyword payload /properties/channel of message "UserCreated" has "is_shared", which is not a JSON Schema keyword: it is an annotation and nothing checks it (a property belongs under `properties`; an extension is spelled `x-is_shared`)',
          '57:30 warning schema-unknown-keyword payload /properties/pair/items/0 of message "UserCreated" has "test", which is not a JSON Schema keyword: it is an annotation and nothing checks it (a property belongs under `properties`; an extension is spelled `x-test`)',
        ],
      },
    ],
    [
      'declared-flows: x-evc-flows that is not a list',
      {
        given: demoContract({ extra: 'x-evc-flows: {signup: []}\n' }),
        want: ['61:1 error declared-flows x-evc-flows must be a list of { name, steps }, found object'],
      },
    ],
    [
      'declared-flows: a step missing its message, a typo in a service and in a message, a flow without steps',
      {
        given: demoContract({
          extra: `x-evc-flows:
  - name: signup
    steps:
      - {from: "(operation publishUserCreated)", to: "(operation receiveUserCreated)", message: UserCreated}
      - {from: "(operation publishUserCreated)", to: "(operation receiveUserCreated)", message: user.created}
      - {from: "(operation publishUserCreated)", to: "(operation receiveUserCreated)"}
      - {from: "(operation publishUserCreated)", to: notifier, message: UserCreatd}
  - name: broken
`,
        }),
        want: [
          '66:9 error declared-flows x-evc-flows[0].steps[2].message must be a non-empty string, found nothing',
          '67:50 warning declared-flows x-evc-flows[0].steps[3].to "notifier" is not a service of this contract (x-evc-service of an operation); services: (operation publishUserCreated), (operation receiveUserCreated)',
          '67:64 warning declared-flows x-evc-flows[0].steps[3].message "UserCreatd" is neither a message (id or name) nor a channel (id or address) of this contract',
          '68:5 error declared-flows x-evc-flows[1].steps must be a list of { from, to, message }, found nothing',
        ],
      },
    ],
  ];

  it.each(cases)('%s', async (_name, { given, want }) => {
    expect(await lint(given)).toEqual(want);
  });
});
