/**
 * What generated code hands the runtime: everything it needs about a system, with no
 * AsyncAPI parsing at run time. `evc generate` emits one SystemDescriptor per contract.
 */

/** A precompiled validator (ajv standalone). Returns true when valid; sets `.errors` otherwise. */
export interface ValidateFunction {
  (data: unknown): boolean;
  errors?: ValidatorError[] | null;
}

/** ajv's error object, the fields we use. */
export interface ValidatorError {
  instancePath: string;
  schemaPath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}

export interface EnvelopeDescriptor {
  /** JSON pointers into the payload. */
  id: string;
  type: string;
  time?: string;
  correlationId?: string;
  causationId?: string;
  sequence?: string;
  data?: string;
}

export interface MessageDescriptor {
  /** Message id in the contract. */
  id: string;
  name: string;
  /** Value of the envelope's type field for this message. */
  eventType?: string;
  contentType: string;
  /** Validates the whole payload (first-error mode). */
  validate: ValidateFunction;
  /**
   * Same schema compiled in all-errors mode. Run only after `validate` failed, so a
   * ValidationError can list every violation. Optional: without it the first error is
   * reported.
   */
  validateAll?: ValidateFunction;
  /** Validates headers when the contract declares them. */
  validateHeaders?: ValidateFunction;
  /** JSON pointer into the payload for the key (from `x-evc-key`). */
  keyPointer?: string;
  /** JSON pointer into the payload for the correlation id (from `correlationId.location`). */
  correlationIdPointer?: string;
  /** Header that carries the correlation id (from a `correlationId.location` of `$message.header#/<name>`). */
  correlationIdHeader?: string;
}

export interface ChannelDescriptor {
  id: string;
  /** Address with `{param}` placeholders. */
  address: string;
  parameters: string[];
  messages: MessageDescriptor[];
  /** Dead-letter address. */
  deadLetter: string;
  kafka?: { partitions?: number; replicas?: number; config?: Record<string, string> };
  redis?: { maxlen?: number; approximate?: boolean; minIdMs?: number };
}

export interface OperationDescriptor {
  id: string;
  action: 'send' | 'receive';
  channel: ChannelDescriptor;
  messages: MessageDescriptor[];
  /** Consumer group for receive operations. */
  group?: string;
  /** Environment variable that overrides the group. */
  groupEnv?: string;
  /** `x-evc-claim-idle-ms`: Redis Streams takeover of a dead member's pending entries. */
  claimIdleMs?: number;
  /** `x-evc-session-timeout-ms` / `x-evc-heartbeat-interval-ms`: Kafka group membership timings. */
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  service?: string;
  /** The reply of a request/reply operation (AsyncAPI 3 `reply`): `request()` on a send operation, `ctx.reply()` on a receive one. */
  reply?: ReplyDescriptor;
}

/**
 * Where a reply goes and what it carries. The address is the one `addressHeader` or
 * `addressPointer` of the request names (the contract's `reply.address.location`), else
 * the reply channel's fixed address.
 */
export interface ReplyDescriptor {
  /** The reply channel (address, bindings), when the contract names one. */
  channel?: ChannelDescriptor;
  /** The messages a reply may be (`reply.messages`, else the reply channel's). */
  messages: MessageDescriptor[];
  /** Header of the request that holds the reply address (`$message.header#/<name>`). */
  addressHeader?: string;
  /** JSON pointer into the request payload that holds the reply address (`$message.payload#/...`). */
  addressPointer?: string;
}

export interface SystemDescriptor {
  id: string;
  title: string;
  version: string;
  envelope?: EnvelopeDescriptor;
  channels: ChannelDescriptor[];
  operations: OperationDescriptor[];
}
