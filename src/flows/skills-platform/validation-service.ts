/**
 * The validation service (group val-service): on project.generated it checks the
 * generated project for real (every listed file exists, package.json parses) and runs
 * its test files with `node --test` in a child process, counting passed and failed
 * tests. A project that ran publishes validation.completed (status passed or failed);
 * one that could not be checked publishes validation.failed.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { access, readFile } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { skillsPlatformOperations as ops, type ValidationCompletedInput, type ValidationFailedInput } from '../../../generated/skills-platform/index.js';
import type { EventSubscription } from '@event-contracts/runtime';
import { SUBSCRIBE } from '../shared/clients.js';
import { serviceClient, type ServiceContext } from './context.js';

export interface Validation {
  validation_id: string;
  project_id: string;
  status: 'passed' | 'failed' | 'error';
  tests_passed: number;
  tests_failed: number;
  error?: { code: string; message: string };
  correlation_id?: string;
}

type Outcome = { ok: true; passed: number; failed: number } | { ok: false; code: string; message: string };

const TEST_TIMEOUT_MS = 30_000;

/**
 * Whether a project.generated event points inside the projects folder this platform
 * writes. The validation service runs the listed test files: an event naming any other
 * place (a forged or foreign event) must not make it run code from there.
 */
export function withinProjects(projectsRoot: string, outputPath: string, files: readonly string[]): boolean {
  const root = resolve(projectsRoot);
  const out = resolve(outputPath);
  const inside = (p: string, base: string) => {
    const r = relative(base, p);
    return r !== '' && !r.startsWith('..') && !isAbsolute(r);
  };
  return inside(out, root) && files.every((f) => !isAbsolute(f) && inside(resolve(out, f), out));
}

/** Checks a generated project on disk; never throws for a broken project. */
export async function checkProject(outputPath: string, files: readonly string[]): Promise<Outcome> {
  const missing: string[] = [];
  for (const f of files) {
    try {
      await access(join(outputPath, f));
    } catch {
      missing.push(f);
    }
  }
  if (missing.length > 0) return { ok: false, code: 'MISSING_FILES', message: `missing: ${missing.join(', ')}` };
  try {
    JSON.parse(await readFile(join(outputPath, 'package.json'), 'utf8'));
  } catch (err) {
    return { ok: false, code: 'INVALID_PACKAGE_JSON', message: (err as Error).message };
  }
  const tests = files.filter((f) => /\.test\.m?js$/.test(f));
  if (tests.length === 0) return { ok: false, code: 'NO_TESTS', message: 'the project has no *.test.js file' };
  return runTests(outputPath, tests);
}

/** `node --test` with the TAP reporter; the counts come from its `# pass` / `# fail` summary. */
function runTests(cwd: string, tests: string[]): Promise<Outcome> {
  return new Promise((resolve) => {
    // a clean environment: no loader (tsx, vitest) of ours leaks into the generated project
    const child = spawn(process.execPath, ['--test', '--test-reporter=tap', ...tests], {
      cwd,
      env: { PATH: process.env.PATH ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString('utf8')));
    child.stderr.on('data', (b: Buffer) => (err += b.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), TEST_TIMEOUT_MS);
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ ok: false, code: 'TEST_RUN_FAILED', message: e.message });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const pass = /^# pass (\d+)$/m.exec(out);
      const fail = /^# fail (\d+)$/m.exec(out);
      if (!pass || !fail) {
        const why = signal ? `killed by ${signal}` : `exit ${code}`;
        resolve({ ok: false, code: 'TEST_RUN_FAILED', message: `node --test gave no summary (${why}) ${err.trim().slice(0, 300)}`.trim() });
        return;
      }
      resolve({ ok: true, passed: Number(pass[1]), failed: Number(fail[1]) });
    });
  });
}

export function startValidationService(ctx: ServiceContext) {
  const { client, trace } = serviceClient('validation-service', ctx);
  const validations = new Map<string, Validation>();

  async function subscribe(): Promise<EventSubscription[]> {
    return [
      await client.onValServiceProjectGenerated(async (event, c) => {
        trace.handled(c, `${event.data.files_count} files`);
        const { project_id, output_path, files } = event.data;
        const validation_id = `val-${randomUUID().slice(0, 8)}`;
        const outcome: Outcome = !withinProjects(join(ctx.options.workDir, 'projects'), output_path, files)
          ? { ok: false, code: 'OUTSIDE_PROJECTS', message: `${output_path} (or one of its files) is not inside this platform's projects folder` }
          : files.length !== event.data.files_count
            ? { ok: false, code: 'FILES_COUNT_MISMATCH', message: `files_count ${event.data.files_count} != ${files.length} files` }
            : await checkProject(output_path, files);
        if (!outcome.ok) {
          validations.set(project_id, {
            validation_id,
            project_id,
            status: 'error',
            tests_passed: 0,
            tests_failed: 0,
            error: { code: outcome.code, message: outcome.message },
            correlation_id: c.correlationId,
          });
          const payload: ValidationFailedInput = { data: { validation_id, project_id, error_code: outcome.code, error_message: outcome.message } };
          trace.published(await c.publish(ops.sendValidationFailed, payload), 'validation.failed', outcome.code);
          return;
        }
        const status = outcome.failed === 0 ? 'passed' : 'failed';
        validations.set(project_id, {
          validation_id,
          project_id,
          status,
          tests_passed: outcome.passed,
          tests_failed: outcome.failed,
          correlation_id: c.correlationId,
        });
        const payload: ValidationCompletedInput = { data: { validation_id, project_id, status, tests_passed: outcome.passed, tests_failed: outcome.failed } };
        trace.published(
          await c.publish(ops.sendValidationCompleted, payload),
          'validation.completed',
          `${status} passed=${outcome.passed} failed=${outcome.failed}`,
        );
      }, SUBSCRIBE),
    ];
  }

  return {
    subscribe,
    validation: (projectId: string): Validation | undefined => validations.get(projectId),
    close: () => client.close(),
  };
}

export type ValidationService = ReturnType<typeof startValidationService>;
