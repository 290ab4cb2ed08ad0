/** What `evc diff` reports: findings with a verdict per direction, places in both documents, counterexamples. */
import type { SourceLocation } from '../contract/ir.js';

/** breaking: some reader rejects or misreads data; warning: it may, or needs a look; safe: it cannot. */
export type Verdict = 'breaking' | 'warning' | 'safe';

/**
 * Compatibility modes as in Confluent Schema Registry. BACKWARD: the new contract reads
 * data written with the old (upgrade consumers first). FORWARD: the old contract reads
 * data written with the new (upgrade producers first). FULL: both. *_TRANSITIVE: against
 * every earlier version given, not only the previous one.
 */
export const MODES = ['BACKWARD', 'FORWARD', 'FULL', 'BACKWARD_TRANSITIVE', 'FORWARD_TRANSITIVE', 'FULL_TRANSITIVE'] as const;
export type Mode = (typeof MODES)[number];

export function isTransitive(mode: Mode): boolean {
  return mode.endsWith('_TRANSITIVE');
}

/** What `diffVersions` returns: the findings of every compared pair, and how many of each verdict. */
export interface DiffReport {
  mode: Mode;
  /** Labels of the versions, oldest first; the last is the new one. */
  versions: string[];
  findings: Finding[];
  counts: Record<Verdict, number>;
}

/** A JSON message valid on one side and invalid on the other, proven with the side's validator. */
export interface Counterexample {
  /** Which promise it breaks: backward (valid on old, rejected by new) or forward (valid on new, rejected by old). */
  direction: 'backward' | 'forward';
  validOn: 'old' | 'new';
  invalidOn: 'old' | 'new';
  /** What the JSON is: the message payload, its headers, or its Kafka key. */
  of: 'payload' | 'headers' | 'key';
  value: unknown;
  /** Why the invalid side rejects it (explained validator errors), those at the changed place first. */
  rejectedBecause: string[];
  /**
   * True when the changed place is the only reason the invalid side rejects it; false when
   * other changes of the same message also reject it (no message isolates this one).
   */
  isolated: boolean;
}

/**
 * Which promise a finding is about: `wire` (can a reader decode and accept what a writer
 * sends: payloads, channels, keys, operations) or `source` (does code written against the
 * generated SDK still compile: type and method names). `--mode` decides the wire.
 */
export type Category = 'wire' | 'source';
export const CATEGORIES = ['wire', 'source'] as const;

export interface Finding {
  /** Stable rule id, e.g. `property-removed-closed`. */
  rule: string;
  category: Category;
  /** One sentence: what changed and what it means for readers and writers. */
  message: string;
  system: string;
  /** What changed: `message SkillCreated /data/version`, `channel skillCreated`, ... */
  subject: string;
  channel?: string;
  messageId?: string;
  operation?: string;
  /** JSON pointer inside the message (payload, headers or key) for schema changes. */
  pointer?: string;
  /** Can a new reader read old data? */
  backward: Verdict;
  /** Can an old reader read new data? */
  forward: Verdict;
  /** The verdict under the selected mode. */
  verdict: Verdict;
  /** Why a verdict differs from the rule's default (the direction of the operations). */
  notes: string[];
  /** Where it is in the old and in the new document (the nearest enclosing node when absent on a side). */
  old?: SourceLocation;
  new?: SourceLocation;
  /** Schema changes only: checked counterexamples, one per direction that is not safe. */
  counterexamples: Counterexample[];
  /** Schema changes with a non-safe direction and no counterexample: says so. */
  counterexampleNote?: string;
  /** Transitive modes: the label of the earlier version this finding comes from. */
  from?: string;
  to?: string;
}

const RANK: Record<Verdict, number> = { safe: 0, warning: 1, breaking: 2 };

export function worst(...vs: Verdict[]): Verdict {
  return vs.reduce<Verdict>((a, b) => (RANK[b] > RANK[a] ? b : a), 'safe');
}

export function verdictUnder(mode: Mode, backward: Verdict, forward: Verdict): Verdict {
  if (mode.startsWith('BACKWARD')) return backward;
  if (mode.startsWith('FORWARD')) return forward;
  return worst(backward, forward);
}

export function rankOf(v: Verdict): number {
  return RANK[v];
}
