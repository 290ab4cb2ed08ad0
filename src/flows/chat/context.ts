/** What every chat service is started with. */
import { createChatClient, type ChatClient } from '../../../generated/chat/index.js';
import type { ClientOptions } from '@event-contracts/runtime';
import type { FlowRunOptions } from '../registry.js';
import { clientOptions } from '../shared/clients.js';
import { serviceTrace, type ServiceTrace } from '../shared/trace.js';

export interface ServiceContext {
  options: FlowRunOptions;
  /** Consumer-group overrides by operation id (see shared/clients.ts); environment variables still win. */
  groups: Record<string, string>;
}

/** Each service has its own client (source = service name) and its own trace. */
export function serviceClient(service: string, ctx: ServiceContext, extra: Partial<ClientOptions> = {}): { client: ChatClient; trace: ServiceTrace } {
  return {
    client: createChatClient({ ...clientOptions(service, ctx.options, ctx.groups), ...extra }),
    trace: serviceTrace(service, ctx.options.trace),
  };
}
