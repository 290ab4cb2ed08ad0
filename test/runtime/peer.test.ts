import { describe, expect, it } from 'vitest';
import { isConfigurationError } from '../../src/runtime/errors.js';
import { hasPeer, requirePeer } from '../../src/runtime/peer.js';

describe('optional peer dependencies', () => {
  it('a missing client is one ConfigurationError naming the package and the install command', () => {
    let thrown: unknown;
    try {
      requirePeer('evc-test-no-such-package', '@event-contracts/runtime/example');
    } catch (e) {
      thrown = e;
    }
    expect(isConfigurationError(thrown)).toBe(true);
    expect((thrown as Error).message).toBe(
      '@event-contracts/runtime/example needs the package "evc-test-no-such-package", which is not installed: npm install evc-test-no-such-package',
    );
    expect(hasPeer('evc-test-no-such-package')).toBe(false);
  });

  it('an installed client is returned as its CommonJS exports', () => {
    const kafkajs = requirePeer<{ Kafka: unknown; logLevel: Record<string, number> }>('kafkajs', '@event-contracts/runtime/kafka');
    expect(typeof kafkajs.Kafka).toBe('function');
    expect(kafkajs.logLevel.NOTHING).toBe(0);
    expect(hasPeer('kafkajs')).toBe(true);
    // @opentelemetry/api's exports do not list ./package.json: still installed.
    expect(hasPeer('@opentelemetry/api')).toBe(true);
  });

  it('a client that fails for another reason than being absent keeps its own error', () => {
    // A package that resolves but whose deep path does not: not "not installed".
    expect(() => requirePeer('kafkajs/no/such/file', '@event-contracts/runtime/kafka')).toThrow(/Cannot find module 'kafkajs\/no\/such\/file'/);
  });
});
