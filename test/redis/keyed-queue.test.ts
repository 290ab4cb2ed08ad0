import { describe, expect, it } from 'vitest';
import { createKeyedQueue } from '../../src/runtime/transports/redis-streams/keyed-queue.js';

const tick = (ms = 0) => new Promise<void>((r) => setTimeout(r, ms));

describe('createKeyedQueue', () => {
  it('runs jobs of one key in push order, other keys in parallel, never above the limit', async () => {
    const q = createKeyedQueue(3);
    const log: string[] = [];
    let running = 0;
    let peak = 0;
    const job = (key: string | undefined, name: string, ms: number) => ({
      key,
      run: async () => {
        running++;
        peak = Math.max(peak, running);
        log.push(`start ${name}`);
        await tick(ms);
        log.push(`end ${name}`);
        running--;
      },
    });
    q.push(job('a', 'a1', 20));
    q.push(job('a', 'a2', 1));
    q.push(job('b', 'b1', 5));
    q.push(job(undefined, 'n1', 5));
    q.push(job(undefined, 'n2', 5));
    expect(q.size).toBe(5);
    await q.idle();
    expect(peak).toBe(3);
    expect(log.indexOf('start a2')).toBeGreaterThan(log.indexOf('end a1'));
    expect(log.indexOf('start b1')).toBeLessThan(log.indexOf('end a1'));
    expect(q.size).toBe(0);
  });

  it('keeps going after a job rejects or throws synchronously', async () => {
    const q = createKeyedQueue(1);
    const done: number[] = [];
    q.push({ key: 'k', run: () => Promise.reject(new Error('x')) });
    q.push({
      key: 'k',
      run: () => {
        throw new Error('sync');
      },
    });
    q.push({ key: 'k', run: async () => void done.push(3) });
    await q.idle();
    expect(done).toEqual([3]);
  });

  it('waitBelow resolves once the queue has room', async () => {
    const q = createKeyedQueue(1);
    for (let i = 0; i < 4; i++) q.push({ key: undefined, run: () => tick(5) });
    let resolved = false;
    const p = q.waitBelow(2).then(() => (resolved = true));
    await tick(1);
    expect(resolved).toBe(false);
    await p;
    expect(q.size).toBeLessThan(2);
  });
});
