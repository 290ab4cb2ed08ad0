/**
 * The skills platform end to end: HTTP requests in, the chain of events out under one
 * correlation id, a real generated project on disk whose tests the validation service
 * ran, and the effects of the consuming services through the read endpoints. On the
 * memory transport always; on the real Kafka broker when one answers (in CI it must).
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestJson } from '../../src/flows/shared/http.js';
import { createSkillsPlatformClient } from '../../generated/skills-platform/index.js';
import { startSkillsPlatform, type SkillsPlatformRunning } from '../../src/flows/skills-platform/index.js';
import { renderProject } from '../../src/flows/skills-platform/project-template.js';
import { checkProject, withinProjects } from '../../src/flows/skills-platform/validation-service.js';
import { kafkaAvailable } from '../kafka/broker.js';
import { waitFor } from './agent-workflows.scenarios.js';
import { chainOf, startFlow, type Harness } from './helpers.js';

const kafka = await kafkaAvailable();

for (const kind of ['memory', 'kafka'] as const) {
  describe.skipIf(kind === 'kafka' && !kafka)(`skills-platform on ${kind}`, () => {
    const timeoutMs = kind === 'memory' ? 10_000 : 30_000;
    let h: Harness<SkillsPlatformRunning>;
    let url: string;
    let skillId: string;
    const log = () => h.running.log;
    /** Waits until the chain under `cid` has at least `n` non-HTTP trace entries. */
    const settle = (cid: string, n: number) =>
      log().waitFor(
        () =>
          log()
            .forCorrelation(cid)
            .filter((e) => e.action !== 'http').length >= n,
        `${n} trace entries under ${cid}`,
        timeoutMs,
      );

    beforeAll(async () => {
      h = await startFlow(startSkillsPlatform, kind);
      url = h.running.url;
    });
    afterAll(async () => {
      await h?.stop();
    });

    it('joins the contract groups, one per service also where it reads several topics (on Kafka too)', () => {
      const prefix = h.options.groupPrefix ?? '';
      expect(h.running.groups).toEqual({
        'generation-service': [`${prefix}gen-service`],
        'validation-service': [`${prefix}val-service`],
        'notification-service': [`${prefix}notify-service`],
        'build-service': [`${prefix}build-service`],
        'reporting-service': [`${prefix}reporting-service`],
      });
    });

    it('POST /skills: skill.created → templates.updated, one correlation id from the request header', async () => {
      const cid = randomUUID();
      const res = await requestJson(
        url,
        'POST',
        '/skills',
        { name: 'greeter', description: 'Greets', version: '1.0.0', category: 'demo' },
        { 'x-correlation-id': cid },
      );
      expect(res.status).toBe(201);
      expect(res.correlationId).toBe(cid);
      skillId = res.body.skill_id;
      await settle(cid, 5);
      expect(chainOf(log(), cid)).toEqual({
        'generation-service': { handled: ['skill.created'], published: ['templates.updated'] },
        'notification-service': { handled: ['skill.created', 'templates.updated'], published: [] },
        'skill-service': { handled: [], published: ['skill.created'] },
      });
      // causal order inside the generation service: it handled skill.created, then published
      expect(
        log()
          .forCorrelation(cid)
          .filter((e) => e.service === 'generation-service')
          .map((e) => `${e.action} ${e.type}`),
      ).toEqual(['handled skill.created', 'published templates.updated']);
      const templates = (await requestJson(url, 'GET', '/templates')).body as { skill_id: string; revision: number }[];
      expect(templates.filter((t) => t.skill_id === skillId)).toEqual([expect.objectContaining({ skill_id: skillId, name: 'greeter', revision: 1 })]);
      const notes = (await requestJson(url, 'GET', `/notifications?correlation_id=${cid}`)).body as { event_type: string }[];
      expect(notes.map((n) => n.event_type).sort()).toEqual(['skill.created', 'templates.updated']);
    });

    it('a correlation id that is not a UUID is refused before anything is published', async () => {
      const before = log().entries.length;
      const res = await requestJson(url, 'POST', '/skills', { name: 'x' }, { 'x-correlation-id': 'not-a-uuid' });
      expect(res.status).toBe(400);
      expect(res.body.message).toMatch(/x-correlation-id must be a UUID/);
      expect(log().entries.length).toBe(before);
    });

    it('PATCH /skills/:id: skill.updated names the changed fields; templates.updated lists the touched templates', async () => {
      const res = await requestJson(url, 'PATCH', `/skills/${skillId}`, { description: 'Greets warmly', version: '1.0.0' });
      expect(res.status).toBe(200);
      expect(res.body.changes).toEqual(['description']);
      const cid = res.correlationId!;
      await settle(cid, 5);
      expect(chainOf(log(), cid)).toEqual({
        'generation-service': { handled: ['skill.updated'], published: ['templates.updated'] },
        'notification-service': { handled: ['skill.updated', 'templates.updated'], published: [] },
        'skill-service': { handled: [], published: ['skill.updated'] },
      });
      const notes = (await requestJson(url, 'GET', `/notifications?correlation_id=${cid}&event_type=templates.updated`)).body as { message: string }[];
      expect(notes.map((n) => n.message)).toEqual([`2 template(s) of skill ${skillId} updated`]);
      const unchanged = await requestJson(url, 'PATCH', `/skills/${skillId}`, { version: '1.0.0' });
      expect(unchanged.body.changes).toEqual([]);
      expect(
        log()
          .forCorrelation(unchanged.correlationId!)
          .map((e) => e.action),
      ).toEqual(['http']);
    });

    it('POST /generate: a real project on disk, validated by running its tests; build and report follow', async () => {
      const spec = {
        spec_id: 'spec-1',
        name: 'hello-greeter',
        examples: [
          { input: 'Ada', expected: 'Hello, Ada!' },
          { input: 'Grace', expected: 'Hello, Grace!' },
        ],
      };
      const res = await requestJson(url, 'POST', '/generate', { skill_id: skillId, spec });
      expect(res.status).toBe(201);
      const cid = res.correlationId!;
      const { project_id: projectId, output_path: outputPath } = res.body;
      await settle(cid, 9);
      expect(chainOf(log(), cid)).toEqual({
        'build-service': { handled: ['project.generated'], published: [] },
        'generation-service': { handled: [], published: ['project.generated', 'project.completed'] },
        'notification-service': { handled: ['project.completed', 'project.generated', 'validation.completed'], published: [] },
        'reporting-service': { handled: ['validation.completed'], published: [] },
        'validation-service': { handled: ['project.generated'], published: ['validation.completed'] },
      });

      // The build service traces project.generated when it starts, and stores its build only
      // after reading every file.
      await waitFor(() => h.running.services.builds.build(projectId) !== undefined, timeoutMs, `the build of ${projectId}`);
      expect(outputPath).toBe(join(h.workDir, 'projects', projectId));
      expect((await readdir(outputPath, { recursive: true })).sort()).toEqual([
        'README.md',
        'package.json',
        'src',
        'src/index.js',
        'test',
        'test/index.test.js',
      ]);
      expect(JSON.parse(await readFile(join(outputPath, 'package.json'), 'utf8'))).toMatchObject({
        name: 'hello-greeter',
        type: 'module',
        skill: { id: skillId, revision: 2 },
      });

      const project = (await requestJson(url, 'GET', `/projects/${projectId}`)).body;
      expect(project).toMatchObject({
        project_id: projectId,
        skill_id: skillId,
        spec_id: 'spec-1',
        status: 'generated',
        files: ['package.json', 'src/index.js', 'test/index.test.js', 'README.md'],
      });
      // 2 examples + the metadata test, all passing
      expect(project.validation).toMatchObject({ project_id: projectId, status: 'passed', tests_passed: 3, tests_failed: 0, correlation_id: cid });
      const hash = createHash('sha256');
      let bytes = 0;
      for (const f of project.files as string[]) {
        const content = await readFile(join(outputPath, f));
        hash.update(f).update('\0').update(content).update('\0');
        bytes += content.length;
      }
      expect(project.build).toMatchObject({ status: 'packaged', files_count: 4, bytes, digest: hash.digest('hex'), correlation_id: cid });
      expect((await requestJson(url, 'GET', `/builds?project_id=${projectId}`)).body).toHaveLength(1);
      expect((await requestJson(url, 'GET', `/reports?project_id=${projectId}`)).body).toEqual([
        expect.objectContaining({
          project_id: projectId,
          status: 'passed',
          tests_passed: 3,
          tests_failed: 0,
          tests_total: 3,
          pass_rate: 100,
          correlation_id: cid,
        }),
      ]);
    });

    it('a spec whose example is wrong generates a project whose validation fails with exact counts', async () => {
      const spec = {
        name: 'wrong-greeter',
        greeting: 'Hi',
        examples: [
          { input: 'a', expected: 'Hi, a!' },
          { input: 'b', expected: 'Hello, b!' },
          { input: 'c', expected: 'Hi, c!' },
        ],
      };
      const res = await requestJson(url, 'POST', '/generate', { skill_id: skillId, spec });
      expect(res.status).toBe(201);
      const cid = res.correlationId!;
      await settle(cid, 9);
      expect(log().types(cid, 'validation-service', 'published')).toEqual(['validation.completed']);
      const project = (await requestJson(url, 'GET', `/projects/${res.body.project_id}`)).body;
      expect(project.validation).toMatchObject({ status: 'failed', tests_passed: 3, tests_failed: 1 });
      expect(project.report).toMatchObject({ status: 'failed', tests_total: 4, pass_rate: 75 });
    });

    it('POST /generate with an unknown skill: 422, generation.failed then project.completed (failed), nothing validated', async () => {
      const res = await requestJson(url, 'POST', '/generate', { skill_id: 'skill-unknown', spec: { name: 'nothing' } });
      expect(res.status).toBe(422);
      expect(res.body).toMatchObject({ status: 'failed', error: { code: 'UNKNOWN_SKILL' } });
      const cid = res.correlationId!;
      await settle(cid, 4);
      expect(chainOf(log(), cid)).toEqual({
        'generation-service': { handled: [], published: ['generation.failed', 'project.completed'] },
        'notification-service': { handled: ['generation.failed', 'project.completed'], published: [] },
      });
      const notes = (await requestJson(url, 'GET', `/notifications?correlation_id=${cid}&event_type=project.completed`)).body as { message: string }[];
      expect(notes).toHaveLength(1);
      expect(notes[0]!.message).toMatch(/: failed in \d+ ms$/);
    });

    it('DELETE /skills/:id: skill.deleted reaches the notification service; the skill is gone', async () => {
      const res = await requestJson(url, 'DELETE', `/skills/${skillId}`, undefined, { 'x-user': 'tester' });
      expect(res.status).toBe(200);
      const cid = res.correlationId!;
      await settle(cid, 2);
      expect(chainOf(log(), cid)).toEqual({
        'notification-service': { handled: ['skill.deleted'], published: [] },
        'skill-service': { handled: [], published: ['skill.deleted'] },
      });
      expect((await requestJson(url, 'GET', `/skills/${skillId}`)).status).toBe(404);
      expect((await requestJson(url, 'DELETE', `/skills/${skillId}`)).status).toBe(404);
    });

    it('a project.generated pointing outside the projects folder is not run: validation.failed OUTSIDE_PROJECTS, build failed', async () => {
      const cid = randomUUID();
      const forged = createSkillsPlatformClient({ transport: h.transport, closeTransport: false, source: 'e2e-forger' });
      const projectId = `proj-forged-${cid.slice(0, 8)}`;
      await forged.publishProjectGenerated(
        { data: { project_id: projectId, skill_id: 's', output_path: tmpdir(), files: ['evil.test.js'], files_count: 1 } },
        { correlationId: cid },
      );
      await settle(cid, 5);
      expect(chainOf(log(), cid)).toEqual({
        'build-service': { handled: ['project.generated'], published: [] },
        'notification-service': { handled: ['project.generated', 'validation.failed'], published: [] },
        'validation-service': { handled: ['project.generated'], published: ['validation.failed'] },
      });
      expect(h.running.services.validation.validation(projectId)).toMatchObject({ status: 'error', error: { code: 'OUTSIDE_PROJECTS' } });
      expect(h.running.services.builds.build(projectId)).toMatchObject({ status: 'failed', bytes: 0 });
      await forged.close();
    });

    it('nothing was dead-lettered', () => {
      expect(log().entries.filter((e) => e.action === 'dead-lettered')).toEqual([]);
    });
  });
}

describe('validation of a generated project (checkProject)', () => {
  let dir: string;
  const template = { skill_id: 'skill-1', name: 'greeter', revision: 1, stale_fields: [] };
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'evc-e2e-check-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const write = async (files: Map<string, string>) => {
    await rm(dir, { recursive: true, force: true });
    for (const [path, content] of files) {
      await import('node:fs/promises').then((fs) => fs.mkdir(join(dir, path, '..'), { recursive: true }));
      await writeFile(join(dir, path), content);
    }
    return [...files.keys()];
  };

  it('counts passed and failed tests of the project', async () => {
    const files = await write(
      renderProject(template, {
        name: 'p',
        examples: [
          { input: 'x', expected: 'Hello, x!' },
          { input: 'y', expected: 'nope' },
        ],
      }),
    );
    expect(await checkProject(dir, files)).toEqual({ ok: true, passed: 2, failed: 1 });
  });

  it('keeps user input out of the generated code: a hostile skill name and greeting stay string data', async () => {
    const hostile = { ...template, skill_id: 'skill-"2', name: 'x\nprocess.exit(3)\u2028process.exit(4) */ process.exit(5)' };
    const files = await write(
      renderProject(hostile, { name: 'p', greeting: '${process.exit(6)}`\\', examples: [{ input: 'a', expected: '${process.exit(6)}`\\, a!' }] }),
    );
    expect(await checkProject(dir, files)).toEqual({ ok: true, passed: 2, failed: 0 });
    const { skill } = await import(join(dir, 'src/index.js'));
    expect(skill).toEqual({ id: 'skill-"2', name: hostile.name, revision: 1 });
  });

  it('accepts only projects inside the projects folder (withinProjects)', () => {
    expect(withinProjects('/w/projects', '/w/projects/p1', ['package.json', 'test/a.test.js'])).toBe(true);
    expect(withinProjects('/w/projects', '/w/projects', ['package.json'])).toBe(false);
    expect(withinProjects('/w/projects', '/w/projects/../other', ['package.json'])).toBe(false);
    expect(withinProjects('/w/projects', '/tmp/p1', ['package.json'])).toBe(false);
    expect(withinProjects('/w/projects', '/w/projects/p1', ['../../x.test.js'])).toBe(false);
    expect(withinProjects('/w/projects', '/w/projects/p1', ['/etc/passwd'])).toBe(false);
  });

  it('reports missing files', async () => {
    const files = await write(renderProject(template, { name: 'p' }));
    await unlink(join(dir, 'README.md'));
    expect(await checkProject(dir, files)).toEqual({ ok: false, code: 'MISSING_FILES', message: 'missing: README.md' });
  });

  it('reports a package.json that does not parse', async () => {
    const files = await write(renderProject(template, { name: 'p' }));
    await writeFile(join(dir, 'package.json'), '{ "name": ');
    expect(await checkProject(dir, files)).toMatchObject({ ok: false, code: 'INVALID_PACKAGE_JSON' });
  });

  it('counts a test file that does not load as one failed test (node --test reports the file)', async () => {
    const files = await write(renderProject(template, { name: 'p' }));
    await writeFile(join(dir, 'src/index.js'), 'export const = ;');
    expect(await checkProject(dir, files)).toEqual({ ok: true, passed: 0, failed: 1 });
  });
});
