/** Validation with precompiled validators, and the errors that explain a failure. */
import type { MessageDescriptor, ValidatorError } from './descriptor.js';
import { ValidationError, type Violation } from './errors.js';

export function toViolation(e: ValidatorError): Violation {
  return {
    path: e.instancePath,
    message: e.message ?? e.keyword,
    keyword: e.keyword,
    params: e.params,
  };
}

/**
 * Builds the ValidationError for a payload that failed `message.validate`. The fast
 * validator stops at the first error, so when the descriptor has an all-errors
 * validator we run it again to list every violation.
 */
export function explainInvalid(message: MessageDescriptor, payload: unknown): ValidationError {
  let errors = message.validate.errors ?? [];
  if (message.validateAll) {
    message.validateAll(payload);
    if (message.validateAll.errors && message.validateAll.errors.length > 0) errors = message.validateAll.errors;
  }
  const violations = errors.length > 0 ? errors.map(toViolation) : [{ path: '', message: 'does not match the schema', keyword: 'schema', params: {} }];
  return new ValidationError(violations, { messageId: message.id });
}

/** Throws a ValidationError unless `payload` is valid for `message`. */
export function assertValid(message: MessageDescriptor, payload: unknown): void {
  if (!message.validate(payload)) throw explainInvalid(message, payload);
}

/**
 * The headers a contract's header schema describes: what the publisher's caller set. The
 * runtime's own headers (content-type, evc-*, W3C trace context) are added after the
 * publisher validated the caller's, so they are left out here too.
 */
export function userHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k in headers) {
    if (k === 'content-type' || k === 'traceparent' || k === 'tracestate' || k.startsWith('evc-')) continue;
    out[k] = headers[k]!;
  }
  return out;
}

/** ValidationError for headers that break the message's header schema (paths under /headers). */
export function explainInvalidHeaders(message: MessageDescriptor, headers: Record<string, string>): ValidationError {
  const check = message.validateHeaders!;
  check(headers);
  const violations = (check.errors ?? []).map((e) => {
    const v = toViolation(e);
    return { ...v, path: `/headers${v.path}` };
  });
  return new ValidationError(violations, { messageId: message.id });
}
