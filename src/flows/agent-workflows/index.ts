/**
 * agent-workflows (seed 004) as a runnable flow: `evc run agent-workflows --transport redis`.
 * See app.ts for the services and the HTTP API.
 */
import { randomUUID } from 'node:crypto';
import { WebSocket } from 'ws';
import type { DemoSummary, FlowRunOptions, FlowSystem, RunningFlow } from '../registry.js';
import { startAgentWorkflows, type AgentWorkflowsRunning } from './app.js';

export { startAgentWorkflows, type AgentWorkflowsOptions, type AgentWorkflowsRunning } from './app.js';

interface Frame {
  type: string;
  event?: { type: string; workflow_id: string; data: Record<string, unknown> };
}

/** Opens /ws for one workflow and collects its frames until a terminal event (or the timeout). */
export function watchWorkflow(wsUrl: string, workflowId: string): Promise<{ frames: Frame[]; done: Promise<Frame[]>; close(): void }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${wsUrl}?workflow_id=${encodeURIComponent(workflowId)}`);
    const frames: Frame[] = [];
    let finish: (f: Frame[]) => void = () => undefined;
    const done = new Promise<Frame[]>((r) => (finish = r));
    ws.on('error', reject);
    ws.on('message', (raw) => {
      const f = JSON.parse(String(raw)) as Frame;
      if (f.type === 'subscribed') {
        resolve({ frames, done, close: () => ws.close() });
        return;
      }
      frames.push(f);
      // A copy: frames of other streams (e.g. deployment.confirmed) may still arrive after the terminal one.
      if (f.event && /^workflow\.(completed|failed|cancelled)$/.test(f.event.type)) finish(frames.slice());
    });
  });
}

async function demo(running: RunningFlow, options: FlowRunOptions): Promise<DemoSummary> {
  const r = running as AgentWorkflowsRunning;
  const lines: string[] = [];
  let ok = true;
  const post = async (path: string, body: unknown): Promise<Record<string, unknown>> => {
    const res = await fetch(`${r.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return (await res.json()) as Record<string, unknown>;
  };
  const timeout = <T>(p: Promise<T>, ms: number, what: string): Promise<T> =>
    Promise.race([p, new Promise<T>((_, rej) => setTimeout(() => rej(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms).unref())]);

  for (const [name, parameters, expected] of [
    ['build todo-api', {}, 'workflow.completed'],
    ['build broken-api', { fail_at: 'audit' }, 'workflow.failed'],
  ] as const) {
    // The demo names the workflow itself, so its WebSocket is subscribed before the first event.
    const id = `wf-demo-${randomUUID().slice(0, 8)}`;
    const watch = await watchWorkflow(r.wsUrl, id);
    const created = await post('/workflows', { workflow_id: id, name, parameters });
    if (created.workflow_id !== id) ok = false;
    let frames: Frame[] = [];
    try {
      frames = await timeout(watch.done, 15_000, `${id} to finish`);
    } catch (err) {
      ok = false;
      lines.push(`${name}: ${(err as Error).message}`);
    } finally {
      watch.close();
    }
    const last = frames.at(-1)?.event?.type;
    const progress = frames.filter((f) => f.event?.type === 'workflow.progressed').map((f) => f.event!.data.percentage);
    if (last !== expected) ok = false;
    lines.push(`${name} (${id}): ${last ?? 'no terminal event'}; progress seen on the WebSocket ${progress.join(' → ') || '(none)'}`);
  }
  const m = await (await fetch(`${r.url}/metrics`)).text();
  const completed = /agent_workflows_workflows_finished_total\{status="completed"\} (\d+)/.exec(m)?.[1] ?? '0';
  lines.push(`metrics: ${completed} workflow(s) completed; store: ${r.store.kind}; logs: ${r.logs.file}`);
  void options;
  return { ok, lines };
}

export const agentWorkflows: FlowSystem = {
  id: 'agent-workflows',
  title: 'Agent workflows (seed 004): coordinator, agents, WebSocket, DB writer, metrics, logs',
  transports: ['memory', 'redis'],
  start: (options) => startAgentWorkflows(options),
  demo,
};
