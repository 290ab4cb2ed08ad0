import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { contractDir } from '../helpers/contract-dir.js';
import { makeDoc } from './helpers.js';

const BIN = resolve('bin/evc.js');
const evc = (args: string[], cwd = process.cwd()) => {
  const r = spawnSync(process.execPath, [BIN, 'diff', ...args], { encoding: 'utf8', cwd });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

const open = { type: 'object', properties: { id: { type: 'string', pattern: '^[a-z]+$' } } };
const v1 = makeDoc(open);
// The same language by another regular expression: pattern inclusion is not decided, a warning both ways.
const v2warn = makeDoc({ ...open, properties: { id: { type: 'string', pattern: '^[a-z][a-z]*$' } } });
const v3break = makeDoc({ ...open, required: ['id'] }); // required-added: breaking backward
const dir = (doc: object) => contractDir({ 'sys.json': JSON.stringify(doc, null, 2) });
const d1 = dir(v1);
const d2 = dir(v2warn);
const d3 = dir(v3break);

describe('evc diff (CLI): exit codes', () => {
  it('0 with no changes', () => {
    const r = evc([d1, dir(v1)]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/: 0 breaking, 0 warning, 0 safe\n$/);
  });

  it('1 on a breaking change (default --fail-on breaking); warnings alone pass unless --fail-on warning', () => {
    expect(evc([d1, d3]).code).toBe(1);
    expect(evc([d1, d2]).code).toBe(0);
    expect(evc([d1, d2, '--fail-on', 'warning']).code).toBe(1);
    // Under FORWARD, required-added is safe.
    expect(evc([d1, d3, '--mode', 'FORWARD']).code).toBe(0);
  });

  it('a title edit is a source finding: reported, but only --category source or all fails on it', () => {
    const titled = (title: string) => dir(makeDoc({ ...open, title }));
    const [a, b] = [titled('Old'), titled('New')];
    const plain = evc([a, b, '--format', 'json']);
    const findings = (JSON.parse(plain.stdout) as { findings: { rule: string; category: string }[] }).findings;
    expect([plain.code, findings.map((f) => [f.rule, f.category])]).toEqual([0, [['sdk-type-renamed', 'source']]]);
    expect(evc([a, b, '--category', 'wire']).stdout).toMatch(/: 0 breaking, 0 warning, 0 safe\n$/);
    expect(evc([a, b, '--category', 'wire']).code).toBe(0);
    expect(evc([a, b, '--category', 'source']).code).toBe(1);
    expect(evc([a, b, '--category', 'all']).code).toBe(1);
    const bad = evc([a, b, '--category', 'both']);
    expect([bad.code, bad.stderr]).toEqual([2, 'evc diff: --category must be wire, source or all (got "both")\n']);
  });

  it('2 when it cannot run: bad flags, a missing side, a broken contract, too many sides for a plain mode', () => {
    const flag = evc([d1, d2, '--mode', 'SIDEWAYS']);
    expect([flag.code, flag.stderr]).toEqual([
      2,
      'evc diff: --mode must be one of BACKWARD, FORWARD, FULL, BACKWARD_TRANSITIVE, FORWARD_TRANSITIVE, FULL_TRANSITIVE (got "SIDEWAYS")\n',
    ]);
    expect(evc([d1, d2, '--format', 'xml']).code).toBe(2);
    expect(evc([d1, d2, '--fail-on', 'never']).code).toBe(2);
    const one = evc([d1]);
    expect([one.code, one.stderr]).toEqual([2, 'evc diff: give two versions: evc diff <old> <new>\n']);
    const missing = evc([d1, 'no/such/dir']);
    expect([missing.code, missing.stderr]).toEqual([2, 'evc diff: no/such/dir: no such file or folder, and not a git ref:path\n']);
    const broken = evc([d1, contractDir({ 'sys.yaml': 'asyncapi: 3.0.0\ninfo:\n  title: x\n version: 1\n' })]);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/sys\.yaml:4:1 error yaml-syntax invalid YAML/);
    expect(broken.stderr).toMatch(/the contract has 1 error\(s\)\n$/);
    const three = evc([d1, d2, d3, '--mode', 'FULL']);
    expect([three.code, three.stderr]).toEqual([2, 'evc diff: --mode FULL compares two versions (got 3); use FULL_TRANSITIVE to check several\n']);
  });

  it('transitive: every earlier version against the newest', () => {
    const r = evc(['--mode', 'BACKWARD_TRANSITIVE', d1, d2, d3, '--format', 'json']);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as { findings: { rule: string; verdict: string; from: string }[] };
    expect(report.findings.map((f) => [f.from === d1 ? 'v1' : 'v2', f.rule, f.verdict])).toEqual([
      ['v1', 'required-added', 'breaking'],
      ['v2', 'constraint-changed', 'warning'],
      ['v2', 'required-added', 'breaking'],
    ]);
  });
});

describe('evc diff (CLI): formats', () => {
  it('text: verdict, rule, both places, counterexample', () => {
    const r = evc([d1, d3]);
    const lines = r.stdout.split('\n');
    expect(lines.slice(0, 3)).toEqual(['BREAKING required-added  sys: message M /id', '  /id: "id" is now required', '  backward breaking, forward safe']);
    expect(lines[3]).toMatch(/^ {2}old .*evc-test-\w+\/sys\.json:\d+:\d+$/);
    expect(lines[4]).toMatch(/^ {2}new .*evc-test-\w+\/sys\.json:\d+:\d+$/);
    expect(lines[5]).toBe('  counterexample payload (backward: valid on old, rejected by new): {}');
    expect(lines[6]).toBe('    new says /: missing required property "id"');
  });

  it('github: ::error with file, line and col for breaking findings, a notice with the summary', () => {
    const r = evc([d1, d3, '--format', 'github']);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /^::error file=.*sys\.json,line=\d+,col=\d+,title=evc diff required-added::message M \/id: \/id: "id" is now required \(backward breaking, forward safe\)%0Acounterexample valid on old, rejected by new: \{\}$/,
    );
    expect(lines[1]).toMatch(/^::notice title=evc diff::evc diff FULL: .* 1 breaking, 0 warning, 0 safe$/);
  });

  it('markdown: a PR summary with a table and the counterexamples', () => {
    const r = evc([d1, d3, '--format', 'markdown']);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^## evc diff: `.*` → `.*` \(FULL\)$/);
    expect(lines[2]).toBe('**1 breaking**, 0 warning, 0 safe');
    expect(lines[4]).toBe('| Verdict | Rule | Change | Backward | Forward | Old | New |');
    expect(lines[6]).toMatch(
      /^\| ❌ breaking \| `required-added` \| sys M: \/id: "id" is now required \| breaking \| safe \| `.*sys\.json:\d+:\d+` \| `.*sys\.json:\d+:\d+` \|$/,
    );
    expect(r.stdout).toContain('<details><summary>Counterexamples (checked with both validators)</summary>');
    expect(r.stdout).toContain('```json\n{}\n```');
  });

  it('sarif: 2.1.0 with the rule catalogue and located results', () => {
    const r = evc([d1, d3, '--format', 'sarif']);
    const sarif = JSON.parse(r.stdout) as any;
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.$schema).toBe('https://json.schemastore.org/sarif-2.1.0.json');
    const run = sarif.runs[0];
    expect(run.tool.driver.name).toBe('evc diff');
    const ids = run.tool.driver.rules.map((x: { id: string }) => x.id);
    expect(ids).toContain('property-removed-closed');
    expect(ids).toContain('required-added');
    expect(run.results).toHaveLength(1);
    const res = run.results[0];
    expect([res.ruleId, res.level, run.tool.driver.rules[res.ruleIndex].id]).toEqual(['required-added', 'error', 'required-added']);
    expect(res.locations[0].physicalLocation.artifactLocation.uri).toMatch(/sys\.json$/);
    expect(res.locations[0].physicalLocation.region.startLine).toBeGreaterThan(0);
    expect(res.relatedLocations[0].message.text).toMatch(/^old version: /);
    expect(res.properties.counterexamples[0].value).toEqual({});
  });

  it('--rules lists the catalogue', () => {
    const r = spawnSync(process.execPath, [BIN, 'diff', '--rules'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^property-removed-closed\s+backward breaking forward safe\s+A property was removed from a closed object/m);
  });
});

describe('evc diff (CLI): git refs', () => {
  it('compares a committed version (ref:folder, ref:file) with the working tree, $refs resolved', () => {
    const repo = contractDir({});
    const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, stdio: 'pipe' });
    git('init', '-q');
    git('config', 'user.email', 't@example.com');
    git('config', 'user.name', 't');
    const doc = makeDoc({ $ref: './shared/schemas.json#/Payload' });
    const shared = (required: string[]) => JSON.stringify({ Payload: { type: 'object', properties: { id: { type: 'string' } }, required } });
    execFileSync('mkdir', ['-p', join(repo, 'contracts/shared')]);
    writeFileSync(join(repo, 'contracts/sys.json'), JSON.stringify(doc, null, 2));
    writeFileSync(join(repo, 'contracts/shared/schemas.json'), shared([]));
    git('add', '.');
    git('commit', '-q', '-m', 'v1');
    writeFileSync(join(repo, 'contracts/shared/schemas.json'), shared(['id']));

    const folder = evc(['HEAD:contracts/', 'contracts/', '--format', 'json'], repo);
    expect(folder.code).toBe(1);
    const f = (JSON.parse(folder.stdout) as { findings: any[] }).findings;
    expect(f.map((x) => [x.rule, x.old.file, x.new.file])).toEqual([['required-added', 'HEAD:contracts/shared/schemas.json', 'contracts/shared/schemas.json']]);

    const file = evc(['HEAD:contracts/sys.json', 'contracts/sys.json'], repo);
    expect(file.code).toBe(1);
    expect(file.stdout).toMatch(/old HEAD:contracts\/shared\/schemas\.json:1:\d+/);

    const none = evc(['HEAD:nope/', 'contracts/'], repo);
    expect([none.code, none.stderr]).toEqual([2, 'evc diff: HEAD:nope/: "nope" does not exist at HEAD\n']);
    const badRef = evc(['nosuchref:contracts/', 'contracts/'], repo);
    expect([badRef.code, badRef.stderr]).toEqual([2, 'evc diff: nosuchref:contracts/: no such file or folder, and "nosuchref" is not a git commit here\n']);
  });
});
