/**
 * `evc mock` and `evc verify` as commands: flags, exit codes, output, Ctrl-C, and a
 * scenario refused before anything is sent. Broker-free (memory transport, and a refused
 * connection on a loopback port nothing listens on).
 */
import { spawn, spawnSync } from 'node:child_process';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { contractDir } from '../helpers/contract-dir.js';

const evc = (args: string[]) => {
  const r = spawnSync(process.execPath, ['bin/evc.js', ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

describe('evc mock', () => {
  it('--count on memory: every receiving channel in turn, per-address counts on stdout, the achieved rate on stderr, exit 0', () => {
    const r = evc(['mock', 'asyncapi/chat.yaml', '--count', '30', '--rate', '1000/s', '--seed', '3']);
    expect(r.stdout).toBe('chat.created\t10\nnotification.created\t10\nuser.created\t10\n');
    const lines = r.stderr.trim().split('\n');
    expect(lines[0]).toBe('evc mock: chat on memory: playing every receiving operation: 3 message(s) on 3 channel(s) at 1000/s, 30 in all; Ctrl-C stops');
    expect(lines[1]).toMatch(/^evc mock: published 30 message\(s\) in \d+\.\d s: achieved [\d.]+\/s of 1000\/s asked$/);
    expect(r.code).toBe(0);
  });

  it('--service plays the other side of one service only', () => {
    const r = evc(['mock', 'asyncapi/chat.yaml', '--service', 'socket-service', '--count', '4', '--rate', '1000/s']);
    expect([r.code, r.stdout]).toEqual([0, 'chat.created\t2\nnotification.created\t2\n']);
  });

  it('Ctrl-C (SIGINT) stops it cleanly: exit 0 and the summary', async () => {
    const child = spawn(process.execPath, ['bin/evc.js', 'mock', 'asyncapi/chat.yaml', '--rate', '50/s'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const started = new Promise<void>((resolve) =>
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (stderr.includes('Ctrl-C stops')) resolve();
      }),
    );
    await started;
    await new Promise((r) => setTimeout(r, 500));
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(stderr).toContain('\nSIGINT: stopping ...\n');
    expect(stderr).toMatch(/evc mock: published \d+ message\(s\) in \d+\.\d s: achieved [\d.]+\/s of 50\/s asked\n$/);
    expect(stdout).toMatch(/^chat\.created\t\d+\n/);
    expect(code).toBe(0);
  });

  it('usage errors and an unreachable broker exit 2 with one line', () => {
    expect(evc(['mock', 'asyncapi/chat.yaml', '--rate', 'fast'])).toEqual({
      code: 2,
      stdout: '',
      stderr: 'evc mock: --rate must be messages per second, like 100/s (got "fast")\n',
    });
    expect(evc(['mock', 'asyncapi/chat.yaml', '--service', 'billing'])).toEqual({
      code: 2,
      stdout: '',
      stderr: 'evc mock: no service "billing" in chat (x-evc-service: auth-service, chat-service, notification-service, socket-service)\n',
    });
    expect(evc(['mock'])).toEqual({ code: 2, stdout: '', stderr: 'evc mock: give one contract file\n' });
    const r = evc(['mock', 'asyncapi/chat.yaml', '--transport', 'redis', '--redis-url', 'redis://127.0.0.1:1', '--count', '1']);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n').at(-2)).toMatch(/^evc mock: cannot connect to redis: .*ECONNREFUSED 127\.0\.0\.1:1/);
  });
});

describe('evc verify', () => {
  it('--for on memory: every channel silent, exit 0; junit marks them skipped', () => {
    const r = evc(['verify', 'asyncapi/chat.yaml', '--for', '200ms']);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^evc verify: chat on memory as group evc-verify-[0-9a-f]{8} for 0\.\d s$/);
    expect(lines.slice(1)).toEqual([
      '  userCreated (user.created): silent',
      '  chatCreated (chat.created): silent',
      '  notificationCreated (notification.created): silent',
      'evc verify: ok: 0 message(s), 0 valid, 0 invalid, 0 of undeclared type, 0 envelope violation(s), 3 silent channel(s)',
      '',
    ]);
    expect(r.code).toBe(0);
    const j = evc(['verify', 'asyncapi/chat.yaml', '--for', '200ms', '--format', 'junit']);
    expect(j.code).toBe(0);
    expect(j.stdout).toContain('<testsuite name="evc verify chat" tests="4" failures="0" skipped="3"');
    expect(j.stdout).toContain(
      '<testcase classname="evc verify chat" name="channel userCreated (user.created)"><skipped message="silent: no message seen"/></testcase>',
    );
    expect(j.stderr.split('\n').at(-2)).toBe('evc verify: ok: 0 message(s), 0 invalid');
  });

  it('a bad scenario: diagnostics at file:line:col, nothing sent, exit 2', () => {
    const dir = contractDir({ 'bad.yaml': 'publish:\n  - message: UserCreated\n    example: nope\nexpect:\n  - message: Nope\n' });
    const r = evc(['verify', 'asyncapi/chat.yaml', '--scenario', join(dir, 'bad.yaml')]);
    const rel = relative(process.cwd(), join(dir, 'bad.yaml'));
    expect(r).toEqual({
      code: 2,
      stdout: '',
      stderr: [
        `${rel}:3:5 error scenario-example UserCreated has no example "nope" (examples: registered) (at /publish/0/example)`,
        `${rel}:5:5 error scenario-message no message "Nope" in chat (messages: UserCreated, ChatCreated, NotificationCreated) (at /expect/0/message)`,
        `evc verify: the scenario ${join(dir, 'bad.yaml')} has 2 error(s); nothing sent`,
        '',
      ].join('\n'),
    });
  });

  it('usage errors exit 2 with one line', () => {
    expect(evc(['verify', 'asyncapi/chat.yaml', '--format', 'xml'])).toEqual({
      code: 2,
      stdout: '',
      stderr: 'evc verify: --format must be text, json or junit (got "xml")\n',
    });
    expect(evc(['verify', 'asyncapi/chat.yaml', '--for', 'soon'])).toEqual({
      code: 2,
      stdout: '',
      stderr: 'evc verify: --for must be a duration like 30s, 500ms, 2m (got "soon")\n',
    });
    expect(evc(['verify', 'asyncapi/chat.yaml', '--group', 'notification-service-user'])).toEqual({
      code: 2,
      stdout: '',
      stderr: "evc verify: --group must start with evc-verify- (never a service's group)\n",
    });
    expect(evc(['verify', 'asyncapi/chat.yaml', '--brokers', 'x:1'])).toEqual({
      code: 2,
      stdout: '',
      stderr: 'evc verify: --brokers is for --transport kafka\n',
    });
  });

  it('--help names every option', () => {
    const r = evc(['verify', '--help']);
    expect(r.code).toBe(0);
    for (const flag of ['--transport', '--for', '--service', '--scenario', '--from-beginning', '--format', '--output', '--max-errors', '--key-prefix'])
      expect(r.stdout).toContain(flag);
  });
});
