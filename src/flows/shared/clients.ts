/**
 * What every service of a flow passes to its generated client: the shared transport
 * (not closed by the client), its own name as source, the environment for
 * `x-evc-group-env`, group overrides, and a logger that turns the runtime's
 * dead-letter log line into a trace entry.
 */
import type { ClientOptions, Logger, OperationDescriptor } from '@event-contracts/runtime';
import type { FlowRunOptions, TraceEntry, TransportKind } from '../registry.js';

/**
 * How every flow service subscribes: up to 3 partitions handled at once (the contracts'
 * partition count). Order per key holds (one message at a time per partition); what
 * changes is that a slow handler or a Kafka offset commit on one partition no longer
 * holds up the others.
 */
export const SUBSCRIBE = { concurrency: 3 } as const;

/** Options every flow of this folder accepts on top of the registry's. */
export interface FlowExtras {
  /**
   * Prepended to every consumer group the contract names (not to groups set through
   * their environment variable). Tests and benchmarks on a shared broker use a random
   * one so that no other run's consumers share their groups.
   */
  groupPrefix?: string;
}

export function clientOptions(service: string, options: FlowRunOptions, groups: Record<string, string>): ClientOptions {
  return {
    transport: options.transport,
    closeTransport: false,
    source: service,
    env: options.env,
    groups,
    logger: deadLetterTracer(service, options.trace),
  };
}

/** The runtime logs `event dead-lettered` with the channel and group; the trace shows it. */
function deadLetterTracer(service: string, trace: (e: TraceEntry) => void): Logger {
  const noop = () => {};
  return {
    debug: noop,
    info: noop,
    error: noop,
    warn(message, fields) {
      if (message !== 'event dead-lettered' || !fields) return;
      const error = fields.error instanceof Error ? fields.error.message : String(fields.error);
      trace({
        at: Date.now(),
        service,
        action: 'dead-lettered',
        channel: String(fields.channel),
        detail: `group=${String(fields.group)} reason=${String(fields.reason)} → ${String(fields.deadLetter)}: ${error}`,
      });
    },
  };
}

/**
 * Consumer-group overrides by operation id, for `ClientOptions.groups`: the contract's
 * group with `extras.groupPrefix` in front. A service that subscribes to several topics
 * in one group (notify-service reads all nine, gen-service two) keeps that one group on
 * every transport: the Kafka transport's assigner gives each topic's partitions only to
 * the members subscribed to it. `kind` no longer changes anything; it stays for the callers.
 */
export function groupOverrides(
  _kind: TransportKind,
  ops: readonly OperationDescriptor[],
  env: FlowRunOptions['env'],
  extras: FlowExtras,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const op of ops) {
    if (op.action !== 'receive' || !op.group) continue;
    // a group named by its environment variable is the operator's choice: left to the runtime
    if (op.groupEnv && env[op.groupEnv]) continue;
    const group = `${extras.groupPrefix ?? ''}${op.group}`;
    if (group !== op.group) out[op.id] = group;
  }
  return out;
}
