import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { contractDir } from '../helpers/contract-dir.js';

const CONTRACT = 'test/fixtures/validate/shop.yaml';
const evc = (args: string[], input?: string) => {
  const r = spawnSync(process.execPath, ['bin/evc.js', 'validate', ...args], { encoding: 'utf8', ...(input !== undefined ? { input } : {}) });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

const ok = (i: number) =>
  JSON.stringify({ event_id: `3f1c6a52-5c1e-4d8e-9a57-1d2b8f0f6a1${i}`, event_type: 'order.placed', data: { order_id: `o-${i}`, items: 1, status: 'new' } });
const bad = JSON.stringify({ event_id: '3f1c6a52-5c1e-4d8e-9a57-1d2b8f0f6a19', event_type: 'order.placed', data: { items: 'ten', status: 'lost', foo: 1 } });
const unknown = JSON.stringify({ event_type: 'order.shipped' });

describe('evc validate (CLI)', () => {
  it('NDJSON: every violation with file:line and pointer, a summary, exit 1', () => {
    const dir = contractDir({ 'in.ndjson': [ok(1), bad, '', unknown, '{oops', ok(2)].join('\n') + '\n' });
    const r = evc(['--contract', CONTRACT, `${dir}/in.ndjson`]);
    expect(r.code).toBe(1);
    expect(r.stdout.split('\n').map((l) => l.replace(dir, 'DIR'))).toEqual([
      'DIR/in.ndjson:2 OrderPlaced /data: missing required property "order_id"',
      'DIR/in.ndjson:2 OrderPlaced /data/foo: unexpected property "foo" (additionalProperties: false)',
      'DIR/in.ndjson:2 OrderPlaced /data/items: expected integer, got string "ten"',
      'DIR/in.ndjson:2 OrderPlaced /data/status: expected one of ["new","paid"], got string "lost"',
      'DIR/in.ndjson:4 unknown-type /event_type: unknown event type "order.shipped" at /event_type (known: order.cancelled, order.placed, payment.taken)',
      `DIR/in.ndjson:5 not-json /: not valid JSON: Expected property name or '}' in JSON at position 1`,
      '',
    ]);
    expect(r.stderr).toBe('evc validate: 5 message(s) by /event_type against shop: 2 valid, 2 invalid, 1 unknown type\n');
  });

  it('a JSON array: the index of each element; exit 0 when all are valid', () => {
    const dir = contractDir({
      'a.json': `[\n${ok(1)},\n${bad}\n]`,
      'good.json': `[${ok(1)}, ${ok(2)}]`,
      'one.json': JSON.stringify(JSON.parse(ok(3)), null, 2),
    });
    const r = evc(['--contract', CONTRACT, `${dir}/a.json`, '--max-errors', '1']);
    expect(r.code).toBe(1);
    expect(r.stdout.replace(dir, 'DIR')).toBe('DIR/a.json:3 [1] OrderPlaced /data: missing required property "order_id"\n');
    expect(r.stderr).toBe(
      'evc validate: 2 message(s) by /event_type against shop: 1 valid, 1 invalid, 0 unknown type (3 more violation(s) not shown, --max-errors 1)\n',
    );
    const good = evc(['--contract', CONTRACT, `${dir}/good.json`, `${dir}/one.json`]);
    expect([good.code, good.stdout, good.stderr]).toEqual([
      0,
      '',
      'evc validate: 3 message(s) by /event_type against shop: 3 valid, 0 invalid, 0 unknown type\n',
    ]);
  });

  it('stdin (-), --message, json output', () => {
    const r = evc(['--contract', CONTRACT, '--message', 'OrderCancelled', '--format', 'json', '-'], ok(1) + '\n');
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as {
      results: { source: string; line: number; status: string; message: string; violations: { pointer: string; text: string; keyword: string }[] }[];
      summary: unknown;
    };
    expect(out.results.map((x) => [x.source, x.line, x.status, x.message, x.violations.map((v) => `${v.pointer} ${v.keyword}`)])).toEqual([
      ['<stdin>', 1, 'invalid', 'OrderCancelled', ['/event_type const', '/data/items additionalProperties', '/data/status additionalProperties']],
    ]);
    expect(out.summary).toEqual({ contract: 'shop', total: 1, valid: 0, invalid: 1, unknownType: 0, violationsShown: 3, violationsHidden: 0 });
  });

  it('--channel and github output', () => {
    const r = evc(['--contract', CONTRACT, '--channel', 'payments', '--format', 'github', '-'], bad + '\n');
    expect(r.code).toBe(1);
    expect(r.stdout.split('\n')[0]).toBe(
      '::error file=<stdin>,line=1,title=evc validate::PaymentTaken /event_type: expected "payment.taken", got string "order.placed"',
    );
  });

  it('a contract only the AsyncAPI spec validation refuses (checked in a worker while messages are read): its diagnostics, exit 2, nothing on stdout', () => {
    const shop = readFileSync(CONTRACT, 'utf8');
    const dir = contractDir({
      'c.yaml': shop.replace('  version: 1.0.0\n', '  version: 1.0.0\n  termsOfService: 7\n'),
      'in.ndjson': [ok(1), bad, unknown].join('\n') + '\n',
    });
    for (const format of ['text', 'json']) {
      const r = evc(['--contract', `${dir}/c.yaml`, '--format', format, `${dir}/in.ndjson`]);
      expect([r.code, r.stdout, r.stderr.replace(/^.*c\.yaml:/, 'c.yaml:').replace(dir, 'DIR')]).toEqual([
        2,
        '',
        'c.yaml:7:3 error asyncapi/asyncapi-document-resolved "termsOfService" property type must be string (at /info/termsOfService)\n' +
          'evc validate: the contract DIR/c.yaml has errors; nothing validated\n',
      ]);
    }
    // Before a bad --message too, as when the contract was checked first.
    const r = evc(['--contract', `${dir}/c.yaml`, '--message', 'Nope', `${dir}/in.ndjson`]);
    expect([r.code, r.stdout, r.stderr.split('\n').at(-2)]).toEqual([2, '', `evc validate: the contract ${dir}/c.yaml has errors; nothing validated`]);
  });

  it('exit 2 when it cannot run', () => {
    const noContract = evc(['x.json']);
    expect([noContract.code, noContract.stderr]).toEqual([2, 'evc validate: --contract <doc> is required\n']);
    const missing = evc(['--contract', CONTRACT, 'no/such.ndjson']);
    expect([missing.code, missing.stderr]).toEqual([2, 'evc validate: cannot read input no/such.ndjson: no such file\n']);
    const both = evc(['--contract', CONTRACT, '--channel', 'orders', '--message', 'OrderPlaced', '-']);
    expect([both.code, both.stderr]).toEqual([2, 'evc validate: give --channel or --message, not both\n']);
    const unknownMsg = evc(['--contract', CONTRACT, '--message', 'Nope', '-'], '');
    expect([unknownMsg.code, unknownMsg.stderr]).toEqual([
      2,
      'evc validate: no message "Nope" in shop (messages: OrderPlaced, OrderCancelled, PaymentTaken)\n',
    ]);
    const maxErr = evc(['--contract', CONTRACT, '--max-errors', '-1', '-']);
    expect(maxErr.code).toBe(2);
    const broken = contractDir({ 'c.yaml': 'asyncapi: 3.0.0\ninfo:\n  title: x\n version: 1\n' });
    const r = evc(['--contract', `${broken}/c.yaml`, '-'], '{}\n');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/c\.yaml:4:1 error yaml-syntax invalid YAML: .*\nevc validate: the contract .*c\.yaml has errors; nothing validated\n$/);
  });
});
