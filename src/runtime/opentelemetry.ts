/**
 * `@event-contracts/runtime/opentelemetry`: W3C trace context propagation through
 * @opentelemetry/api (an optional peer dependency: `npm install @opentelemetry/api`).
 * The publisher writes the active span's `traceparent` header; the consumer runs the
 * handler inside a CONSUMER span that continues that trace.
 *
 * @example
 * import { openTelemetryTracing } from '@event-contracts/runtime/opentelemetry';
 * const sdk = createSkillsPlatformClient({ transport, tracing: openTelemetryTracing() });
 */
import type * as Otel from '@opentelemetry/api';
import { requirePeer } from './peer.js';
import type { Tracing } from './tracing.js';

type OtelApi = typeof Otel;

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** Tracing over @opentelemetry/api: the module given, else the installed one. */
export function openTelemetryTracing(api?: OtelApi): Tracing {
  const o = api ?? requirePeer<OtelApi>('@opentelemetry/api', '@event-contracts/runtime/opentelemetry');
  return {
    activeTraceparent() {
      const span = o.trace.getActiveSpan();
      if (!span) return undefined;
      const sc = span.spanContext();
      if (!o.isSpanContextValid(sc)) return undefined;
      return `00-${sc.traceId}-${sc.spanId}-${(sc.traceFlags & 0xff).toString(16).padStart(2, '0')}`;
    },
    withRemoteParent(traceparent, spanName, fn) {
      if (!traceparent) return fn();
      const m = TRACEPARENT.exec(traceparent);
      if (!m) return fn();
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
    },
  };
}
