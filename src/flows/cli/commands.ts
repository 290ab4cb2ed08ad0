/**
 * The seed systems' commands for this repository's `evc` launcher (bin/evc.js): the
 * published CLI knows nothing of the seed systems.
 */
type Command = { summary: string; run: () => Promise<(argv: string[]) => Promise<number>> };

export const seedCommands: Record<string, Command> = {
  run: {
    summary: 'run a seed system (or all) on memory, kafka or redis with a live event trace; --demo runs its scenario',
    run: async () => (await import('./run.js')).runCommand,
  },
  replay: {
    summary: 'replay stored events (event store: PostgreSQL or JSONL) to one consumer group through its own pipeline',
    run: async () => (await import('./replay.js')).replayCommand,
  },
};
