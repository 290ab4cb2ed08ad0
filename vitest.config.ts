import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The packages resolve to their sources here, as tsconfig.json's paths say (one list for
// tsc, tsx and vitest): nothing needs building before the tests.
const tsconfig = JSON.parse(readFileSync(new URL('./tsconfig.json', import.meta.url), 'utf8').replace(/^\s*\/\/.*$/gm, '')) as {
  compilerOptions: { paths: Record<string, [string]> };
};
const alias = Object.entries(tsconfig.compilerOptions.paths)
  // Longest first, so `@event-contracts/runtime/kafka` is not taken for `@event-contracts/runtime` + `/kafka`.
  .sort(([a], [b]) => b.length - a.length)
  .map(([find, [target]]) => ({ find: new RegExp(`^${find.replace(/[/.-]/g, '\\$&')}$`), replacement: fileURLToPath(new URL(target, import.meta.url)) }));

/**
 * Tiers: `unit` needs no broker, database, browser or child process and runs in seconds
 * (`npm run test:unit`); `integration` is the rest (real Kafka, Redis, PostgreSQL,
 * Chromium, spawned `evc` and `tsc`). `npm test` runs both, as CI does.
 */
const integration = [
  'test/kafka/**',
  'test/redis/**',
  'test/postgres/**',
  'test/conformance/kafka.test.ts',
  'test/conformance/redis.test.ts',
  'test/e2e/**',
  'test/**/cli.test.ts',
  'test/codegen/check.test.ts',
  'test/codegen/compile-time.test.ts',
  'test/codegen/emit.test.ts',
  'test/codegen/golden.test.ts',
  'test/codegen/type-level.test.ts',
  'test/codegen/validators.test.ts',
  'test/docs/site.test.ts',
  'test/diff/seed.test.ts',
  // Spawns a child process to measure its RSS.
  'test/validate/memory.test.ts',
  'test/verify/live/**',
  'test/corpus/**',
];

export default defineConfig({
  resolve: { alias },
  test: {
    // Broker tests start consumers and wait for real rebalances; fault tests restart brokers.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores: more workers only contend with the brokers they test.
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: integration } },
      { extends: true, test: { name: 'integration', include: integration.map((g) => (g.endsWith('.ts') ? g : `${g.replace(/\/\*\*$/, '')}/**/*.test.ts`)) } },
    ],
  },
});
