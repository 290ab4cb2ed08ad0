/**
 * Agent-to-agent requests (seed 004: A2A_REQUEST / A2A_RESPONSE). Each message goes to
 * its addressee's stream (`events:a2a.request.<to_agent>`, `events:a2a.response.<to_agent>`),
 * read by that agent's group only (and by the observers: metrics, logs); an agent answers
 * the requests addressed to it and keeps the responses, matched by request_id. (It still
 * checks `to_agent`: a message published by hand to the wrong stream is dropped.)
 *
 * A pending request lives in the memory of the process that asked. With one member per
 * agent group (what `evc run` starts) the response reaches it; with several members of
 * the same agent group the response may go to a sibling, which ignores it, and the
 * asker times out (see the report: the contract routes responses by group, not member).
 */
import { randomUUID } from 'node:crypto';
import type {
  A2ARequestData,
  A2ARequestEvent,
  A2ARequestInput,
  A2AResponseData,
  A2AResponseEvent,
  A2AResponseInput,
  AgentName,
} from '../../../generated/agent-workflows/index.js';
import type { EventReceipt } from '@event-contracts/runtime';

/** Publishes to the addressee's stream (the channel parameter `to_agent` = `payload.data.to_agent`). */
export type PublishA2ARequest = (payload: A2ARequestInput, options: { parameters: { to_agent: AgentName } }) => Promise<EventReceipt>;
export type PublishA2AResponse = (payload: A2AResponseInput, options: { parameters: { to_agent: AgentName } }) => Promise<EventReceipt>;

/** What an agent does with a request addressed to it: the result, or throw to answer with an error. */
export type A2AAction = (request: A2ARequestData, event: A2ARequestEvent) => Promise<Record<string, unknown>> | Record<string, unknown>;

export class A2ATimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export class A2ARemoteError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export interface A2AEndpoint {
  readonly agent: AgentName;
  /** Sends a request and resolves with the result of the matching response (same request_id). */
  request(workflowId: string, to: AgentName, action: string, payload?: Record<string, unknown>): Promise<Record<string, unknown>>;
  /** Handler for this agent's a2a.request subscription. */
  onRequest(event: A2ARequestEvent): Promise<void>;
  /** Handler for this agent's a2a.response subscription. */
  onResponse(event: A2AResponseEvent): void;
  /** Requests waiting for their response. */
  readonly pending: number;
  close(): void;
}

export interface A2AOptions {
  agent: AgentName;
  publishRequest: PublishA2ARequest;
  publishResponse: PublishA2AResponse;
  actions: Record<string, A2AAction>;
  /** How long `request` waits for the response. Default 10 s. */
  timeoutMs?: number;
}

export function createA2AEndpoint(o: A2AOptions): A2AEndpoint {
  const timeoutMs = o.timeoutMs ?? 10_000;
  const waiting = new Map<string, { resolve: (d: A2AResponseData) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();

  return {
    agent: o.agent,
    get pending() {
      return waiting.size;
    },
    async request(workflowId, to, action, payload) {
      const requestId = randomUUID();
      // Registered before publishing: the response may arrive before publish resolves.
      const answer = new Promise<A2AResponseData>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(requestId);
          reject(new A2ATimeoutError(`${o.agent}: no a2a.response from ${to} to ${action} (request ${requestId}) within ${timeoutMs} ms`));
        }, timeoutMs);
        waiting.set(requestId, { resolve, reject, timer });
      });
      try {
        await o.publishRequest(
          {
            workflow_id: workflowId,
            source_agent: o.agent,
            data: { request_id: requestId, to_agent: to, action, ...(payload ? { payload } : {}) },
          },
          { parameters: { to_agent: to } },
        );
      } catch (err) {
        const w = waiting.get(requestId);
        if (w) clearTimeout(w.timer);
        waiting.delete(requestId);
        throw err;
      }
      const response = await answer;
      if (response.status === 'error') {
        throw new A2ARemoteError(`${to} answered ${action} with an error: ${response.error?.message ?? 'unknown'}`, response.error?.code ?? 'A2A_ERROR');
      }
      return response.result ?? {};
    },
    async onRequest(event) {
      if (event.data.to_agent !== o.agent) return;
      const asker = event.source_agent;
      const action = o.actions[event.data.action];
      let data: A2AResponseData;
      if (!action) {
        data = {
          request_id: event.data.request_id,
          to_agent: asker,
          status: 'error',
          error: { code: 'UNKNOWN_ACTION', message: `${o.agent} has no action ${event.data.action}`, retryable: false },
        };
      } else {
        try {
          data = { request_id: event.data.request_id, to_agent: asker, status: 'ok', result: await action(event.data, event) };
        } catch (err) {
          data = {
            request_id: event.data.request_id,
            to_agent: asker,
            status: 'error',
            error: { code: 'ACTION_FAILED', message: (err as Error).message || 'failed', retryable: true },
          };
        }
      }
      await o.publishResponse({ workflow_id: event.workflow_id, source_agent: o.agent, data }, { parameters: { to_agent: asker } });
    },
    onResponse(event) {
      if (event.data.to_agent !== o.agent) return;
      const w = waiting.get(event.data.request_id);
      if (!w) return; // answered already, timed out, or asked by another member of this group
      clearTimeout(w.timer);
      waiting.delete(event.data.request_id);
      w.resolve(event.data);
    },
    close() {
      for (const [id, w] of waiting) {
        clearTimeout(w.timer);
        w.reject(new A2ATimeoutError(`${o.agent}: closed while waiting for request ${id}`));
      }
      waiting.clear();
    },
  };
}
