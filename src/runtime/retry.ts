/**
 * The one retrier: jittered exponential backoff. Non-retriable errors (see
 * `isRetriable`) stop it at once.
 */
import { RetriesExhaustedError, isRetriable } from './errors.js';

export interface RetryPolicy {
  /** Total attempts including the first. Default 5. */
  maxAttempts?: number;
  /** Delay before the second attempt. Default 100 ms. */
  initialDelayMs?: number;
  /** Upper bound of one delay. Default 10 000 ms. */
  maxDelayMs?: number;
  /** Growth per attempt. Default 2. */
  factor?: number;
  /** Randomise each delay between half and all of it, so retries of many consumers spread out. Default true. */
  jitter?: boolean;
}

export type ResolvedRetryPolicy = Required<RetryPolicy>;

export const DEFAULT_RETRY_POLICY: ResolvedRetryPolicy = Object.freeze({
  maxAttempts: 5,
  initialDelayMs: 100,
  maxDelayMs: 10_000,
  factor: 2,
  jitter: true,
});

const resolved = new WeakSet<object>();

/** Fills the defaults. Resolving is cached by identity, so hot paths can pass the result around. */
export function resolveRetryPolicy(policy: RetryPolicy = {}): ResolvedRetryPolicy {
  if (resolved.has(policy)) return policy as ResolvedRetryPolicy;
  const p = { ...DEFAULT_RETRY_POLICY, ...stripUndefined(policy) };
  if (!Number.isInteger(p.maxAttempts) || p.maxAttempts < 1) p.maxAttempts = 1;
  Object.freeze(p);
  resolved.add(p);
  return p;
}

/** Delay before attempt `attempt + 1`, given that `attempt` (1-based) just failed. */
export function backoffDelay(policy: ResolvedRetryPolicy, attempt: number, random: () => number = Math.random): number {
  const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.factor ** (attempt - 1));
  if (!policy.jitter) return base;
  return base / 2 + random() * (base / 2);
}

export interface RetryOptions {
  /** Called before each wait; return false to stop retrying (e.g. shutting down). */
  shouldContinue?: (attempt: number, error: unknown) => boolean;
  onRetry?: (attempt: number, error: unknown, delayMs: number) => void;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `fn` until it succeeds, the error is not retriable, or attempts run out
 * (then throws RetriesExhaustedError with the last error as cause).
 *
 * @example
 * const result = await retry((attempt) => producer.send(batch), { maxAttempts: 3 });
 */
export async function retry<T>(
  fn: (attempt: number) => Promise<T> | T,
  policy: RetryPolicy | ResolvedRetryPolicy = {},
  options: RetryOptions = {},
): Promise<T> {
  const p = resolveRetryPolicy(policy);
  const wait = options.sleep ?? sleep;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (!isRetriable(error)) throw error;
      if (attempt >= p.maxAttempts) throw new RetriesExhaustedError(attempt, error);
      if (options.shouldContinue && !options.shouldContinue(attempt, error)) throw error;
      const delay = backoffDelay(p, attempt, options.random);
      options.onRetry?.(attempt, error, delay);
      await wait(delay);
    }
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
