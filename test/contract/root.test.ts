/**
 * The contract root: `$ref`s may reach any file under it (default: the contract's own
 * folder). Outside it, over a symbolic link that leaves it, and over http(s) without
 * allowRemote they stay refused, each as one diagnostic at the `$ref`.
 */
import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadContract } from '../../src/contract/index.js';
import { contractDir } from '../helpers/contract-dir.js';

const doc = (ref: string) => `asyncapi: 3.0.0
info: {title: Orders, version: '1'}
channels:
  placed:
    address: orders.placed
    messages:
      OrderPlaced:
        payload:
          $ref: '${ref}'
`;
const schema = `OrderPlaced:
  type: object
  additionalProperties: false
  properties:
    id: {type: string}
`;

/** A repository: asyncapi/orders.yaml beside schemas/orders.yaml, and a secret outside it. */
function repo(ref = '../schemas/orders.yaml#/OrderPlaced') {
  const dir = contractDir({ 'repo/asyncapi/orders.yaml': doc(ref), 'repo/schemas/orders.yaml': schema, 'secret/keys.yaml': 'OrderPlaced: {type: string}\n' });
  return { dir, repoRoot: join(dir, 'repo'), file: join(dir, 'repo/asyncapi/orders.yaml') };
}
const errors = (r: Awaited<ReturnType<typeof loadContract>>) =>
  r.diagnostics
    .filter((d) => d.severity === 'error')
    .map((d) => `${d.location.line}:${d.location.col} ${d.rule} ${d.message.replace(/\/tmp\/evc-test-\w+/g, 'T')}`);

describe('the contract root', () => {
  it('default: the contract folder; a $ref to ../schemas is refused at its place', async () => {
    const { file } = repo();
    expect(errors(await loadContract(file))).toEqual([
      '9:11 ref-outside-root $ref reaches outside the contract root: T/repo/schemas/orders.yaml is not inside T/repo/asyncapi/ (choose the root with --root or "root" in evc.config.json)',
    ]);
  });

  it('root = the repository: the $ref above the document folder resolves', async () => {
    const { file, repoRoot } = repo();
    const r = await loadContract(file, { root: repoRoot });
    expect(errors(r)).toEqual([]);
    const m = r.systems[0]!.messages[0]!;
    expect(m.payload).toMatchObject({ type: 'object', properties: { id: { type: 'string' } } });
    expect(m.payloadTypeName).toBe('PlacedOrderPlacedPayload');
    expect(r.systems[0]!.files.map((f) => f.slice(f.indexOf('/repo/')))).toEqual(['/repo/asyncapi/orders.yaml', '/repo/schemas/orders.yaml']);
  });

  it('outside the chosen root: refused', async () => {
    const { file, repoRoot } = repo('../../secret/keys.yaml#/OrderPlaced');
    expect(errors(await loadContract(file, { root: repoRoot }))).toEqual([
      '9:11 ref-outside-root $ref reaches outside the contract root: T/secret/keys.yaml is not inside T/repo/ (choose the root with --root or "root" in evc.config.json)',
    ]);
  });

  it('over a symbolic link inside the root that leaves it: refused, naming the link target', async () => {
    const { dir, file, repoRoot } = repo('../schemas/link.yaml#/OrderPlaced');
    symlinkSync(join(dir, 'secret/keys.yaml'), join(repoRoot, 'schemas/link.yaml'));
    expect(errors(await loadContract(file, { root: repoRoot }))).toEqual([
      '9:11 ref-outside-root $ref reaches outside the contract root: T/repo/schemas/link.yaml (through a symbolic link to T/secret/keys.yaml) is not inside T/repo/ (choose the root with --root or "root" in evc.config.json)',
    ]);
  });

  it('a symbolic link that stays inside the root is followed', async () => {
    const { file, repoRoot } = repo('../schemas/link.yaml#/OrderPlaced');
    symlinkSync(join(repoRoot, 'schemas/orders.yaml'), join(repoRoot, 'schemas/link.yaml'));
    expect(errors(await loadContract(file, { root: repoRoot }))).toEqual([]);
  });

  it('http(s) without allowRemote: refused whatever the root', async () => {
    const { file, repoRoot } = repo('https://example.com/schemas/orders.yaml#/OrderPlaced');
    expect(errors(await loadContract(file, { root: repoRoot }))).toEqual([
      '9:11 ref-remote-disabled $ref "https://example.com/schemas/orders.yaml#/OrderPlaced" points at a URL; remote references are off (pass --allow-remote to fetch them)',
    ]);
  });

  it('a contract outside the root it is given: one line', async () => {
    const { file, dir } = repo();
    expect(errors(await loadContract(file, { root: join(dir, 'secret') }))).toEqual([
      '1:1 contract-outside-root the contract T/repo/asyncapi/orders.yaml is not inside the contract root T/secret/ (choose the root with --root or "root" in evc.config.json)',
    ]);
  });
});
