/**
 * Running a seed system for `evc verify` tests: on memory and Kafka through the e2e
 * harness (test/e2e/helpers.ts: random consumer groups on the shared broker), on Redis
 * under a random key prefix (test/redis/server.ts) that `evc verify --key-prefix` is
 * given. `breakOnWire` plays a broken service: it changes one field of what is published
 * to one address after the runtime validated it, as a hand-written producer would.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FlowRunOptions, RunningFlow } from '../../../src/flows/registry.js';
import type { FlowExtras } from '../../../src/flows/shared/clients.js';
import { textOf, type Transport, type WireMessage } from '../../../src/runtime/index.js';
import { createRedisStreamsTransport } from '../../../src/runtime/transports/redis-streams/index.js';
import { startFlow } from '../../e2e/helpers.js';
import { REDIS_HOST, REDIS_PORT, testPrefix } from '../../redis/server.js';

export type Kind = 'memory' | 'kafka' | 'redis';

export interface Live<R> {
  running: R;
  /** The transport the system runs on (unwrapped). */
  transport: Transport;
  /** Redis: the key prefix of the system's streams. */
  keyPrefix?: string;
  stop(): Promise<void>;
}

export async function startLive<R extends RunningFlow>(
  start: (options: FlowRunOptions & FlowExtras) => Promise<R>,
  kind: Kind,
  wrap: (t: Transport) => Transport = (t) => t,
): Promise<Live<R>> {
  if (kind !== 'redis') {
    const h = await startFlow((o) => start({ ...o, transport: wrap(o.transport) }), kind);
    return { running: h.running, transport: h.transport, stop: () => h.stop() };
  }
  const keyPrefix = testPrefix('verify');
  const transport = createRedisStreamsTransport({ host: REDIS_HOST, port: REDIS_PORT, keyPrefix, blockMs: 200 });
  const workDir = await mkdtemp(join(tmpdir(), 'evc-verify-'));
  let running: R;
  try {
    running = await start({ transport: wrap(transport), transportKind: 'redis', env: {}, trace: () => {}, workDir, port: 0 });
  } catch (err) {
    await transport.close().catch(() => {});
    await rm(workDir, { recursive: true, force: true });
    throw err;
  }
  return {
    running,
    transport,
    keyPrefix,
    async stop() {
      await running.stop();
      await transport.close();
      await rm(workDir, { recursive: true, force: true });
    },
  };
}

/** The transport, with `mutate` applied to the JSON of every message published to an address ending in `address`. */
export function breakOnWire(inner: Transport, address: string, mutate: (payload: Record<string, unknown>) => void): Transport {
  const publish = (channel: string, messages: WireMessage[]) => {
    if (!channel.endsWith(address)) return inner.publish(channel, messages);
    return inner.publish(
      channel,
      messages.map((m) => {
        const payload = JSON.parse(textOf(m.value)) as Record<string, unknown>;
        mutate(payload);
        return { ...m, value: JSON.stringify(payload) };
      }),
    );
  };
  return new Proxy(inner, {
    get(target, prop) {
      if (prop === 'publish') return publish;
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

/** `evc verify ...` in a child process (the system keeps running in this one). */
export function evcVerify(args: string[], timeoutMs = 90_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['bin/evc.js', 'verify', ...args],
      { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? ((err as { code?: unknown }).code as number | null) : 0;
        resolve({ code: typeof code === 'number' ? code : null, stdout, stderr });
      },
    );
  });
}
