/** The runtime's public API: what generated SDKs and services import. */
export { createClient } from './client.js';
export type {
  ClientOptions,
  EventClient,
  EventContext,
  EventHandler,
  EventReceipt,
  EventSubscription,
  PublishOptions,
  ReplyContext,
  RequestOptions,
  SubscribeHandlerOptions,
} from './client-types.js';
export type {
  ChannelDescriptor,
  EnvelopeDescriptor,
  MessageDescriptor,
  OperationDescriptor,
  ReplyDescriptor,
  SystemDescriptor,
  ValidateFunction,
  ValidatorError,
} from './descriptor.js';
export type { ChannelSpec, Delivery, PublishReceipt, SubscribeOptions, Subscription, Transport, WireMessage } from './transport.js';
export {
  ConfigurationError,
  DecodeError,
  EventContractsError,
  MessageTooLargeError,
  RetriesExhaustedError,
  ShutdownError,
  TimeoutError,
  TransportError,
  ValidationError,
  errorClass,
  errorMessage,
  isConfigurationError,
  isDecodeError,
  isEventContractsError,
  isMessageTooLargeError,
  isRetriable,
  isRetriesExhaustedError,
  isShutdownError,
  isTimeoutError,
  isTransportError,
  isValidationError,
  type ErrorOptions,
  type Violation,
} from './errors.js';
export { DEFAULT_RETRY_POLICY, backoffDelay, resolveRetryPolicy, retry, type RetryOptions, type RetryPolicy } from './retry.js';
export { createMemoryTransport, type MemoryTransportOptions } from './transports/memory/index.js';
export { createMemoryDedupeStore, dedupeKey, type DedupeStore, type MemoryDedupeOptions } from './dedupe.js';
export type { InboxMark, InboxOutcome, OutboxRecord, OutboxWriter, TransactionClient, TransactionalInbox } from './transaction.js';
export { createMetrics, type ConsumerInstruments, type Metrics, type MetricsOptions } from './metrics.js';
export type { Collector, MetricValue } from './metric-series.js';
export { noTracing, type Tracing } from './tracing.js';
export { createJsonLogger, silentLogger, type JsonLoggerOptions, type LogFields, type LogLevel, type Logger } from './logger.js';
export {
  fromBinaryCloudEvent,
  fromCloudEvent,
  toBinaryCloudEvent,
  toCloudEvent,
  type BinaryCloudEvent,
  type CloudEvent,
  type ToCloudEventOptions,
} from './cloudevents.js';
export { HEADER } from './headers.js';
/** The deep merge generated message factories use. */
export { mergeOverrides } from './factories.js';
export { keyText, type MessageKey } from './key.js';
/** A delivery's value as text: Kafka and Redis deliver bytes (Buffers), memory what was published. */
export { textOf } from './bytes.js';
export { resolveAddress } from './address.js';
export { getPointer } from './json-pointer.js';
/** ajv-formats' full format set with fast uuid and date checkers (generated validators import `./formats.js` itself). */
export { fullFormats } from './formats.js';
