/**
 * Compare two versions of a set of contracts (IRs): systems matched by id; channels,
 * messages and operations by id, then by what peers see (match.ts: a channel by address,
 * a message by name or payload on its channel, an operation by channel, action and
 * messages), a rename being a source finding only; schema changes classified by
 * schema.ts; every finding placed in both documents and, for schemas, proven with a
 * counterexample.
 *
 * The direction of the system's operations softens verdicts: for a message this system
 * only receives, writers live elsewhere, so what breaks forward (old readers, new data)
 * is not this system's to break (warning); for a message it only sends, readers live
 * elsewhere, so what breaks backward (new readers, old data) is a warning. A message
 * both sent and received here (or by no operation) keeps both verdicts.
 */
import type { ChannelModel, JsonSchema, MessageModel, OperationModel, SourceLocation, SystemModel } from '../contract/ir.js';
import { findCounterexample } from './counterexample.js';
import { decideSchemas, type DecidedChange } from './decide.js';
import { verdictUnder, type Counterexample, type Finding, type Mode, type Verdict } from './finding.js';
import { ruleOf } from './rules.js';
import { compareBindings, type BindingOwner } from './bindings.js';
import { compareChannelServers, compareOperationSecurity, compareServers } from './servers.js';
import { diffSchemas, instancePointer, sameSchema, type SchemaChange } from './schema.js';
import { encodePointerSegment } from '../contract/json-pointer.js';
import { typeName } from '../contract/names.js';
import { matchSystems, type Matching } from './match.js';

/** One version: its label (a path or `ref:path`), its systems, and how to print its file names. */
export interface Version {
  label: string;
  systems: SystemModel[];
  /** A file of this version as the user should see it (e.g. `main:asyncapi/x.yaml` for a git ref). */
  display(file: string): string;
}

type Role = { sent: boolean; received: boolean };

function roleOf(system: SystemModel | undefined, messageId: string): Role {
  const ops = system?.operations.filter((o) => o.messageIds.includes(messageId)) ?? [];
  return { sent: ops.some((o) => o.action === 'send'), received: ops.some((o) => o.action === 'receive') };
}

interface Draft {
  rule: string;
  message: string;
  system: string;
  subject: string;
  channel?: string;
  messageId?: string;
  operation?: string;
  pointer?: string;
  old?: SourceLocation | undefined;
  new?: SourceLocation | undefined;
  role?: Role;
  search?: {
    of: Counterexample['of'];
    oldRoot: JsonSchema;
    newRoot: JsonSchema;
    examples: unknown[];
    change: Pick<SchemaChange, 'instancePath' | 'oldSchema' | 'newSchema' | 'deletable'>;
    /** The subschema decision behind the verdicts (payload and headers). */
    decided?: DecidedChange;
  };
}

/** All findings from `old` to `new` under a mode (non-transitive: the caller pairs versions). */
export function compareVersions(oldV: Version, newV: Version, mode: Mode): Finding[] {
  const drafts: Draft[] = [];
  const place = (v: Version, loc: SourceLocation | undefined): SourceLocation | undefined => (loc ? { ...loc, file: v.display(loc.file) } : undefined);

  const oldById = new Map(oldV.systems.map((s) => [s.id, s]));
  const newById = new Map(newV.systems.map((s) => [s.id, s]));
  for (const [id, s] of oldById) {
    if (!newById.has(id))
      drafts.push({
        rule: 'system-removed',
        message: `contract "${id}" was removed`,
        system: id,
        subject: `system ${id}`,
        old: place(oldV, s.locate(s.file, '')),
      });
  }
  for (const [id, s] of newById) {
    const o = oldById.get(id);
    if (!o) {
      drafts.push({ rule: 'system-added', message: `contract "${id}" was added`, system: id, subject: `system ${id}`, new: place(newV, s.locate(s.file, '')) });
      continue;
    }
    drafts.push(
      ...compareSystem(
        o,
        s,
        (loc) => place(oldV, loc),
        (loc) => place(newV, loc),
      ),
    );
  }

  const findings = drafts.map((d) => finish(d, mode));
  return findings.sort(
    (a, b) =>
      a.system.localeCompare(b.system) ||
      (a.new?.file ?? a.old?.file ?? '').localeCompare(b.new?.file ?? b.old?.file ?? '') ||
      (a.new?.line ?? a.old?.line ?? 0) - (b.new?.line ?? b.old?.line ?? 0) ||
      (a.old?.line ?? 0) - (b.old?.line ?? 0) ||
      a.subject.localeCompare(b.subject) ||
      a.rule.localeCompare(b.rule),
  );
}

function finish(d: Draft, mode: Mode): Finding {
  const rule = ruleOf(d.rule);
  const decided = d.search?.decided;
  let backward: Verdict = decided ? decided.backward : rule.backward;
  let forward: Verdict = decided ? decided.forward : rule.forward;
  const notes: string[] = [];
  const counterexamples: Counterexample[] = [];
  let counterexampleNote: string | undefined;
  const missing: string[] = [];
  if (d.search) {
    const search = d.search;
    const want: Array<['backward' | 'forward', 'old' | 'new']> = [];
    if (backward !== 'safe') want.push(['backward', 'old']);
    if (forward !== 'safe') want.push(['forward', 'new']);
    for (const [direction, validOn] of want) {
      // The subschema check's issue for this direction: where it bites, its local schemas, its witnesses.
      const issues = decided?.issues[direction] ?? [];
      const first = issues[0];
      const writer = first?.writer;
      const reader = first?.reader;
      const found = findCounterexample(
        {
          oldRoot: search.oldRoot,
          newRoot: search.newRoot,
          examples: search.examples,
          path: first?.path ?? search.change.instancePath,
          oldSchema: first ? (direction === 'backward' ? writer : reader) : search.change.oldSchema,
          newSchema: first ? (direction === 'backward' ? reader : writer) : search.change.newSchema,
          deletable: first ? issues.some((i) => i.deletable) : search.change.deletable,
          probes: issues.flatMap((i) => i.witnesses),
          anchors: first?.anchors,
        },
        validOn,
      );
      if (found) {
        counterexamples.push({
          direction,
          validOn,
          invalidOn: validOn === 'old' ? 'new' : 'old',
          of: search.of,
          value: found.value,
          rejectedBecause: found.rejectedBecause,
          isolated: found.pure,
        });
        if (decided && (direction === 'backward' ? backward : forward) === 'warning') {
          if (direction === 'backward') backward = 'breaking';
          else forward = 'breaking';
          notes.push(`${direction} decided breaking by the counterexample (the structural check left it open: ${decided.undecided.join('; ') || 'undecided'})`);
        }
      } else {
        missing.push(direction);
        if (decided && (direction === 'backward' ? backward : forward) === 'warning' && decided.undecided.length > 0)
          notes.push(`${direction} undecided: ${decided.undecided.join('; ')}`);
      }
    }
    if (missing.length > 0) {
      const unproven = missing.filter((dir) => (dir === 'backward' ? backward : forward) === 'breaking');
      counterexampleNote = `no counterexample found (${missing.join(', ')})${decided && unproven.length > 0 ? `: the breaking ${unproven.join(' and ')} verdict rests on the subschema check alone` : ''}`;
    }
  }
  if (d.role && (d.role.sent || d.role.received) && !(d.role.sent && d.role.received)) {
    if (d.role.received && forward === 'breaking') {
      forward = 'warning';
      notes.push('forward softened to warning: this system only receives the message, so no writer here sends the new shape to old readers');
    }
    if (d.role.sent && backward === 'breaking') {
      backward = 'warning';
      notes.push('backward softened to warning: this system only sends the message, so no reader here reads old data with the new contract');
    }
  }
  return {
    rule: d.rule,
    category: rule.category,
    message: d.message,
    system: d.system,
    subject: d.subject,
    ...(d.channel !== undefined ? { channel: d.channel } : {}),
    ...(d.messageId !== undefined ? { messageId: d.messageId } : {}),
    ...(d.operation !== undefined ? { operation: d.operation } : {}),
    ...(d.pointer !== undefined ? { pointer: d.pointer } : {}),
    backward,
    forward,
    verdict: verdictUnder(mode, backward, forward),
    notes,
    ...(d.old ? { old: d.old } : {}),
    ...(d.new ? { new: d.new } : {}),
    counterexamples,
    ...(counterexampleNote ? { counterexampleNote } : {}),
  };
}

type Place = (loc: SourceLocation | undefined) => SourceLocation | undefined;

function compareSystem(o: SystemModel, n: SystemModel, po: Place, pn: Place): Draft[] {
  const out: Draft[] = [];
  const system = n.id;
  const nMsgs = new Map(n.messages.map((m) => [m.id, m]));
  const nChans = new Map(n.channels.map((c) => [c.id, c]));
  const nOps = new Map(n.operations.map((x) => [x.id, x]));
  // Which old channel, message and operation is which new one (ids first, then what peers see).
  const match = matchSystems(o, n);
  const role = (oldId: string, newId: string): Role => {
    const a = roleOf(o, oldId);
    const b = roleOf(n, newId);
    return { sent: a.sent || b.sent, received: a.received || b.received };
  };

  // Servers (where peers connect, how they authenticate).
  out.push(...compareServers(o, n, po, pn).map((c) => ({ ...c, system })));
  for (const os of o.servers) {
    const ns = n.servers.find((x) => x.id === os.id);
    if (ns) {
      const pointer = `/servers/${encodePointerSegment(os.id)}`;
      out.push(
        ...bindingDrafts(
          system,
          'server',
          `server ${os.id}`,
          {},
          o,
          n,
          po,
          pn,
          [pointer, pointer],
          rawAt(o, 'servers', os.id).bindings,
          rawAt(n, 'servers', os.id).bindings,
        ),
      );
    }
  }

  // Channels.
  for (const oc of o.channels) {
    const id = oc.id;
    const nc = nChans.get(match.channels.toNew.get(id) ?? '');
    if (!nc) {
      out.push({
        rule: 'channel-removed',
        message: `channel "${id}"${oc.address ? ` (${oc.address})` : ''} was removed`,
        system,
        subject: `channel ${id}`,
        channel: id,
        old: po(oc.location),
        new: pn(n.locate(n.file, '/channels')),
      });
      continue;
    }
    // A channel's id names generated types only when it has parameters or several messages,
    // and a rename renames them only when the ids give other type names.
    const renamed = nc.id === id ? [] : channelTypeNames(oc, nc);
    if (renamed.length > 0)
      out.push({
        rule: 'sdk-channel-renamed',
        message: `channel "${id}" is now "${nc.id}" (same address ${JSON.stringify(nc.address)}): the generated ${renamed.join(' and ')} renamed; nothing on the wire changes`,
        system,
        subject: `channel ${id}`,
        channel: nc.id,
        old: po(oc.location),
        new: pn(nc.location),
      });
    out.push(...compareChannel(system, oc, nc, o, n, po, pn, role, match));
  }
  for (const nc of n.channels) {
    if (!match.channels.toOld.has(nc.id))
      out.push({
        rule: 'channel-added',
        message: `channel "${nc.id}"${nc.address ? ` (${nc.address})` : ''} was added`,
        system,
        subject: `channel ${nc.id}`,
        channel: nc.id,
        old: po(o.locate(o.file, '/channels')),
        new: pn(nc.location),
      });
  }

  // Messages: a new one on new channels is named once (a removed one is always named by
  // channel-removed or channel-message-removed: the IR knows messages through channels).
  for (const nm of n.messages) {
    if (match.messages.toOld.has(nm.id)) continue;
    if (nm.channelIds.every((c) => !match.channels.toOld.has(c))) {
      out.push({
        rule: 'message-added',
        message: `message "${nm.id}" was added (on new channel(s) ${nm.channelIds.join(', ') || 'none'})`,
        system,
        subject: `message ${nm.id}`,
        messageId: nm.id,
        new: pn(nm.location),
      });
    }
  }
  for (const om of o.messages) {
    const nm = nMsgs.get(match.messages.toNew.get(om.id) ?? '');
    if (!nm) continue;
    if (nm.id !== om.id)
      out.push({
        rule: 'sdk-message-renamed',
        message: `message "${om.id}" is now "${nm.id}" (same ${match.messages.by.get(om.id)} on channel ${nm.channelIds.join(', ')}): generated names derived from the message id change (validators, schema files, factories), nothing a reader checks`,
        system,
        subject: `message ${om.id}`,
        messageId: nm.id,
        ...(nm.channelIds[0] ? { channel: nm.channelIds[0] } : {}),
        old: po(om.location),
        new: pn(nm.location),
      });
    out.push(...compareMessage(system, om, nm, o, n, po, pn, role(om.id, nm.id)));
  }

  // Operations: a rename keeps everything but the id (action, channel, messages).
  for (const op of o.operations) {
    const id = op.id;
    const np = nOps.get(match.operations.toNew.get(id) ?? '');
    if (np && np.id !== id)
      out.push({
        rule: 'sdk-method-renamed',
        message: `operation "${id}" is now "${np.id}" (same ${op.action} on ${np.channelId}): the generated method is renamed`,
        system,
        subject: `operation ${id}`,
        operation: id,
        channel: np.channelId,
        old: po(op.location),
        new: pn(np.location),
      });
    if (np) {
      out.push(...compareOperation(system, op, np, o, n, po, pn, match));
      continue;
    }
    out.push({
      rule: 'operation-removed',
      message: `operation "${id}" (${op.action} on ${op.channelId}) was removed`,
      system,
      subject: `operation ${id}`,
      operation: id,
      channel: op.channelId,
      old: po(op.location),
      new: pn(n.locate(n.file, '/operations')),
    });
  }
  for (const np of n.operations) {
    if (match.operations.toOld.has(np.id)) continue;
    out.push({
      rule: 'operation-added',
      message: `operation "${np.id}" (${np.action} on ${np.channelId}) was added`,
      system,
      subject: `operation ${np.id}`,
      operation: np.id,
      channel: np.channelId,
      old: po(o.locate(o.file, '/operations')),
      new: pn(np.location),
    });
  }
  return out;
}

/**
 * The generated type names a channel's id gives (codegen/context.ts: its parameters type,
 * its message union) that differ between the two ids (`user/signedup` and `userSignedup`
 * both give `UserSignedup...`).
 */
function channelTypeNames(oc: ChannelModel, nc: ChannelModel): string[] {
  const out: string[] = [];
  if (typeName(oc.id) === typeName(nc.id)) return out;
  if (oc.parameters.length > 0 || nc.parameters.length > 0) out.push(`parameters type ${typeName(oc.id)}Parameters -> ${typeName(nc.id)}Parameters`);
  if (oc.messageIds.length > 1 || nc.messageIds.length > 1) out.push(`message union ${typeName(oc.id)}Message -> ${typeName(nc.id)}Message`);
  return out;
}

function compareChannel(
  system: string,
  oc: ChannelModel,
  nc: ChannelModel,
  o: SystemModel,
  n: SystemModel,
  po: Place,
  pn: Place,
  role: (oldId: string, newId: string) => Role,
  match: Matching,
): Draft[] {
  const out: Draft[] = [];
  const base = { system, subject: `channel ${nc.id}`, channel: nc.id };
  // Places under each side's own channel object (a 2.x channel is keyed by its address, and
  // has no `address` or `messages`: the nearest enclosing node stands in).
  const atOld = (suffix: string) => po(o.locate(oc.location.file, oc.location.pointer + suffix));
  const atNew = (suffix: string) => pn(n.locate(nc.location.file, nc.location.pointer + suffix));
  if (oc.address !== nc.address) {
    out.push({
      ...base,
      rule: 'channel-address-changed',
      message: `channel "${nc.id}" address ${JSON.stringify(oc.address)} -> ${JSON.stringify(nc.address)}`,
      old: atOld('/address'),
      new: atNew('/address'),
    });
  }
  const ok = oc.kafka ?? {};
  const nk = nc.kafka ?? {};
  const bindingPlace = { old: atOld('/bindings/kafka'), new: atNew('/bindings/kafka') };
  if (typeof ok.partitions === 'number' && typeof nk.partitions === 'number' && ok.partitions !== nk.partitions) {
    out.push({
      ...base,
      ...bindingPlace,
      rule: nk.partitions < ok.partitions ? 'kafka-partitions-decreased' : 'kafka-partitions-increased',
      message: `channel "${nc.id}" Kafka partitions ${ok.partitions} -> ${nk.partitions}`,
      old: atOld('/bindings/kafka/partitions'),
      new: atNew('/bindings/kafka/partitions'),
    });
  }
  const other = (['topic', 'replicas', 'topicConfiguration'] as const).filter((k) => !sameSchema(ok[k], nk[k]));
  if ((ok.partitions === undefined) !== (nk.partitions === undefined)) other.unshift('partitions' as never);
  if (other.length > 0) {
    out.push({
      ...base,
      ...bindingPlace,
      rule: 'kafka-binding-changed',
      message: `channel "${nc.id}" Kafka binding changed: ${other.map((k) => `${k} ${JSON.stringify(ok[k] ?? null)} -> ${JSON.stringify(nk[k] ?? null)}`).join('; ')}`,
    });
  }
  out.push(...compareChannelServers(oc, nc, o, n, po, pn).map((c) => ({ ...c, system })));
  out.push(
    ...bindingDrafts(
      system,
      'channel',
      `channel ${nc.id}`,
      { channel: nc.id },
      o,
      n,
      po,
      pn,
      [`/channels/${encodePointerSegment(oc.id)}`, `/channels/${encodePointerSegment(nc.id)}`],
      oc.bindings,
      nc.bindings,
    ),
  );
  out.push(...compareParameters(base, oc, nc, o, n, po, pn));
  // Messages, by the matching (a message matched under another id is the same message).
  const carried = new Set(oc.messageIds.map((mid) => match.messages.toNew.get(mid)));
  for (const mid of nc.messageIds) {
    if (carried.has(mid)) continue;
    out.push({
      ...base,
      rule: 'channel-message-added',
      message: `channel "${nc.id}" now carries message "${mid}"`,
      messageId: mid,
      old: atOld('/messages'),
      new: pn(n.messages.find((m) => m.id === mid)?.location ?? nc.location),
      role: role(match.messages.toOld.get(mid) ?? mid, mid),
    });
  }
  for (const mid of oc.messageIds) {
    const now = match.messages.toNew.get(mid);
    if (now !== undefined && nc.messageIds.includes(now)) continue;
    out.push({
      ...base,
      rule: 'channel-message-removed',
      message: `channel "${nc.id}" no longer carries message "${mid}"`,
      messageId: mid,
      old: po(o.messages.find((m) => m.id === mid)?.location ?? oc.location),
      new: atNew('/messages'),
      role: role(mid, now ?? mid),
    });
  }
  return out;
}

function compareMessage(system: string, om: MessageModel, nm: MessageModel, o: SystemModel, n: SystemModel, po: Place, pn: Place, role: Role): Draft[] {
  const out: Draft[] = [];
  const base = { system, messageId: nm.id, ...(nm.channelIds[0] ? { channel: nm.channelIds[0] } : {}) };
  const at = { old: po(om.location), new: pn(nm.location) };
  if (om.contentType !== nm.contentType)
    out.push({
      ...base,
      ...at,
      subject: `message ${nm.id}`,
      rule: 'content-type-changed',
      message: `message "${nm.id}" content type ${om.contentType} -> ${nm.contentType}`,
      role,
    });
  if (om.payloadTypeName !== nm.payloadTypeName) {
    out.push({
      ...base,
      subject: `message ${nm.id}`,
      rule: 'sdk-type-renamed',
      message: `message "${nm.id}" payload type ${om.payloadTypeName} -> ${nm.payloadTypeName}: generated code importing ${om.payloadTypeName} must change`,
      old: po(o.locateNode(om.payload) ?? om.location),
      new: pn(n.locateNode(nm.payload) ?? nm.location),
    });
  }
  if ((om.keyLocation ?? '') !== (nm.keyLocation ?? ''))
    out.push({
      ...base,
      ...at,
      subject: `message ${nm.id}`,
      rule: 'kafka-key-location-changed',
      message: `message "${nm.id}" key ${om.keyLocation ?? 'none'} -> ${nm.keyLocation ?? 'none'}`,
    });
  if ((om.correlationIdLocation ?? '') !== (nm.correlationIdLocation ?? ''))
    out.push({
      ...base,
      ...at,
      subject: `message ${nm.id}`,
      rule: 'correlation-id-changed',
      message: `message "${nm.id}" correlation id ${om.correlationIdLocation ?? 'none'} -> ${nm.correlationIdLocation ?? 'none'}`,
    });
  if (!sameSchema(om.kafkaKey ?? {}, nm.kafkaKey ?? {})) {
    const oldKey = om.kafkaKey ?? {};
    const newKey = nm.kafkaKey ?? {};
    const detail = diffSchemas(oldKey, newKey)
      .map((c) => c.text)
      .join('; ');
    out.push({
      ...base,
      subject: `message ${nm.id} key`,
      rule: 'kafka-key-changed',
      message: `message "${nm.id}" Kafka key schema changed${detail ? `: ${detail}` : ''}`,
      old: po((om.kafkaKey && o.locateNode(om.kafkaKey)) ?? om.location),
      new: pn((nm.kafkaKey && n.locateNode(nm.kafkaKey)) ?? nm.location),
      search: { of: 'key', oldRoot: oldKey, newRoot: newKey, examples: [], change: { instancePath: [], oldSchema: oldKey, newSchema: newKey } },
    });
  }
  for (const b of compareBindings('message', om.bindings, nm.bindings))
    out.push({ ...base, ...at, subject: `message ${nm.id}`, rule: b.rule, message: `message "${nm.id}" binding changed: ${b.detail}` });
  const schemaDrafts = (of: 'payload' | 'headers', oldRoot: JsonSchema, newRoot: JsonSchema, examples: unknown[]) => {
    for (const c of decideSchemas(oldRoot, newRoot)) {
      const pointer = instancePointer(c.instancePath);
      out.push({
        ...base,
        subject: `message ${nm.id}${of === 'headers' ? ' headers' : ''} ${pointer || '/'}`,
        pointer,
        rule: c.rule,
        message: `${of === 'headers' ? 'headers ' : ''}${c.text}`,
        old: po((c.oldNode && o.locateNode(c.oldNode)) ?? om.location),
        new: pn((c.newNode && n.locateNode(c.newNode)) ?? nm.location),
        role,
        search: { of, oldRoot, newRoot, examples, change: { instancePath: c.instancePath }, decided: c },
      });
    }
  };
  const examples = (m: MessageModel, key: 'payload' | 'headers') => m.examples.map((e) => e[key]).filter((x) => x !== undefined);
  schemaDrafts('payload', om.payload, nm.payload, [...examples(om, 'payload'), ...examples(nm, 'payload')]);
  if (om.headers || nm.headers) schemaDrafts('headers', om.headers ?? {}, nm.headers ?? {}, [...examples(om, 'headers'), ...examples(nm, 'headers')]);
  return out;
}

function compareOperation(
  system: string,
  op: OperationModel,
  np: OperationModel,
  o: SystemModel,
  n: SystemModel,
  po: Place,
  pn: Place,
  match: Matching,
): Draft[] {
  const out: Draft[] = [];
  const base = { system, subject: `operation ${np.id}`, operation: np.id, channel: np.channelId, old: po(op.location), new: pn(np.location) };
  // The old channel under its new id, when it was matched (a renamed channel is the same channel).
  const sameChannel = (oldId: string | undefined, newId: string | undefined) => (oldId === undefined ? undefined : match.channels.toNew.get(oldId)) === newId;
  if (op.action !== np.action) out.push({ ...base, rule: 'operation-action-changed', message: `operation "${np.id}" action ${op.action} -> ${np.action}` });
  if (!sameChannel(op.channelId, np.channelId))
    out.push({ ...base, rule: 'operation-channel-changed', message: `operation "${np.id}" channel ${op.channelId} -> ${np.channelId}` });
  if (op.action === 'receive' && np.action === 'receive' && (op.group ?? '') !== (np.group ?? '')) {
    out.push({ ...base, rule: 'kafka-group-changed', message: `operation "${np.id}" consumer group ${op.group ?? 'none'} -> ${np.group ?? 'none'}` });
  }
  out.push(...compareOperationSecurity(op, np, o, n, po, pn).map((c) => ({ ...c, system })));
  out.push(
    ...bindingDrafts(
      system,
      'operation',
      `operation ${np.id}`,
      { operation: np.id, channel: np.channelId },
      o,
      n,
      po,
      pn,
      [`/operations/${encodePointerSegment(op.id)}`, `/operations/${encodePointerSegment(np.id)}`],
      op.bindings,
      np.bindings,
    ),
  );
  // Messages the operation uses, among those its channel carries on both sides (a message
  // added to or removed from the channel is named by channel-message-added/-removed).
  if (sameChannel(op.channelId, np.channelId) && op.action === np.action) {
    const onChannel = (s: SystemModel, channelId: string, id: string) => s.channels.find((c) => c.id === channelId)?.messageIds.includes(id) ?? false;
    // A message both sides' channel carries (matched: it may have another id on the new side).
    const kept = (oldId: string | undefined, newId: string | undefined) =>
      oldId !== undefined && newId !== undefined && onChannel(o, op.channelId, oldId) && onChannel(n, np.channelId, newId);
    for (const mid of op.messageIds) {
      const now = match.messages.toNew.get(mid);
      if (now !== undefined && !np.messageIds.includes(now) && kept(mid, now))
        out.push({
          ...base,
          messageId: now,
          rule: np.action === 'receive' ? 'receive-message-removed' : 'sdk-send-message-removed',
          message:
            np.action === 'receive'
              ? `operation "${np.id}" no longer receives message "${mid}": its subscription rejects it`
              : `operation "${np.id}" no longer sends message "${mid}": its generated method no longer takes it`,
        });
    }
    for (const mid of np.messageIds) {
      const before = match.messages.toOld.get(mid);
      if (before !== undefined && !op.messageIds.includes(before) && kept(before, mid))
        out.push({ ...base, messageId: mid, rule: 'operation-message-added', message: `operation "${np.id}" now ${np.action}s message "${mid}"` });
    }
  }
  // Request/reply.
  if (!op.reply && np.reply)
    out.push({ ...base, rule: 'reply-added', message: `operation "${np.id}" now expects a reply${np.reply.channelId ? ` on ${np.reply.channelId}` : ''}` });
  else if (op.reply && !np.reply) out.push({ ...base, rule: 'reply-removed', message: `operation "${np.id}" no longer has a reply` });
  else if (op.reply && np.reply) {
    const moved: string[] = [];
    if (!sameChannel(op.reply.channelId, np.reply.channelId)) moved.push(`channel ${op.reply.channelId ?? 'none'} -> ${np.reply.channelId ?? 'none'}`);
    if ((op.reply.addressLocation ?? '') !== (np.reply.addressLocation ?? ''))
      moved.push(`address ${op.reply.addressLocation ?? 'none'} -> ${np.reply.addressLocation ?? 'none'}`);
    if (moved.length > 0)
      out.push({
        ...base,
        rule: 'reply-address-changed',
        message: `operation "${np.id}" reply ${moved.join('; ')}: replies go where the other side does not read`,
      });
  }
  return out;
}

function rawAt(s: SystemModel, section: string, id: string): Record<string, unknown> {
  const all = s.document[section];
  const node = all && typeof all === 'object' ? (all as Record<string, unknown>)[id] : undefined;
  return node && typeof node === 'object' ? (node as Record<string, unknown>) : {};
}

/** Binding changes of a server, channel or operation, placed at its `bindings/<protocol>` on each side. */
function bindingDrafts(
  system: string,
  owner: BindingOwner,
  subject: string,
  ids: { channel?: string; operation?: string },
  o: SystemModel,
  n: SystemModel,
  po: Place,
  pn: Place,
  /** The owner's JSON pointer in the old and in the new document (a renamed owner has two). */
  pointers: [string, string],
  oldBindings: unknown,
  newBindings: unknown,
): Draft[] {
  return compareBindings(owner, oldBindings, newBindings).map((b) => ({
    system,
    subject,
    ...(ids.channel !== undefined ? { channel: ids.channel } : {}),
    ...(ids.operation !== undefined ? { operation: ids.operation } : {}),
    rule: b.rule,
    message: `${subject} binding changed: ${b.detail}`,
    old: po(o.locate(o.file, pointers[0] + b.suffix)),
    new: pn(n.locate(n.file, pointers[1] + b.suffix)),
  }));
}

/**
 * Address parameters: their values are where a channel's messages go (`orders.{region}`),
 * so an enum is judged like a schema of the address (fewer values: old writers publish where
 * new readers do not subscribe). Declaring or dropping parameters changes the generated
 * parameters type (source).
 */
function compareParameters(
  base: { system: string; subject: string; channel: string },
  oc: ChannelModel,
  nc: ChannelModel,
  o: SystemModel,
  n: SystemModel,
  po: Place,
  pn: Place,
): Draft[] {
  const out: Draft[] = [];
  const at = {
    old: po(o.locate(o.file, `/channels/${encodePointerSegment(oc.id)}/parameters`)),
    new: pn(n.locate(n.file, `/channels/${encodePointerSegment(nc.id)}/parameters`)),
  };
  const names = (c: ChannelModel) => c.parameters.map((p) => p.name).sort();
  if (names(oc).join('\u0000') !== names(nc).join('\u0000'))
    out.push({
      ...base,
      ...at,
      rule: 'sdk-parameters-changed',
      message: `channel "${nc.id}" parameters [${names(oc).join(', ')}] -> [${names(nc).join(', ')}]: the generated parameters type changes`,
    });
  for (const p of oc.parameters) {
    const q = nc.parameters.find((x) => x.name === p.name);
    if (!q) continue;
    // No enum: any value.
    const within = (a: string[] | undefined, b: string[] | undefined) => b === undefined || (a !== undefined && a.every((v) => b.includes(v)));
    const backward = within(p.enum, q.enum);
    const forward = within(q.enum, p.enum);
    if (backward && forward) continue;
    out.push({
      ...base,
      ...at,
      rule: !backward && !forward ? 'parameter-values-changed' : !backward ? 'parameter-values-narrowed' : 'parameter-values-widened',
      message: `channel "${nc.id}" parameter ${p.name} values ${p.enum ? `[${p.enum.join(', ')}]` : 'any'} -> ${q.enum ? `[${q.enum.join(', ')}]` : 'any'}`,
    });
  }
  return out;
}
