/**
 * The notification service (groups notification-service-user and
 * notification-service-chat, overridable by environment): replicates users, stores a
 * welcome notification per new user and a chat_message notification per recipient of
 * a message, and publishes NotificationCreated for each. The notification id is also
 * the event id, so a redelivered source event republishes the same event and consumers
 * drop the duplicate. With PostgreSQL both subscriptions use the store's inbox: the
 * user and notification rows and the event's dedupe mark commit in one transaction
 * (`c.tx`), and a redelivery whose mark committed is acknowledged unhandled;
 * NotificationCreated is written to the store's outbox in that transaction and sent by
 * the relay started here after the commit (so nobody hears of a notification that is not
 * stored, and one that is stored is always announced).
 */
import { randomUUID } from 'node:crypto';
import { chatOperations as ops, type NotificationCreatedInput } from '../../../generated/chat/index.js';
import type { EventContext, EventSubscription } from '@event-contracts/runtime';
import { startOutboxRelay, type OutboxRelay } from '@event-contracts/runtime/postgres';
import { SUBSCRIBE } from '../shared/clients.js';
import { serviceClient, type ServiceContext } from './context.js';
import type { ChatStore, NotificationRow } from './store.js';

export function startNotificationService(ctx: ServiceContext, store: ChatStore) {
  const { client, trace } = serviceClient('notification-service', ctx, store.outbox ? { outbox: store.outbox } : {});
  let relay: OutboxRelay | undefined;

  async function notify(c: EventContext, row: NotificationRow): Promise<void> {
    const { row: stored } = await store.saveNotification(row, c.tx);
    const payload: NotificationCreatedInput = {
      event_id: stored.notification_id,
      data: {
        notification_id: stored.notification_id,
        user_id: stored.user_id,
        type: stored.type,
        title: stored.title,
        body: stored.body,
        source_event_id: stored.source_event_id,
        created_at: stored.created_at,
      },
    };
    trace.published(await c.publish(ops.sendNotificationCreated, payload), 'NotificationCreated', `${stored.type} for ${stored.user_id.slice(0, 8)}`);
  }

  const subscribeOptions = store.inbox ? { ...SUBSCRIBE, inbox: store.inbox } : SUBSCRIBE;

  async function subscribe(): Promise<EventSubscription[]> {
    const subs = await Promise.all([
      client.onNotificationServiceUserUserCreated(async (event, c) => {
        trace.handled(c, `stored in ${store.where}`);
        const u = event.data;
        await store.saveUser({ ...u, source_event_id: event.event_id }, c.tx);
        await notify(c, {
          notification_id: randomUUID(),
          user_id: u.user_id,
          type: 'welcome',
          title: `Welcome, ${u.username}!`,
          body: 'Your account is ready.',
          source_event_id: event.event_id,
          correlation_id: event.correlation_id,
          created_at: new Date().toISOString(),
        });
      }, subscribeOptions),
      client.onNotificationServiceChatChatCreated(async (event, c) => {
        trace.handled(c, `${event.data.recipient_ids.length} recipient(s)`);
        const m = event.data;
        const sender = await store.user(m.sender_id, c.tx);
        for (const recipient of m.recipient_ids) {
          await notify(c, {
            notification_id: randomUUID(),
            user_id: recipient,
            type: 'chat_message',
            title: sender ? `New message from ${sender.username}` : 'New message',
            body: m.content.length > 200 ? `${m.content.slice(0, 199)}…` : m.content,
            source_event_id: event.event_id,
            correlation_id: event.correlation_id,
            created_at: new Date().toISOString(),
          });
        }
      }, subscribeOptions),
    ]);
    if (store.outbox) relay ??= startOutboxRelay({ outbox: store.outbox, transport: ctx.options.transport, pollIntervalMs: 10 });
    return subs;
  }

  return {
    subscribe,
    store,
    /** This service's runtime metrics (evc_consumed_total, evc_duplicates_total, ...). */
    metrics: client.client.metrics,
    async close() {
      await relay?.stop();
      await client.close();
    },
  };
}

export type NotificationService = ReturnType<typeof startNotificationService>;
