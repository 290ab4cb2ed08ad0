/**
 * The skills-platform scenario: create a skill, update it, generate a project from it
 * (written to disk, validated by running its tests), try an unknown skill, delete the
 * skill. Each request has its own correlation id; the demo waits for each chain of
 * events to complete and checks the effects through the read endpoints.
 */
import type { DemoSummary, FlowRunOptions } from '../registry.js';
import { requestJson } from '../shared/http.js';
import { shortId } from '../shared/trace.js';
import type { SkillsPlatformRunning } from './app.js';

/** What a chain must have produced, per service and action, before the demo moves on. */
type Expect = Partial<Record<string, { published?: string[]; handled?: string[] }>>;

export async function runSkillsPlatformDemo(running: SkillsPlatformRunning, options: FlowRunOptions): Promise<DemoSummary> {
  const { url, log } = running;
  const timeoutMs = options.transportKind === 'memory' ? 10_000 : 30_000;
  const lines: string[] = [];
  let ok = true;
  const check = (condition: boolean, what: string) => {
    lines.push(`  ${condition ? 'ok  ' : 'FAIL'} ${what}`);
    if (!condition) ok = false;
  };
  const sorted = (xs: string[]) => [...xs].sort().join(',');

  /** Waits until every expected service did (at least) what is expected, then compares exactly. */
  async function chain(title: string, cid: string, expect: Expect): Promise<void> {
    const matches = (exact: boolean) =>
      Object.entries(expect).every(([service, e]) =>
        (['published', 'handled'] as const).every((action) => {
          const want = e?.[action];
          if (!want) return true;
          const got = log.types(cid, service, action);
          // handled order across topics is not causal (notify-service reads nine topics): compare as sets
          return exact ? sorted(got) === sorted(want) : got.length >= want.length;
        }),
      );
    try {
      await log.waitFor(() => matches(false), `${title} (${shortId(cid)})`, timeoutMs);
      check(matches(true), `${title}: ${log.forCorrelation(cid).filter((e) => e.action !== 'http').length} trace entries under correlation ${shortId(cid)}`);
    } catch (err) {
      check(false, `${title}: ${(err as Error).message}`);
    }
  }

  lines.push(`skills-platform on ${options.transportKind}, API ${url}`);

  // 1. create a skill: skill.created → gen-service updates templates → templates.updated; notify-service stores both
  const created = await requestJson(url, 'POST', '/skills', {
    name: 'greeter',
    description: 'Greets people',
    version: '1.0.0',
    category: 'demo',
    created_by: 'demo',
  });
  const skillId: string = created.body.skill_id;
  check(created.status === 201, `POST /skills → ${created.status} ${skillId}`);
  await chain('skill created', created.body.correlation_id, {
    'skill-service': { published: ['skill.created'] },
    'generation-service': { handled: ['skill.created'], published: ['templates.updated'] },
    'notification-service': { handled: ['skill.created', 'templates.updated'] },
  });

  // 2. update it: skill.updated → templates.updated (the touched templates)
  const patched = await requestJson(url, 'PATCH', `/skills/${skillId}`, { description: 'Greets people warmly' });
  check(
    patched.status === 200 && patched.body.changes?.join() === 'description',
    `PATCH /skills/${skillId} → ${patched.status} changes=${patched.body.changes}`,
  );
  await chain('skill updated', patched.body.correlation_id, {
    'skill-service': { published: ['skill.updated'] },
    'generation-service': { handled: ['skill.updated'], published: ['templates.updated'] },
    'notification-service': { handled: ['skill.updated', 'templates.updated'] },
  });

  // 3. generate a project: files on disk; validation runs its tests; build and report follow
  const spec = {
    spec_id: 'spec-1',
    name: 'hello-greeter',
    greeting: 'Hello',
    examples: [
      { input: 'Ada', expected: 'Hello, Ada!' },
      { input: 'Grace', expected: 'Hello, Grace!' },
      { input: 'Linus', expected: 'Hello, Linus!' },
    ],
  };
  const generated = await requestJson(url, 'POST', '/generate', { skill_id: skillId, spec });
  const projectId: string = generated.body.project_id;
  check(generated.status === 201, `POST /generate → ${generated.status} ${projectId}: ${generated.body.files?.length} files in ${generated.body.output_path}`);
  await chain('project generated and validated', generated.body.correlation_id, {
    'generation-service': { published: ['project.generated', 'project.completed'] },
    'validation-service': { handled: ['project.generated'], published: ['validation.completed'] },
    'build-service': { handled: ['project.generated'] },
    'reporting-service': { handled: ['validation.completed'] },
    'notification-service': { handled: ['project.generated', 'project.completed', 'validation.completed'] },
  });
  const project = await requestJson(url, 'GET', `/projects/${projectId}`);
  const v = project.body.validation;
  check(
    v?.status === 'passed' && v.tests_passed === 4 && v.tests_failed === 0,
    `validation of ${projectId}: ${v?.status}, ${v?.tests_passed} passed, ${v?.tests_failed} failed (want passed, 4, 0)`,
  );
  check(
    project.body.build?.status === 'packaged' && project.body.build.files_count === 4,
    `build: ${project.body.build?.status}, ${project.body.build?.files_count} files, sha256 ${String(project.body.build?.digest).slice(0, 12)}`,
  );
  check(project.body.report?.pass_rate === 100, `report: pass rate ${project.body.report?.pass_rate}%`);

  // 4. an unknown skill: generation.failed, then project.completed with status failed
  const unknown = await requestJson(url, 'POST', '/generate', { skill_id: 'skill-does-not-exist', spec: { name: 'nothing' } });
  check(
    unknown.status === 422 && unknown.body.error?.code === 'UNKNOWN_SKILL',
    `POST /generate (unknown skill) → ${unknown.status} ${unknown.body.error?.code}`,
  );
  await chain('generation failed', unknown.body.correlation_id, {
    'generation-service': { published: ['generation.failed', 'project.completed'] },
    'notification-service': { handled: ['generation.failed', 'project.completed'] },
  });

  // 5. delete the skill
  const deleted = await requestJson(url, 'DELETE', `/skills/${skillId}`, undefined, { 'x-user': 'demo' });
  check(deleted.status === 200, `DELETE /skills/${skillId} → ${deleted.status}`);
  await chain('skill deleted', deleted.body.correlation_id, {
    'skill-service': { published: ['skill.deleted'] },
    'notification-service': { handled: ['skill.deleted'] },
  });
  const gone = await requestJson(url, 'GET', `/skills/${skillId}`);
  check(gone.status === 404, `GET /skills/${skillId} → ${gone.status} after delete`);

  const notes = await requestJson<unknown[]>(url, 'GET', '/notifications');
  lines.push(`  notifications stored: ${notes.body.length}; generated project: ${generated.body.output_path}`);
  return { lines, ok };
}
