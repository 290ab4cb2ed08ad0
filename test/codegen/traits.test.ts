/**
 * The `traits` golden: headers, the Kafka key, the content type, the summary and the
 * consumer group of its contract come only from message and operation traits. The
 * generated SDK must carry them (golden.test.ts checks the files are what the contract
 * generates; this checks what they do).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixturesDir } from './helpers.js';

const dir = join(fixturesDir, 'traits/expected/accounts');
type Validate = ((d: unknown) => boolean) & { errors?: Array<{ instancePath: string; keyword: string }> | null };

describe('codegen from a contract with traits', () => {
  it('the header validators enforce the header schema the traits merged (both traits, either message)', async () => {
    const v = (await import(join(dir, 'validators.js'))) as Record<string, Validate>;
    for (const name of ['validateAccountOpenedHeaders', 'validateAccountClosedHeaders']) {
      const check = v[name]!;
      expect(check({ trace_id: 't-1' }), name).toBe(true);
      expect(check({ trace_id: 't-1', actor: 'ann' }), name).toBe(true);
      // trace_id is required and additionalProperties false (trait Keyed, in another file)...
      expect(check({}), name).toBe(false);
      expect(check.errors?.[0]?.keyword).toBe('required');
      expect(check({ trace_id: 't-1', other: 'x' }), name).toBe(false);
      // ...actor has minLength 1 (trait Audited, in components/messageTraits).
      expect(check({ trace_id: 't-1', actor: '' }), name).toBe(false);
      expect(check.errors?.[0]).toMatchObject({ instancePath: '/actor', keyword: 'minLength' });
    }
  });

  it('the header types, the key, the summary and the consumer group come from the traits', () => {
    const types = readFileSync(join(dir, 'types.ts'), 'utf8');
    // Both messages take their headers from the same two traits: one type, named after them.
    expect(types.match(/^export interface \w*Headers \{/gm)).toEqual(['export interface KeyedAuditedHeaders {']);
    expect(types).toContain('export interface KeyedAuditedHeaders {\n  trace_id: string;\n  actor?: string;\n}');
    const client = readFileSync(join(dir, 'client.ts'), 'utf8');
    expect(client).toContain('/** Message AccountOpened: An audited account event. */');
    // The message's own summary wins over the trait's.
    expect(client).toContain('/** Message AccountClosed: An account was closed. */');
    expect(client.match(/keyPointer: "\/accountId",/g)).toHaveLength(2);
    expect(client.match(/validateHeaders: validateAccount(Opened|Closed)Headers,/g)).toHaveLength(2);
    expect(client).toContain('  group: "ledger",\n  service: "ledger",\n');
    // The key schema (a trait's bindings.kafka.key, type string) types the key option.
    expect(client.match(/Omit<PublishOptions, "headers" \| "key"> & \{ headers\?: KeyedAuditedHeaders; key\?: string; \}/g)).toHaveLength(4);
  });
});
