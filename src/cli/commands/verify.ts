/**
 * `evc verify <contract>`: checks what a running system sends (src/verify/observer.ts),
 * optionally driving it with a scenario (src/verify/scenario.ts).
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { formatDiagnostics } from '../../contract/diagnostics.js';
import { runtimeSystem } from '../../verify/descriptor.js';
import { formatReport, passed, REPORT_FORMATS, type FullReport, type ReportFormat } from '../../verify/report.js';
import { loadScenario, ScenarioError } from '../../verify/scenario.js';
import { runVerify } from '../../verify/run.js';
import { openTransport } from '../../verify/transport.js';
import { contractLimits, limitOptions, limitsHelp } from '../limits.js';
import { UsageError } from '../usage.js';
import { brokerHelp, brokerOptions, durationOption, loadSystem, servicesOf, stopSignal, transportSettings } from './broker-options.js';

export const verifyHelp = `Usage: evc verify <contract> [--transport memory|kafka|redis] [--for 30s]
                  [--service <name>] [--scenario file.yaml] [--from-beginning]
                  [--format text|json|junit] [--output file] [--max-errors N]
                  [--brokers host:port,...] [--redis-url URL] [--key-prefix P]
                  [--max-contract-bytes <n>] [--max-nesting-depth <n>]

Joins the contract's channels (those --service sends to or receives from) as a consumer
group of its own, evc-verify-<random> (never a service's group: it takes no message from
anyone), and checks every message it sees with the contract's all-errors validators and
the envelope rules: event ids present and unique per channel, headers that agree with the
payload, causation ids that name an event seen with the same correlation id, sequence
numbers past their cause's and increasing per channel, key and correlation id. Reports
per channel: seen, valid, invalid with the first errors (instance path and message),
messages of types the channel does not declare, and channels that stayed silent.

${brokerHelp}
  --for <duration>      how long to watch (default 30s; with --scenario: until every
                        expectation is met or its time is up)
  --scenario <file>     publish the scenario's messages, then expect its messages within
                        their time (docs/contract-testing.md); the file is checked against
                        the contract before anything is sent
  --from-beginning      read each channel from its start instead of from now
  --format <f>          text (default), json or junit (JUnit XML for CI)
  --output <file>       write the report there instead of stdout
  --max-errors N        problems shown per channel (default 5; counting continues)
${limitsHelp}
Ctrl-C ends the watch early and reports. Exit 0 when everything seen is valid (silent
channels are reported, not failed), 1 on any invalid message, undeclared type, envelope
violation or unmet expectation, 2 when it could not run.`;

export async function verifyCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...brokerOptions,
      for: { type: 'string' },
      scenario: { type: 'string' },
      'from-beginning': { type: 'boolean', default: false },
      format: { type: 'string', default: 'text' },
      output: { type: 'string' },
      'max-errors': { type: 'string' },
      group: { type: 'string' },
      ...limitOptions,
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(verifyHelp + '\n');
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError('give one contract file');
  const format = values.format as ReportFormat;
  if (!REPORT_FORMATS.includes(format)) throw new UsageError(`--format must be text, json or junit (got "${values.format}")`);
  const settings = transportSettings(values, 'evc-verify');
  const forMs = durationOption('for', values.for);
  let maxErrors = 5;
  if (values['max-errors'] !== undefined) {
    maxErrors = Number(values['max-errors']);
    if (!Number.isInteger(maxErrors) || maxErrors < 0) throw new UsageError(`--max-errors must be a whole number >= 0 (got "${values['max-errors']}")`);
  }
  if (values.group !== undefined && !values.group.startsWith('evc-verify-'))
    throw new UsageError("--group must start with evc-verify- (never a service's group)");
  const limits = contractLimits(values);

  const system = await loadSystem('verify', positionals[0]!, limits);
  if (!system) return 2;
  const services = servicesOf(values, system);
  const rt = runtimeSystem(system);
  // The scenario is checked before anything connects or is sent.
  let scenario: ReturnType<typeof loadScenario> | undefined;
  if (values.scenario !== undefined) {
    try {
      scenario = loadScenario(values.scenario, rt);
    } catch (err) {
      if (!(err instanceof ScenarioError)) throw err;
      process.stderr.write(formatDiagnostics(err.diagnostics, 'text') + '\n');
      process.stderr.write(`evc verify: the scenario ${values.scenario} has ${err.diagnostics.length} error(s); nothing sent\n`);
      return 2;
    }
  }

  const transport = await openTransport(settings);
  const stop = stopSignal((sig) => process.stderr.write(`\n${sig}: ending the watch ...\n`));
  try {
    try {
      await transport.connect();
    } catch (err) {
      process.stderr.write(`evc verify: cannot connect to ${settings.kind}: ${(err as Error).message}\n`);
      return 2;
    }
    const report: FullReport = await runVerify({
      rt,
      transport,
      services,
      maxErrors,
      fromBeginning: values['from-beginning'],
      signal: stop.signal,
      ...(values.group !== undefined ? { group: values.group } : {}),
      ...(scenario ? { scenario } : {}),
      ...(forMs !== undefined ? { forMs } : {}),
      onJoined: (observer) =>
        process.stderr.write(`evc verify: ${system.id} on ${settings.kind}: watching ${observer.addresses.length} channel(s) as group ${observer.group}\n`),
    });
    const text = formatReport(report, format);
    if (values.output !== undefined) writeFileSync(values.output, text);
    else process.stdout.write(text);
    if (values.output !== undefined || format !== 'text') {
      process.stderr.write(`evc verify: ${passed(report) ? 'ok' : 'FAILED'}: ${report.totals.seen} message(s), ${report.totals.invalid} invalid\n`);
    }
    return passed(report) ? 0 : 1;
  } catch (err) {
    if ((err as Error)?.name === 'TransportError') {
      process.stderr.write(`evc verify: ${settings.kind}: ${(err as Error).message}\n`);
      return 2;
    }
    throw err;
  } finally {
    stop.dispose();
    await transport.close().catch(() => {});
  }
}
