/**
 * The rule catalogue: every kind of change `evc diff` names, with its default verdict for
 * each direction. Backward asks "can a reader on the new contract read data written with
 * the old one?", forward "can a reader on the old contract read data written with the
 * new one?". Verdicts are set-theoretic for schemas (a change that rejects some old data
 * breaks backward; one that admits data the old schema rejects breaks forward) and may be
 * softened by the direction of the system's operations (see compare.ts).
 */
import type { Category, Verdict } from './finding.js';

export interface DiffRule {
  id: string;
  /** The usual verdicts; for schema rules the subschema check (subschema.ts) decides each finding's own. */
  backward: Verdict;
  forward: Verdict;
  description: string;
  /** Schema rules get counterexamples. */
  schema?: boolean;
  /** `source` for generated-SDK names (`sdk-*`), `wire` for everything else. */
  category: Category;
}

const r = (id: string, backward: Verdict, forward: Verdict, description: string, schema = false): DiffRule => ({
  id,
  backward,
  forward,
  description,
  schema,
  category: id.startsWith('sdk-') ? 'source' : 'wire',
});

export const DIFF_RULES: readonly DiffRule[] = [
  // Schemas (payload, headers).
  r('type-changed', 'breaking', 'breaking', 'The type changed to one that neither includes nor is included in the old (string -> integer).', true),
  r('type-widened', 'safe', 'breaking', 'The type admits more (integer -> number, a type added to a union): old readers reject the new values.', true),
  r('type-narrowed', 'breaking', 'safe', 'The type admits less (number -> integer, a type removed from a union): new readers reject old values.', true),
  r('required-added', 'breaking', 'safe', 'A property became required: old data without it is rejected by new readers.', true),
  r('required-removed', 'safe', 'breaking', 'A property is no longer required: new data without it is rejected by old readers.', true),
  r(
    'property-added-open',
    'breaking',
    'safe',
    'A property was declared in an open object: old data may carry it with a shape the new schema rejects (safe when the new schema admits what the old additionalProperties did).',
    true,
  ),
  r(
    'property-added-closed',
    'safe',
    'breaking',
    'A property was added to a closed object (additionalProperties: false): old readers reject new data that sets it.',
    true,
  ),
  r(
    'property-removed-open',
    'safe',
    'breaking',
    'A property was dropped from an open object: new data may carry it with a shape old readers reject (safe when the old schema of the property admits anything the new additionalProperties does).',
    true,
  ),
  r(
    'property-changed',
    'breaking',
    'breaking',
    'A property declared on one side only is governed on the other by a schema that neither includes nor is included.',
    true,
  ),
  r('property-removed-closed', 'breaking', 'safe', 'A property was removed from a closed object: new readers reject old data that sets it.', true),
  r('enum-value-added', 'safe', 'breaking', 'An enum gained values: old readers reject them.', true),
  r('enum-value-removed', 'breaking', 'safe', 'An enum lost values: new readers reject old data that uses them.', true),
  r('enum-added', 'breaking', 'safe', 'A value is now restricted to an enum: new readers reject old values outside it.', true),
  r('enum-removed', 'safe', 'breaking', 'An enum restriction was dropped: old readers reject the new values.', true),
  r('enum-changed', 'breaking', 'breaking', 'An enum (or const) both lost and gained values: each side rejects some values of the other.', true),
  r('const-changed', 'breaking', 'breaking', "A const value changed: each side rejects the other's value.", true),
  r('const-added', 'breaking', 'safe', 'A value is now fixed by const: new readers reject other old values.', true),
  r('const-removed', 'safe', 'breaking', 'A const was dropped: old readers reject other new values.', true),
  r(
    'constraint-tightened',
    'breaking',
    'safe',
    'A constraint became stricter (minLength/maxLength/minimum/maximum/exclusive*/pattern/minItems/maxItems/multipleOf/uniqueItems): new readers reject some old data.',
    true,
  ),
  r('constraint-loosened', 'safe', 'breaking', 'A constraint became looser: old readers reject some new data.', true),
  r(
    'constraint-changed',
    'breaking',
    'breaking',
    'A constraint changed in a way that is neither stricter nor looser (pattern replaced, multipleOf changed).',
    true,
  ),
  r('format-added', 'breaking', 'safe', 'A string format was added: new readers reject old strings that do not match it.', true),
  r('format-removed', 'safe', 'breaking', 'A string format was dropped: old readers reject new strings that do not match it.', true),
  r('format-changed', 'breaking', 'breaking', 'A string format changed.', true),
  r('branch-added', 'safe', 'breaking', 'A oneOf/anyOf branch was added: old readers reject data of the new branch.', true),
  r(
    'branch-removed',
    'breaking',
    'safe',
    'Some old values fit no anyOf/oneOf branch of the new schema (a branch removed or narrowed, or a value in two oneOf branches).',
    true,
  ),
  r('branch-changed', 'breaking', 'breaking', 'anyOf/oneOf branches changed so that each side has values the other rejects.', true),
  r(
    'items-narrowed',
    'breaking',
    'safe',
    'Array items admit less: a tuple got shorter or closed (items/additionalItems false), or an item position narrowed.',
    true,
  ),
  r('items-widened', 'safe', 'breaking', 'Array items admit more: a tuple got longer or opened, or an item position widened.', true),
  r('items-changed', 'breaking', 'breaking', 'Array items changed both ways.', true),
  r('dependency-added', 'breaking', 'safe', 'A dependentRequired/dependentSchemas (draft-07 dependencies) constraint was added or tightened.', true),
  r('dependency-removed', 'safe', 'breaking', 'A dependentRequired/dependentSchemas (draft-07 dependencies) constraint was dropped or loosened.', true),
  r('dependency-changed', 'breaking', 'breaking', 'A dependency constraint changed both ways.', true),
  r('not-changed', 'breaking', 'breaking', 'A `not` now excludes values the other side produces.', true),
  r('schema-narrowed', 'breaking', 'safe', 'The schema admits less (a false schema, if/then/else, or another keyword the new reader applies).', true),
  r('schema-widened', 'safe', 'breaking', 'The schema admits more (the old reader rejects some new values).', true),
  r(
    'additional-properties-narrowed',
    'breaking',
    'safe',
    'additionalProperties became stricter (true -> false, true -> schema, schema -> false): new readers reject old data with extra properties.',
    true,
  ),
  r(
    'additional-properties-changed',
    'breaking',
    'breaking',
    'additionalProperties/patternProperties changed both ways: each side rejects some undeclared properties of the other.',
    true,
  ),
  r(
    'additional-properties-widened',
    'safe',
    'breaking',
    'additionalProperties became looser (false -> true, false -> schema, schema -> true): old readers reject new data with extra properties.',
    true,
  ),
  r(
    'schema-changed',
    'warning',
    'warning',
    'A schema changed both ways in a keyword without a rule of its own (if/then/else, false), or the subschema check could not decide (pattern against pattern, format against pattern, a keyword evc diff does not model): the finding says what it depends on.',
    true,
  ),
  // Messages.
  r('message-added', 'safe', 'safe', 'A message was added on a new channel.'),
  r('channel-message-added', 'safe', 'breaking', 'A channel carries a new message: old readers of the channel get a message they do not know.'),
  r('channel-message-removed', 'breaking', 'safe', 'A channel no longer carries a message: new readers cannot read old data of that message.'),
  r('content-type-changed', 'breaking', 'breaking', "A message's content type changed: readers decode it differently."),
  r(
    'sdk-message-renamed',
    'breaking',
    'breaking',
    "A message's id changed (matched by its name or payload on the same channel): generated names derived from it (validators, schema files, factories) change; the informative evc-message header carries the new id, which no reader selects by.",
  ),
  r('sdk-type-renamed', 'breaking', 'breaking', 'The generated payload type name changed (title or schema name): code importing it no longer compiles.'),
  r('kafka-key-changed', 'breaking', 'breaking', 'The Kafka message key schema changed: keys land on other partitions and per-key order breaks.'),
  r('kafka-key-location-changed', 'breaking', 'breaking', 'The key location (x-evc-key) changed: events of one entity go to other partitions.'),
  r('correlation-id-changed', 'warning', 'warning', 'The correlation id location changed: tracing links break across versions.'),
  // Channels.
  r('channel-added', 'safe', 'safe', 'A channel was added.'),
  r('channel-removed', 'breaking', 'breaking', 'A channel was removed: its readers and writers have nowhere to go.'),
  r(
    'sdk-channel-renamed',
    'breaking',
    'breaking',
    "A channel's id changed, its address did not (AsyncAPI's 2.x to 3.0 converter, or an edit): peers still meet there, but the generated types named after the id (its parameters type, its message union) are renamed. A channel without parameters or a message union names no type, nor do ids that give the same type name (user/signedup, userSignedup): such an id change is not reported.",
  ),
  r('channel-address-changed', 'breaking', 'breaking', "A channel's address (topic, stream) changed: old and new sides no longer meet."),
  r('kafka-partitions-decreased', 'breaking', 'breaking', 'Kafka partitions decreased: Kafka cannot shrink a topic; keys move and order breaks.'),
  r(
    'kafka-partitions-increased',
    'warning',
    'warning',
    'Kafka partitions increased: keys move to other partitions, so per-key order breaks across the change.',
  ),
  r('kafka-binding-changed', 'warning', 'warning', 'Another Kafka topic setting changed (topic, replicas, retention, cleanup policy).'),
  // Operations.
  r('operation-added', 'safe', 'safe', 'An operation was added.'),
  r('operation-removed', 'breaking', 'breaking', 'An operation was removed: its generated SDK method disappears and its readers or writers stop.'),
  r('sdk-method-renamed', 'breaking', 'breaking', 'An operation id changed (same channel and action): the generated SDK method is renamed.'),
  r('operation-action-changed', 'breaking', 'breaking', 'An operation flipped between send and receive.'),
  r('operation-channel-changed', 'breaking', 'breaking', 'An operation moved to another channel.'),
  r('kafka-group-changed', 'breaking', 'safe', 'A consumer group id changed: the new group has no committed offsets, so it re-reads or skips old data.'),
  r(
    'parameter-values-narrowed',
    'breaking',
    'safe',
    'An address parameter admits fewer values (an enum added or a value removed): old writers publish to addresses new readers do not subscribe to.',
  ),
  r(
    'parameter-values-widened',
    'safe',
    'breaking',
    'An address parameter admits more values (an enum value added or the enum dropped): new writers publish to addresses old readers do not subscribe to.',
  ),
  r(
    'parameter-values-changed',
    'breaking',
    'breaking',
    'An address parameter both lost and gained values: each side publishes to addresses the other does not read.',
  ),
  r(
    'sdk-parameters-changed',
    'breaking',
    'breaking',
    "A channel's declared address parameters changed: the generated parameters type (and the options of its publish and subscribe methods) changes.",
  ),
  r(
    'channel-server-removed',
    'breaking',
    'breaking',
    'A channel is no longer on a server: peers of the old contract publish or subscribe there, where the new side no longer is.',
  ),
  r('channel-server-added', 'safe', 'safe', 'A channel is now also on another server: the servers it was on still serve it.'),
  // Servers.
  r('server-added', 'safe', 'safe', 'A server was added: the servers peers use are unchanged.'),
  r('server-removed', 'breaking', 'breaking', 'A server was removed: peers of the old contract connect to a server the new side no longer uses.'),
  r(
    'server-address-changed',
    'breaking',
    'breaking',
    "A server's address changed (host, pathname, or the default of a variable in them): clients of one contract connect where the other side is not.",
  ),
  r('server-protocol-changed', 'breaking', 'breaking', "A server's protocol changed: clients of the old contract cannot speak to it."),
  r(
    'server-protocol-version-changed',
    'warning',
    'warning',
    "A server's protocol version changed: whether clients of one version talk to a broker of the other depends on the protocol.",
  ),
  r(
    'server-variables-changed',
    'warning',
    'warning',
    "A server's variables or their allowed values changed (defaults aside): no message is rejected, but deployments configured with a value the new contract no longer describes need a look.",
  ),
  r(
    'server-security-changed',
    'breaking',
    'breaking',
    "A server's security requirements changed: a server refuses clients that authenticate as the other contract says.",
  ),
  // Bindings (every protocol; Kafka fields with rules of their own above).
  r(
    'binding-destination-changed',
    'breaking',
    'breaking',
    'A binding field that names where messages meet changed (AMQP exchange, queue, routing key or vhost; SQS queue; SNS topic; IBM MQ queue or topic; Pulsar tenant or namespace; Solace destination; HTTP method): old and new peers no longer meet.',
  ),
  r(
    'amqp-declaration-changed',
    'breaking',
    'breaking',
    "An AMQP exchange's or queue's type, durable, autoDelete or exclusive flag changed: the broker refuses to redeclare it with other properties (PRECONDITION_FAILED), so whichever side declares second fails.",
  ),
  r(
    'binding-encoding-changed',
    'breaking',
    'breaking',
    'A binding field that frames the bytes of a message changed (AMQP contentEncoding, MQTT payloadFormatIndicator or contentType, Kafka schemaIdLocation, schemaIdPayloadEncoding or schemaLookupStrategy, IBM MQ type): readers decode differently.',
  ),
  r(
    'binding-changed',
    'warning',
    'warning',
    'Another protocol binding setting changed (server, channel, operation or message bindings: QoS, retain, delivery mode, expiry, client id, registry, ...): each message is still accepted, but delivery or broker behaviour may differ.',
  ),
  // Operations: security, messages, replies.
  r(
    'operation-security-changed',
    'breaking',
    'breaking',
    "An operation's security requirements changed (its own or its traits'): one side authenticates as the other does not accept.",
  ),
  r(
    'operation-message-added',
    'safe',
    'safe',
    'An operation uses another message its channel already carried: a receiver accepts more, a sender sends what readers of the channel already know.',
  ),
  r(
    'receive-message-removed',
    'breaking',
    'safe',
    'A receive operation no longer lists a message its channel still carries: its subscription rejects (dead-letters) that message, which old writers still send.',
  ),
  r(
    'sdk-send-message-removed',
    'breaking',
    'breaking',
    'A send operation no longer lists a message: its generated publish method no longer takes it (on the wire, readers only get fewer of it).',
  ),
  r('reply-added', 'breaking', 'safe', 'An operation now expects a reply: new requesters wait for replies old responders never send.'),
  r('reply-removed', 'safe', 'breaking', 'An operation no longer has a reply: old requesters wait for replies new responders never send.'),
  r(
    'reply-address-changed',
    'breaking',
    'breaking',
    "A reply's channel or address location changed: responders send replies where requesters of the other contract do not read.",
  ),
  // Systems.
  r('system-added', 'safe', 'safe', 'A contract was added.'),
  r('system-removed', 'breaking', 'breaking', 'A contract was removed.'),
];

const BY_ID = new Map(DIFF_RULES.map((x) => [x.id, x]));

export function ruleOf(id: string): DiffRule {
  const rule = BY_ID.get(id);
  if (!rule) throw new Error(`unknown diff rule ${id}`);
  return rule;
}
