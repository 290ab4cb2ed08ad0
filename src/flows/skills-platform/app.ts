/**
 * The skills platform's services on one transport: REST API, skill, generation,
 * validation, notification, build and reporting services, each with its own generated
 * client. index.ts makes it a runnable flow with its scenario (demo.ts).
 */
import { skillsPlatformSystem } from '../../../generated/skills-platform/index.js';
import type { FlowRunOptions, RunningFlow } from '../registry.js';
import { groupOverrides, type FlowExtras } from '../shared/clients.js';
import { listen } from '../shared/http.js';
import { TraceLog, serviceTrace } from '../shared/trace.js';
import { createApi, type Services } from './api.js';
import { startBuildService } from './build-service.js';
import { startGenerationService } from './generation-service.js';
import { startNotificationService } from './notification-service.js';
import { startReportingService } from './reporting-service.js';
import { startSkillService } from './skill-service.js';
import { startValidationService } from './validation-service.js';

export interface SkillsPlatformRunning extends RunningFlow {
  url: string;
  services: Services;
  /** Every trace entry of this run (also passed on to options.trace). */
  log: TraceLog;
  /** Consumer groups each service joined. */
  groups: Record<string, string[]>;
}

export async function startSkillsPlatform(options: FlowRunOptions & FlowExtras): Promise<SkillsPlatformRunning> {
  const log = new TraceLog();
  const trace = options.trace;
  const run: FlowRunOptions = { ...options, trace: (e) => (log.push(e), trace(e)) };
  const ctx = { options: run, groups: groupOverrides(options.transportKind, skillsPlatformSystem.operations, options.env, options) };
  const services: Services = {
    skills: startSkillService(ctx),
    generation: startGenerationService(ctx),
    validation: startValidationService(ctx),
    notifications: startNotificationService(ctx),
    builds: startBuildService(ctx),
    reports: startReportingService(ctx),
  };
  const closeAll = () => Promise.allSettled(Object.values(services).map((s) => s.close()));
  const groups: Record<string, string[]> = {};
  let app: ReturnType<typeof createApi> | undefined;
  try {
    const consumers = {
      'generation-service': services.generation,
      'validation-service': services.validation,
      'notification-service': services.notifications,
      'build-service': services.builds,
      'reporting-service': services.reports,
    };
    await Promise.all(
      Object.entries(consumers).map(async ([name, s]) => {
        groups[name] = [...new Set((await s.subscribe()).map((sub) => sub.group))];
      }),
    );
    app = createApi(services, serviceTrace('api', run.trace));
    const url = await listen(app, options.port);
    return {
      url,
      services,
      log,
      groups,
      async stop() {
        await app?.close();
        await closeAll();
      },
    };
  } catch (err) {
    await app?.close().catch(() => {});
    await closeAll();
    throw err;
  }
}
