/**
 * Each seed system's scenario (test/verify/scenarios/<system>.yaml) passes against the
 * running system on its real broker: skafu on the memory transport (in process, through
 * the library) and on Kafka, chat and skills-platform on Kafka and agent-workflows on Redis
 * Streams through `evc verify --scenario` in a child process. Broker tests skip with the reason
 * locally and fail in CI when the broker is missing.
 */
import { describe, expect, it } from 'vitest';
import { startAgentWorkflows } from '../../../src/flows/agent-workflows/app.js';
import { startChat } from '../../../src/flows/chat/index.js';
import { startSkafu } from '../../../src/flows/skafu/app.js';
import { startSkillsPlatform } from '../../../src/flows/skills-platform/app.js';
import type { FlowRunOptions, RunningFlow } from '../../../src/flows/registry.js';
import { loadContracts } from '../../../src/contract/load.js';
import { runtimeSystem } from '../../../src/verify/descriptor.js';
import type { FullReport } from '../../../src/verify/report.js';
import { runVerify } from '../../../src/verify/run.js';
import { loadScenario } from '../../../src/verify/scenario.js';
import { kafkaAvailable, rawAdmin } from '../../kafka/broker.js';
import { rawClient, redisAvailable } from '../../redis/server.js';
import { evcVerify, startLive, type Kind } from './harness.js';

const kafka = await kafkaAvailable();
const redis = await redisAvailable();

/** What a passing run reports, reduced to what the test compares. */
function summary(r: FullReport) {
  return {
    passed: r.ok && r.scenario?.ok === true,
    invalid: r.totals.invalid,
    undeclared: r.totals.undeclared,
    envelope: r.envelope.violations.map((v) => `${v.rule} ${v.text}`),
    expectations: r.scenario?.expectations.map((e) => `${e.met ? 'met' : 'FAILED'} ${e.message}`),
  };
}

describe('skafu scenario on memory (in process)', () => {
  it('project creation: TemplateSelected, AIAnalysisCompleted, RepositoryCreated, ProjectConfigured under one correlation id', async () => {
    const loaded = await loadContracts(['asyncapi/skafu.yaml'], { specValidation: false });
    const rt = runtimeSystem(loaded.systems[0]!);
    const scenario = loadScenario('test/verify/scenarios/skafu.yaml', rt);
    const live = await startLive(startSkafu as (o: FlowRunOptions) => Promise<RunningFlow>, 'memory');
    try {
      const report = await runVerify({ rt, transport: live.transport, scenario });
      expect(summary(report)).toEqual({
        passed: true,
        invalid: 0,
        undeclared: 0,
        envelope: [],
        expectations: [
          `met TemplateSelected where data.projectId = ${pid}`,
          `met AIAnalysisCompleted where data.projectId = ${pid}`,
          `met RepositoryCreated where data.projectId = ${pid}`,
          `met ProjectConfigured where /data/projectId = ${pid}`,
        ],
      });
      // Everything the chain published was seen and checked: the request, three answers, its metric, the configuration.
      expect(report.channels.filter((c) => c.seen > 0).map((c) => [c.id, c.seen, c.valid])).toEqual([
        ['projectCreated', 1, 1],
        ['projectConfigured', 1, 1],
        ['templateSelected', 1, 1],
        ['aIAnalysisCompleted', 1, 1],
        ['repositoryCreated', 1, 1],
        ['metricCollected', 1, 1],
      ]);
    } finally {
      await live.stop();
    }
  });
});

const pid = '"2f6c1a9e-4b3d-4e8a-9c1f-7d5e3b2a1c0d"';
const brokerCases: Array<{ system: string; kind: Kind; start: (o: FlowRunOptions) => Promise<RunningFlow>; available: boolean; expectations: string[] }> = [
  {
    // skafu's contract is transport-neutral: memory by default (above), Kafka when deployed with one.
    system: 'skafu',
    kind: 'kafka',
    start: startSkafu as (o: FlowRunOptions) => Promise<RunningFlow>,
    available: kafka,
    expectations: [
      `met TemplateSelected where data.projectId = ${pid}`,
      `met AIAnalysisCompleted where data.projectId = ${pid}`,
      `met RepositoryCreated where data.projectId = ${pid}`,
      `met ProjectConfigured where /data/projectId = ${pid}`,
    ],
  },
  {
    system: 'chat',
    kind: 'kafka',
    start: startChat,
    available: kafka,
    expectations: ['met NotificationCreated where data.type = "welcome", data.user_id = "8c9d0e1f-2a3b-4c4d-9e5f-6a7b8c9d0e1f", data.title = "Welcome, ada!"'],
  },
  {
    system: 'skills-platform',
    kind: 'kafka',
    start: startSkillsPlatform,
    available: kafka,
    expectations: ['met TemplatesUpdated where data.skill_id = "skill-1"'],
  },
  {
    system: 'agent-workflows',
    kind: 'redis',
    start: startAgentWorkflows as (o: FlowRunOptions) => Promise<RunningFlow>,
    available: redis,
    expectations: [
      'met A2AResponse where data.request_id = "2dd5fc01-4796-4c6f-b9bc-b306989bac9e", data.to_agent = "audit-agent", source_agent = "generation-agent"',
    ],
  },
];

for (const c of brokerCases) {
  describe.skipIf(!c.available)(`${c.system} scenario on ${c.kind} (evc verify --scenario)`, () => {
    it('passes against the running system', async () => {
      const live = await startLive(c.start, c.kind);
      try {
        const r = await evcVerify([
          `asyncapi/${c.system}.yaml`,
          '--transport',
          c.kind,
          '--scenario',
          `test/verify/scenarios/${c.system}.yaml`,
          '--format',
          'json',
          ...(live.keyPrefix ? ['--key-prefix', live.keyPrefix] : []),
        ]);
        expect(r.stderr).toMatch(/evc verify: ok: \d+ message\(s\), 0 invalid\n$/);
        const report = JSON.parse(r.stdout) as FullReport;
        expect(summary(report)).toEqual({ passed: true, invalid: 0, undeclared: 0, envelope: [], expectations: c.expectations });
        expect(r.code).toBe(0);
        if (c.kind === 'kafka') {
          // verify's own group is deleted when it stops: a run per CI job leaves no group on the broker.
          expect(report.group).toMatch(/^evc-verify-[0-9a-f]{8}$/);
          const admin = await rawAdmin();
          expect((await admin.listGroups()).groups.map((g) => g.groupId)).not.toContain(report.group);
        }
        if (c.kind === 'redis') {
          // On Redis likewise: no stream of the system keeps verify's group.
          const raw = rawClient();
          try {
            const streams = await raw.keys(`${live.keyPrefix}*`);
            expect(streams.length).toBeGreaterThan(0);
            for (const stream of streams) {
              if ((await raw.type(stream)) !== 'stream') continue;
              const groups = (await raw.xinfo('GROUPS', stream)) as unknown[][];
              expect(groups.map((g) => String(g[1]))).not.toContain(report.group);
            }
          } finally {
            raw.disconnect();
          }
        }
      } finally {
        await live.stop();
      }
    }, 120_000); // skafu on Kafka joins a group per service and verify's own: ~30 s on a loaded machine
  });
}
