/**
 * Servers and security, compared for `evc diff`: where peers connect and how they
 * authenticate. The IR's ServerModel holds host and protocol; pathname, variables and
 * security are read from the resolved document the IR keeps (`SystemModel.document`).
 *
 * Verdicts (rules.ts): a server removed, its address (host, pathname, a variable's default)
 * or protocol changed, a channel taken off a server, or security requirements changed are
 * breaking both ways (old and new peers no longer meet or no longer authenticate alike); a
 * protocol version or the variables' allowed values changed is a warning (it depends on
 * the protocol, or on how deployments are configured); a server added is safe.
 */
import type { ChannelModel, OperationModel, SourceLocation, SystemModel } from '../contract/ir.js';
import { encodePointerSegment } from '../contract/json-pointer.js';
import { sameSchema } from './schema.js';

type Obj = Record<string, unknown>;
type Place = (loc: SourceLocation | undefined) => SourceLocation | undefined;

/** A finding before verdicts: compare.ts adds the system and the rule's verdicts. */
export interface PartChange {
  rule: string;
  message: string;
  subject: string;
  channel?: string;
  operation?: string;
  old?: SourceLocation | undefined;
  new?: SourceLocation | undefined;
}

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const obj = (v: unknown): Obj => (isObj(v) ? v : {});
const seg = encodePointerSegment;
const show = (v: unknown) => (v === undefined ? 'none' : JSON.stringify(v));

function rawServer(s: SystemModel, id: string): Obj {
  return obj(obj(s.document.servers)[id]);
}

/** The URL template's variable defaults: what a client resolves without configuring anything. */
function defaults(server: Obj): Record<string, unknown> {
  return Object.fromEntries(Object.entries(obj(server.variables)).map(([k, v]) => [k, obj(v).default]));
}

/** Variables without their defaults and documentation: their names and allowed values. */
function allowed(server: Obj): Record<string, unknown> {
  return Object.fromEntries(Object.entries(obj(server.variables)).map(([k, v]) => [k, obj(v).enum ?? null]));
}

export function compareServers(o: SystemModel, n: SystemModel, po: Place, pn: Place): PartChange[] {
  const out: PartChange[] = [];
  const oldById = new Map(o.servers.map((s) => [s.id, s]));
  const newById = new Map(n.servers.map((s) => [s.id, s]));
  for (const [id, os] of oldById) {
    const subject = `server ${id}`;
    const ns = newById.get(id);
    if (!ns) {
      out.push({
        rule: 'server-removed',
        message: `server "${id}" (${os.protocol} ${os.host}) was removed`,
        subject,
        old: po(os.location),
        new: pn(n.locate(n.file, '/servers')),
      });
      continue;
    }
    const at = (field: string) => ({ old: po(o.locate(o.file, `/servers/${seg(id)}/${field}`)), new: pn(n.locate(n.file, `/servers/${seg(id)}/${field}`)) });
    const or = rawServer(o, id);
    const nr = rawServer(n, id);
    const moved: string[] = [];
    if (os.host !== ns.host) moved.push(`host ${show(os.host)} -> ${show(ns.host)}`);
    if (or.pathname !== nr.pathname) moved.push(`pathname ${show(or.pathname)} -> ${show(nr.pathname)}`);
    const od = defaults(or);
    const nd = defaults(nr);
    for (const k of Object.keys(od))
      if (k in nd && od[k] !== undefined && nd[k] !== undefined && od[k] !== nd[k]) moved.push(`variable ${k} default ${show(od[k])} -> ${show(nd[k])}`);
    if (moved.length > 0)
      out.push({
        rule: 'server-address-changed',
        message: `server "${id}" ${moved.join('; ')}: clients of the old contract connect elsewhere`,
        subject,
        ...at(os.host !== ns.host ? 'host' : 'pathname'),
      });
    if (os.protocol !== ns.protocol)
      out.push({ rule: 'server-protocol-changed', message: `server "${id}" protocol ${os.protocol} -> ${ns.protocol}`, subject, ...at('protocol') });
    if ((os.protocolVersion ?? '') !== (ns.protocolVersion ?? ''))
      out.push({
        rule: 'server-protocol-version-changed',
        message: `server "${id}" ${os.protocol} version ${show(os.protocolVersion)} -> ${show(ns.protocolVersion)}`,
        subject,
        ...at('protocolVersion'),
      });
    // Variables: which exist, their allowed values, whether a default exists (a changed default moved the address above).
    const shape = (s: Obj) => ({ allowed: allowed(s), hasDefault: Object.fromEntries(Object.entries(defaults(s)).map(([k, v]) => [k, v !== undefined])) });
    if (!sameSchema(shape(or), shape(nr)))
      out.push({
        rule: 'server-variables-changed',
        message: `server "${id}" variables (name: allowed values) ${JSON.stringify(allowed(or))} -> ${JSON.stringify(allowed(nr))}${sameSchema(allowed(or), allowed(nr)) ? ' (a default added or removed)' : ''}`,
        subject,
        ...at('variables'),
      });
    if (!sameSchema(or.security ?? [], nr.security ?? []))
      out.push({
        rule: 'server-security-changed',
        message: `server "${id}" security ${schemes(or.security)} -> ${schemes(nr.security)}`,
        subject,
        ...at('security'),
      });
  }
  for (const [id, ns] of newById)
    if (!oldById.has(id))
      out.push({
        rule: 'server-added',
        message: `server "${id}" (${ns.protocol} ${ns.host}) was added`,
        subject: `server ${id}`,
        old: po(o.locate(o.file, '/servers')),
        new: pn(ns.location),
      });
  return out;
}

function schemes(security: unknown): string {
  if (!Array.isArray(security) || security.length === 0) return 'none';
  return security.map((s) => String(obj(s).type ?? '?')).join(' | ');
}

/** The servers a channel is on: its `servers` list (resolved server objects, matched by identity), else every server. */
function serversOf(s: SystemModel, channelId: string): string[] {
  const byNode = new Map<unknown, string>(Object.entries(obj(s.document.servers)).map(([id, node]) => [node, id]));
  const list = obj(obj(s.document.channels)[channelId]).servers;
  if (!Array.isArray(list)) return s.servers.map((x) => x.id);
  return list.map((node) => byNode.get(node)).filter((id): id is string => id !== undefined);
}

/** A channel taken off, or put on, a server present on both sides (a server removed or added is named once, by compareServers). */
export function compareChannelServers(oc: ChannelModel, nc: ChannelModel, o: SystemModel, n: SystemModel, po: Place, pn: Place): PartChange[] {
  const out: PartChange[] = [];
  const both = new Set(o.servers.map((s) => s.id).filter((id) => n.servers.some((s) => s.id === id)));
  const before = serversOf(o, oc.id).filter((id) => both.has(id));
  const after = serversOf(n, nc.id).filter((id) => both.has(id));
  const at = { old: po(o.locate(o.file, `/channels/${seg(oc.id)}/servers`)), new: pn(n.locate(n.file, `/channels/${seg(nc.id)}/servers`)) };
  for (const id of before)
    if (!after.includes(id))
      out.push({
        rule: 'channel-server-removed',
        message: `channel "${nc.id}" is no longer on server "${id}"`,
        subject: `channel ${nc.id}`,
        channel: nc.id,
        ...at,
      });
  for (const id of after)
    if (!before.includes(id))
      out.push({
        rule: 'channel-server-added',
        message: `channel "${nc.id}" is now also on server "${id}"`,
        subject: `channel ${nc.id}`,
        channel: nc.id,
        ...at,
      });
  return out;
}

/**
 * An operation's security: its own `security`, else the last of its traits that sets one
 * (traits are merged with JSON Merge Patch, the operation's own values winning; an array is
 * taken whole).
 */
function securityOf(s: SystemModel, operationId: string): unknown {
  const op = obj(obj(s.document.operations)[operationId]);
  if ('security' in op) return op.security;
  let found: unknown;
  for (const t of Array.isArray(op.traits) ? op.traits : []) if (isObj(t) && 'security' in t) found = t.security;
  return found;
}

export function compareOperationSecurity(op: OperationModel, np: OperationModel, o: SystemModel, n: SystemModel, po: Place, pn: Place): PartChange[] {
  const before = securityOf(o, op.id);
  const after = securityOf(n, np.id);
  if (sameSchema(before ?? [], after ?? [])) return [];
  return [
    {
      rule: 'operation-security-changed',
      message: `operation "${np.id}" security ${schemes(before)} -> ${schemes(after)}`,
      subject: `operation ${np.id}`,
      operation: np.id,
      channel: np.channelId,
      old: po(op.location),
      new: pn(np.location),
    },
  ];
}
