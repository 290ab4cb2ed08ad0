/**
 * The REST API of the skills platform (seed 000: User → API → services). Writes go to
 * the skill and generation services with the request's correlation id
 * (`x-correlation-id`, or a new one, echoed in the response); reads show what the
 * consuming services did.
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { correlationIdOf } from '../shared/http.js';
import type { ServiceTrace } from '../shared/trace.js';
import type { BuildService } from './build-service.js';
import type { GenerationService } from './generation-service.js';
import type { NotificationService } from './notification-service.js';
import type { ProjectSpec } from './project-template.js';
import type { ReportingService } from './reporting-service.js';
import type { SkillInput, SkillPatch, SkillService } from './skill-service.js';
import type { ValidationService } from './validation-service.js';

export interface Services {
  skills: SkillService;
  generation: GenerationService;
  validation: ValidationService;
  notifications: NotificationService;
  builds: BuildService;
  reports: ReportingService;
}

const text = { type: 'string', minLength: 1, maxLength: 200 } as const;
const skillBody = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: { name: text, description: { type: 'string', maxLength: 2000 }, version: text, category: text, created_by: text },
} as const;
const patchBody = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: { name: text, description: { type: 'string', maxLength: 2000 }, version: text, category: text },
} as const;
const generateBody = {
  type: 'object',
  additionalProperties: false,
  required: ['skill_id', 'spec'],
  properties: {
    skill_id: text,
    spec: {
      type: 'object',
      additionalProperties: false,
      required: ['name'],
      properties: {
        spec_id: text,
        name: { type: 'string', pattern: '^[a-z0-9][a-z0-9._-]{0,100}$' },
        greeting: { type: 'string', minLength: 1, maxLength: 100 },
        examples: {
          type: 'array',
          maxItems: 100,
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['input', 'expected'],
            properties: { input: { type: 'string', maxLength: 200 }, expected: { type: 'string', maxLength: 400 } },
          },
        },
      },
    },
  },
} as const;

type IdParams = { Params: { id: string } };

export function createApi(services: Services, trace: ServiceTrace): FastifyInstance {
  const app = Fastify({ logger: false });

  /** The correlation id of a write, echoed and traced before anything is published. */
  const begin = (request: FastifyRequest, reply: FastifyReply): string => {
    const id = correlationIdOf(request);
    reply.header('x-correlation-id', id);
    trace.http(request.method, request.routeOptions.url ?? request.url, id);
    return id;
  };

  app.post<{ Body: SkillInput }>('/skills', { schema: { body: skillBody } }, async (request, reply) => {
    const cid = begin(request, reply);
    const skill = await services.skills.create(request.body, cid);
    return reply.code(201).send({ ...skill, correlation_id: cid });
  });

  app.patch<IdParams & { Body: SkillPatch }>('/skills/:id', { schema: { body: patchBody } }, async (request, reply) => {
    const cid = begin(request, reply);
    const result = await services.skills.update(request.params.id, request.body, cid);
    if (!result) return reply.code(404).send({ error: `no skill ${request.params.id}`, correlation_id: cid });
    return { ...result.skill, changes: result.changes, correlation_id: cid };
  });

  app.delete<IdParams>('/skills/:id', async (request, reply) => {
    const cid = begin(request, reply);
    const by = request.headers['x-user'];
    const deleted = await services.skills.remove(request.params.id, cid, typeof by === 'string' && by ? by : undefined);
    if (!deleted) return reply.code(404).send({ error: `no skill ${request.params.id}`, correlation_id: cid });
    return reply.code(200).send({ skill_id: request.params.id, deleted: true, correlation_id: cid });
  });

  app.post<{ Body: { skill_id: string; spec: ProjectSpec } }>('/generate', { schema: { body: generateBody } }, async (request, reply) => {
    const cid = begin(request, reply);
    const project = await services.generation.generate(request.body.skill_id, request.body.spec, cid);
    // 422: the request was well formed but the generation failed (generation.failed was published)
    return reply.code(project.status === 'generated' ? 201 : 422).send(project);
  });

  app.get('/skills', async () => services.skills.list());
  app.get<IdParams>(
    '/skills/:id',
    async (request, reply) => services.skills.get(request.params.id) ?? reply.code(404).send({ error: `no skill ${request.params.id}` }),
  );
  app.get('/templates', async () => services.generation.templates());
  app.get<IdParams>('/projects/:id', async (request, reply) => {
    const project = services.generation.project(request.params.id);
    if (!project) return reply.code(404).send({ error: `no project ${request.params.id}` });
    const report = services.reports.list().find((r) => r.project_id === project.project_id);
    return {
      ...project,
      validation: services.validation.validation(project.project_id) ?? null,
      build: services.builds.build(project.project_id) ?? null,
      report: report ?? null,
    };
  });

  type Filter = { Querystring: { correlation_id?: string; project_id?: string; event_type?: string } };
  app.get<Filter>('/notifications', async (request) => {
    const q = request.query;
    return services.notifications
      .list()
      .filter((n) => (!q.correlation_id || n.correlation_id === q.correlation_id) && (!q.event_type || n.event_type === q.event_type));
  });
  app.get<Filter>('/builds', async (request) => services.builds.list().filter((b) => !request.query.project_id || b.project_id === request.query.project_id));
  app.get<Filter>('/reports', async (request) => services.reports.list().filter((r) => !request.query.project_id || r.project_id === request.query.project_id));

  return app;
}
