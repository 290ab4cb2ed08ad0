/**
 * The generation service (group gen-service): keeps a template registry from
 * skill.created / skill.updated and publishes templates.updated; generates projects on
 * request (POST /generate), writing real files, then publishes project.generated and
 * project.completed, or generation.failed and project.completed with status failed.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  skillsPlatformOperations as ops,
  type GenerationFailedInput,
  type ProjectCompletedInput,
  type ProjectGeneratedInput,
  type TemplatesUpdatedInput,
} from '../../../generated/skills-platform/index.js';
import type { EventSubscription } from '@event-contracts/runtime';
import { SUBSCRIBE } from '../shared/clients.js';
import { defined, serviceClient, type ServiceContext } from './context.js';
import { TEMPLATE_FILES, renderProject, templatesTouchedBy, type ProjectSpec, type SkillTemplate } from './project-template.js';

export interface Project {
  project_id: string;
  skill_id: string;
  spec_id?: string;
  status: 'generated' | 'failed';
  output_path?: string;
  files: string[];
  duration_ms: number;
  error?: { code: string; message: string };
  correlation_id: string;
}

export function startGenerationService(ctx: ServiceContext) {
  const { client, trace } = serviceClient('generation-service', ctx);
  const templates = new Map<string, SkillTemplate>();
  const projects = new Map<string, Project>();
  const outputRoot = join(ctx.options.workDir, 'projects');
  let subscriptions: EventSubscription[] = [];

  async function subscribe(): Promise<EventSubscription[]> {
    subscriptions = await Promise.all([
      client.onGenServiceSkillCreated(async (event, c) => {
        trace.handled(c);
        const d = event.data;
        templates.set(
          d.skill_id,
          defined({ skill_id: d.skill_id, name: d.name, description: d.description, version: d.version, category: d.category, revision: 1, stale_fields: [] }),
        );
        const payload: TemplatesUpdatedInput = { data: { skill_id: d.skill_id, template_ids: TEMPLATE_FILES.map((f) => `${d.skill_id}/${f}`) } };
        trace.published(await c.publish(ops.sendTemplatesUpdated, payload), 'templates.updated', `${TEMPLATE_FILES.length} templates`);
      }, SUBSCRIBE),
      client.onGenServiceSkillUpdated(async (event, c) => {
        trace.handled(c);
        const { skill_id, changes } = event.data;
        const known = templates.get(skill_id);
        // skill.updated names the changed fields, not their values: the templates are marked stale
        if (known) templates.set(skill_id, { ...known, revision: known.revision + 1, stale_fields: [...new Set([...known.stale_fields, ...changes])] });
        const touched = known ? templatesTouchedBy(changes).map((f) => `${skill_id}/${f}`) : [];
        const payload: TemplatesUpdatedInput = { data: { skill_id, template_ids: touched } };
        trace.published(await c.publish(ops.sendTemplatesUpdated, payload), 'templates.updated', `${touched.length} templates`);
      }, SUBSCRIBE),
    ]);
    return subscriptions;
  }

  async function fail(project: Project, spec: ProjectSpec, code: string, message: string, retryable: boolean): Promise<Project> {
    project.status = 'failed';
    project.error = { code, message };
    projects.set(project.project_id, project);
    const correlationId = project.correlation_id;
    const failed: GenerationFailedInput = {
      data: defined({ project_id: project.project_id, skill_id: project.skill_id, spec_id: spec.spec_id, error_code: code, error_message: message, retryable }),
    };
    const r = await client.publishGenerationFailed(failed, { correlationId });
    trace.published(r, 'generation.failed', code);
    const completed: ProjectCompletedInput = { data: { project_id: project.project_id, duration_ms: project.duration_ms, status: 'failed' } };
    trace.published(await client.publishProjectCompleted(completed, { correlationId, causationId: r.eventId }), 'project.completed', 'status=failed');
    return project;
  }

  return {
    subscribe,
    templates: (): SkillTemplate[] => [...templates.values()],
    project: (id: string): Project | undefined => projects.get(id),

    /** Generates a project from a skill's templates; the result says whether it failed. */
    async generate(skillId: string, spec: ProjectSpec, correlationId: string): Promise<Project> {
      const started = performance.now();
      const project: Project = defined({
        project_id: `proj-${randomUUID().slice(0, 8)}`,
        skill_id: skillId,
        spec_id: spec.spec_id,
        status: 'generated' as const,
        files: [],
        duration_ms: 0,
        correlation_id: correlationId,
      });
      const template = templates.get(skillId);
      if (!template) {
        return fail(project, spec, 'UNKNOWN_SKILL', `no templates for skill ${skillId} (unknown skill, or its skill.created has not arrived yet)`, true);
      }
      const outputPath = join(outputRoot, project.project_id);
      const files = renderProject(template, spec);
      try {
        for (const [path, content] of files) {
          await mkdir(dirname(join(outputPath, path)), { recursive: true });
          await writeFile(join(outputPath, path), content);
        }
      } catch (err) {
        project.duration_ms = Math.round(performance.now() - started);
        return fail(project, spec, 'GENERATION_IO_ERROR', (err as Error).message, true);
      }
      project.output_path = outputPath;
      project.files = [...files.keys()];
      project.duration_ms = Math.round(performance.now() - started);
      projects.set(project.project_id, project);
      const generated: ProjectGeneratedInput = {
        data: defined({
          project_id: project.project_id,
          skill_id: skillId,
          spec_id: spec.spec_id,
          output_path: outputPath,
          files: project.files,
          files_count: project.files.length,
        }),
      };
      const r = await client.publishProjectGenerated(generated, { correlationId });
      trace.published(r, 'project.generated', `${project.files.length} files`);
      const completed: ProjectCompletedInput = { data: { project_id: project.project_id, duration_ms: project.duration_ms, status: 'success' } };
      trace.published(
        await client.publishProjectCompleted(completed, { correlationId, causationId: r.eventId }),
        'project.completed',
        `status=success ${project.duration_ms}ms`,
      );
      return project;
    },

    close: () => client.close(),
  };
}

export type GenerationService = ReturnType<typeof startGenerationService>;
