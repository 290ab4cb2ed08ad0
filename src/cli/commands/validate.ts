import { accessSync, constants, statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { SystemModel } from '../../contract/ir.js';
import { loadContracts } from '../../contract/load.js';
import { createChecker, SelectionError } from '../../validate/checker.js';
import { checkContractInWorker, judgeContract, type Verdict } from '../../validate/contract-check.js';
import { violationLine } from '../../validate/explain.js';
import { fileInput, itemPlace, streamInput, validateInputs, type Input, type ItemResult } from '../../validate/run.js';
import { contractRoot, rootHelp, rootOption } from '../contract-root.js';
import { contractLimits, limitOptions, limitsHelp } from '../limits.js';
import { UsageError } from '../usage.js';

export const validateHelp = `Usage: evc validate --contract <doc> [--channel c | --message m] [files... | -]
                    [--format text|json|github] [--max-errors N] [--root <dir>]
                    [--max-contract-bytes <n>] [--max-nesting-depth <n>]

Validates messages against a contract. Inputs are JSON (one value), JSON arrays (each
element a message) or NDJSON (a message a line); \`-\` (or no file) reads stdin. Large
inputs stream in constant memory.

The message is picked by the envelope's type field (x-evc-envelope.type); --channel
picks among that channel's messages (by type, else the one that fits); --message names it.
--max-errors N prints at most N violations (counting continues).
${rootHelp}
${limitsHelp}
Exit 0 all valid, 1 any invalid or of unknown type, 2 when it could not run.`;

type Format = 'text' | 'json' | 'github';

export async function validateCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      contract: { type: 'string' },
      channel: { type: 'string' },
      message: { type: 'string' },
      format: { type: 'string', default: 'text' },
      'max-errors': { type: 'string' },
      ...rootOption,
      ...limitOptions,
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(validateHelp + '\n');
    return 0;
  }
  const format = values.format as Format;
  if (!['text', 'json', 'github'].includes(format)) throw new UsageError(`--format must be text, json or github (got "${format}")`);
  if (!values.contract) throw new UsageError('--contract <doc> is required');
  if (values.channel !== undefined && values.message !== undefined) throw new UsageError('give --channel or --message, not both');
  let maxErrors = Infinity;
  if (values['max-errors'] !== undefined) {
    const n = Number(values['max-errors']);
    if (!Number.isInteger(n) || n < 0) throw new UsageError(`--max-errors must be a whole number >= 0 (got "${values['max-errors']}")`);
    maxErrors = n;
  }
  const limits = contractLimits(values);
  const root = contractRoot(values);

  // Inputs are checked before the (slow) contract load, so a typo fails fast.
  const names = positionals.length > 0 ? positionals : ['-'];
  if (names.filter((n) => n === '-').length > 1) throw new UsageError('stdin (-) can be read only once');
  const inputs: Input[] = names.map((name) => {
    if (name === '-') return streamInput(process.stdin);
    try {
      if (!statSync(name).isFile()) throw new Error('not a file');
      accessSync(name, constants.R_OK);
    } catch (err) {
      throw new UsageError(`cannot read input ${name}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
    }
    return fileInput(name);
  });

  // The AsyncAPI spec validation (most of the contract load) runs in a worker thread while
  // messages are checked; what this prints waits for its verdict (validate/contract-check.ts).
  const contract = values.contract;
  let system: SystemModel;
  let pending: Promise<Verdict | undefined> | undefined;
  const load = { limits, ...(root ? { root } : {}) };
  const quick = judgeContract(await loadContracts([contract], { ...load, specValidation: false }), contract);
  if (quick.ok) {
    system = quick.system!;
    pending = checkContractInWorker({ contract, ...load });
  } else {
    // Broken even without the spec validation: the full load speaks, as it always did.
    const full = judgeContract(await loadContracts([contract], load), contract);
    if (!full.ok) return refuse(full);
    system = full.system!;
  }
  let verdict: Verdict | undefined;
  /** The full load's verdict: the worker's, or (when the worker could not run) this thread's. */
  const confirm = async (): Promise<Verdict> => {
    verdict ??= (pending ? await pending : { ok: true }) ?? judgeContract(await loadContracts([contract], load), contract);
    return verdict;
  };
  // A refused contract stops the reading at the next chunk instead of after the last.
  const refused = new AbortController();
  void pending?.then((v) => {
    if (v && !v.ok) refused.abort(new ContractRefused(v));
  });

  let checker;
  try {
    checker = createChecker(system, {
      ...(values.message !== undefined ? { message: values.message } : {}),
      ...(values.channel !== undefined ? { channel: values.channel } : {}),
    });
  } catch (err) {
    const v = await confirm();
    if (!v.ok) return refuse(v);
    if (err instanceof SelectionError) throw new UsageError(err.message);
    throw err;
  }

  const out = process.stdout;
  let shown = 0;
  let hidden = 0;
  let firstJson = true;
  /** Output held until the contract is confirmed (bounded: past HOLD_BYTES, reading waits for the verdict). */
  let held: string[] | undefined = [];
  let heldBytes = 0;
  const release = async (): Promise<void> => {
    if (!held) return;
    const v = await confirm();
    if (!v.ok) throw new ContractRefused(v);
    const text = held.join('');
    held = undefined;
    if (text !== '' && !out.write(text)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  };
  // Wait for stdout to drain when it pushes back, so a flood of errors cannot pile up in memory.
  const write = (text: string): void | Promise<void> => {
    if (held) {
      held.push(text);
      heldBytes += text.length;
      return heldBytes >= HOLD_BYTES ? release() : undefined;
    }
    if (!out.write(text)) return new Promise((resolve) => out.once('drain', () => resolve()));
  };
  if (format === 'json') await write('{"results":[');
  const report = async (r: ItemResult): Promise<void> => {
    if (r.status === 'valid') return;
    const room = Math.max(0, maxErrors - shown);
    const list = r.violations.slice(0, room);
    hidden += r.violations.length - list.length;
    shown += list.length;
    if (list.length === 0) return;
    if (format === 'json') {
      const entry = {
        source: r.source,
        line: r.line,
        ...(r.inArray ? { index: r.index } : {}),
        status: r.status,
        ...(r.messageId !== undefined ? { message: r.messageId } : {}),
        ...(r.eventType !== undefined ? { eventType: r.eventType } : {}),
        violations: list,
      };
      const text = (firstJson ? '\n' : ',\n') + JSON.stringify(entry);
      firstJson = false;
      return write(text);
    }
    const what = r.status === 'invalid' ? `${r.messageId}` : r.status === 'unknown-type' ? 'unknown-type' : 'not-json';
    let text = '';
    for (const v of list) {
      if (format === 'github') {
        const msg = `${what} ${r.inArray ? `[${r.index}] ` : ''}${violationLine(v)}`.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
        text += `::error file=${r.source},line=${r.line},title=evc validate::${msg}\n`;
      } else {
        text += `${itemPlace(r)} ${what} ${violationLine(v)}\n`;
      }
    }
    return write(text);
  };
  let summary;
  try {
    summary = await validateInputs(inputs, checker, report, { signal: refused.signal });
    await release();
  } catch (err) {
    if (err instanceof ContractRefused) return refuse(err.verdict);
    throw err;
  }
  const line = `evc validate: ${summary.total} message(s) ${checker.describe} against ${system.id}: ${summary.valid} valid, ${summary.invalid} invalid, ${summary.unknownType} unknown type${hidden > 0 ? ` (${hidden} more violation(s) not shown, --max-errors ${maxErrors})` : ''}`;
  if (format === 'json') {
    out.write(
      `${firstJson ? '' : '\n'}],\n"summary":${JSON.stringify({ contract: system.id, ...summary, violationsShown: shown, violationsHidden: hidden })}}\n`,
    );
  } else {
    process.stderr.write(line + '\n');
  }
  return summary.invalid > 0 || summary.unknownType > 0 ? 1 : 0;
}

/** Output held before the contract is confirmed, at most (then reading waits for the verdict). */
const HOLD_BYTES = 1 << 20;

class ContractRefused extends Error {
  constructor(readonly verdict: Exclude<Verdict, { ok: true }>) {
    super('the contract was refused');
    this.name = new.target.name;
  }
}

/** Stop as the full load says: its diagnostics (exit 2), or a usage error. */
function refuse(v: Exclude<Verdict, { ok: true }>): number {
  if ('usage' in v) throw new UsageError(v.usage);
  process.stderr.write(v.stderr);
  return 2;
}
