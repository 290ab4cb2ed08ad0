/**
 * Publishing: messages published in the same tick (and while a send is in flight) are
 * gathered into one `sendBatch`, so a caller that publishes event by event still gets
 * Kafka's batching. Receipts carry `partition:offset`: the partitioner records the
 * partition it chose on each message, and offsets follow from the base offset the
 * broker returns for each partition of the request.
 */
import { bufferOf } from '../../buffers.js';
import type { Message, Producer, ICustomPartitioner } from 'kafkajs';
import { kafkajs } from './kafkajs.js';

// kafkajs is CommonJS: Node's ESM loader does not see all of its named exports
const { CompressionTypes, Partitioners } = kafkajs;
import type { PublishReceipt, WireMessage } from '../../transport.js';
import { toTransportError } from './errors.js';

export interface BatcherOptions {
  acks: -1 | 0 | 1;
  compression: 'none' | 'gzip';
  /** Wait this long for more messages before sending (0: until the end of the tick). */
  lingerMs: number;
  /** Sends in flight at once. 1 keeps per-key order even when kafkajs retries a send. */
  maxInFlight: number;
  /** Upper bound of one send, in bytes of keys, values and headers (the broker refuses record batches over message.max.bytes). */
  maxBatchBytes: number;
  /**
   * Upper bound of one send, in messages. kafkajs groups a send's messages per partition
   * by copying the partition's array for every message (quadratic), so very large sends
   * cost more CPU than they save in round trips.
   */
  maxBatchMessages: number;
  /** Broker-side timeout of one produce request. */
  timeoutMs: number;
}

interface Request {
  channel: string;
  receipts: PublishReceipt[];
  remaining: number;
  failed: boolean;
  resolve(receipts: PublishReceipt[]): void;
  reject(err: unknown): void;
}

interface Queued {
  request: Request;
  index: number;
  message: Message;
  bytes: number;
}

/** Per-message overhead of a record in a v2 record batch, roughly. */
const RECORD_OVERHEAD = 24;

/**
 * A partitioner that behaves as kafkajs's default (murmur2 on the key, round robin
 * without one, Java-compatible) and writes its choice on the message. kafkajs re-runs
 * the partitioner when it retries; the recorded partition keeps the choice stable.
 */
export const recordingPartitioner: ICustomPartitioner = () => {
  const inner = Partitioners.DefaultPartitioner();
  return (args) => {
    const partition = inner(args);
    args.message.partition = partition;
    return partition;
  };
};

export interface Batcher {
  publish(channel: string, messages: WireMessage[]): Promise<PublishReceipt[]>;
  /** Resolves when everything queued so far has been sent (or failed). */
  flush(): Promise<void>;
}

export function createBatcher(producer: Producer, options: BatcherOptions): Batcher {
  const queue: Queued[] = [];
  let inFlight = 0;
  let scheduled = false;
  const idle: (() => void)[] = [];
  const compression = options.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None;

  const schedule = () => {
    if (scheduled || inFlight >= options.maxInFlight || queue.length === 0) return;
    scheduled = true;
    if (options.lingerMs > 0) setTimeout(send, options.lingerMs);
    else setImmediate(send);
  };

  const settleIdle = () => {
    if (queue.length === 0 && inFlight === 0) for (const done of idle.splice(0)) done();
  };

  function take(): Queued[] {
    const batch: Queued[] = [];
    let bytes = 0;
    while (queue.length > 0) {
      const next = queue[0]!;
      if (next.request.failed) {
        queue.shift();
        continue;
      }
      if (batch.length > 0 && (bytes + next.bytes > options.maxBatchBytes || batch.length >= options.maxBatchMessages)) break;
      batch.push(queue.shift()!);
      bytes += next.bytes;
    }
    return batch;
  }

  async function send(): Promise<void> {
    scheduled = false;
    if (inFlight >= options.maxInFlight) return;
    const batch = take();
    if (batch.length === 0) {
      settleIdle();
      return;
    }
    inFlight++;
    // more may be sent at once when maxInFlight > 1
    schedule();
    try {
      const byTopic = new Map<string, Message[]>();
      for (const q of batch) {
        let list = byTopic.get(q.request.channel);
        if (!list) byTopic.set(q.request.channel, (list = []));
        list.push(q.message);
      }
      const results = await producer.sendBatch({
        acks: options.acks,
        compression,
        timeout: options.timeoutMs,
        topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
      });
      const base = new Map<string, bigint>();
      for (const r of results) {
        if (r.baseOffset !== undefined) base.set(`${r.topicName}\u0000${r.partition}`, BigInt(r.baseOffset));
      }
      // within one request each partition's messages are one record batch, in order
      const next = new Map<string, bigint>();
      for (const q of batch) {
        const partition = q.message.partition ?? -1;
        const k = `${q.request.channel}\u0000${partition}`;
        const offset = next.get(k) ?? base.get(k);
        let position = `${partition}:-1`;
        if (offset !== undefined) {
          position = `${partition}:${offset}`;
          next.set(k, offset + 1n);
        }
        q.request.receipts[q.index] = { channel: q.request.channel, position };
        if (--q.request.remaining === 0 && !q.request.failed) q.request.resolve(q.request.receipts);
      }
    } catch (err) {
      const error = toTransportError(err, `publishing to ${[...new Set(batch.map((q) => q.request.channel))].join(', ')}`);
      for (const q of batch) {
        if (!q.request.failed) {
          q.request.failed = true;
          q.request.reject(error);
        }
      }
    } finally {
      inFlight--;
      schedule();
      settleIdle();
    }
  }

  return {
    publish(channel, messages) {
      if (messages.length === 0) return Promise.resolve([]);
      return new Promise<PublishReceipt[]>((resolve, reject) => {
        const request: Request = {
          channel,
          receipts: new Array<PublishReceipt>(messages.length),
          remaining: messages.length,
          failed: false,
          resolve,
          reject,
        };
        messages.forEach((m, index) => {
          const message: Message = { key: m.key ?? null, value: bufferOf(m.value), headers: m.headers };
          let bytes = RECORD_OVERHEAD + (typeof m.value === 'string' ? Buffer.byteLength(m.value) : m.value.length) + (m.key ? Buffer.byteLength(m.key) : 0);
          for (const h in m.headers) bytes += h.length + Buffer.byteLength(m.headers[h]!) + 2;
          queue.push({ request, index, message, bytes });
        });
        schedule();
      });
    },
    flush() {
      if (queue.length === 0 && inFlight === 0) return Promise.resolve();
      return new Promise((resolve) => {
        idle.push(resolve);
        schedule();
      });
    },
  };
}
