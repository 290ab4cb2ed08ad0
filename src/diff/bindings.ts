/**
 * Protocol bindings (server, channel, operation and message `bindings`) compared for
 * `evc diff`, for every protocol, not only Kafka. Each changed field is classed by what it
 * decides:
 * - destination: where messages meet (an AMQP exchange, queue, routing key or vhost, an SQS
 *   queue, an SNS topic, an IBM MQ queue or topic, a Pulsar namespace or tenant, a Solace
 *   destination, an HTTP method): old and new peers no longer meet, breaking both ways;
 * - AMQP declaration: an exchange's or queue's type, durable, autoDelete or exclusive flag:
 *   RabbitMQ refuses to redeclare an exchange or queue with other properties
 *   (PRECONDITION_FAILED), so whichever side declares second fails, breaking both ways;
 * - encoding: how the bytes of a message are framed (AMQP contentEncoding, MQTT
 *   payloadFormatIndicator and contentType, Kafka schemaIdLocation, schemaIdPayloadEncoding
 *   and schemaLookupStrategy, IBM MQ message type): readers decode differently, breaking
 *   both ways, as a content type change;
 * - anything else (QoS, retain, delivery mode, expiry, client ids, registry URLs, queue
 *   sizes, ...): each message is still accepted, but delivery or broker behaviour may
 *   differ: a warning.
 * `bindingVersion` alone is not a change. Kafka fields with rules of their own (channel
 * partitions, replicas, topic and topicConfiguration; the operation's groupId; the message
 * key) are left to those rules (compare.ts).
 */
import { encodePointerSegment } from '../contract/json-pointer.js';
import { sameSchema } from './schema.js';

type Obj = Record<string, unknown>;
export type BindingOwner = 'server' | 'channel' | 'operation' | 'message';
type Kind = 'destination' | 'declaration' | 'encoding' | 'other';

const RULE: Record<Kind, string> = {
  destination: 'binding-destination-changed',
  declaration: 'amqp-declaration-changed',
  encoding: 'binding-encoding-changed',
  other: 'binding-changed',
};

/** `owner protocol field` (a field inside an object as `a.b`) → its kind; absent: other. */
const KINDS: Record<string, Kind> = {
  'channel amqp is': 'destination',
  'channel amqp exchange.name': 'destination',
  'channel amqp exchange.vhost': 'destination',
  'channel amqp queue.name': 'destination',
  'channel amqp queue.vhost': 'destination',
  'channel amqp exchange.type': 'declaration',
  'channel amqp exchange.durable': 'declaration',
  'channel amqp exchange.autoDelete': 'declaration',
  'channel amqp queue.durable': 'declaration',
  'channel amqp queue.exclusive': 'declaration',
  'channel amqp queue.autoDelete': 'declaration',
  'operation amqp cc': 'destination',
  'operation amqp bcc': 'destination',
  'message amqp contentEncoding': 'encoding',
  'channel sqs queue.name': 'destination',
  'channel sqs queue.fifoQueue': 'destination',
  'operation sqs queues': 'destination',
  'channel sns name': 'destination',
  'operation sns topic': 'destination',
  'channel ibmmq destinationType': 'destination',
  'channel ibmmq queue.objectName': 'destination',
  'channel ibmmq topic.string': 'destination',
  'channel ibmmq topic.objectName': 'destination',
  'message ibmmq type': 'encoding',
  'server pulsar tenant': 'destination',
  'channel pulsar namespace': 'destination',
  'channel pulsar persistence': 'destination',
  'channel anypointmq destination': 'destination',
  'channel anypointmq destinationType': 'destination',
  'operation solace destinations': 'destination',
  'server solace msgVpn': 'destination',
  'operation http method': 'destination',
  'channel ws method': 'destination',
  'message mqtt payloadFormatIndicator': 'encoding',
  'message mqtt contentType': 'encoding',
  'message kafka schemaIdLocation': 'encoding',
  'message kafka schemaIdPayloadEncoding': 'encoding',
  'message kafka schemaLookupStrategy': 'encoding',
};

/** Objects whose members are classed one by one. */
const NESTED = new Set(['exchange', 'queue', 'topic', 'deadLetterQueue']);

/** Fields other rules decide (compare.ts): not reported here. */
const OWN_RULES = new Set([
  'channel kafka topic',
  'channel kafka partitions',
  'channel kafka replicas',
  'channel kafka topicConfiguration',
  'operation kafka groupId',
  'message kafka key',
]);

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface BindingChange {
  rule: string;
  /** `amqp exchange.name "a" -> "b"; ...` */
  detail: string;
  /** Pointer suffix of the protocol's binding, e.g. `/bindings/amqp`. */
  suffix: string;
}

/** The binding changes of one server, channel, operation or message: one per protocol and kind. */
export function compareBindings(owner: BindingOwner, oldBindings: unknown, newBindings: unknown): BindingChange[] {
  const ob = isObj(oldBindings) ? oldBindings : {};
  const nb = isObj(newBindings) ? newBindings : {};
  const out: BindingChange[] = [];
  for (const protocol of [...new Set([...Object.keys(ob), ...Object.keys(nb)])].sort()) {
    const o = isObj(ob[protocol]) ? (ob[protocol] as Obj) : {};
    const n = isObj(nb[protocol]) ? (nb[protocol] as Obj) : {};
    const byKind = new Map<Kind, string[]>();
    const note = (field: string, a: unknown, b: unknown) => {
      if (sameSchema(a, b)) return;
      if (OWN_RULES.has(`${owner} ${protocol} ${field.split('.')[0]}`)) return;
      const kind = KINDS[`${owner} ${protocol} ${field}`] ?? 'other';
      byKind.set(kind, [...(byKind.get(kind) ?? []), `${field} ${show(a)} -> ${show(b)}`]);
    };
    for (const key of [...new Set([...Object.keys(o), ...Object.keys(n)])].sort()) {
      if (key === 'bindingVersion') continue;
      if (NESTED.has(key) && (isObj(o[key]) || isObj(n[key]))) {
        const oo = isObj(o[key]) ? (o[key] as Obj) : {};
        const nn = isObj(n[key]) ? (n[key] as Obj) : {};
        for (const sub of [...new Set([...Object.keys(oo), ...Object.keys(nn)])].sort()) note(`${key}.${sub}`, oo[sub], nn[sub]);
      } else note(key, o[key], n[key]);
    }
    for (const kind of ['destination', 'declaration', 'encoding', 'other'] as const) {
      const changes = byKind.get(kind);
      if (changes) out.push({ rule: RULE[kind], detail: `${protocol} ${changes.join('; ')}`, suffix: `/bindings/${encodePointerSegment(protocol)}` });
    }
  }
  return out;
}

const show = (v: unknown) => (v === undefined ? 'none' : JSON.stringify(v));
