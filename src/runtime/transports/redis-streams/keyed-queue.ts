/**
 * Runs jobs with at most `concurrency` at once while jobs that share a key run one
 * after the other, in the order they were pushed. Jobs without a key only wait for a
 * free slot. This is how one member keeps per-key order with concurrency > 1.
 */

export interface KeyedJob {
  key: string | undefined;
  run(): Promise<void>;
}

export interface KeyedQueue {
  push(job: KeyedJob): void;
  /** Jobs queued plus running. */
  readonly size: number;
  /** Resolves once size < limit. */
  waitBelow(limit: number): Promise<void>;
  /** Resolves once nothing is queued or running. */
  idle(): Promise<void>;
}

export function createKeyedQueue(concurrency: number): KeyedQueue {
  const limit = Math.max(1, Math.floor(concurrency));
  const queued: KeyedJob[] = [];
  const activeKeys = new Set<string>();
  let running = 0;
  let waiters: { below: number; resolve: () => void }[] = [];

  function notify(): void {
    if (waiters.length === 0) return;
    const size = queued.length + running;
    const still: typeof waiters = [];
    for (const w of waiters) size < w.below ? w.resolve() : still.push(w);
    waiters = still;
  }

  function pump(): void {
    if (running >= limit) return;
    for (let i = 0; i < queued.length && running < limit; ) {
      const job = queued[i]!;
      if (job.key !== undefined && activeKeys.has(job.key)) {
        i++;
        continue;
      }
      queued.splice(i, 1);
      start(job);
    }
  }

  function start(job: KeyedJob): void {
    running++;
    if (job.key !== undefined) activeKeys.add(job.key);
    let p: Promise<void>;
    try {
      p = job.run();
    } catch {
      p = Promise.resolve();
    }
    // Jobs report their own outcome; the queue only needs to know they ended.
    const ended = (): void => {
      running--;
      if (job.key !== undefined) activeKeys.delete(job.key);
      pump();
      notify();
    };
    p.then(ended, ended);
  }

  return {
    push(job) {
      // Nothing waiting (so nothing of this key either), a free slot, its key idle: start it now.
      if (queued.length === 0 && running < limit && (job.key === undefined || !activeKeys.has(job.key))) start(job);
      else {
        queued.push(job);
        pump();
      }
    },
    get size() {
      return queued.length + running;
    },
    waitBelow(below) {
      if (queued.length + running < below) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ below, resolve }));
    },
    idle() {
      return this.waitBelow(1);
    },
  };
}
