import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { flowIds, loadDescriptor, loadFlow, type FlowRunOptions, type FlowSystem, type RunningFlow, type TransportKind } from '../registry.js';
import '../systems.js';
import { formatTraceLine } from '../shared/trace.js';
import type { ChannelSpec, Transport } from '@event-contracts/runtime';
import { createMemoryTransport } from '@event-contracts/runtime';
import { UsageError } from './usage.js';

export const runHelp = `Usage: evc run <system|all> [--transport memory|kafka|redis] [--port N] [--demo]
               [--work-dir DIR]

Starts a seed system's services on one transport and prints the event trace live,
one line per publish, handle, dead letter and HTTP request:
  +<seconds>  <service>  <action>  <channel (type)>  <correlation id, 8 chars>  <detail>
A "published" line is written once the transport accepted the event; on the memory
transport consumers run inside that call, so their "handled" lines can come first.

  --transport   memory (default, no server), kafka (KAFKA_BROKERS, default
                127.0.0.1:9092; topics are created from the contract's bindings,
                replicas lowered to the broker count) or redis (REDIS_URL, default
                redis://127.0.0.1:6379)
  --port N      HTTP port of the system's API (default 0: a free one)
  --demo        run the system's scenario, print a summary, stop; exit 0 when every
                scenario saw the chain of events it expected, else 1
  --work-dir    where systems write files (generated projects...); default a new
                temporary folder

\`all\` runs every registered system that supports the transport, one after another,
always with --demo. Without --demo the system serves until Ctrl-C (graceful stop).

Systems: ${flowIds().join(', ') || '(none registered)'}`;

const KINDS: TransportKind[] = ['memory', 'kafka', 'redis'];

export async function runCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      transport: { type: 'string', default: 'memory' },
      port: { type: 'string' },
      demo: { type: 'boolean', default: false },
      'work-dir': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(runHelp + '\n');
    return 0;
  }
  const kind = values.transport as TransportKind;
  if (!KINDS.includes(kind)) throw new UsageError(`--transport must be memory, kafka or redis (got "${values.transport}")`);
  if (positionals.length !== 1) throw new UsageError(`give one system or "all" (systems: ${flowIds().join(', ')})`);
  let port: number | undefined;
  if (values.port !== undefined) {
    port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be 0..65535 (got "${values.port}")`);
  }
  const target = positionals[0]!;
  const all = target === 'all';
  if (!all && !flowIds().includes(target)) throw new UsageError(`unknown system "${target}" (systems: ${flowIds().join(', ')})`);

  const systems: FlowSystem[] = [];
  const unloadable: string[] = [];
  for (const id of all ? flowIds() : [target]) {
    let system: FlowSystem | undefined;
    try {
      system = await loadFlow(id);
    } catch (err) {
      if (!all) throw err;
      process.stdout.write(`${id}: FAILED to load: ${(err as Error)?.message ?? String(err)}\n`);
      unloadable.push(id);
      continue;
    }
    if (!system) continue;
    if (!system.transports.includes(kind)) {
      if (!all) throw new UsageError(`${id} does not run on ${kind} (it runs on ${system.transports.join(', ')})`);
      process.stdout.write(`${id}: skipped (runs on ${system.transports.join(', ')}, not ${kind})\n`);
      continue;
    }
    systems.push(system);
  }
  if (systems.length === 0 && unloadable.length === 0) throw new UsageError(`no registered system runs on ${kind}`);
  if (all && port !== undefined && port !== 0 && systems.length > 1) throw new UsageError('--port names one port; with "all" leave it out');

  const workRoot = values['work-dir'] ? resolve(values['work-dir']) : await mkdtemp(join(tmpdir(), 'evc-run-'));
  if (!all && !values.demo) return serve(systems[0]!, kind, port, workRoot);

  const started = Date.now();
  const results: { id: string; ok: boolean }[] = unloadable.map((id) => ({ id, ok: false }));
  for (const system of systems) results.push({ id: system.id, ok: await demo(system, kind, port, join(workRoot, system.id), all) });
  const okCount = results.filter((r) => r.ok).length;
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  process.stdout.write(
    `\n${okCount}/${results.length} scenario(s) ok on ${kind} in ${secs} s${
      okCount < results.length
        ? `; failed: ${results
            .filter((r) => !r.ok)
            .map((r) => r.id)
            .join(', ')}`
        : ''
    }\n`,
  );
  exitIfStuck();
  return okCount === results.length ? 0 : 1;
}

/** Starts, runs the scenario, stops. False when any step failed or the chain was not seen. */
async function demo(system: FlowSystem, kind: TransportKind, port: number | undefined, workDir: string, prefix: boolean): Promise<boolean> {
  process.stdout.write(`\n== ${system.id} on ${kind}: ${system.title}\n   work dir ${workDir}\n`);
  const t0 = Date.now();
  const tag = prefix ? `[${system.id}] ` : '';
  let transport: Transport | undefined;
  let running: RunningFlow | undefined;
  try {
    transport = await createTransport(kind, system.id);
    const options: FlowRunOptions = {
      transport,
      transportKind: kind,
      env: process.env,
      trace: (e) => process.stdout.write(tag + formatTraceLine(e, t0) + '\n'),
      workDir,
      ...(port !== undefined ? { port } : {}),
    };
    running = await system.start(options);
    process.stdout.write(`${tag}started in ${Date.now() - t0} ms${running.url ? `, API ${running.url}` : ''}\n`);
    const summary = await system.demo(running, options);
    process.stdout.write(`-- ${system.id} summary\n${summary.lines.join('\n')}\n-- ${system.id}: ${summary.ok ? 'ok' : 'FAILED'}\n`);
    return summary.ok;
  } catch (err) {
    process.stdout.write(`-- ${system.id}: FAILED: ${(err as Error)?.stack ?? String(err)}\n`);
    return false;
  } finally {
    await running?.stop().catch((err) => process.stderr.write(`${system.id}: stop failed: ${(err as Error).message}\n`));
    await transport?.close().catch((err) => process.stderr.write(`${system.id}: transport close failed: ${(err as Error).message}\n`));
  }
}

/** Serves until SIGINT/SIGTERM, then stops gracefully. */
async function serve(system: FlowSystem, kind: TransportKind, port: number | undefined, workDir: string): Promise<number> {
  const t0 = Date.now();
  const transport = await createTransport(kind, system.id);
  const options: FlowRunOptions = {
    transport,
    transportKind: kind,
    env: process.env,
    trace: (e) => process.stdout.write(formatTraceLine(e, t0) + '\n'),
    workDir,
    ...(port !== undefined ? { port } : {}),
  };
  let running: RunningFlow;
  try {
    running = await system.start(options);
  } catch (err) {
    await transport.close().catch(() => {});
    throw err;
  }
  process.stdout.write(`${system.id} on ${kind}${running.url ? `: API ${running.url}` : ''}, work dir ${workDir}; Ctrl-C stops\n`);
  const signal = await new Promise<NodeJS.Signals>((done) => {
    process.once('SIGINT', () => done('SIGINT'));
    process.once('SIGTERM', () => done('SIGTERM'));
  });
  process.stdout.write(`\n${signal}: stopping ${system.id} ...\n`);
  await running.stop();
  await transport.close();
  process.stdout.write('stopped\n');
  exitIfStuck();
  return 0;
}

async function createTransport(kind: TransportKind, systemId: string): Promise<Transport> {
  if (kind === 'memory') return createMemoryTransport();
  if (kind === 'redis') {
    const { createRedisStreamsTransport } = await import('@event-contracts/runtime/redis-streams');
    // agent-workflows runs many small hops per workflow: its readers linger 5 ms after a read that
    // brought entries, so the next read brings what arrived meanwhile (as bench/workflows.ts measures it).
    return createRedisStreamsTransport({
      url: process.env.REDIS_URL || 'redis://127.0.0.1:6379',
      ...(systemId === 'agent-workflows' ? { readLingerMs: 5 } : {}),
    });
  }
  const { applyTopics, createKafkaTransport, defaultBrokers } = await import('@event-contracts/runtime/kafka');
  const brokers = defaultBrokers(process.env);
  const specs = await kafkaTopics(systemId);
  if (specs.length > 0) {
    const report = await applyTopics(brokers, specs, { clientId: `evc-run-${systemId}` });
    const lowered = report.warnings.filter((w) => w.includes('broker(s); using')).length;
    process.stdout.write(
      `   kafka ${brokers.join(',')}: ${report.created.length} topic(s) created, ${new Set(specs.map((s) => s.address)).size - report.created.length} present` +
        `${lowered > 0 ? `; replicas lowered to the broker count for ${lowered}` : ''}${report.drift.length > 0 ? `; ${report.drift.length} difference(s) from the contract left as they are` : ''}\n`,
    );
  }
  return createKafkaTransport({ brokers, clientId: `evc-run-${systemId}` });
}

/** The topics (and dead-letter topics) of a system's generated descriptor, with their Kafka settings. */
async function kafkaTopics(systemId: string): Promise<ChannelSpec[]> {
  const system = await loadDescriptor(systemId);
  if (!system) return [];
  const specs: ChannelSpec[] = [];
  for (const c of system.channels) {
    if (c.address.includes('{')) continue; // parameterised: concrete topics appear at runtime
    specs.push({ address: c.address, ...c.kafka });
    if (c.deadLetter && !c.deadLetter.includes('{')) specs.push({ address: c.deadLetter, ...c.kafka });
  }
  return specs;
}

/**
 * A client library that leaves a timer or socket behind would keep the process alive
 * after the run is over; the run has finished, so exit anyway (the timer is unref'd:
 * it fires only in that case).
 */
function exitIfStuck(): void {
  setTimeout(() => {
    process.stderr.write('evc run: something kept the process alive after stopping; exiting\n');
    process.exit(process.exitCode ?? 0);
  }, 5_000).unref();
}
