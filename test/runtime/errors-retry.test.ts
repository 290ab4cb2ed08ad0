import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RETRY_POLICY,
  DecodeError,
  EventContractsError,
  type RetriesExhaustedError,
  TransportError,
  ValidationError,
  backoffDelay,
  isEventContractsError,
  isRetriable,
  isRetriesExhaustedError,
  isTransportError,
  isValidationError,
  resolveRetryPolicy,
  retry,
} from '../../src/runtime/index.js';

describe('errors', () => {
  it('names errors after their class, subclasses included', () => {
    class SkillNotFoundError extends ValidationError {}
    const e = new SkillNotFoundError([{ path: '/data/skill_id', message: 'unknown', keyword: 'business', params: {} }]);
    expect(e.name).toBe('SkillNotFoundError');
    expect(isValidationError(e)).toBe(true);
    expect(isEventContractsError(e)).toBe(true);
    expect(e.message).toBe('invalid payload: /data/skill_id unknown');
    expect(new DecodeError('bad').name).toBe('DecodeError');
  });

  it('carries retriable and cause', () => {
    const cause = new Error('ECONNRESET');
    const t = new TransportError('broker down', { cause, code: 'NETWORK' });
    expect([t.retriable, t.cause, t.code, isTransportError(t)]).toEqual([true, cause, 'NETWORK', true]);
    expect(new TransportError('unknown topic', { retriable: false }).retriable).toBe(false);
    expect(new EventContractsError('x').retriable).toBe(false);
  });

  it('treats programming errors as not retriable and plain errors as retriable', () => {
    expect([isRetriable(new TypeError('x')), isRetriable(new Error('x')), isRetriable(new TransportError('x'))]).toEqual([false, true, true]);
    expect(isRetriable(new ValidationError([]))).toBe(false);
  });
});

describe('retry', () => {
  it('computes exponential delays, capped, with jitter between half and all', () => {
    const p = resolveRetryPolicy({ jitter: false, maxDelayMs: 1000 });
    expect([1, 2, 3, 4, 5, 6, 7].map((a) => backoffDelay(p, a))).toEqual([100, 200, 400, 800, 1000, 1000, 1000]);
    const j = resolveRetryPolicy({});
    expect(backoffDelay(j, 3, () => 0)).toBe(200);
    expect(backoffDelay(j, 3, () => 1)).toBe(400);
    expect(DEFAULT_RETRY_POLICY).toEqual({ maxAttempts: 5, initialDelayMs: 100, maxDelayMs: 10_000, factor: 2, jitter: true });
  });

  it('retries until success, waiting the backoff between attempts', async () => {
    const waits: number[] = [];
    const attempts: number[] = [];
    const result = await retry(
      (n) => {
        attempts.push(n);
        if (n < 3) throw new Error('flaky');
        return 'ok';
      },
      { jitter: false },
      { sleep: async (ms) => void waits.push(ms) },
    );
    expect([result, attempts, waits]).toEqual(['ok', [1, 2, 3], [100, 200]]);
  });

  it('gives up after maxAttempts with the last error as cause, and never retries a non-retriable error', async () => {
    const last = new Error('still down');
    let error: unknown;
    try {
      await retry(() => Promise.reject(last), { maxAttempts: 3 }, { sleep: async () => {} });
    } catch (e) {
      error = e;
    }
    expect(isRetriesExhaustedError(error)).toBe(true);
    expect((error as RetriesExhaustedError).attempts).toBe(3);
    expect((error as RetriesExhaustedError).cause).toBe(last);
    expect((error as Error).message).toBe('gave up after 3 attempts: still down');

    let calls = 0;
    const bug = new TypeError('undefined is not a function');
    await expect(
      retry(
        () => {
          calls++;
          throw bug;
        },
        {},
        { sleep: async () => {} },
      ),
    ).rejects.toBe(bug);
    expect(calls).toBe(1);
  });
});
