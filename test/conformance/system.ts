/**
 * A small SystemDescriptor built by hand, as `evc generate` would emit it: one channel,
 * one message (`order.placed`), validators in first-error and all-errors mode compiled by
 * the toolkit's ajv (createAjv: the same formats as generated validators).
 */
import { randomUUID } from 'node:crypto';
import { createAjv } from '../../src/contract/ajv.js';
import type { ChannelDescriptor, MessageDescriptor, OperationDescriptor, SystemDescriptor, ValidateFunction } from '../../src/runtime/index.js';

export const orderPlacedSchema = {
  type: 'object',
  required: ['event_id', 'event_type', 'timestamp', 'correlation_id', 'data'],
  additionalProperties: false,
  properties: {
    event_id: { type: 'string', format: 'uuid' },
    event_type: { const: 'order.placed' },
    timestamp: { type: 'string', format: 'date-time' },
    correlation_id: { type: 'string', minLength: 1 },
    causation_id: { type: 'string' },
    sequence: { type: 'integer', minimum: 1 },
    data: {
      type: 'object',
      required: ['order_id', 'seq'],
      additionalProperties: false,
      properties: {
        order_id: { type: 'string', minLength: 1 },
        seq: { type: 'integer', minimum: 0 },
        note: { type: 'string' },
      },
    },
  },
} as const;

function compile(schema: object, allErrors: boolean): ValidateFunction {
  return createAjv({ allErrors }).compile(schema) as ValidateFunction;
}

const validate = compile(orderPlacedSchema, false);
const validateAll = compile(orderPlacedSchema, true);

export interface OrderPlaced {
  event_id?: string;
  event_type?: 'order.placed';
  timestamp?: string;
  correlation_id?: string;
  causation_id?: string;
  sequence?: number;
  data: { order_id: string; seq: number; note?: string };
}

export interface TestSystem {
  system: SystemDescriptor;
  address: string;
  deadLetter: string;
  message: MessageDescriptor;
  send: OperationDescriptor;
  receive: OperationDescriptor;
}

/** Random, broker-safe names (Kafka topics allow `[a-zA-Z0-9._-]`). */
export function randomName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export function orderSystem(address = randomName('evc-conf')): TestSystem {
  const message: MessageDescriptor = {
    id: 'orderPlaced',
    name: 'OrderPlaced',
    eventType: 'order.placed',
    contentType: 'application/json',
    validate,
    validateAll,
    keyPointer: '/data/order_id',
    correlationIdPointer: '/correlation_id',
  };
  const channel: ChannelDescriptor = {
    id: 'orders',
    address,
    parameters: [],
    messages: [message],
    deadLetter: `${address}.dlq`,
    kafka: { partitions: 4 },
  };
  const send: OperationDescriptor = { id: 'publishOrderPlaced', action: 'send', channel, messages: [message] };
  const receive: OperationDescriptor = { id: 'onOrderPlaced', action: 'receive', channel, messages: [message], group: 'order-service' };
  const system: SystemDescriptor = {
    id: 'orders',
    title: 'Orders',
    version: '1.0.0',
    envelope: {
      id: '/event_id',
      type: '/event_type',
      time: '/timestamp',
      correlationId: '/correlation_id',
      causationId: '/causation_id',
      sequence: '/sequence',
      data: '/data',
    },
    channels: [channel],
    operations: [send, receive],
  };
  return { system, address, deadLetter: channel.deadLetter, message, send, receive };
}

/**
 * A request/reply system (AsyncAPI 3 `reply`): `ask` sends a question on `address` and
 * names its reply address in the `replyTo` header, with the correlation id in the
 * `correlationId` header; the answer keeps it in its payload (`/inReplyTo`).
 */
export interface QuestionSystem {
  system: SystemDescriptor;
  address: string;
  ask: OperationDescriptor;
  answer: OperationDescriptor;
}

export interface Question {
  question: string;
}

export interface Answer {
  answer: string;
  inReplyTo?: string;
}

export function questionSystem(address = randomName('evc-conf-rr')): QuestionSystem {
  const questionSchema = { type: 'object', required: ['question'], additionalProperties: false, properties: { question: { type: 'string' } } };
  const answerSchema = {
    type: 'object',
    required: ['answer', 'inReplyTo'],
    additionalProperties: false,
    properties: { answer: { type: 'string' }, inReplyTo: { type: 'string', minLength: 1 } },
  };
  const question: MessageDescriptor = {
    id: 'question',
    name: 'Question',
    contentType: 'application/json',
    validate: compile(questionSchema, false),
    validateAll: compile(questionSchema, true),
    correlationIdHeader: 'correlationId',
  };
  const answer: MessageDescriptor = {
    id: 'answer',
    name: 'Answer',
    contentType: 'application/json',
    validate: compile(answerSchema, false),
    validateAll: compile(answerSchema, true),
    correlationIdPointer: '/inReplyTo',
  };
  const channel: ChannelDescriptor = { id: 'questions', address, parameters: [], messages: [question], deadLetter: `${address}.dlq`, kafka: { partitions: 2 } };
  const answers: ChannelDescriptor = {
    id: 'answers',
    address: 'answers',
    parameters: [],
    messages: [answer],
    deadLetter: 'answers.dlq',
    kafka: { partitions: 1 },
  };
  const reply = { channel: answers, messages: [answer], addressHeader: 'replyTo' };
  const ask: OperationDescriptor = { id: 'ask', action: 'send', channel, messages: [question], reply };
  const answerOp: OperationDescriptor = { id: 'answer', action: 'receive', channel, messages: [question], group: 'answerers', reply };
  const system: SystemDescriptor = { id: 'questions', title: 'Questions', version: '1.0.0', channels: [channel, answers], operations: [ask, answerOp] };
  return { system, address, ask, answer: answerOp };
}
