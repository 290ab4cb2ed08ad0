/**
 * W3C trace context propagation through @opentelemetry/api when it is installed. The
 * package is optional: it is loaded with a dynamic import and its absence is fine.
 */
import type * as Otel from '@opentelemetry/api';

type OtelApi = typeof Otel;

let api: OtelApi | null | undefined; // undefined: not loaded yet; null: not installed
let loading: Promise<OtelApi | null> | undefined;

/** Loads @opentelemetry/api once. Resolves null when it is not installed. */
export function loadTracing(): Promise<OtelApi | null> {
  loading ??= import('@opentelemetry/api').then(
    (m) => (api = m),
    () => (api = null),
  );
  return loading;
}

/** True once loadTracing settled (so hot paths can skip awaiting it). */
export const tracingLoaded = (): boolean => api !== undefined;

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** `traceparent` of the active span, or undefined when there is none (or no OpenTelemetry). */
export function activeTraceparent(): string | undefined {
  if (!api) return undefined;
  const span = api.trace.getActiveSpan();
  if (!span) return undefined;
  const sc = span.spanContext();
  if (!api.isSpanContextValid(sc)) return undefined;
  return `00-${sc.traceId}-${sc.spanId}-${(sc.traceFlags & 0xff).toString(16).padStart(2, '0')}`;
}

/**
 * Runs `fn` inside a consumer span that continues the trace in `traceparent`. Without
 * OpenTelemetry, or without a traceparent, just runs `fn`.
 */
export function withRemoteParent<T>(traceparent: string | undefined, spanName: string, fn: () => Promise<T>): Promise<T> {
  if (!api || !traceparent) return fn();
  const m = TRACEPARENT.exec(traceparent);
  if (!m) return fn();
  const o = api;
  const parent = o.trace.setSpanContext(o.context.active(), {
    traceId: m[2]!,
    spanId: m[3]!,
    traceFlags: parseInt(m[4]!, 16),
    isRemote: true,
  });
  const span = o.trace.getTracer('event-contracts').startSpan(spanName, { kind: o.SpanKind.CONSUMER }, parent);
  return o.context.with(o.trace.setSpan(parent, span), async () => {
    try {
      return await fn();
    } catch (e) {
      span.setStatus({ code: o.SpanStatusCode.ERROR, message: e instanceof Error ? e.message : String(e) });
      throw e;
    } finally {
      span.end();
    }
  });
}
