/**
 * Trace entries as the services record them and as `evc run` prints them: one line per
 * publish, handle, dead letter or HTTP request, with the correlation id that ties a
 * request's chain together.
 */
import type { EventContext, EventReceipt } from '@event-contracts/runtime';
import type { TraceEntry } from '../registry.js';

/** The first 8 characters of an id: enough to tell the chains of one run apart. */
export function shortId(id: string | undefined): string {
  return id ? id.slice(0, 8) : '-';
}

/** `+  0.123s  gen-service        published  templates.updated          9b1f2c3d  detail` */
export function formatTraceLine(entry: TraceEntry, startedAt: number): string {
  const offset = `+${((entry.at - startedAt) / 1000).toFixed(3)}s`.padStart(9);
  const what = entry.type && entry.type !== entry.channel ? `${entry.channel} (${entry.type})` : entry.channel;
  const line = `${offset}  ${entry.service.padEnd(20)} ${entry.action.padEnd(13)} ${what.padEnd(42)} ${shortId(entry.correlationId)}`;
  return entry.detail ? `${line}  ${entry.detail}` : line;
}

/** What one service records: its publishes and the events it handles. */
export interface ServiceTrace {
  published(receipt: EventReceipt, type: string, detail?: string): void;
  handled(ctx: EventContext, detail?: string): void;
  http(method: string, url: string, correlationId: string, detail?: string): void;
}

export function serviceTrace(service: string, trace: (entry: TraceEntry) => void): ServiceTrace {
  return {
    published(receipt, type, detail) {
      trace({
        at: Date.now(),
        service,
        action: 'published',
        channel: receipt.channel,
        type,
        eventId: receipt.eventId,
        correlationId: receipt.correlationId,
        ...(detail ? { detail } : {}),
      });
    },
    handled(ctx, detail) {
      trace({
        at: Date.now(),
        service,
        action: 'handled',
        channel: ctx.channel,
        ...(ctx.eventType ? { type: ctx.eventType } : {}),
        ...(ctx.eventId ? { eventId: ctx.eventId } : {}),
        ...(ctx.correlationId ? { correlationId: ctx.correlationId } : {}),
        detail: detail ? `group=${ctx.group} ${detail}` : `group=${ctx.group}`,
      });
    },
    http(method, url, correlationId, detail) {
      trace({ at: Date.now(), service, action: 'http', channel: `${method} ${url}`, correlationId, ...(detail ? { detail } : {}) });
    },
  };
}

/** Collects trace entries (tests, demos) and answers "which events did this request cause". */
export class TraceLog {
  readonly entries: TraceEntry[] = [];
  private readonly listeners = new Set<() => void>();

  /** Bound, so it can be passed as FlowRunOptions.trace. */
  readonly push = (entry: TraceEntry): void => {
    this.entries.push(entry);
    for (const l of this.listeners) l();
  };

  forCorrelation(correlationId: string): TraceEntry[] {
    return this.entries.filter((e) => e.correlationId === correlationId);
  }

  /** Event types one service published or handled under a correlation id, in the order it did so. */
  types(correlationId: string, service: string, action: TraceEntry['action']): string[] {
    return this.forCorrelation(correlationId)
      .filter((e) => e.service === service && e.action === action)
      .map((e) => e.type ?? e.channel);
  }

  /** Resolves when `condition` holds; rejects with `what` and the correlated entries after `timeoutMs`. */
  waitFor(condition: () => boolean, what: string, timeoutMs: number): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!condition()) return;
        clearTimeout(timer);
        this.listeners.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.listeners.delete(check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      this.listeners.add(check);
    });
  }
}
