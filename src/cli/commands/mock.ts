/**
 * `evc mock <contract>`: plays the other side of a service over a real transport (see
 * src/verify/mock.ts).
 */
import { parseArgs } from 'node:util';
import { runtimeSystem } from '../../verify/descriptor.js';
import { mockPlan, runMock } from '../../verify/mock.js';
import { openTransport } from '../../verify/transport.js';
import { contractLimits, limitOptions, limitsHelp } from '../limits.js';
import { UsageError } from '../usage.js';
import { brokerHelp, brokerOptions, durationOption, loadSystem, servicesOf, stopSignal, transportSettings } from './broker-options.js';

export const mockHelp = `Usage: evc mock <contract> [--transport memory|kafka|redis] [--service <name>]
                [--rate N/s] [--count N] [--for 30s] [--seed N] [--generate]
                [--brokers host:port,...] [--redis-url URL] [--key-prefix P]
                [--max-contract-bytes <n>] [--max-nesting-depth <n>]

Plays the other side of a service: publishes the messages of every channel the service
receives from (every channel some operation receives from, without --service), and
answers its requests (operations with a reply) with a schema-valid reply. Messages are
the contract's examples, in turn; a message without examples (or every message, with
--generate) gets values generated from its schema, the same for the same --seed. Every
message passes its own all-errors validator before it is published, and goes out through
the runtime's client: envelope ids, time, correlation id, key and headers are filled as
the generated SDK fills them (fresh ids each time, so the service does not drop repeats).

${brokerHelp}
  --rate N/s            messages per second (default 10/s); the achieved rate is printed
  --count N             stop after N messages
  --for <duration>      stop after this long (30s, 500ms, 2m)
  --seed N              seed of the generated values (default 1)
  --generate            generate from the schema even where examples exist
${limitsHelp}
Ctrl-C stops it cleanly (the transport is closed). Exit 0 when stopped with everything
published, 1 when a publish failed, 2 when it could not run.`;

export async function mockCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...brokerOptions,
      rate: { type: 'string' },
      count: { type: 'string' },
      for: { type: 'string' },
      seed: { type: 'string' },
      generate: { type: 'boolean', default: false },
      ...limitOptions,
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(mockHelp + '\n');
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError('give one contract file');
  const settings = transportSettings(values, 'evc-mock');
  let rate = 10;
  if (values.rate !== undefined) {
    const m = /^(\d+(?:\.\d+)?)(\/s)?$/.exec(values.rate);
    if (!m || Number(m[1]) <= 0) throw new UsageError(`--rate must be messages per second, like 100/s (got "${values.rate}")`);
    rate = Number(m[1]);
  }
  let count: number | undefined;
  if (values.count !== undefined) {
    count = Number(values.count);
    if (!Number.isInteger(count) || count < 1) throw new UsageError(`--count must be a whole number >= 1 (got "${values.count}")`);
  }
  let seed = 1;
  if (values.seed !== undefined) {
    seed = Number(values.seed);
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new UsageError(`--seed must be a whole number 0..4294967295 (got "${values.seed}")`);
  }
  const durationMs = durationOption('for', values.for);
  const limits = contractLimits(values);

  const system = await loadSystem('mock', positionals[0]!, limits);
  if (!system) return 2;
  const services = servicesOf(values, system);
  const plan = mockPlan(system, services);
  if (plan.publish.length === 0 && plan.answer.length === 0) {
    throw new UsageError(`${services.length > 0 ? services.join(', ') : system.id} receive(s) nothing and send(s) no request: nothing to play`);
  }
  const rt = runtimeSystem(system);
  const transport = await openTransport(settings);
  const who = services.length > 0 ? `the other side of ${services.join(', ')}` : 'every receiving operation';
  const channels = [...new Set(plan.publish.map((p) => p.op.channelId))];
  process.stderr.write(
    `evc mock: ${system.id} on ${settings.kind}: playing ${who}: ${plan.publish.length} message(s) on ${channels.length} channel(s) at ${rate}/s` +
      `${plan.answer.length > 0 ? `, answering ${plan.answer.map((o) => o.id).join(', ')}` : ''}${count !== undefined ? `, ${count} in all` : ''}` +
      `${durationMs !== undefined ? `, for ${durationMs / 1000} s` : ''}; Ctrl-C stops\n`,
  );
  try {
    await transport.connect();
  } catch (err) {
    process.stderr.write(`evc mock: cannot connect to ${settings.kind}: ${(err as Error).message}\n`);
    await transport.close().catch(() => {});
    return 2;
  }
  const stop = stopSignal((sig) => process.stderr.write(`\n${sig}: stopping ...\n`));
  try {
    const report = await runMock({
      rt,
      transport,
      services,
      rate,
      seed,
      generate: values.generate,
      signal: stop.signal,
      ...(count !== undefined ? { count } : {}),
      ...(durationMs !== undefined ? { durationMs } : {}),
      log: (line) => process.stderr.write(`evc mock: ${line}\n`),
    });
    for (const [address, n] of Object.entries(report.perChannel).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) process.stdout.write(`${address}\t${n}\n`);
    process.stderr.write(
      `evc mock: published ${report.published} message(s) in ${(report.elapsedMs / 1000).toFixed(1)} s: achieved ${report.achievedRate}/s of ${report.requestedRate}/s asked` +
        `${report.replies > 0 || plan.answer.length > 0 ? `, ${report.replies} repl${report.replies === 1 ? 'y' : 'ies'}` : ''}${report.failed > 0 ? `, ${report.failed} failed` : ''}` +
        `${report.skipped.length > 0 ? `, ${report.skipped.length} message(s) skipped (${report.skipped.map((s) => s.messageId).join(', ')})` : ''}\n`,
    );
    return report.failed > 0 ? 1 : 0;
  } catch (err) {
    if ((err as Error)?.name === 'TransportError') {
      process.stderr.write(`evc mock: ${settings.kind}: ${(err as Error).message}\n`);
      await transport.close().catch(() => {});
      return 2;
    }
    throw err;
  } finally {
    stop.dispose();
  }
}
