/**
 * Child processes for the fault tests: commands whose stdout lines are collected, and a
 * redis-server of the test's own (a free port, a temp dir, in the foreground) that a test
 * can SIGKILL and start again. Every process started here is killed, by its own handle,
 * after the test file; temp dirs are removed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { pingRedis, waitFor } from './server.js';

/** A child process whose stdout lines are collected. */
export interface Child {
  proc: ChildProcess;
  lines: string[];
  exited: Promise<number | null>;
  waitLine(pattern: RegExp, timeoutMs: number): Promise<string>;
}

const children: ChildProcess[] = [];
const tempDirs: string[] = [];

afterAll(() => {
  // Only the processes this file started, by their own handle.
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
});

export function spawnChild(command: string, args: string[], env: Record<string, string> = {}): Child {
  const proc = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(proc);
  const lines: string[] = [];
  let stderr = '';
  let buffered = '';
  proc.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const parts = buffered.split('\n');
    buffered = parts.pop()!;
    lines.push(...parts);
  });
  proc.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  return {
    proc,
    lines,
    exited,
    async waitLine(pattern, timeoutMs) {
      await waitFor(
        () => lines.some((l) => pattern.test(l)) || proc.exitCode !== null,
        timeoutMs,
        `a line matching ${pattern} (stderr: ${stderr.slice(-500)})`,
      );
      const line = lines.find((l) => pattern.test(l));
      if (!line) throw new Error(`process exited (${proc.exitCode}) before printing ${pattern}; stderr: ${stderr.slice(-1000)}`);
      return line;
    },
  };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Our own redis-server, in the foreground as a child process, so the test can SIGKILL it. */
export async function ownRedis(persist: boolean): Promise<{ port: number; start(): Promise<void>; crash(): Promise<void> }> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'evc-redis-'));
  tempDirs.push(dir);
  // prettier-ignore
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--daemonize',
    'no',
    '--dir',
    dir,
    '--appendonly',
    persist ? 'yes' : 'no',
    '--appendfsync',
    'always',
  ];
  let current: Child | undefined;
  return {
    port,
    async start() {
      current = spawnChild('redis-server', args);
      await waitFor(() => pingRedis(port), 10_000, `redis-server on ${port}`);
    },
    async crash() {
      if (!current) return;
      current.proc.kill('SIGKILL');
      await current.exited;
      current = undefined;
    },
  };
}
