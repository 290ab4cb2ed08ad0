/**
 * The `evc` command. Each subcommand lives in ./commands and returns its exit code:
 * 0 ok, 1 findings (lint errors, stale files, invalid messages, breaking changes),
 * 2 the tool could not run (bad flags, unreadable input).
 */
import { isContractError } from '../contract/errors.js';
import { UsageError } from './usage.js';

export type Command = { summary: string; run: () => Promise<(argv: string[]) => Promise<number>> };

const commands: Record<string, Command> = {
  lint: { summary: 'check contracts: AsyncAPI validation plus event-contracts rules', run: async () => (await import('./commands/lint.js')).lintCommand },
  generate: {
    summary: 'generate the typed SDK (types, validators, clients, schemas, docs) into generated/; --check, --watch',
    run: async () => (await import('./commands/generate.js')).generateCommand,
  },
  topics: {
    summary: "create the contracts' Kafka topics from their bindings and report drift (topics apply)",
    run: async () => (await import('./commands/topics.js')).topicsCommand,
  },
  docs: {
    summary: 'write Markdown docs, a system map and an offline HTML site from the contracts',
    run: async () => (await import('./commands/docs.js')).docsCommand,
  },
  validate: {
    summary: 'validate JSON / JSON array / NDJSON messages against a contract',
    run: async () => (await import('./commands/validate.js')).validateCommand,
  },
  diff: {
    summary: 'breaking-change analysis between contract versions (files, folders, git refs)',
    run: async () => (await import('./commands/diff.js')).diffCommand,
  },
  mock: { summary: 'play the other side of a service: publish its inputs, answer requests', run: async () => (await import('./commands/mock.js')).mockCommand },
  verify: {
    summary: 'check what a running system sends against its contract; --scenario for CI',
    run: async () => (await import('./commands/verify.js')).verifyCommand,
  },
  relay: {
    summary: 'send committed transactional-outbox rows (PostgreSQL) to Kafka or Redis',
    run: async () => (await import('./commands/relay.js')).relayCommand,
  },
};

/**
 * Register a subcommand. The published CLI has none of its own to add; this repository's
 * launcher (bin/evc.js) adds `run` and `replay` from the seed systems' package, which the
 * toolkit itself never imports.
 */
export function registerCommand(name: string, command: Command): void {
  commands[name] = command;
}

function help(): string {
  const width = Math.max(...Object.keys(commands).map((k) => k.length));
  return [
    'Usage: evc <command> [options]',
    '',
    'Commands:',
    ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '',
    "Run `evc <command> --help` for a command's options.",
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(help() + '\n');
    return name ? 0 : 2;
  }
  if (name === '--version' || name === '-v') {
    const { version } = await import('./version.js');
    process.stdout.write(version + '\n');
    return 0;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`evc: unknown command "${name}"\n\n${help()}\n`);
    return 2;
  }
  try {
    return await (await command.run())(rest);
  } catch (err) {
    // By name: commands registered from other packages bring their own UsageError class.
    if (err instanceof UsageError || (err as Error)?.name === 'UsageError' || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`evc ${name}: ${(err as Error).message}\n`);
      return 2;
    }
    if (isContractError(err)) {
      const l = err.location;
      process.stderr.write(`${l.file}:${l.line}:${l.col} error ${err.rule} ${err.message}\n`);
      return 2;
    }
    if ((err as Error)?.name === 'ConfigurationError') {
      // A missing optional package, a bad option: the message says what to do.
      process.stderr.write(`evc ${name}: ${(err as Error).message}\n`);
      return 2;
    }
    process.stderr.write(`evc ${name}: internal error: ${(err as Error)?.stack ?? String(err)}\n`);
    return 2;
  }
}
