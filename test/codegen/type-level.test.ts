/**
 * Type-level checks of generated code (tsc over test/codegen/typecheck/*-types.ts): each
 * file passes only if every `@ts-expect-error` line is an error and the rest compiles.
 * Recursive types (recursive-types.ts), typed request/reply (request-reply-types.ts) and
 * Kafka keys typed from the key schema (kafka-keys-types.ts).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, tsc } from './helpers.js';

describe('generated types, checked by tsc', () => {
  it.each(['recursive-types.ts', 'request-reply-types.ts', 'kafka-keys-types.ts'])(
    '%s',
    (file) => {
      const dir = join(repoRoot, 'test/.tmp/codegen-type-level');
      mkdirSync(dir, { recursive: true });
      const project = join(dir, `tsconfig.${file.replace(/\W/g, '_')}.json`);
      writeFileSync(
        project,
        JSON.stringify({ extends: '../../../tsconfig.json', compilerOptions: { noEmit: true }, include: [`../../codegen/typecheck/${file}`], exclude: [] }),
      );
      const r = tsc(project);
      expect(r.output).toBe('');
      expect(r.status).toBe(0);
    },
    120_000,
  );
});
