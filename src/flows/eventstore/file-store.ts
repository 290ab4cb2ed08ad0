/**
 * The event store as a JSONL file: one StoredEvent per line, appended in order. The ids
 * already in the file are read when it is opened, so appends stay idempotent across
 * restarts. One writer process per file (appends from several processes would
 * interleave safely, but their id sets would not see each other).
 */
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { matches, type EventStore, type StoredEvent } from './store.js';

export function createFileEventStore(path: string): EventStore & { readonly path: string } {
  const ids = new Set<string>();
  let ready: Promise<void> | undefined;
  // Appends are chained so lines keep the order of append() calls.
  let tail: Promise<unknown> = Promise.resolve();

  async function load(): Promise<StoredEvent[]> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const out: StoredEvent[] = [];
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        out.push(JSON.parse(line) as StoredEvent);
      } catch {
        // A torn last line (crash mid-append) is skipped; the event was not acknowledged.
      }
    }
    return out;
  }

  const init = (): Promise<void> =>
    (ready ??= (async () => {
      await mkdir(dirname(path), { recursive: true });
      for (const e of await load()) ids.add(e.eventId);
    })());

  return {
    kind: 'file',
    path,
    init,
    async append(e) {
      await init();
      if (ids.has(e.eventId)) return false;
      ids.add(e.eventId);
      const write = tail.then(() => appendFile(path, JSON.stringify(e) + '\n', 'utf8'));
      tail = write.catch(() => undefined);
      try {
        await write;
      } catch (err) {
        ids.delete(e.eventId);
        throw err;
      }
      return true;
    },
    async read(filter) {
      await init();
      await tail;
      return (await load()).filter((e) => matches(e, filter));
    },
    async count(filter) {
      return (await this.read(filter)).length;
    },
    async close() {
      await tail;
    },
  };
}
