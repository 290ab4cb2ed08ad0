/**
 * `evc topics apply`: create the contracts' Kafka topics (and their dead-letter topics)
 * with the partitions, replicas and configuration of the channel bindings, and report
 * drift between contract and cluster. Existing topics change only with --alter.
 */
import { parseArgs } from 'node:util';
import { formatDiagnostics } from '../../contract/diagnostics.js';
import type { SystemModel } from '../../contract/ir.js';
import { loadContracts } from '../../contract/load.js';
import type { ChannelSpec } from '@event-contracts/runtime';
import { contractLimits } from '../limits.js';
import { UsageError } from '../usage.js';

export const topicsHelp = `Usage: evc topics apply [contracts...] [--brokers host:port,...] [--alter] [--format text|json]

Creates the Kafka topics of the contracts (default asyncapi/) that do not exist yet,
with partitions, replicas (lowered to the broker count, with a warning) and
topicConfiguration (retention.ms, ...) from each channel's Kafka binding, plus each
channel's dead-letter topic. Existing topics are compared with the contract and every
difference is reported; they are changed only with --alter (more partitions, configs;
fewer partitions or another replication factor are never applied).

  --brokers   default KAFKA_BROKERS, else 127.0.0.1:9092
  --alter     bring existing topics in line with the contract where Kafka allows it

Exit 0 in line (or brought in line), 1 when drift remains, 2 when it could not run.`;

/** The topics a system asks for: channels with a concrete address on a Kafka system. */
export function kafkaTopicSpecs(system: SystemModel): ChannelSpec[] {
  const kafkaSystem = system.servers.some((s) => s.protocol.startsWith('kafka'));
  const specs: ChannelSpec[] = [];
  for (const c of system.channels) {
    if (c.address === null || c.address.includes('{')) continue;
    if (!kafkaSystem && !c.kafka) continue;
    const config: Record<string, string> = {};
    for (const [k, v] of Object.entries(c.kafka?.topicConfiguration ?? {})) {
      if (v !== undefined && v !== null) config[k] = Array.isArray(v) ? v.join(',') : String(v);
    }
    const settings = {
      ...(c.kafka?.partitions !== undefined ? { partitions: c.kafka.partitions } : {}),
      ...(c.kafka?.replicas !== undefined ? { replicas: c.kafka.replicas } : {}),
      ...(Object.keys(config).length > 0 ? { config } : {}),
    };
    specs.push({ address: c.kafka?.topic ?? c.address, ...settings });
    if (c.deadLetter && !c.deadLetter.includes('{')) specs.push({ address: c.deadLetter, ...settings });
  }
  return specs;
}

export async function topicsCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (!sub || sub === '--help' || sub === '-h') {
    process.stdout.write(topicsHelp + '\n');
    return sub ? 0 : 2;
  }
  if (sub !== 'apply') throw new UsageError(`unknown subcommand "${sub}" (expected: apply)`);
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      brokers: { type: 'string' },
      alter: { type: 'boolean', default: false },
      format: { type: 'string', default: 'text' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(topicsHelp + '\n');
    return 0;
  }
  if (values.format !== 'text' && values.format !== 'json') throw new UsageError(`--format must be text or json (got "${values.format}")`);
  // The contract limits of evc.config.json (maxContractBytes, maxNestingDepth) hold here too.
  const loaded = await loadContracts(positionals.length > 0 ? positionals : ['asyncapi/'], { specValidation: false, limits: contractLimits({}) });
  const errors = loaded.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) {
    process.stderr.write(formatDiagnostics(errors, 'text') + '\n');
    return 2;
  }
  const specs = loaded.systems.flatMap(kafkaTopicSpecs);
  if (specs.length === 0) {
    process.stderr.write('evc topics apply: no Kafka topics in these contracts\n');
    return 0;
  }
  const { applyTopics, defaultBrokers } = await import('@event-contracts/runtime/kafka');
  const { default: kafkajs } = await import('kafkajs');
  const brokers = values.brokers
    ? values.brokers
        .split(',')
        .map((b) => b.trim())
        .filter(Boolean)
    : defaultBrokers();
  // Our own admin: kafkajs's connection logs would bury the one line we print on failure.
  const admin = new kafkajs.Kafka({
    brokers,
    clientId: 'evc-topics',
    logLevel: kafkajs.logLevel.NOTHING,
    connectionTimeout: 3000,
    retry: { retries: 3 },
  }).admin();
  let report;
  try {
    await admin.connect();
    report = await applyTopics(admin, specs, {
      alter: values.alter,
      clientId: 'evc-topics',
      log: { info: () => {}, warn: (m) => process.stderr.write(`warning: ${m}\n`) },
    });
  } catch (err) {
    process.stderr.write(`evc topics apply: cannot reach Kafka at ${brokers.join(',')}: ${(err as Error).message}\n`);
    return 2;
  } finally {
    await admin.disconnect().catch(() => {});
  }
  const remaining = report.drift.filter((d) => !d.applied);
  if (values.format === 'json') {
    process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  } else {
    for (const t of report.created) process.stdout.write(`created    ${t}\n`);
    for (const t of report.altered) process.stdout.write(`altered    ${t}\n`);
    for (const d of report.drift) {
      const what = d.field === 'config' ? `config ${d.key}` : d.field;
      const state = d.applied ? 'fixed' : 'drift';
      process.stdout.write(
        `${state.padEnd(10)} ${d.topic} ${what}: cluster ${d.actual ?? '(default)'}, contract ${d.expected}${d.note ? ` (${d.note})` : ''}\n`,
      );
    }
    process.stderr.write(
      `evc topics apply: ${specs.length} topic(s) on ${brokers.join(',')}: ${report.created.length} created, ${report.altered.length} altered, ${report.unchanged.length} unchanged, ${remaining.length} drift(s) left${remaining.length > 0 && !values.alter ? ' (--alter to apply)' : ''}\n`,
    );
  }
  return remaining.length > 0 ? 1 : 0;
}
