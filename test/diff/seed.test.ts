/**
 * Seeds 000 ("Event Flow") and 001 ("Kafka Topics") describe the same platform and
 * disagree. Written as two contracts (test/fixtures/diff/seed-000, seed-001: closed
 * objects, every listed field required, see the header of each file), `evc diff` must
 * name every difference with the right verdict.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { loadContracts } from '../../src/contract/load.js';
import type { DiffReport } from '../../src/diff/index.js';
import { validOn } from './helpers.js';

const OLD = 'test/fixtures/diff/seed-000';
const NEW = 'test/fixtures/diff/seed-001';

function evcDiff(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/evc.js', 'diff', ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('evc diff seed-000 seed-001', () => {
  const run = evcDiff(OLD, NEW, '--format', 'json');
  const report = JSON.parse(run.stdout) as DiffReport;

  it('names each difference with its verdicts (FULL), exactly', () => {
    expect(run.code).toBe(1);
    const got = report.findings.map((f) => [f.rule, f.subject, f.backward, f.forward, f.verdict, f.counterexamples.map((c) => c.direction).join('+') || '-']);
    expect(got).toEqual([
      // Seed 001's topic table gives partitions/replicas/retention; seed 000 none.
      ['kafka-binding-changed', 'channel skillCreated', 'warning', 'warning', 'warning', '-'],
      ['channel-added', 'channel skillUpdated', 'safe', 'safe', 'safe', '-'],
      ['kafka-binding-changed', 'channel projectGenerated', 'warning', 'warning', 'warning', '-'],
      ['channel-added', 'channel projectCompleted', 'safe', 'safe', 'safe', '-'],
      ['kafka-binding-changed', 'channel validationCompleted', 'warning', 'warning', 'warning', '-'],
      // Seed 000's build and reporting consumers are not in seed 001's consumer-group table.
      ['operation-removed', 'operation buildReceiveProjectGenerated', 'breaking', 'breaking', 'breaking', '-'],
      ['operation-removed', 'operation reportingReceiveValidationCompleted', 'breaking', 'breaking', 'breaking', '-'],
      ['operation-added', 'operation sendSkillUpdated', 'safe', 'safe', 'safe', '-'],
      ['operation-added', 'operation sendProjectCompleted', 'safe', 'safe', 'safe', '-'],
      // Seed 000 names no consumer groups; seed 001 does.
      ['kafka-group-changed', 'operation generationReceiveSkillCreated', 'breaking', 'safe', 'breaking', '-'],
      ['operation-added', 'operation generationReceiveSkillUpdated', 'safe', 'safe', 'safe', '-'],
      ['kafka-group-changed', 'operation validationReceiveProjectGenerated', 'breaking', 'safe', 'breaking', '-'],
      ['kafka-group-changed', 'operation notificationReceiveSkillCreated', 'breaking', 'safe', 'breaking', '-'],
      ['operation-added', 'operation notificationReceiveSkillUpdated', 'safe', 'safe', 'safe', '-'],
      ['operation-added', 'operation notificationReceiveProjectGenerated', 'safe', 'safe', 'safe', '-'],
      ['operation-added', 'operation notificationReceiveProjectCompleted', 'safe', 'safe', 'safe', '-'],
      ['operation-added', 'operation notificationReceiveValidationCompleted', 'safe', 'safe', 'safe', '-'],
      // skill.updated and project.completed are only in seed 001.
      ['message-added', 'message SkillUpdated', 'safe', 'safe', 'safe', '-'],
      ['message-added', 'message ProjectCompleted', 'safe', 'safe', 'safe', '-'],
      // skill.created: version/created_by (000) vs category (001); description optional in 001.
      ['property-removed-closed', 'message SkillCreated /data/version', 'breaking', 'safe', 'breaking', 'backward'],
      ['required-removed', 'message SkillCreated /data/version', 'safe', 'breaking', 'breaking', 'forward'],
      ['property-removed-closed', 'message SkillCreated /data/created_by', 'breaking', 'safe', 'breaking', 'backward'],
      ['required-removed', 'message SkillCreated /data/created_by', 'safe', 'breaking', 'breaking', 'forward'],
      ['required-removed', 'message SkillCreated /data/description', 'safe', 'breaking', 'breaking', 'forward'],
      ['property-added-closed', 'message SkillCreated /data/category', 'safe', 'breaking', 'breaking', 'forward'],
      // project.generated: files_count and spec_id (000) vs files[] (001).
      ['property-removed-closed', 'message ProjectGenerated /data/spec_id', 'breaking', 'safe', 'breaking', 'backward'],
      ['required-removed', 'message ProjectGenerated /data/spec_id', 'safe', 'breaking', 'breaking', 'forward'],
      ['property-removed-closed', 'message ProjectGenerated /data/files_count', 'breaking', 'safe', 'breaking', 'backward'],
      ['required-removed', 'message ProjectGenerated /data/files_count', 'safe', 'breaking', 'breaking', 'forward'],
      ['property-added-closed', 'message ProjectGenerated /data/files', 'safe', 'breaking', 'breaking', 'forward'],
      ['required-added', 'message ProjectGenerated /data/files', 'breaking', 'safe', 'breaking', 'backward'],
      // validation.completed: coverage_percent only in 000; "passed|failed" vs a sample "passed"; "number" vs counts 10/0.
      ['property-removed-closed', 'message ValidationCompleted /data/coverage_percent', 'breaking', 'safe', 'breaking', 'backward'],
      ['required-removed', 'message ValidationCompleted /data/coverage_percent', 'safe', 'breaking', 'breaking', 'forward'],
      ['enum-removed', 'message ValidationCompleted /data/status', 'safe', 'breaking', 'breaking', 'forward'],
      ['type-narrowed', 'message ValidationCompleted /data/tests_passed', 'breaking', 'safe', 'breaking', 'backward'],
      ['type-narrowed', 'message ValidationCompleted /data/tests_failed', 'breaking', 'safe', 'breaking', 'backward'],
    ]);
    expect(report.counts).toEqual({ breaking: 22, warning: 3, safe: 11 });
  });

  it('every counterexample is valid on its side and invalid on the other (checked here again)', async () => {
    const [a, b] = await Promise.all([loadContracts([OLD], { specValidation: false }), loadContracts([NEW], { specValidation: false })]);
    const payloadOf = (side: 'old' | 'new', id: string) => (side === 'old' ? a : b).systems[0]!.messages.find((m) => m.id === id)!.payload;
    let checked = 0;
    for (const f of report.findings) {
      for (const c of f.counterexamples) {
        expect(validOn(payloadOf(c.validOn, f.messageId!), c.value)).toBe(true);
        expect(validOn(payloadOf(c.invalidOn, f.messageId!), c.value)).toBe(false);
        // The first reason names the changed property.
        expect(c.rejectedBecause[0]).toContain(f.pointer!.split('/').pop());
        checked++;
      }
    }
    expect(checked).toBe(17);
  });

  it('places each finding in both documents', () => {
    const f = report.findings.find((x) => x.rule === 'property-added-closed' && x.pointer === '/data/category')!;
    expect([f.old?.file, f.old?.line, f.new?.file, f.new?.line]).toEqual([
      'test/fixtures/diff/seed-000/skills.yaml',
      136,
      'test/fixtures/diff/seed-001/skills.yaml',
      224,
    ]);
    expect(f.new?.pointer).toBe('/components/schemas/SkillCreatedEvent/properties/data/properties/category');
  });

  it('under BACKWARD only what breaks new readers of old data fails', () => {
    const r = evcDiff(OLD, NEW, '--mode', 'BACKWARD', '--format', 'json');
    const counts = (JSON.parse(r.stdout) as DiffReport).counts;
    expect(counts).toEqual({ breaking: 13, warning: 3, safe: 20 });
  });
});
