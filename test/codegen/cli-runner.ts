/**
 * Runs `evc generate` in this process's cwd, mapping errors to exit codes the way the
 * `evc` dispatcher does (tests and benchmarks spawn it: `node --import tsx test/codegen/cli-runner.ts ...`).
 */
import { generateCommand } from '../../src/cli/commands/generate.js';
import { UsageError } from '../../src/cli/usage.js';

try {
  process.exitCode = await generateCommand(process.argv.slice(2));
} catch (err) {
  const usage = err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
  process.stderr.write(`evc generate: ${(err as Error).message}\n`);
  process.exitCode = usage ? 2 : 3;
}
