/**
 * Hostile contracts end as one diagnostic line, exit 1 or 2, no stack trace, for every
 * command that reads contracts: a YAML alias bomb, a file over the size limit, a schema
 * nested deeper than the limit. The 5 s spawn timeout is the only time check: a command
 * that hands such a document to the YAML conversion or the AsyncAPI parser runs far past it.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { contractDir, demoContract } from '../helpers/contract-dir.js';

const EVC = fileURLToPath(new URL('../../bin/evc.js', import.meta.url));
const HEAD = 'asyncapi: 3.0.0\ninfo:\n  title: Hostile\n  version: 1.0.0\n';
const MIB10 = 10 * 1024 * 1024;

/** Billion laughs: ten sequences, each ten aliases of the one before (10^10 strings). */
function laughs(): string {
  let text = `${HEAD}x-lol0: &lol0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n`;
  for (let i = 1; i <= 9; i++)
    text += `x-lol${i}: &lol${i} [${Array(10)
      .fill(`*lol${i - 1}`)
      .join(', ')}]\n`;
  return text;
}

/** A schema with `levels` objects nested through `properties`, on one line. */
function deep(levels: number): string {
  let schema = '{type: string}';
  for (let i = 0; i < levels; i++) schema = `{type: object, properties: {a: ${schema}}}`;
  return `${HEAD}components:\n  schemas:\n    Deep: ${schema}\n`;
}

/** A contract of exactly `bytes` bytes (a comment pads it). */
function big(bytes: number): string {
  const line = `# ${'x'.repeat(97)}\n`;
  const body = HEAD + line.repeat(Math.floor((bytes - HEAD.length) / line.length));
  return body + '#'.repeat(bytes - body.length - 1) + '\n';
}

let dir: string;
beforeAll(() => {
  dir = contractDir({ 'laughs.yaml': laughs(), 'deep.yaml': deep(40), 'demo.yaml': demoContract(), 'msg.json': '{}\n' });
  writeFileSync(join(dir, 'big.yaml'), big(MIB10 + 1));
});

function evc(cwd: string, args: string[], timeout = 5000) {
  const r = spawnSync(process.execPath, [EVC, ...args], { cwd, encoding: 'utf8', timeout });
  // Killed by the timeout: status null, signal SIGTERM.
  expect({ signal: r.signal, error: r.error?.message }).toEqual({ signal: null, error: undefined });
  expect(`${r.stdout}${r.stderr}`).not.toMatch(/internal error|\n\s+at /);
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const hint = (flag: string, key: string) => `(${flag} <n> or "${key}" in evc.config.json raises it)`;
const cases = {
  'alias bomb': {
    file: 'laughs.yaml',
    line: 'laughs.yaml:9:65 error yaml-alias YAML aliases expand the document by more than 100000 nodes (here *lol3, 11111 nodes): refused as an alias bomb (at /x-lol4/7)',
  },
  'over the size limit': {
    file: 'big.yaml',
    line: `big.yaml:1:1 error contract-too-large file is ${MIB10 + 1} bytes, over the limit of ${MIB10} bytes for a contract file ${hint('--max-contract-bytes', 'maxContractBytes')}`,
  },
  'nested too deep': {
    file: 'deep.yaml',
    line: `deep.yaml:7:956 error nesting-too-deep nested deeper than 64 levels of objects/arrays ${hint('--max-nesting-depth', 'maxNestingDepth')} (at /components/schemas/Deep${'/properties/a'.repeat(30)}/properties)`,
  },
};

/** Each command: its arguments for a contract, its exit code, and what it prints around the diagnostic. */
const commands = {
  lint: {
    args: (f: string) => ['lint', f],
    code: 1,
    stdout: (d: string) => `${d}\n`,
    stderr: () => 'evc lint: 0 contract(s) (none), 1 error(s), 0 warning(s)\n',
  },
  generate: {
    args: (f: string) => ['generate', f, '--out', 'out', '--no-cache'],
    code: 2,
    stdout: () => '',
    stderr: (d: string) => `${d}\nevc generate: 1 contract error(s); nothing written\n`,
  },
  'validate --contract': {
    args: (f: string) => ['validate', '--contract', f, 'msg.json'],
    code: 2,
    stdout: () => '',
    stderr: (d: string, f: string) => `${d}\nevc validate: the contract ${f} has errors; nothing validated\n`,
  },
  diff: {
    args: (f: string) => ['diff', f, 'demo.yaml'],
    code: 2,
    stdout: () => '',
    stderr: (d: string, f: string) => `${d}\nevc diff: ${f}: the contract has 1 error(s)\n`,
  },
};

describe.each(Object.entries(cases))('a contract %s', (_name, c) => {
  it.each(Object.entries(commands))('evc %s: one line file:line:col error rule message, no stack trace', (_cmd, cmd) => {
    const r = evc(dir, cmd.args(c.file));
    expect(c.line).toMatch(/^[^\s:]+:\d+:\d+ error [a-z-]+ \S.*$/);
    expect({ stdout: r.stdout, stderr: r.stderr, code: r.code }).toEqual({ stdout: cmd.stdout(c.line), stderr: cmd.stderr(c.line, c.file), code: cmd.code });
  });
});

describe('the limits can be set', () => {
  it('--max-contract-bytes lowers or raises the size limit, over evc.config.json "maxContractBytes"', () => {
    const size = Buffer.byteLength(demoContract());
    const low = evc(dir, ['lint', 'demo.yaml', '--max-contract-bytes', '100']);
    expect(low.stdout).toBe(
      `demo.yaml:1:1 error contract-too-large file is ${size} bytes, over the limit of 100 bytes for a contract file ${hint('--max-contract-bytes', 'maxContractBytes')}\n`,
    );
    expect(low.code).toBe(1);
    const configured = contractDir({ 'demo.yaml': demoContract(), 'evc.config.json': '{"maxContractBytes": 100}\n' });
    expect(evc(configured, ['lint', 'demo.yaml']).stdout).toMatch(/^demo\.yaml:1:1 error contract-too-large .* over the limit of 100 bytes/);
    const raised = evc(configured, ['lint', 'demo.yaml', '--max-contract-bytes', '100000'], 60_000);
    expect({ code: raised.code, stdout: raised.stdout }).toEqual({ code: 0, stdout: '' });
  });

  it('--max-nesting-depth or evc.config.json "maxNestingDepth" raises the depth limit', () => {
    const flag = evc(dir, ['lint', 'deep.yaml', '--max-nesting-depth', '100'], 60_000);
    expect({ code: flag.code, stdout: flag.stdout }).toEqual({ code: 0, stdout: '' });
    const configured = contractDir({ 'deep.yaml': deep(40), 'msg.json': '{}\n', 'evc.config.json': '{"maxNestingDepth": 100}\n' });
    const viaConfig = evc(configured, ['validate', '--contract', 'deep.yaml', '--message', 'nope', 'msg.json'], 60_000);
    // The contract loads: what stops it now is the message name.
    expect({ code: viaConfig.code, stderr: viaConfig.stderr }).toEqual({ code: 2, stderr: 'evc validate: no message "nope" in deep (messages: )\n' });
  });

  it('a bad value is one line and exit 2', () => {
    const flag = evc(dir, ['diff', 'demo.yaml', 'demo.yaml', '--max-nesting-depth', '0']);
    expect({ code: flag.code, stdout: flag.stdout, stderr: flag.stderr }).toEqual({
      code: 2,
      stdout: '',
      stderr: 'evc diff: --max-nesting-depth must be a whole number >= 1 (got "0")\n',
    });
    const configured = contractDir({ 'demo.yaml': demoContract(), 'evc.config.json': '{"maxContractBytes": "10MB"}\n' });
    const config = evc(configured, ['generate', 'demo.yaml', '--out', 'out', '--no-cache']);
    expect(config.code).toBe(2);
    expect(config.stderr).toMatch(/^evc generate: .*evc\.config\.json: "maxContractBytes" must be a whole number >= 1 \(bytes\)\n$/);
  });
});
