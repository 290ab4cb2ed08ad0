/**
 * What `evc mock` and `evc verify` share: the contract (one system), the transport flags
 * and their help text, `--service`, and stopping on Ctrl-C.
 */
import { formatDiagnostics } from '../../contract/diagnostics.js';
import type { SystemModel } from '../../contract/ir.js';
import { loadContracts } from '../../contract/load.js';
import { contractServices } from '../../verify/mock.js';
import { TRANSPORT_KINDS, type TransportKind, type TransportSettings, parseDuration } from '../../verify/transport.js';
import type { ContractLimits } from '../../contract/limits.js';
import { UsageError } from '../usage.js';

export const brokerOptions = {
  transport: { type: 'string', default: 'memory' },
  service: { type: 'string', multiple: true },
  brokers: { type: 'string' },
  'redis-url': { type: 'string' },
  'key-prefix': { type: 'string' },
} as const;

export const brokerHelp = `  --transport <t>       memory (default: in this process only), kafka (--brokers, else
                        KAFKA_BROKERS, else 127.0.0.1:9092) or redis (--redis-url, else
                        REDIS_URL, else redis://127.0.0.1:6379)
  --service <name>      only this service's side (repeat or comma-separate for several)
  --key-prefix <p>      Redis: the key prefix the services' transport uses`;

export interface BrokerValues {
  transport?: string | undefined;
  service?: string[] | undefined;
  brokers?: string | undefined;
  'redis-url'?: string | undefined;
  'key-prefix'?: string | undefined;
}

export function transportSettings(values: BrokerValues, clientId: string): TransportSettings {
  const kind = values.transport as TransportKind;
  if (!TRANSPORT_KINDS.includes(kind)) throw new UsageError(`--transport must be memory, kafka or redis (got "${values.transport}")`);
  if (values.brokers !== undefined && kind !== 'kafka') throw new UsageError('--brokers is for --transport kafka');
  if ((values['redis-url'] !== undefined || values['key-prefix'] !== undefined) && kind !== 'redis')
    throw new UsageError('--redis-url and --key-prefix are for --transport redis');
  const brokers = values.brokers
    ?.split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  if (brokers !== undefined && brokers.length === 0) throw new UsageError('--brokers names no broker');
  return {
    kind,
    clientId,
    ...(brokers ? { brokers } : {}),
    ...(values['redis-url'] !== undefined ? { redisUrl: values['redis-url'] } : {}),
    ...(values['key-prefix'] !== undefined ? { keyPrefix: values['key-prefix'] } : {}),
  };
}

/** `--service a --service b,c` → [a, b, c], each a service the contract names. */
export function servicesOf(values: BrokerValues, system: SystemModel): string[] {
  const names = (values.service ?? [])
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter(Boolean);
  const known = contractServices(system);
  for (const n of names) {
    if (!known.includes(n)) throw new UsageError(`no service "${n}" in ${system.id} (x-evc-service: ${known.length > 0 ? known.join(', ') : 'none declared'})`);
  }
  return names;
}

export function durationOption(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = parseDuration(text);
  if (ms === undefined) throw new UsageError(`--${name} must be a duration like 30s, 500ms, 2m (got "${text}")`);
  return ms;
}

/**
 * Loads one contract file. Diagnostics go to stderr and the result is undefined (exit 2),
 * as `evc validate` does.
 */
export async function loadSystem(command: string, contract: string, limits: Partial<ContractLimits>): Promise<SystemModel | undefined> {
  const loaded = await loadContracts([contract], { limits });
  const errors = loaded.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0 || loaded.systems.length === 0) {
    process.stderr.write(formatDiagnostics(errors.length > 0 ? errors : loaded.diagnostics, 'text') + '\n');
    process.stderr.write(`evc ${command}: the contract ${contract} has errors; nothing ${command === 'mock' ? 'published' : 'verified'}\n`);
    return undefined;
  }
  if (loaded.systems.length > 1)
    throw new UsageError(`${contract} holds ${loaded.systems.length} contracts (${loaded.systems.map((s) => s.id).join(', ')}); name one file`);
  return loaded.systems[0]!;
}

/** An AbortSignal that fires on the first SIGINT or SIGTERM; `dispose` removes the handlers. */
export function stopSignal(onStop?: (signal: NodeJS.Signals) => void): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const handler = (sig: NodeJS.Signals) => {
    onStop?.(sig);
    controller.abort();
  };
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
  return {
    signal: controller.signal,
    dispose() {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
