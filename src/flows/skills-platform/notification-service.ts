/**
 * The notification service (group notify-service, seed 001: "All topics"): one
 * subscription per topic; every event becomes a stored notification, once per event id.
 */
import type { SkillsPlatformEvents } from '../../../generated/skills-platform/index.js';
import type { EventContext, EventSubscription } from '@event-contracts/runtime';
import { SUBSCRIBE } from '../shared/clients.js';
import { serviceClient, type ServiceContext } from './context.js';

export interface Notification {
  event_id: string;
  event_type: string;
  correlation_id: string;
  subject: string;
  message: string;
  received_at: string;
}

type Events = SkillsPlatformEvents;

/** The line a user reads, per event type. */
const MESSAGES: { [K in keyof Events]: (e: Events[K]) => [subject: string, message: string] } = {
  'skill.created': (e) => [e.data.skill_id, `Skill "${e.data.name}" was created`],
  'skill.updated': (e) => [e.data.skill_id, `Skill ${e.data.skill_id} changed: ${e.data.changes.join(', ')}`],
  'skill.deleted': (e) => [e.data.skill_id, `Skill ${e.data.skill_id} was deleted`],
  'templates.updated': (e) => [e.data.skill_id, `${e.data.template_ids.length} template(s) of skill ${e.data.skill_id} updated`],
  'project.generated': (e) => [e.data.project_id, `Project ${e.data.project_id} generated (${e.data.files_count} files)`],
  'project.completed': (e) => [e.data.project_id, `Project ${e.data.project_id} finished: ${e.data.status} in ${e.data.duration_ms} ms`],
  'generation.failed': (e) => [e.data.project_id, `Generation of ${e.data.project_id} failed: ${e.data.error_code}`],
  'validation.completed': (e) => [
    e.data.project_id,
    `Validation of ${e.data.project_id} ${e.data.status}: ${e.data.tests_passed} passed, ${e.data.tests_failed} failed`,
  ],
  'validation.failed': (e) => [e.data.project_id, `Validation of ${e.data.project_id} could not run: ${e.data.error_code}`],
};

export function startNotificationService(ctx: ServiceContext) {
  const { client, trace } = serviceClient('notification-service', ctx);
  const notifications = new Map<string, Notification>();

  function store<K extends keyof Events>(type: K) {
    return (event: Events[K], c: EventContext) => {
      trace.handled(c);
      if (notifications.has(event.event_id)) return;
      const [subject, message] = MESSAGES[type](event);
      notifications.set(event.event_id, {
        event_id: event.event_id,
        event_type: type,
        correlation_id: event.correlation_id,
        subject,
        message,
        received_at: new Date().toISOString(),
      });
    };
  }

  async function subscribe(): Promise<EventSubscription[]> {
    return Promise.all([
      client.onNotifyServiceSkillCreated(store('skill.created'), SUBSCRIBE),
      client.onNotifyServiceSkillUpdated(store('skill.updated'), SUBSCRIBE),
      client.onNotifyServiceSkillDeleted(store('skill.deleted'), SUBSCRIBE),
      client.onNotifyServiceTemplatesUpdated(store('templates.updated'), SUBSCRIBE),
      client.onNotifyServiceProjectGenerated(store('project.generated'), SUBSCRIBE),
      client.onNotifyServiceProjectCompleted(store('project.completed'), SUBSCRIBE),
      client.onNotifyServiceGenerationFailed(store('generation.failed'), SUBSCRIBE),
      client.onNotifyServiceValidationCompleted(store('validation.completed'), SUBSCRIBE),
      client.onNotifyServiceValidationFailed(store('validation.failed'), SUBSCRIBE),
    ]);
  }

  return {
    subscribe,
    list: (): Notification[] => [...notifications.values()],
    close: () => client.close(),
  };
}

export type NotificationService = ReturnType<typeof startNotificationService>;
