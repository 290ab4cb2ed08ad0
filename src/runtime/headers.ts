/** Header names the runtime writes and reads. All lower case, `evc-` prefixed. */
export const HEADER = Object.freeze({
  id: 'evc-id',
  /** The publishing client's `source` (else the system id): with the id, what identifies an event for dedupe. */
  source: 'evc-source',
  type: 'evc-type',
  message: 'evc-message',
  correlationId: 'evc-correlation-id',
  causationId: 'evc-causation-id',
  sequence: 'evc-sequence',
  publishedAt: 'evc-published-at',
  contentType: 'content-type',
  traceparent: 'traceparent',
  tracestate: 'tracestate',
  errorClass: 'evc-error-class',
  errorMessage: 'evc-error-message',
  attempts: 'evc-attempts',
  originalChannel: 'evc-original-channel',
  originalPosition: 'evc-original-position',
  group: 'evc-group',
  deadLetteredAt: 'evc-dead-lettered-at',
});
