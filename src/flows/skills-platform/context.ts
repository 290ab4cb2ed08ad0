/** What every skills-platform service is started with. */
import type { FlowRunOptions } from '../registry.js';
import { clientOptions } from '../shared/clients.js';
import { createSkillsPlatformClient, type SkillsPlatformClient } from '../../../generated/skills-platform/index.js';
import { serviceTrace, type ServiceTrace } from '../shared/trace.js';

export interface ServiceContext {
  options: FlowRunOptions;
  /** Consumer-group overrides by operation id (see shared/clients.ts). */
  groups: Record<string, string>;
}

/** Each service has its own client (source = service name) and its own trace. */
export function serviceClient(service: string, ctx: ServiceContext): { client: SkillsPlatformClient; trace: ServiceTrace } {
  return {
    client: createSkillsPlatformClient(clientOptions(service, ctx.options, ctx.groups)),
    trace: serviceTrace(service, ctx.options.trace),
  };
}

/** Drops undefined fields: the payloads are closed schemas, and absent beats undefined. */
export function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
