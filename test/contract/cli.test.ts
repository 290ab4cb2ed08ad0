/**
 * Every command that reads contracts takes AsyncAPI 2.x: lint, generate (and the code
 * compiles), docs, validate, and diff (a 2.6 document against its 3.0 rewrite is no
 * change; a real change on the wire still is).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tmpFolder, typecheck } from '../corpus/typecheck.js';
import { contractDir } from '../helpers/contract-dir.js';

const repo = resolve(import.meta.dirname, '../..');
const v2 = 'test/fixtures/asyncapi2/v2/shop.yaml';
const v3 = 'test/fixtures/asyncapi2/v3/shop.yaml';
const evc = (...args: string[]) => {
  const r = spawnSync(process.execPath, ['bin/evc.js', ...args], { cwd: repo, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

describe('AsyncAPI 2.x through the commands', () => {
  it("evc lint: only the parser's advice on info, no errors", () => {
    const r = evc('lint', v2);
    expect(r.stdout.split('\n').filter(Boolean)).toEqual([
      `${v2}:1:1 warning asyncapi/asyncapi2-tags AsyncAPI object should have non-empty "tags" array.`,
      `${v2}:3:1 warning asyncapi/asyncapi-info-contact Info object should have "contact" object. (at /info)`,
      `${v2}:3:1 warning asyncapi/asyncapi-info-license Info object should have "license" object. (at /info)`,
    ]);
    expect(r.stderr).toBe('evc lint: 1 contract(s) (shop), 0 error(s), 3 warning(s)\n');
    expect(r.code).toBe(0);
  });

  it('evc generate: the SDK compiles under strict NodeNext and has the 2.x operations', () => {
    const dir = tmpFolder('contract-cli-asyncapi2');
    const out = join(dir, 'generated');
    const r = evc('generate', v2, '--out', out, '--no-cache');
    expect(r.stderr).toMatch(/^evc generate: 1 system\(s\) \(shop\): \d+ written/);
    expect(r.code).toBe(0);
    const client = readFileSync(join(out, 'shop/client.ts'), 'utf8');
    for (const method of ['publishOrderPlaced', 'onOrderPlaced', 'publishOrderStatus']) expect(client).toContain(`${method}(`);
    const t = typecheck(dir);
    expect(t.output).toBe('');
    expect(t.status).toBe(0);
  });

  it('evc docs writes the 2.x system', () => {
    const out = join(contractDir({}), 'docs');
    const r = evc('docs', v2, '--out', out, '--no-site');
    expect(r.code).toBe(0);
    const md = readFileSync(join(out, 'shop.md'), 'utf8');
    expect(md).toContain('shop.orders.placed');
    expect(md).toContain('OrderCancelled');
  });

  it('evc validate checks messages against a 2.x contract', () => {
    const dir = contractDir({
      'm.ndjson': '{"orderId":"2f1c43b6-7d2e-4ef1-9a8d-3c9a1f0b5d11","total":{"amount":"1.00","currency":"EUR"}}\n{"orderId":"x"}\n',
    });
    const r = evc('validate', '--contract', v2, '--message', 'OrderPlaced', join(dir, 'm.ndjson'));
    expect(r.stdout.split('\n').map((l) => l.replace(/^.*m\.ndjson/, 'm.ndjson'))).toEqual([
      'm.ndjson:2 OrderPlaced /: missing required property "total"',
      'm.ndjson:2 OrderPlaced /orderId: expected format "uuid", got string "x"',
      '',
    ]);
    expect(r.code).toBe(1);
  });

  it('evc diff: a 2.6 contract against its 3.0 rewrite is no change, both ways', () => {
    for (const [a, b] of [
      [v2, v3],
      [v3, v2],
    ] as const) {
      const r = evc('diff', a!, b!);
      expect(r.stdout + r.stderr).toContain(': 0 breaking, 0 warning, 0 safe');
      expect(r.code).toBe(0);
    }
  });

  it('evc diff: a change on the wire between the 2.6 contract and a 3.0 one is still breaking', () => {
    const dir = contractDir({ 'shop.yaml': readFileSync(join(repo, v3), 'utf8').replace('address: shop.orders.placed', 'address: shop.orders.created') });
    const r = evc('diff', v2, join(dir, 'shop.yaml'));
    expect(r.stdout).toContain('channel-address-changed');
    expect(r.code).toBe(1);
  });
});

describe('--root and evc.config.json "root"', () => {
  const doc = `asyncapi: 3.0.0
info: {title: Orders, version: '1'}
channels:
  placed:
    address: orders.placed
    messages:
      OrderPlaced:
        $ref: '#/components/messages/OrderPlaced'
operations:
  sendPlaced:
    action: send
    channel: {$ref: '#/channels/placed'}
components:
  messages:
    OrderPlaced:
      payload:
        $ref: '../schemas/orders.yaml#/components/schemas/OrderPlaced'
`;
  const schemas = `components:
  schemas:
    OrderPlaced:
      type: object
      additionalProperties: false
      properties:
        id: {type: string, format: iri-reference}
`;
  const run = (cwd: string, ...args: string[]) => {
    const r = spawnSync(process.execPath, [join(repo, 'bin/evc.js'), ...args], { cwd, encoding: 'utf8' });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  it('without it, lint refuses the $ref above the document folder; with --root . it is read', () => {
    const dir = contractDir({ 'asyncapi/orders.yaml': doc, 'schemas/orders.yaml': schemas });
    const refused = run(dir, 'lint', 'asyncapi/');
    expect(refused.stdout).toMatch(/^asyncapi\/orders\.yaml:17:9 error ref-outside-root \$ref reaches outside the contract root: /);
    expect(refused.code).toBe(1);
    const ok = run(dir, 'lint', 'asyncapi/', '--root', '.');
    expect(ok.stdout).toBe('');
    expect(ok.stderr).toBe('evc lint: 1 contract(s) (orders), 0 error(s), 0 warning(s)\n');
    expect(ok.code).toBe(0);
  });

  it('generate takes --root, or "root" from evc.config.json', () => {
    for (const [files, args] of [
      [{}, ['--root', '.']],
      [{ 'evc.config.json': '{"root": "."}' }, []],
    ] as const) {
      const dir = contractDir({ 'asyncapi/orders.yaml': doc, 'schemas/orders.yaml': schemas, ...files });
      const r = run(dir, 'generate', 'asyncapi/', '--out', 'out', '--no-docs', ...args);
      expect(r.stderr).toMatch(/^evc generate: 1 system\(s\) \(orders\): \d+ written/);
      expect(r.code).toBe(0);
      expect(readFileSync(join(dir, 'out/orders/types.ts'), 'utf8')).toContain('export interface OrderPlaced {');
    }
  });

  const refused = /^asyncapi\/orders\.yaml:17:9 error ref-outside-root \$ref reaches outside the contract root: /m;

  it('validate --contract takes --root, or "root" from evc.config.json', () => {
    const message = 'm.json';
    const files = { 'asyncapi/orders.yaml': doc, 'schemas/orders.yaml': schemas, [message]: '{"id": "a b"}\n' };
    const without = run(contractDir(files), 'validate', '--contract', 'asyncapi/orders.yaml', message);
    expect(without.stderr).toMatch(refused);
    expect(without.stderr).toMatch(/evc validate: the contract asyncapi\/orders\.yaml has errors; nothing validated\n$/);
    expect(without.code).toBe(2);
    for (const [extra, args] of [
      [{}, ['--root', '.']],
      [{ 'evc.config.json': '{"root": "."}' }, []],
    ] as const) {
      const r = run(contractDir({ ...files, ...extra }), 'validate', '--contract', 'asyncapi/orders.yaml', '--message', 'OrderPlaced', message, ...args);
      // The schema from ../schemas/ is the one checked: iri-reference rejects the space.
      expect(r.stdout).toBe('m.json:1 OrderPlaced /id: expected format "iri-reference", got string "a b"\n');
      expect(r.stderr).toBe('evc validate: 1 message(s) as message OrderPlaced against orders: 0 valid, 1 invalid, 0 unknown type\n');
      expect(r.code).toBe(1);
    }
  });

  it('docs takes --root, or "root" from evc.config.json', () => {
    const files = { 'asyncapi/orders.yaml': doc, 'schemas/orders.yaml': schemas };
    const without = run(contractDir(files), 'docs', 'asyncapi/', '--out', 'out', '--no-site');
    expect(without.stdout).toMatch(refused);
    expect(without.stderr).toBe('evc docs: 1 error(s) in the contracts; run evc lint\n');
    expect(without.code).toBe(2);
    for (const [extra, args] of [
      [{}, ['--root', '.']],
      [{ 'evc.config.json': '{"root": "."}' }, []],
    ] as const) {
      const dir = contractDir({ ...files, ...extra });
      const r = run(dir, 'docs', 'asyncapi/', '--out', 'out', '--no-site', ...args);
      expect(r.stderr).toMatch(/^evc docs: 1 system\(s\), \d+ file\(s\) in out/);
      expect(r.code).toBe(0);
      expect(readFileSync(join(dir, 'out/orders.md'), 'utf8')).toContain('iri-reference');
    }
  });

  it('diff takes --root (files, folders and git ref:path sides), or "root" from evc.config.json', () => {
    const required = schemas.replace('      additionalProperties: false\n', '      additionalProperties: false\n      required: [id]\n');
    expect(required).not.toBe(schemas);
    const files = {
      'old/orders.yaml': doc,
      'asyncapi/orders.yaml': doc.replace('../schemas/orders.yaml', '../schemas/orders-v2.yaml'),
      'schemas/orders.yaml': schemas,
      'schemas/orders-v2.yaml': required,
    };
    const dir = contractDir(files);
    const without = run(dir, 'diff', 'old/orders.yaml', 'asyncapi/orders.yaml');
    expect(without.stderr).toMatch(/^old\/orders\.yaml:17:9 error ref-outside-root \$ref reaches outside the contract root: /);
    expect(without.stderr).toMatch(/evc diff: old\/orders\.yaml: the contract has 1 error\(s\)\n$/);
    expect(without.code).toBe(2);
    // The message is only sent here: a new required property breaks backward for readers elsewhere (a warning).
    const summary = 'evc diff FULL: old/ -> asyncapi/: 0 breaking, 1 warning, 0 safe';
    const ok = run(dir, 'diff', 'old/', 'asyncapi/', '--root', '.');
    expect(ok.stdout).toMatch(/^WARNING {2}required-added {2}orders: message OrderPlaced \/id\n/);
    expect(ok.stdout.trimEnd().split('\n').at(-1)).toBe(summary);
    expect(ok.code).toBe(0);
    const config = contractDir({ ...files, 'evc.config.json': '{"root": "."}' });
    expect(run(config, 'diff', 'old/', 'asyncapi/').stdout.trimEnd().split('\n').at(-1)).toBe(summary);

    // A git side reads the root's folder at its ref.
    const git = (...args: string[]) => spawnSync('git', args, { cwd: dir, encoding: 'utf8' });
    for (const args of [
      ['init', '-q'],
      ['add', '.'],
      ['-c', 'user.email=t@example.com', '-c', 'user.name=t', 'commit', '-q', '-m', 'v1'],
    ])
      expect(git(...args).status).toBe(0);
    const fromGit = run(dir, 'diff', 'HEAD:old/', 'asyncapi/', '--root', '.');
    expect(fromGit.stdout.trimEnd().split('\n').at(-1)).toBe('evc diff FULL: HEAD:old/ -> asyncapi/: 0 breaking, 1 warning, 0 safe');
    expect(fromGit.code).toBe(0);
    const gitWithout = run(dir, 'diff', 'HEAD:old/', 'asyncapi/');
    expect(gitWithout.stderr).toMatch(/^HEAD:old\/orders\.yaml:17:9 error ref-outside-root /);
    expect(gitWithout.code).toBe(2);
    // --root is relative to the working folder; a root above the repository cannot be read at a ref.
    const inside = run(join(dir, 'old'), 'diff', 'HEAD:old/', '../asyncapi/', '--root', '..');
    expect(inside.code).toBe(0);
    const above = run(dir, 'diff', 'HEAD:old/', 'asyncapi/', '--root', '..');
    expect(above.stderr).toBe(
      `evc diff: HEAD:old/: the contract root ${dirname(dir)} is outside the git repository (${realpathSync(dir)}), so it cannot be read at HEAD\n`,
    );
    expect(above.code).toBe(2);
  });

  it('a --root that is not a folder, or a bad "root", is one line and exit 2', () => {
    const dir = contractDir({ 'asyncapi/orders.yaml': doc, 'evc.config.json': '{"root": 3}' });
    expect(run(dir, 'lint', 'asyncapi/', '--root', 'nope')).toMatchObject({ code: 2, stderr: 'evc lint: --root nope is not a folder\n' });
    const bad = run(dir, 'generate', 'asyncapi/');
    expect(bad.stderr).toMatch(/evc\.config\.json: "root" must be a non-empty string \(a folder\)\n$/);
    expect(bad.code).toBe(2);
  });
});

describe('a $ref to a missing file, and evc generate --keep-going', () => {
  const contract = (title: string, payloadRef: string) => `asyncapi: 3.0.0
info: {title: ${title}, version: '1'}
channels:
  c:
    address: ${title.toLowerCase()}
    messages:
      M:
        payload:
          $ref: '${payloadRef}'
operations:
  send:
    action: send
    channel: {$ref: '#/channels/c'}
`;
  const files = () => ({
    'asyncapi/good.yaml': contract('Good', '#/components/schemas/P').concat(
      'components:\n  schemas:\n    P: {type: object, additionalProperties: false, properties: {a: {type: string}}}\n',
    ),
    'asyncapi/bad.yaml': contract('Bad', './schemas/gone.yaml#/P'),
    // What an earlier run generated for bad: --keep-going must leave it alone.
    'generated/bad/index.ts': '// Code generated by event-contracts evc generate 0.0.0. DO NOT EDIT.\nexport {};\n',
  });
  const run = (cwd: string, ...args: string[]) => {
    const r = spawnSync(process.execPath, [join(repo, 'bin/evc.js'), ...args], { cwd, encoding: 'utf8' });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const missing = 'asyncapi/bad.yaml:9:11 error ref-not-found $ref points at a missing file: ';

  it('names the missing file and the place it was referenced from; without --keep-going nothing is written', () => {
    const dir = contractDir(files());
    const r = run(dir, 'generate', 'asyncapi/', '--no-cache');
    expect(r.stderr.split('\n')[0]).toBe(`${missing}${join(dir, 'asyncapi/schemas/gone.yaml')} (at /channels/c/messages/M/payload/$ref)`);
    expect(r.stderr).toMatch(/evc generate: 1 contract error\(s\); nothing written\n$/);
    expect(r.code).toBe(2);
    expect(existsSync(join(dir, 'generated/good'))).toBe(false);
  });

  it("--keep-going generates the contracts that load, leaves the skipped one's output and the docs alone, exit 1 naming it", () => {
    const dir = contractDir(files());
    const r = run(dir, 'generate', 'asyncapi/', '--no-cache', '--keep-going');
    expect(r.code).toBe(1);
    expect(existsSync(join(dir, 'generated/good/types.ts'))).toBe(true);
    expect(readFileSync(join(dir, 'generated/bad/index.ts'), 'utf8')).toBe(files()['generated/bad/index.ts']);
    expect(existsSync(join(dir, 'generated/docs'))).toBe(false);
    expect(r.stderr).toMatch(/evc generate: 1 system\(s\) \(good\): \d+ written, 0 unchanged, 0 removed in \d+ ms\n/);
    expect(
      r.stderr.endsWith(
        `evc generate --keep-going: skipped 1 contract(s) with errors:\n  asyncapi/bad.yaml: ${missing.replace(' error ', ' ')}${join(dir, 'asyncapi/schemas/gone.yaml')}\n`,
      ),
    ).toBe(true);
    // A second run: good is up to date, bad still skipped.
    const again = run(dir, 'generate', 'asyncapi/', '--check', '--keep-going');
    expect(again.stderr).toMatch(/evc generate --check: up to date, \d+ file\(s\) \(good\)/);
    expect(again.code).toBe(1);
  });
});
