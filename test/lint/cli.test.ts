import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { contractDir, demoContract } from '../helpers/contract-dir.js';

const repo = resolve(import.meta.dirname, '../..');
const evc = (...args: string[]) => {
  const r = spawnSync(process.execPath, ['bin/evc.js', ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

describe('evc lint (CLI)', () => {
  it('the seed contracts in asyncapi/ lint clean', () => {
    const r = evc('lint', 'asyncapi/');
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^evc lint: 4 contract\(s\) \(agent-workflows, chat, skafu, skills-platform\), 0 error\(s\), 0 warning\(s\)\n$/);
    expect(r.code).toBe(0);
  });

  const bad = () =>
    contractDir({ 'demo.yaml': demoContract().replace('required: [event_id, event_type, user_id]', 'required: [event_id, event_type, user_id, nope]') });

  it('text: file:line:col severity rule message, exit 1 on errors', () => {
    const dir = bad();
    const r = evc('lint', dir);
    expect(r.code).toBe(1);
    expect(
      r.stdout
        .trim()
        .split('\n')
        .map((l) => l.replace(/^.*evc-test-\w+\//, '')),
    ).toEqual([
      `demo.yaml:43:11 error example-valid example "basic" payload of message "UserCreated": / must have required property 'nope' (at /components/messages/UserCreated/examples/0/payload)`,
      'demo.yaml:48:5 error required-declared payload / of message "UserCreated" requires "nope", not declared in properties (declared: event_id, event_type, user_id) (at /components/schemas/UserCreatedEvent)',
    ]);
    expect(r.stderr).toBe('evc lint: 1 contract(s) (demo), 2 error(s), 0 warning(s)\n');
  });

  it('json and github formats', () => {
    const dir = bad();
    const json = evc('lint', dir, '--format', 'json');
    expect(json.code).toBe(1);
    const parsed = JSON.parse(json.stdout) as { rule: string; severity: string; location: { line: number; col: number; pointer: string } }[];
    expect(parsed.map((d) => [d.rule, d.severity, d.location.line, d.location.col, d.location.pointer])).toEqual([
      ['example-valid', 'error', 43, 11, '/components/messages/UserCreated/examples/0/payload'],
      ['required-declared', 'error', 48, 5, '/components/schemas/UserCreatedEvent'],
    ]);
    const gh = evc('lint', dir, '--format', 'github');
    expect(gh.stdout.split('\n')[1]).toMatch(
      /^::error file=.*demo\.yaml,line=48,col=5,title=required-declared::required-declared: payload \/ of message "UserCreated" requires "nope"/,
    );
  });

  it('exit 2 when it cannot run: a missing path, a bad flag', () => {
    const missing = evc('lint', 'no/such/dir');
    expect(missing.code).toBe(2);
    expect(missing.stdout).toMatch(/error file-unreadable file not found: .*no\/such\/dir/);
    const flag = evc('lint', '--format', 'xml');
    expect(flag.code).toBe(2);
    expect(flag.stderr).toBe('evc lint: --format must be text, json or github (got "xml")\n');
    expect(flag.stdout).toBe('');
  });

  it('a YAML error prints one line with the place, never a stack trace', () => {
    const dir = contractDir({ 'demo.yaml': 'asyncapi: 3.0.0\ninfo:\n  title: x\n version: 1\n' });
    const r = evc('lint', dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^.*demo\.yaml:4:1 error yaml-syntax invalid YAML: All mapping items must start at the same column\n$/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('lint rules: errors in evc lint, warnings in evc generate (unless --strict)', () => {
  const foreign = `asyncapi: 3.0.0
info: {title: Foreign, version: '1'}
channels:
  c1:
    address: a.b
    messages:
      m1:
        payload:
          type: object
          properties:
            x: {type: string, format: x-custom-id}
            n: {type: integer}
        examples:
          - payload: {n: bad}
operations:
  sendIt:
    action: send
    channel: {$ref: '#/channels/c1'}
`;
  const run = (cwd: string, ...args: string[]) => {
    const r = spawnSync(process.execPath, [join(repo, 'bin/evc.js'), ...args], { cwd, encoding: 'utf8' });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const findings = (text: string) =>
    text
      .split('\n')
      .filter((l) => l.startsWith('doc.yaml:'))
      .map((l) => l.split(' ').slice(0, 3).join(' '));
  const want = [
    'doc.yaml:8:9 S additional-properties-explicit',
    'doc.yaml:8:9 S payload-type-name',
    'doc.yaml:11:13 warning format-unknown',
    'doc.yaml:14:23 S example-valid',
  ];

  it('lint: exit 1 with the style errors', () => {
    const dir = contractDir({ 'doc.yaml': foreign });
    const r = run(dir, 'lint', 'doc.yaml');
    expect(findings(r.stdout)).toEqual(want.map((l) => l.replace(' S ', ' error ')));
    expect(r.code).toBe(1);
  });

  it('generate: the same findings as warnings, and the SDK is written', () => {
    const dir = contractDir({ 'doc.yaml': foreign });
    const r = run(dir, 'generate', 'doc.yaml', '--out', 'out', '--no-cache');
    expect(findings(r.stderr)).toEqual(want.map((l) => l.replace(' S ', ' warning ')));
    expect(r.stderr).toMatch(/evc generate: 1 system\(s\) \(doc\): \d+ written/);
    expect(r.code).toBe(0);
    expect(existsSync(join(dir, 'out/doc/validators.ts'))).toBe(true);
  });

  it('generate --strict, or "strict": true in evc.config.json: errors, nothing written', () => {
    for (const [files, args] of [
      [{}, ['--strict']],
      [{ 'evc.config.json': '{"strict": true}' }, []],
    ] as const) {
      const dir = contractDir({ 'doc.yaml': foreign, ...files });
      const r = run(dir, 'generate', 'doc.yaml', '--out', 'out', '--no-cache', ...args);
      expect(findings(r.stderr)).toEqual(want.map((l) => l.replace(' S ', ' error ')));
      expect(r.stderr).toMatch(/evc generate: 3 contract error\(s\); nothing written\n$/);
      expect(r.code).toBe(2);
      expect(existsSync(join(dir, 'out'))).toBe(false);
    }
  });

  it('a config "strict" that is not a boolean is refused', () => {
    const dir = contractDir({ 'doc.yaml': foreign, 'evc.config.json': '{"strict": "yes"}' });
    const r = run(dir, 'generate', 'doc.yaml', '--out', 'out', '--no-cache');
    expect(r.stderr).toMatch(/evc\.config\.json: "strict" must be true or false\n$/);
    expect(r.code).toBe(2);
  });
});
