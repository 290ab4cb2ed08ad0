/**
 * Topics from the contract: create what is missing, report what differs, change
 * existing topics only when asked. Kafka cannot lower a partition count nor change a
 * replication factor without a reassignment, so those stay in the drift report.
 */
import type { Admin } from 'kafkajs';
import { kafkajs } from './kafkajs.js';

// kafkajs is CommonJS: Node's ESM loader does not see all of its named exports
const { ConfigResourceTypes, ConfigSource, Kafka, logLevel } = kafkajs;
import type { ChannelSpec } from '../../transport.js';
import { isLeadershipSettling, toTransportError } from './errors.js';

/** Anything with `info` and `warn` (the runtime Logger, pino, console). */
export interface TopicLog {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
}

export interface ApplyTopicsOptions {
  /** Change existing topics: add partitions, set the contract's configs. Default false. */
  alter?: boolean;
  log?: TopicLog;
  /** Used when an admin client is created here. */
  clientId?: string;
  /**
   * How long to wait, after creating or altering, until the broker's metadata and
   * configs show the change and every partition has a leader (KRaft brokers apply
   * controller changes asynchronously, so a read right after the write can still see the
   * old state). Default 15 000 ms; 0 skips the wait. When it runs out, a warning names
   * what is not visible yet.
   */
  settleTimeoutMs?: number;
}

export interface TopicDrift {
  topic: string;
  field: 'partitions' | 'replicas' | 'config';
  /** The config name, for `field: 'config'`. */
  key?: string;
  /** What the contract asks for. */
  expected: string | number;
  /** What the broker has (undefined: the config is at its default). */
  actual: string | number | undefined;
  /** True when `alter` changed the topic to match. */
  applied: boolean;
  /** Why it was not applied, when it cannot be. */
  note?: string;
}

export interface ApplyTopicsReport {
  /** Topics created by this call. */
  created: string[];
  /** Existing topics that match their spec. */
  unchanged: string[];
  /** Existing topics changed by this call (`alter: true`). */
  altered: string[];
  /** Every difference found between an existing topic and its spec. */
  drift: TopicDrift[];
  warnings: string[];
}

export type AdminTarget = Admin | string[] | { brokers: string[]; clientId?: string };

const silent: TopicLog = { info: () => {}, warn: () => {} };

/**
 * Create the contract's topics that do not exist, and compare the others with their spec.
 *
 * @example
 * const report = await applyTopics(['127.0.0.1:9092'], [
 *   { address: 'skill.created', partitions: 6, config: { 'retention.ms': '604800000' } },
 * ]);
 * for (const d of report.drift) console.warn(`${d.topic} ${d.field} ${d.key ?? ''}: ${d.actual} != ${d.expected}`);
 */
export async function applyTopics(target: AdminTarget, specs: ChannelSpec[], options: ApplyTopicsOptions = {}): Promise<ApplyTopicsReport> {
  const log = options.log ?? silent;
  const ownAdmin = !isAdmin(target);
  const admin = isAdmin(target) ? target : createAdmin(target, options.clientId);
  try {
    if (ownAdmin) await admin.connect();
    return await apply(admin, dedupe(specs), options.alter ?? false, log, options.settleTimeoutMs ?? 15_000);
  } catch (err) {
    throw toTransportError(err, 'applying topics');
  } finally {
    if (ownAdmin) await admin.disconnect().catch(() => {});
  }
}

async function apply(admin: Admin, specs: ChannelSpec[], alter: boolean, log: TopicLog, settleTimeoutMs: number): Promise<ApplyTopicsReport> {
  const report: ApplyTopicsReport = { created: [], unchanged: [], altered: [], drift: [], warnings: [] };
  if (specs.length === 0) return report;
  const warn = (message: string, fields?: Record<string, unknown>) => {
    report.warnings.push(message);
    log.warn(message, fields);
  };
  /** What this call changed, to wait for before returning. */
  const changes: Expectation[] = [];
  const finish = async (): Promise<ApplyTopicsReport> => {
    if (changes.length > 0 && settleTimeoutMs > 0) {
      const late = await waitVisible(admin, changes, settleTimeoutMs);
      if (late.length > 0) warn(`the broker does not show these changes yet after ${settleTimeoutMs} ms: ${late.join('; ')}`, { late });
    }
    return report;
  };

  // Each read is a round trip (and a metadata refresh) at every subscribe: only what a spec asks about.
  const brokerCount = specs.some((s) => s.replicas !== undefined) ? (await admin.describeCluster()).brokers.length : 0;
  const existing = new Set(await admin.listTopics());

  const replicasFor = (spec: ChannelSpec): number => {
    if (spec.replicas === undefined) return -1;
    if (spec.replicas > brokerCount) {
      warn(`topic ${spec.address}: the contract asks for ${spec.replicas} replicas but the cluster has ${brokerCount} broker(s); using ${brokerCount}`, {
        topic: spec.address,
        replicas: spec.replicas,
        brokers: brokerCount,
      });
      return brokerCount;
    }
    return spec.replicas;
  };

  const missing = specs.filter((s) => !existing.has(s.address));
  if (missing.length > 0) {
    // Not kafkajs's waitForLeaders: it polls metadata and gives up on the
    // UNKNOWN_TOPIC_OR_PARTITION a KRaft broker answers while the topic propagates (seen
    // in CI on a fresh broker). waitVisible below polls through that until every
    // partition has a leader.
    await admin.createTopics({
      waitForLeaders: false,
      topics: missing.map((spec) => ({
        topic: spec.address,
        numPartitions: spec.partitions ?? -1,
        replicationFactor: replicasFor(spec),
        configEntries: Object.entries(spec.config ?? {}).map(([name, value]) => ({ name, value: String(value) })),
      })),
    });
    for (const spec of missing) {
      report.created.push(spec.address);
      changes.push({ topic: spec.address, partitions: spec.partitions, config: stringConfig(spec.config) });
      log.info(`created topic ${spec.address}`, { topic: spec.address, partitions: spec.partitions, config: spec.config });
    }
  }

  const present = specs.filter((s) => existing.has(s.address));
  if (present.length === 0) return finish();

  const { topics: metadata } = await admin.fetchTopicMetadata({ topics: present.map((s) => s.address) });
  // Configs are compared (and merged when altering) only for specs that set some.
  const withConfig = present.filter((s) => Object.keys(s.config ?? {}).length > 0);
  const configs =
    withConfig.length > 0
      ? await admin.describeConfigs({
          includeSynonyms: false,
          resources: withConfig.map((s) => ({ type: ConfigResourceTypes.TOPIC, name: s.address })),
        })
      : { resources: [] };

  for (const spec of present) {
    const topic = spec.address;
    const meta = metadata.find((m) => m.name === topic);
    const entries = configs.resources.find((r) => r.resourceName === topic)?.configEntries ?? [];
    const drift: TopicDrift[] = [];

    const actualPartitions = meta?.partitions.length ?? 0;
    if (spec.partitions !== undefined && spec.partitions !== actualPartitions) {
      const d: TopicDrift = { topic, field: 'partitions', expected: spec.partitions, actual: actualPartitions, applied: false };
      if (spec.partitions < actualPartitions) d.note = 'Kafka cannot reduce the partitions of a topic; recreate it to shrink';
      drift.push(d);
    }

    if (spec.replicas !== undefined) {
      const wanted = Math.min(spec.replicas, brokerCount);
      const actual = meta?.partitions[0]?.replicas.length ?? 0;
      if (wanted !== actual) {
        drift.push({
          topic,
          field: 'replicas',
          expected: wanted,
          actual,
          applied: false,
          note: 'changing the replication factor needs a partition reassignment; not done here',
        });
      }
    }

    for (const [key, raw] of Object.entries(spec.config ?? {})) {
      const expected = String(raw);
      const entry = entries.find((e) => e.configName === key);
      const actual = entry?.configValue ?? undefined;
      if (actual !== expected) drift.push({ topic, field: 'config', key, expected, actual, applied: false });
    }

    if (drift.length === 0) {
      report.unchanged.push(topic);
      continue;
    }

    if (alter) {
      let changed = false;
      const partitions = drift.find((d) => d.field === 'partitions' && !d.note);
      if (partitions) {
        await admin.createPartitions({ topicPartitions: [{ topic, count: Number(partitions.expected) }] });
        partitions.applied = true;
        changed = true;
      }
      const configDrift = drift.filter((d) => d.field === 'config');
      if (configDrift.length > 0) {
        // AlterConfigs (not the incremental kind kafkajs lacks) replaces every dynamic
        // topic config: send the ones already set on the topic plus the contract's.
        const merged = new Map<string, string>();
        for (const e of entries) {
          if (e.configSource === ConfigSource.TOPIC_CONFIG && !e.isDefault) merged.set(e.configName, e.configValue);
        }
        for (const [key, value] of Object.entries(spec.config ?? {})) merged.set(key, String(value));
        await admin.alterConfigs({
          validateOnly: false,
          resources: [
            {
              type: ConfigResourceTypes.TOPIC,
              name: topic,
              configEntries: [...merged].map(([name, value]) => ({ name, value })),
            },
          ],
        });
        for (const d of configDrift) d.applied = true;
        changed = true;
      }
      if (changed) {
        changes.push({
          topic,
          partitions: partitions ? Number(partitions.expected) : undefined,
          config: configDrift.length > 0 ? stringConfig(spec.config) : undefined,
        });
        report.altered.push(topic);
        log.info(`altered topic ${topic}`, { topic, drift: drift.filter((d) => d.applied) });
      }
    }

    for (const d of drift) {
      if (d.applied) continue;
      const what = d.field === 'config' ? `config ${d.key}` : d.field;
      warn(
        `topic ${topic}: ${what} is ${d.actual ?? '(default)'}, the contract says ${d.expected}${d.note ? ` (${d.note})` : alter ? '' : ' (run with alter to change it)'}`,
        {
          topic,
          field: d.field,
          key: d.key,
          expected: d.expected,
          actual: d.actual,
        },
      );
    }
    report.drift.push(...drift);
  }
  return finish();
}

/** A state the broker should show for a topic once a change has gone through. */
interface Expectation {
  topic: string;
  partitions?: number | undefined;
  config?: Record<string, string> | undefined;
}

const stringConfig = (config: Record<string, string> | undefined): Record<string, string> | undefined =>
  config ? Object.fromEntries(Object.entries(config).map(([k, v]) => [k, String(v)])) : undefined;

/**
 * Polls metadata and configs until every expectation holds, or the time is up. Returns
 * what is still not visible (empty when all is). Read errors while the change
 * propagates (unknown topic, leader not available) count as not visible yet.
 */
async function waitVisible(admin: Admin, expectations: Expectation[], timeoutMs: number): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  let delay = 20;
  for (;;) {
    const late = await notVisible(admin, expectations).catch((e: unknown) => [`${expectations.map((x) => x.topic).join(', ')}: ${(e as Error).message}`]);
    if (late.length === 0 || Date.now() + delay > deadline) return late;
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 500);
  }
}

async function notVisible(admin: Admin, expectations: Expectation[]): Promise<string[]> {
  const topics = expectations.map((x) => x.topic);
  const { topics: metadata } = await admin.fetchTopicMetadata({ topics });
  const withConfig = expectations.filter((x) => x.config && Object.keys(x.config).length > 0);
  const configs =
    withConfig.length > 0
      ? (
          await admin.describeConfigs({
            includeSynonyms: false,
            resources: withConfig.map((x) => ({ type: ConfigResourceTypes.TOPIC, name: x.topic })),
          })
        ).resources
      : [];
  const late: string[] = [];
  for (const x of expectations) {
    const meta = metadata.find((m) => m.name === x.topic);
    const count = meta?.partitions.length ?? 0;
    if (x.partitions !== undefined && x.partitions > 0 ? count !== x.partitions : count === 0)
      late.push(`${x.topic} partitions ${count}, expected ${x.partitions ?? '> 0'}`);
    const leaderless = meta?.partitions.filter((p) => p.leader < 0).map((p) => p.partitionId) ?? [];
    if (leaderless.length > 0) late.push(`${x.topic} partitions ${leaderless.join(', ')} have no leader yet`);
    else if (count > 0) {
      // The metadata can name a leader before that broker serves the partition (KRaft
      // applies it asynchronously): until it does, reading offsets (a consumer pinning its
      // start) and producing are refused with NOT_LEADER_FOR_PARTITION.
      try {
        await admin.fetchTopicOffsets(x.topic);
      } catch (err) {
        if (!isLeadershipSettling(err)) throw err;
        late.push(`${x.topic}: the leaders do not serve every partition yet (${(err as Error).message})`);
      }
    }
    const entries = configs.find((r) => r.resourceName === x.topic)?.configEntries ?? [];
    for (const [key, value] of Object.entries(x.config ?? {})) {
      const actual = entries.find((e) => e.configName === key)?.configValue;
      if (actual !== value) late.push(`${x.topic} ${key}=${actual ?? '(default)'}, expected ${value}`);
    }
  }
  return late;
}

function isAdmin(target: AdminTarget): target is Admin {
  return typeof (target as Admin).createTopics === 'function';
}

function createAdmin(target: string[] | { brokers: string[]; clientId?: string }, clientId?: string): Admin {
  const brokers = Array.isArray(target) ? target : target.brokers;
  const id = (Array.isArray(target) ? undefined : target.clientId) ?? clientId ?? 'evc-topics';
  return new Kafka({ brokers, clientId: id, logLevel: logLevel.ERROR }).admin();
}

/** The same address twice (two channels, one topic): the first spec wins. */
function dedupe(specs: ChannelSpec[]): ChannelSpec[] {
  const seen = new Map<string, ChannelSpec>();
  for (const s of specs) if (!seen.has(s.address)) seen.set(s.address, s);
  return [...seen.values()];
}
