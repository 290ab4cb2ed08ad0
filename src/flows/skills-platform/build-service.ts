/**
 * The build service (group build-service, seed 000: project.generated goes to it):
 * packages the generated files into a build record with a content digest. It reads
 * files_count (seed 000's field) and checks it against files (seed 001's).
 */
import { createHash, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EventSubscription } from '@event-contracts/runtime';
import { SUBSCRIBE } from '../shared/clients.js';
import { serviceClient, type ServiceContext } from './context.js';
import { withinProjects } from './validation-service.js';

export interface Build {
  build_id: string;
  project_id: string;
  skill_id: string;
  status: 'packaged' | 'failed';
  files_count: number;
  bytes: number;
  /** sha256 over the files' paths and contents, in listed order. */
  digest?: string;
  error?: string;
  correlation_id: string;
}

export function startBuildService(ctx: ServiceContext) {
  const { client, trace } = serviceClient('build-service', ctx);
  const builds = new Map<string, Build>();

  async function subscribe(): Promise<EventSubscription[]> {
    return [
      await client.onBuildServiceProjectGenerated(async (event, c) => {
        trace.handled(c);
        const { project_id, skill_id, output_path, files, files_count } = event.data;
        const build: Build = {
          build_id: `build-${randomUUID().slice(0, 8)}`,
          project_id,
          skill_id,
          status: 'packaged',
          files_count,
          bytes: 0,
          correlation_id: event.correlation_id,
        };
        try {
          if (!withinProjects(join(ctx.options.workDir, 'projects'), output_path, files))
            throw new Error(`${output_path} is not inside this platform's projects folder`);
          if (files.length !== files_count) throw new Error(`files_count ${files_count} != ${files.length} files`);
          const hash = createHash('sha256');
          for (const f of files) {
            const content = await readFile(join(output_path, f));
            hash.update(f).update('\0').update(content).update('\0');
            build.bytes += content.length;
          }
          build.digest = hash.digest('hex');
        } catch (err) {
          build.status = 'failed';
          build.error = (err as Error).message;
        }
        builds.set(project_id, build);
      }, SUBSCRIBE),
    ];
  }

  return {
    subscribe,
    list: (): Build[] => [...builds.values()],
    build: (projectId: string): Build | undefined => builds.get(projectId),
    close: () => client.close(),
  };
}

export type BuildService = ReturnType<typeof startBuildService>;
