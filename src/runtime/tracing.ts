/**
 * Trace context propagation is pluggable: the core carries a `traceparent` header between
 * publisher and consumer through a `Tracing` given in ClientOptions, and knows no tracing
 * library. `@event-contracts/runtime/opentelemetry` provides one over @opentelemetry/api.
 */

export interface Tracing {
  /** `traceparent` of the active span, or undefined when there is none. */
  activeTraceparent(): string | undefined;
  /** Runs `fn` inside a consumer span that continues the trace in `traceparent` (or just runs it). */
  withRemoteParent<T>(traceparent: string | undefined, spanName: string, fn: () => Promise<T>): Promise<T>;
}

/** The default: no spans, no traceparent header. */
export const noTracing: Tracing = {
  activeTraceparent: () => undefined,
  withRemoteParent: (_traceparent, _spanName, fn) => fn(),
};
