/**
 * `npm run bench`: runs every benchmark in bench/ as its own process (so one cannot
 * warm or starve another), collects the markdown each prints, and writes BENCHMARKS.md
 * with the machine and the command. `npm run bench -- generate kafka` runs a subset.
 *
 * Each benchmark prints its results as markdown on stdout; lines starting with `#` are
 * headings, everything else is copied as is. A benchmark that needs a broker which is
 * not up prints why and exits 0 with no table; that is recorded as "skipped".
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';

const BENCHES: { id: string; file: string; title: string }[] = [
  { id: 'packaging', file: 'bench/packaging.ts', title: 'Packages: install size and CLI start' },
  { id: 'generate', file: 'bench/generate.ts', title: '`evc generate` wall time' },
  { id: 'runtime', file: 'bench/runtime-memory.ts', title: 'Runtime on the in-memory transport' },
  { id: 'kafka', file: 'bench/kafka.ts', title: 'Kafka transport against a local broker' },
  { id: 'redis', file: 'bench/redis.ts', title: 'Redis Streams transport against a local Redis' },
  { id: 'validate', file: 'bench/validate.ts', title: '`evc validate` throughput' },
  { id: 'diff', file: 'bench/diff.ts', title: '`evc diff` of the four seed contracts' },
  { id: 'flows', file: 'bench/flows.ts', title: 'Skills platform: POST /skills to notification, end to end' },
  { id: 'workflows', file: 'bench/workflows.ts', title: 'Agent workflows on Redis Streams' },
  { id: 'outbox', file: 'bench/outbox.ts', title: 'Inbox and outbox with PostgreSQL (Kafka, Redis Streams)' },
  { id: 'verify', file: 'bench/verify.ts', title: '`evc verify` and `evc mock` throughput on Kafka and Redis' },
];

const only = process.argv.slice(2);
const selected = BENCHES.filter((b) => only.length === 0 || only.includes(b.id));
const sections: string[] = [];
const cpu = cpus()[0]?.model ?? 'unknown CPU';
// Machines differ between sessions (seen: 3× apart), so every section names its own.
const machine = `${cpus().length} × ${cpu}`;
const today = new Date().toISOString().slice(0, 10);
for (const b of selected) {
  if (!existsSync(b.file)) {
    sections.push(`## ${b.title}\n\nnot present (${b.file})\n`);
    continue;
  }
  process.stderr.write(`bench: ${b.id} (${b.file}) ...\n`);
  const t0 = Date.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', b.file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 15 * 60_000 });
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  // Headings a bench prints sit under its section: `## ` in the body would start a new
  // section here and break replacing one section (`npm run bench -- runtime`).
  const out = r.stdout.trim().replace(/^#{1,2} /gm, '### ');
  const body = r.status === 0 ? out : `FAILED (exit ${r.status ?? r.signal}):\n\n\`\`\`\n${out.slice(-2000)}\n\`\`\``;
  sections.push(`## ${b.title}\n\nCommand: \`node --import tsx ${b.file}\` (${secs} s) on ${machine}, ${today}\n\n${body || 'skipped: printed no results'}\n`);
}

// The broker scripts/kafka.sh runs: KAFKA_VERSION when set, else the script's default (`KAFKA_VERSION="${KAFKA_VERSION:-4.4.0}"`).
const kafkaDefault = existsSync('scripts/kafka.sh')
  ? /KAFKA_VERSION="\$\{KAFKA_VERSION:-([^}"]+)\}"/.exec(readFileSync('scripts/kafka.sh', 'utf8'))?.[1]
  : undefined;
const kafkaVersion = process.env.KAFKA_VERSION || kafkaDefault || '?';
const redisVersion = spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).stdout?.match(/v=(\S+)/)?.[1] ?? '?';
const header = `# Benchmarks

Written by \`npm run bench\` (bench/run.ts) on ${today}.
Machine: ${machine}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, Kafka ${kafkaVersion} (single KRaft node on loopback), Redis ${redisVersion}.
Each benchmark runs in its own process, one after another; numbers are from one run on a shared 2-core machine, so read them as an order of magnitude with a margin, not as exact values.
\`npm run bench -- <id>\` rewrites only that section: each section's command line names the machine and day it ran on.
`;
// A subset (`npm run bench -- flows`) replaces only its own sections of an existing file.
if (only.length > 0 && existsSync('BENCHMARKS.md')) {
  const parts = readFileSync('BENCHMARKS.md', 'utf8').split(/\n(?=## )/);
  for (const section of sections) {
    const title = section.split('\n', 1)[0];
    const i = parts.findIndex((p) => p.split('\n', 1)[0] === title);
    if (i >= 0) parts[i] = section;
    else parts.push(section);
  }
  writeFileSync('BENCHMARKS.md', parts.join('\n'));
} else {
  writeFileSync('BENCHMARKS.md', [header, ...sections].join('\n'));
}
process.stderr.write('bench: wrote BENCHMARKS.md\n');
