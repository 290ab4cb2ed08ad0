/**
 * One error base for the runtime. Every error carries `retriable` (may the same work
 * succeed if tried again?) and an optional `cause`. Names come from `new.target.name`
 * so a subclass can never be mislabelled by a hand-typed string.
 */

const BRAND = Symbol.for('event-contracts.error');

export interface ErrorOptions {
  retriable?: boolean;
  cause?: unknown;
}

export class EventContractsError extends Error {
  readonly retriable: boolean;
  declare readonly cause?: unknown;

  constructor(message: string, options: ErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.retriable = options.retriable ?? false;
    Object.defineProperty(this, BRAND, { value: true });
  }
}

/** One schema violation, in ajv's terms but with a readable path. */
export interface Violation {
  /** JSON pointer into the payload (`''` for the root). */
  path: string;
  message: string;
  keyword: string;
  params: Record<string, unknown>;
}

/** The payload does not match its schema. Never retriable: the same bytes fail again. */
export class ValidationError extends EventContractsError {
  readonly violations: Violation[];
  /** Message id in the contract, when known. */
  readonly messageId: string | undefined;

  constructor(violations: Violation[], options: { messageId?: string; cause?: unknown } = {}) {
    const where = options.messageId ? ` (${options.messageId})` : '';
    const list = violations.map((v) => `${v.path || '/'} ${v.message}`).join('; ');
    super(`invalid payload${where}: ${list}`, { retriable: false, cause: options.cause });
    this.violations = violations;
    this.messageId = options.messageId;
  }
}

/** The encoded message is bigger than the configured limit. */
export class MessageTooLargeError extends EventContractsError {
  readonly size: number;
  readonly limit: number;

  constructor(size: number, limit: number, channel?: string) {
    const where = channel ? ` for ${channel}` : '';
    super(`message of ${size} bytes exceeds the limit of ${limit} bytes${where}`, { retriable: false });
    this.size = size;
    this.limit = limit;
  }
}

/** A broker or connection failure. Retriable unless the transport says otherwise. */
export class TransportError extends EventContractsError {
  /** Native error code when the transport maps one (e.g. Kafka `REQUEST_TIMED_OUT`). */
  readonly code: string | undefined;

  constructor(message: string, options: ErrorOptions & { code?: string } = {}) {
    super(message, { retriable: options.retriable ?? true, cause: options.cause });
    this.code = options.code;
  }
}

/** Every attempt failed; `cause` is the last error. */
export class RetriesExhaustedError extends EventContractsError {
  readonly attempts: number;

  constructor(attempts: number, cause: unknown) {
    super(`gave up after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${errorMessage(cause)}`, {
      retriable: false,
      cause,
    });
    this.attempts = attempts;
  }
}

/** Bytes that are not a decodable message (bad JSON, wrong encoding). */
export class DecodeError extends EventContractsError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { retriable: false, cause: options.cause });
  }
}

/** Wrong or missing settings: a group, an address parameter, an option. */
export class ConfigurationError extends EventContractsError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { retriable: false, cause: options.cause });
  }
}

/** Work that was cut short because a subscription or client is shutting down. */
export class ShutdownError extends EventContractsError {
  constructor(message = 'shutting down', options: { cause?: unknown } = {}) {
    super(message, { retriable: true, cause: options.cause });
  }
}

/** A request got no reply in time. Retriable: the replier may only have been slow. */
export class TimeoutError extends EventContractsError {
  readonly timeoutMs: number;
  constructor(message: string, timeoutMs: number, options: { cause?: unknown } = {}) {
    super(message, { retriable: true, cause: options.cause });
    this.timeoutMs = timeoutMs;
  }
}

export function isEventContractsError(e: unknown): e is EventContractsError {
  return e instanceof EventContractsError || (typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[BRAND] === true);
}
export const isValidationError = (e: unknown): e is ValidationError => e instanceof ValidationError;
export const isMessageTooLargeError = (e: unknown): e is MessageTooLargeError => e instanceof MessageTooLargeError;
export const isTransportError = (e: unknown): e is TransportError => e instanceof TransportError;
export const isRetriesExhaustedError = (e: unknown): e is RetriesExhaustedError => e instanceof RetriesExhaustedError;
export const isDecodeError = (e: unknown): e is DecodeError => e instanceof DecodeError;
export const isConfigurationError = (e: unknown): e is ConfigurationError => e instanceof ConfigurationError;
export const isShutdownError = (e: unknown): e is ShutdownError => e instanceof ShutdownError;
export const isTimeoutError = (e: unknown): e is TimeoutError => e instanceof TimeoutError;

/**
 * Whether an error may be retried. Our errors say so themselves; anything else (a
 * handler's own Error) is assumed transient, except programming errors, which fail
 * the same way every time.
 */
export function isRetriable(e: unknown): boolean {
  if (isEventContractsError(e)) return e.retriable;
  if (e instanceof TypeError || e instanceof ReferenceError || e instanceof SyntaxError || e instanceof RangeError) {
    return false;
  }
  if (typeof e === 'object' && e !== null && typeof (e as { retriable?: unknown }).retriable === 'boolean') {
    return (e as { retriable: boolean }).retriable;
  }
  return true;
}

export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return typeof e === 'string' ? e : (JSON.stringify(e) ?? String(e));
}

export function errorClass(e: unknown): string {
  if (e instanceof Error) return e.name;
  return typeof e;
}
