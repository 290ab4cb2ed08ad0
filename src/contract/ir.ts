/**
 * The intermediate model (IR) of a contract. Lint, diff, codegen and docs read this
 * and never reach back into the raw AsyncAPI document.
 *
 * Schemas in the IR are plain JSON Schema objects: `$ref`s resolved and inlined,
 * `x-parser-*` keys removed, so strict ajv accepts them. Where a schema came from a
 * named component, `x-evc-name` keeps that name (it is stripped again before
 * validators are compiled). The one `$ref` kept is a reference that closes a cycle
 * (a recursive schema): `{ $ref: '#/$defs/<name>' }`, its target in
 * `SystemModel.recursiveSchemas` (see ./recursion.ts).
 */

/** A JSON Schema object as found in the contract (draft 2020-12 / AsyncAPI schema). */
export type JsonSchema = { [key: string]: unknown };

/** Where something is in the sources: a file, a JSON pointer inside it, and line/col. */
export interface SourceLocation {
  /** Absolute path of the file. */
  file: string;
  /** JSON pointer inside that file, e.g. `/channels/skillCreated`. */
  pointer: string;
  /** 1-based line, 0 when unknown. */
  line: number;
  /** 1-based column, 0 when unknown. */
  col: number;
}

export interface EnvelopeModel {
  /** JSON pointers into the payload. */
  id: string;
  type: string;
  time?: string;
  correlationId?: string;
  causationId?: string;
  sequence?: string;
  data?: string;
}

export interface ServerModel {
  id: string;
  host: string;
  protocol: string;
  protocolVersion?: string;
  description?: string;
  location: SourceLocation;
}

export interface ParameterModel {
  name: string;
  description?: string;
  enum?: string[];
  default?: string;
  examples?: string[];
}

export interface KafkaTopicBinding {
  topic?: string;
  partitions?: number;
  replicas?: number;
  topicConfiguration?: Record<string, unknown>;
}

export interface RedisStreamSettings {
  maxlen?: number;
  approximate?: boolean;
  minIdMs?: number;
}

export interface ChannelModel {
  /** Key under `channels` in the document. */
  id: string;
  /** Address with `{param}` placeholders; null when the channel has no address. */
  address: string | null;
  title?: string;
  summary?: string;
  description?: string;
  parameters: ParameterModel[];
  /** Ids of the messages (see MessageModel.id) this channel carries, in document order. */
  messageIds: string[];
  kafka?: KafkaTopicBinding;
  redis?: RedisStreamSettings;
  /** Dead-letter address (`x-evc-dead-letter`, else `<address>.dlq`). */
  deadLetter?: string;
  /** Raw bindings object, for tools that need more than the fields above. */
  bindings: Record<string, unknown>;
  location: SourceLocation;
}

export interface MessageExample {
  name?: string;
  summary?: string;
  payload?: unknown;
  headers?: unknown;
}

export interface MessageModel {
  /**
   * Stable id: the component name when the message is a component
   * (`#/components/messages/SkillCreated` -> `SkillCreated`), else `<channelId>.<key>`.
   */
  id: string;
  /** `name` of the message, else its id. */
  name: string;
  title?: string;
  summary?: string;
  description?: string;
  contentType: string;
  deprecated: boolean;
  payload: JsonSchema;
  /** Stable type name of the payload: its `title`, else its schema component name, else the message id + "Payload". */
  payloadTypeName: string;
  /** Whether the payload type name came from a title or component name (lint: every payload has a stable type name). */
  payloadNameIsStable: boolean;
  headers?: JsonSchema;
  headersTypeName?: string;
  /**
   * Where the headers come from when only message traits set them: each trait's
   * `file#pointer`, in merge order. Messages with the same list share one header type.
   */
  headersFrom?: string[];
  /** Runtime expression, e.g. `$message.payload#/correlation_id`. */
  correlationIdLocation?: string;
  /** Runtime expression for the message key (`x-evc-key`). */
  keyLocation?: string;
  /** Kafka message binding `key` schema. */
  kafkaKey?: JsonSchema;
  /** Value of the envelope's type field for this message (const of the payload at envelope.type). */
  eventType?: string;
  examples: MessageExample[];
  /** Channels that carry this message. */
  channelIds: string[];
  bindings: Record<string, unknown>;
  location: SourceLocation;
}

export type OperationAction = 'send' | 'receive';

export interface OperationModel {
  id: string;
  action: OperationAction;
  channelId: string;
  /** Message ids the operation uses; all of the channel's messages when the document lists none. */
  messageIds: string[];
  /** Whether the operation listed its messages explicitly. */
  messagesListed: boolean;
  title?: string;
  summary?: string;
  description?: string;
  deprecated: boolean;
  /** Consumer group (Kafka `groupId` binding, or `x-evc-group`). */
  group?: string;
  /** Environment variable that overrides the group at run time. */
  groupEnv?: string;
  /** The service that performs this operation (`x-evc-service`). */
  service?: string;
  /** `x-evc-claim-idle-ms`: Redis Streams, how long a dead member's entries stay pending before a live member claims them. */
  claimIdleMs?: number;
  /** `x-evc-session-timeout-ms` / `x-evc-heartbeat-interval-ms`: Kafka group membership timings of this operation's consumers. */
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  /** The reply (request/reply), as a channel id, when declared. */
  replyChannelId?: string;
  /** The reply (AsyncAPI 3 `reply`): where it goes and which messages it carries. */
  reply?: ReplyModel;
  bindings: Record<string, unknown>;
  location: SourceLocation;
}

/** An operation's `reply` (request/reply). */
export interface ReplyModel {
  /** The reply channel, when the reply names one. */
  channelId?: string;
  /**
   * Runtime expression of the reply address (`reply.address.location`, e.g.
   * `$message.header#/replyTo`): the request says where the reply goes.
   */
  addressLocation?: string;
  /** Ids of the reply messages: `reply.messages`, else all of the reply channel's. */
  messageIds: string[];
}

export interface SystemModel {
  /** System id, from the file name: `asyncapi/chat.yaml` -> `chat`. */
  id: string;
  /** Absolute path of the root document. */
  file: string;
  /** All files that went into this system (root first). */
  files: string[];
  /** sha256 of the contents of all files, for caches. */
  contentHash: string;
  asyncapi: string;
  title: string;
  version: string;
  description?: string;
  defaultContentType: string;
  envelope?: EnvelopeModel;
  servers: ServerModel[];
  channels: ChannelModel[];
  messages: MessageModel[];
  operations: OperationModel[];
  /** Named component schemas, after resolution. */
  schemas: Record<string, JsonSchema>;
  /**
   * Schemas that reach themselves, by the name their references use
   * (`{ $ref: '#/$defs/TreeNode' }` means `recursiveSchemas.TreeNode`). Empty for most contracts.
   */
  recursiveSchemas: Record<string, JsonSchema>;
  /** The fully resolved document (refs inlined), for rules that need raw detail. */
  document: Record<string, unknown>;
  /** Line and column of a JSON pointer in one of the system's files. */
  locate(file: string, pointer: string): SourceLocation;
  /** Where a node of this model (a schema, say) was written, when known. */
  locateNode(node: object): SourceLocation | undefined;
}

export type Severity = 'error' | 'warning' | 'info';

export interface Diagnostic {
  severity: Severity;
  /** Stable rule or error id, e.g. `yaml-syntax`, `example-valid`. */
  rule: string;
  message: string;
  location: SourceLocation;
}

export interface LoadResult {
  systems: SystemModel[];
  diagnostics: Diagnostic[];
}
