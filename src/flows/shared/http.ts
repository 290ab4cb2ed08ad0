/** HTTP helpers shared by the flows' APIs, demos, tests and benchmarks. */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

export class BadCorrelationId extends Error {
  readonly statusCode = 400;
  constructor(value: string) {
    super(`x-correlation-id must be a UUID (the contracts' correlation_id is one), got "${value.slice(0, 80)}"`);
    this.name = new.target.name;
  }
}

/** The request's `x-correlation-id`, or a new one. Throws BadCorrelationId (400) when it is not a UUID. */
export function correlationIdOf(request: FastifyRequest): string {
  const raw = request.headers['x-correlation-id'];
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (value === undefined || value === '') return randomUUID();
  if (!UUID.test(value)) throw new BadCorrelationId(value);
  return value.toLowerCase();
}

/** Listens on loopback; `port` 0 picks a free one. Returns the base URL. */
export async function listen(app: FastifyInstance, port = 0): Promise<string> {
  await app.listen({ host: '127.0.0.1', port });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('server has no TCP address');
  return `http://127.0.0.1:${address.port}`;
}

export interface JsonResponse<T = unknown> {
  status: number;
  body: T;
  correlationId: string | null;
}

/** A JSON request with fetch: what demos, tests and benchmarks send. */
export async function requestJson<T = any>(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<JsonResponse<T>> {
  const res = await fetch(base + path, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? null : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T, correlationId: res.headers.get('x-correlation-id') };
}
