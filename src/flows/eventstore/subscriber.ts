/**
 * Feeds an EventStore from the bus: subscribes the given receive operations (e.g. the
 * skafu contract's `event-store` group, which receives every channel) and appends each
 * event with its channel, key and headers. The append happens inside the handler, so an
 * event is acknowledged only once it is stored; the store ignores an id it has.
 */
import {
  getPointer,
  type EventClient,
  type EventContext,
  type EventSubscription,
  type OperationDescriptor,
  type SubscribeHandlerOptions,
  type SystemDescriptor,
} from '@event-contracts/runtime';
import type { EventStore, StoredEvent } from './store.js';

export interface EventStoreSubscriber {
  /** Events appended (first time) and ignored (already stored). */
  readonly appended: number;
  readonly ignored: number;
  stop(): Promise<void>;
}

/** An envelope field the descriptor names by pointer; undefined when the contract names none. */
const field = (doc: unknown, ptr: string | undefined): unknown => (ptr ? getPointer(doc, ptr) : undefined);

/** A StoredEvent from a delivered event and its context. */
export function toStoredEvent(system: SystemDescriptor, event: unknown, ctx: EventContext): StoredEvent {
  const time = field(event, system.envelope?.time);
  return {
    system: system.id,
    eventId: ctx.eventId ?? String(field(event, system.envelope?.id)),
    eventType: ctx.eventType ?? ctx.messageId,
    correlationId: ctx.correlationId,
    causationId: ctx.causationId,
    sequence: ctx.sequence,
    occurredAt: typeof time === 'string' ? time : new Date().toISOString(),
    channel: ctx.channel,
    key: ctx.key,
    headers: { ...ctx.headers },
    payload: event,
  };
}

export async function startEventStoreSubscriber(
  client: EventClient,
  system: SystemDescriptor,
  operations: readonly OperationDescriptor[],
  store: EventStore,
  options: SubscribeHandlerOptions = {},
): Promise<EventStoreSubscriber> {
  let appended = 0;
  let ignored = 0;
  const subs: EventSubscription[] = [];
  for (const op of operations) {
    subs.push(
      await client.subscribe(
        op,
        async (event, ctx) => {
          if (await store.append(toStoredEvent(system, event, ctx))) appended++;
          else ignored++;
        },
        options,
      ),
    );
  }
  return {
    get appended() {
      return appended;
    },
    get ignored() {
      return ignored;
    },
    async stop() {
      await Promise.all(subs.map((s) => s.stop()));
    },
  };
}
