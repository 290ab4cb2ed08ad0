/**
 * `evc relay --contract <file> --transport kafka|redis`: the transactional outbox relay
 * as a process of its own (`startOutboxRelay` from `@event-contracts/runtime/postgres`,
 * see docs/exactly-once.md). Several may run against one outbox table.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import type { ChannelSpec } from '@event-contracts/runtime';
import { openTransport } from '../../verify/transport.js';
import { contractLimits, limitOptions, limitsHelp } from '../limits.js';
import { UsageError } from '../usage.js';
import { brokerHelp, brokerOptions, durationOption, loadSystem, stopSignal, transportSettings } from './broker-options.js';
import { kafkaTopicSpecs } from './topics.js';

export const relayHelp = `Usage: evc relay --contract <file> --transport kafka|redis [--database-url URL]
                [--table evc_outbox] [--batch N] [--poll 20ms] [--status-every 10s]
                [--metrics [host:]port]
                [--brokers host:port,...] [--redis-url URL] [--key-prefix P]

Sends the rows your services committed to the transactional outbox table (publish with
{ tx }) to the broker, in commit order per key, and marks them sent. Runs until Ctrl-C
or SIGTERM, which finish the pass under way. Several relays may share one table: each
row is sent by one of them (FOR UPDATE SKIP LOCKED plus a lock per key). A relay that
dies between the broker's acknowledgement and its commit sends those rows again (same
event ids: the consumers' dedupe or inbox drops them).

  --contract <file>     the contract whose channels the rows go to (Kafka: its topics are
                        created from the bindings when missing)
${brokerHelp}
  --database-url URL    PostgreSQL (default: DATABASE_URL)
  --table <name>        the outbox table (default evc_outbox; created when missing)
  --batch N             rows per pass (default 1000)
  --poll <duration>     wait after a pass that found no row (default 20ms; 2ms after a
                        pass that sent some, while rows keep arriving)
  --status-every <d>    print sent, lag rows and oldest unsent age this often (default 10s)
  --metrics [host:]port serve Prometheus metrics at http://host:port/metrics (host defaults
                        to 127.0.0.1; port 0 picks a free one, printed at start):
                        evc_outbox_sent_total, evc_outbox_lag_rows,
                        evc_outbox_oldest_unsent_seconds
${limitsHelp}
Exit 0 when stopped, 2 when it could not run.`;

export async function relayCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...brokerOptions,
      transport: { type: 'string' },
      contract: { type: 'string' },
      'database-url': { type: 'string' },
      table: { type: 'string', default: 'evc_outbox' },
      batch: { type: 'string' },
      poll: { type: 'string' },
      'status-every': { type: 'string' },
      metrics: { type: 'string' },
      ...limitOptions,
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(relayHelp + '\n');
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}" (the contract goes after --contract)`);
  if (!values.contract) throw new UsageError('--contract <file> is required');
  if (values.transport === undefined) throw new UsageError('--transport kafka|redis is required');
  if (values.transport === 'memory') throw new UsageError('--transport memory reaches no other process: use kafka or redis');
  if (values.service !== undefined) throw new UsageError('--service is not an option of evc relay');
  const settings = transportSettings(values, 'evc-relay');
  const databaseUrl = values['database-url'] ?? process.env.DATABASE_URL;
  if (!databaseUrl) throw new UsageError('no database: pass --database-url or set DATABASE_URL');
  let batchSize: number | undefined;
  if (values.batch !== undefined) {
    batchSize = Number(values.batch);
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new UsageError(`--batch must be a whole number >= 1 (got "${values.batch}")`);
  }
  const pollIntervalMs = durationOption('poll', values.poll);
  const statusEvery = durationOption('status-every', values['status-every']) ?? 10_000;
  const metricsAt = values.metrics === undefined ? undefined : metricsAddress(values.metrics);

  const system = await loadSystem('relay', values.contract, contractLimits(values));
  if (!system) return 2;
  const { createPostgresOutbox, startOutboxRelay } = await import('@event-contracts/runtime/postgres');
  const transport = await openTransport(settings);
  const outbox = createPostgresOutbox({ connectionString: databaseUrl, table: values.table, max: 2 });
  try {
    await transport.connect();
    await outbox.init();
    if (settings.kind === 'kafka') {
      const specs: ChannelSpec[] = kafkaTopicSpecs(system);
      if (specs.length > 0) await transport.ensureChannels?.(specs);
    }
  } catch (err) {
    await Promise.allSettled([transport.close(), outbox.close()]);
    throw err;
  }
  const relay = startOutboxRelay({
    outbox,
    transport,
    ...(batchSize !== undefined ? { batchSize } : {}),
    ...(pollIntervalMs !== undefined ? { pollIntervalMs } : {}),
    logger: {
      debug: () => undefined,
      info: () => undefined,
      warn: (message, fields) => process.stderr.write(`evc relay: ${message} ${JSON.stringify(fields ?? {})}\n`),
      error: (message, fields) => process.stderr.write(`evc relay: ${message} ${JSON.stringify(fields ?? {})}\n`),
    },
  });
  const status = () => {
    const s = relay.stats();
    return `sent ${s.sent}, unsent ${s.lagRows}, oldest unsent ${(s.lagOldestMs / 1000).toFixed(1)} s, failed passes ${s.failures}`;
  };
  process.stdout.write(`evc relay: ${outbox.table} → ${settings.kind} (${system.id}); Ctrl-C stops\n`);
  let server: Server | undefined;
  if (metricsAt) {
    try {
      server = await serveMetrics(metricsAt, () => relay.metricsText());
    } catch (err) {
      await relay.stop();
      await Promise.allSettled([transport.close(), outbox.close()]);
      throw new UsageError(`--metrics ${values.metrics}: cannot listen (${err instanceof Error ? err.message : String(err)})`);
    }
    const bound = server.address() as AddressInfo;
    process.stdout.write(`evc relay: metrics on http://${metricsAt.host}:${bound.port}/metrics\n`);
  }
  const timer = setInterval(() => process.stdout.write(`evc relay: ${status()}\n`), statusEvery);
  const stop = stopSignal();
  await new Promise<void>((resolve) => stop.signal.addEventListener('abort', () => resolve(), { once: true }));
  stop.dispose();
  clearInterval(timer);
  await relay.stop();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  process.stdout.write(`evc relay: stopped; ${status()}\n`);
  await Promise.allSettled([transport.close(), outbox.close()]);
  return 0;
}

/** `[host:]port`: a loopback host unless one is named. */
function metricsAddress(text: string): { host: string; port: number } {
  const m = /^(?:(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):)?(\d{1,5})$/.exec(text);
  const port = m ? Number(m[2]) : Number.NaN;
  if (!m || port > 65_535) throw new UsageError(`--metrics must be [host:]port, e.g. 9464 or 0.0.0.0:9464 (got "${text}")`);
  return { host: m[1]?.replace(/^\[|\]$/g, '') ?? '127.0.0.1', port };
}

/** GET /metrics answers the relay's Prometheus text; anything else 404. */
function serveMetrics(at: { host: string; port: number }, text: () => string): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method === 'GET' && (req.url === '/metrics' || req.url?.startsWith('/metrics?'))) {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
      res.end(text());
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('not found: GET /metrics\n');
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(at.port, at.host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}
