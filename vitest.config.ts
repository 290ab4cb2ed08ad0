import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Broker tests start consumers and wait for real rebalances; fault tests restart brokers.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores: more workers only contend with the brokers they test.
    maxWorkers: 2,
  },
});
