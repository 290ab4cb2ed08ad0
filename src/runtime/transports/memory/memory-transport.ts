/**
 * The embedded transport: no server, the same semantics as the brokers.
 *
 * Each channel has a fixed number of virtual partitions; a message goes to the
 * partition of its key's hash (round-robin when it has no key). Every consumer group
 * keeps its own queue per partition, so every group gets every message. A group's
 * partitions are spread over its members and re-spread when members join or leave.
 * One message per partition is in flight at a time, which keeps the order per key;
 * a member works on up to `concurrency` partitions at once.
 *
 * Resolve acknowledges. Reject leaves the message at the head of its partition and
 * redelivers it after `redeliveryDelayMs` (to whoever owns the partition then).
 * Publishing awaits while any group with members has more than `maxLag` unacknowledged
 * messages: backpressure, never dropping.
 */
import { TransportError } from '../../errors.js';
import {
  DELIVERED,
  type ChannelSpec,
  type Delivery,
  type PublishReceipt,
  type SubscribeOptions,
  type Subscription,
  type Transport,
  type WireMessage,
} from '../../transport.js';
import { RetainedLog } from './log.js';
import { assignPartitions, hashKey } from './partitioning.js';

export interface MemoryTransportOptions {
  /** Virtual partitions per channel (the most members of one group that can work in parallel). Default 32. */
  partitions?: number;
  /** Unacknowledged messages a group may lag behind before `publish` waits. Default 10 000. */
  maxLag?: number;
  /** Messages kept per channel for `fromBeginning` subscribers. Default 10 000. */
  retention?: number;
  /** Delay before a rejected message is delivered again. Default 50 ms. */
  redeliveryDelayMs?: number;
  /**
   * How long `stop()` waits for in-flight handlers. After that their messages are
   * handed to the remaining members (and late results are ignored). Default 30 s.
   */
  shutdownTimeoutMs?: number;
}

/**
 * A message queued for one group: the Delivery its handler gets, made once per (message,
 * group) when it is published (not an entry, a queue item and a delivery per event). A
 * redelivery queues a copy with the count raised, so a delivery handed out never changes.
 */
type Item = Delivery;

const redelivery = (d: Item): Item => ({
  channel: d.channel,
  key: d.key,
  value: d.value,
  headers: d.headers,
  position: d.position,
  deliveryCount: d.deliveryCount + 1,
  timestamp: d.timestamp,
});

/**
 * The result callbacks of a partition's in-flight message. A partition has at most one
 * message in flight, so they are made once per partition instead of per delivery (two
 * closures and a record each time, on the hot path). When a delivery is abandoned (its
 * member did not stop in time) the partition gets a new Settler, and the old one ignores
 * the late result.
 */
class Settler {
  /** The member handling the partition's head message; null when nothing is in flight. */
  member: Member | null = null;
  abandoned = false;
  readonly ok: () => void;
  readonly fail: () => void;
  constructor(
    transport: MemoryTransport,
    readonly partition: Partition,
  ) {
    this.ok = () => transport.settle(this, true);
    this.fail = () => transport.settle(this, false);
  }
}

class Partition {
  items: (Item | undefined)[] = [];
  head = 0;
  /** A message of this partition is in flight or waiting for redelivery. */
  busy = false;
  owner: Member | null = null;
  timer: NodeJS.Timeout | undefined;
  settler: Settler;
  constructor(
    readonly group: GroupChannel,
    transport: MemoryTransport,
  ) {
    this.settler = new Settler(transport, this);
  }

  get pending(): boolean {
    return this.head < this.items.length;
  }

  push(item: Item): void {
    this.items.push(item);
  }

  ack(): void {
    this.items[this.head++] = undefined;
    if (this.head === this.items.length) {
      this.items.length = 0;
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}

/** One group's state on one channel. Outlives its members, like a Kafka group's offsets. */
class GroupChannel {
  readonly partitions: Partition[];
  members: Member[] = [];
  unacked = 0;
  waiters: (() => void)[] = [];
  constructor(
    readonly group: string,
    readonly channel: string,
    partitionCount: number,
    transport: MemoryTransport,
  ) {
    this.partitions = Array.from({ length: partitionCount }, () => new Partition(this, transport));
  }
}

class Member {
  inflight = 0;
  owned: Partition[] = [];
  cursor = 0;
  state: 'active' | 'stopping' | 'stopped' = 'active';
  scheduled = false;
  idle: (() => void) | undefined;
  stopped: Promise<void> | undefined;
  constructor(
    readonly id: string,
    readonly concurrency: number,
    readonly handler: (d: Delivery) => Promise<void>,
    readonly groups: GroupChannel[],
  ) {}
}

class ChannelState {
  seq = 0;
  rr = 0;
  readonly groups = new Map<string, GroupChannel>();
  groupList: GroupChannel[] = [];
  constructor(
    readonly name: string,
    readonly log: RetainedLog,
  ) {}
}

/**
 * @example
 * const transport = createMemoryTransport({ maxLag: 1000 });
 * const client = createClient(system, { transport });
 */
export function createMemoryTransport(options: MemoryTransportOptions = {}): Transport {
  return new MemoryTransport(options);
}

class MemoryTransport implements Transport {
  readonly name = 'memory';
  private readonly partitionCount: number;
  private readonly maxLag: number;
  private readonly lowWater: number;
  private readonly retention: number;
  private readonly redeliveryDelayMs: number;
  private readonly shutdownTimeoutMs: number;
  private readonly channels = new Map<string, ChannelState>();
  private readonly members = new Set<Member>();
  private closed = false;
  private memberSeq = 0;

  constructor(o: MemoryTransportOptions) {
    this.partitionCount = Math.max(1, o.partitions ?? 32);
    this.maxLag = Math.max(1, o.maxLag ?? 10_000);
    this.lowWater = Math.floor(this.maxLag / 2);
    this.retention = o.retention ?? 10_000;
    this.redeliveryDelayMs = o.redeliveryDelayMs ?? 50;
    this.shutdownTimeoutMs = o.shutdownTimeoutMs ?? 30_000;
  }

  async connect(): Promise<void> {
    if (this.closed) throw new TransportError('memory transport is closed', { retriable: false });
  }

  async ensureChannels(specs: ChannelSpec[]): Promise<void> {
    for (const s of specs) this.channel(s.address);
  }

  async publish(channel: string, messages: WireMessage[]): Promise<PublishReceipt[]> {
    if (this.closed) throw new TransportError('memory transport is closed', { retriable: false });
    const ch = this.channel(channel);
    const receipts: PublishReceipt[] = new Array(messages.length);
    const now = Date.now();
    const groups = ch.groupList;
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i]!;
      const seq = ++ch.seq;
      const position = String(seq);
      const partition = m.key === undefined ? ch.rr++ % this.partitionCount : hashKey(m.key) % this.partitionCount;
      ch.log.append(m.key, m.value, m.headers, now, partition, seq);
      if (groups.length > 0) {
        const key = m.key;
        const value = m.value;
        const headers = m.headers;
        for (let g = 0; g < groups.length; g++) {
          const gc = groups[g]!;
          const p = gc.partitions[partition]!;
          p.push({ channel, key, value, headers, position, deliveryCount: 1, timestamp: now });
          gc.unacked++;
          if (p.owner && !p.busy) this.schedule(p.owner);
        }
      }
      receipts[i] = { channel, position };
    }
    for (let g = 0; g < groups.length; g++) {
      const gc = groups[g]!;
      while (gc.members.length > 0 && gc.unacked > this.maxLag && !this.closed) {
        await new Promise<void>((resolve) => gc.waiters.push(resolve));
      }
    }
    return receipts;
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    if (this.closed) throw new TransportError('memory transport is closed', { retriable: false });
    if (options.channels.length === 0) throw new TransportError('subscribe needs at least one channel', { retriable: false });
    const gcs = options.channels.map((name) => {
      const ch = this.channel(name);
      let gc = ch.groups.get(options.group);
      if (!gc) {
        gc = new GroupChannel(options.group, name, this.partitionCount, this);
        if (options.fromBeginning) {
          for (const e of ch.log) {
            gc.partitions[e.partition]!.push({
              channel: e.channel,
              key: e.key,
              value: e.value,
              headers: e.headers,
              position: e.position,
              deliveryCount: 1,
              timestamp: e.timestamp,
            });
            gc.unacked++;
          }
        }
        ch.groups.set(options.group, gc);
        ch.groupList = [...ch.groups.values()];
      }
      return gc;
    });
    const member = new Member(options.consumerId ?? `member-${++this.memberSeq}`, Math.max(1, options.concurrency ?? 1), options.handler, gcs);
    this.members.add(member);
    for (const gc of gcs) {
      gc.members.push(member);
      this.rebalance(gc);
    }
    return { stop: () => this.stopMember(member) };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.members].map((m) => this.stopMember(m)));
    for (const ch of this.channels.values()) {
      for (const gc of ch.groupList) {
        for (const p of gc.partitions) if (p.timer) clearTimeout(p.timer);
        this.wake(gc, true);
      }
    }
  }

  private channel(name: string): ChannelState {
    let ch = this.channels.get(name);
    if (!ch) this.channels.set(name, (ch = new ChannelState(name, new RetainedLog(name, this.retention))));
    return ch;
  }

  private rebalance(gc: GroupChannel): void {
    const owners = assignPartitions(gc.partitions.length, gc.members);
    const touched = new Set<Member>(gc.members);
    gc.partitions.forEach((p, i) => {
      if (p.owner) touched.add(p.owner);
      p.owner = owners[i]!;
    });
    for (const m of touched) {
      m.owned = m.groups.flatMap((g) => g.partitions.filter((p) => p.owner === m));
      m.cursor = 0;
      this.schedule(m);
    }
  }

  private schedule(m: Member): void {
    if (m.scheduled || m.state !== 'active') return;
    m.scheduled = true;
    queueMicrotask(() => this.pump(m));
  }

  /**
   * Starts deliveries on free partitions, round-robin, up to the member's concurrency.
   * A delivery whose handler returned `DELIVERED` is acknowledged here and the loop goes
   * on, so a synchronous handler works through the backlog without a microtask per event.
   */
  private pump(m: Member): void {
    m.scheduled = false;
    if (m.state !== 'active') return;
    const owned = m.owned;
    const n = owned.length;
    let idle = 0;
    while (m.inflight < m.concurrency && idle < n) {
      const p = owned[m.cursor]!;
      m.cursor = m.cursor + 1 === n ? 0 : m.cursor + 1;
      if (p.busy || !p.pending) {
        idle++;
        continue;
      }
      idle = 0;
      if (this.deliver(m, p)) {
        // Settled at once; the handler may have stopped this member meanwhile.
        this.acknowledge(m, p);
        if (m.state !== 'active') {
          if (m.inflight === 0) m.idle?.();
          return;
        }
        // The owned list changes on a rebalance (a handler that subscribed or stopped another member).
        if (m.owned !== owned) {
          this.schedule(m);
          return;
        }
      }
    }
  }

  /** Hands the partition's head message to `m`. True when the handler returned `DELIVERED`: settled already, `m` still counts it in flight. */
  private deliver(m: Member, p: Partition): boolean {
    const delivery = p.items[p.head]!;
    p.busy = true;
    m.inflight++;
    const settler = p.settler;
    settler.member = m;
    let result: Promise<void>;
    try {
      result = m.handler(delivery);
    } catch (error) {
      result = Promise.reject(error);
    }
    if (result === DELIVERED && settler.member === m && !settler.abandoned) {
      settler.member = null;
      return true;
    }
    result.then(settler.ok, settler.fail);
    return false;
  }

  /** The head message of `p`, delivered to `m`, is done: the next one may go. */
  private acknowledge(m: Member, p: Partition): void {
    m.inflight--;
    const gc = p.group;
    p.ack();
    p.busy = false;
    gc.unacked--;
    if (gc.waiters.length > 0) this.wake(gc, false);
    if (p.owner && p.owner !== m) this.schedule(p.owner);
  }

  /** Called by a Settler when its delivery's handler settled. */
  settle(s: Settler, ok: boolean): void {
    if (s.abandoned) return;
    const m = s.member!;
    const p = s.partition;
    s.member = null;
    if (ok) {
      this.acknowledge(m, p);
    } else {
      m.inflight--;
      p.items[p.head] = redelivery(p.items[p.head]!);
      this.redeliverLater(p);
    }
    if (m.state === 'active') this.pump(m);
    else if (m.inflight === 0) m.idle?.();
  }

  private redeliverLater(p: Partition): void {
    if (this.closed) return;
    p.timer = setTimeout(() => {
      p.timer = undefined;
      p.busy = false;
      if (p.owner) this.schedule(p.owner);
    }, this.redeliveryDelayMs);
    p.timer.unref?.();
  }

  private wake(gc: GroupChannel, all: boolean): void {
    if (all || gc.members.length === 0 || gc.unacked <= this.lowWater) {
      const waiters = gc.waiters;
      gc.waiters = [];
      for (const w of waiters) w();
    }
  }

  private stopMember(m: Member): Promise<void> {
    if (m.stopped) return m.stopped;
    m.state = 'stopping';
    m.stopped = (async () => {
      if (m.inflight > 0) {
        let timer: NodeJS.Timeout | undefined;
        await new Promise<void>((resolve) => {
          m.idle = resolve;
          timer = setTimeout(resolve, this.shutdownTimeoutMs);
        });
        clearTimeout(timer);
        // Handlers that did not finish in time: their messages go to other members.
        for (const gc of m.groups) {
          for (const p of gc.partitions) {
            const s = p.settler;
            if (s.member !== m) continue;
            s.abandoned = true;
            s.member = null;
            p.settler = new Settler(this, p);
            p.items[p.head] = redelivery(p.items[p.head]!);
            p.busy = false;
          }
        }
        m.inflight = 0;
      }
      m.state = 'stopped';
      this.members.delete(m);
      for (const gc of m.groups) {
        gc.members = gc.members.filter((x) => x !== m);
        this.rebalance(gc);
        this.wake(gc, false);
      }
      m.owned = [];
    })();
    return m.stopped;
  }
}
