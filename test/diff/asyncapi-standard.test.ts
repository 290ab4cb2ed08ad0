/**
 * evc's contract-level rules against @asyncapi/diff's standard classification
 * (github:asyncapi/diff, src/standard.ts: a verdict per JSON pointer pattern and action).
 * test/fixtures/diff/asyncapi-standard.yaml, written by scripts/asyncapi-standard-cases.mjs,
 * holds one case per pattern and action: the edits that turn one AsyncAPI 3 contract into
 * the old and the new side of exactly that change, the standard's verdict, and the findings
 * evc must give. Each case runs through the real library call (`loadVersion` +
 * `diffVersions`, mode FULL, so every finding carries both directions).
 *
 * Mapping of verdicts. The standard gives one verdict per change; evc gives two per finding
 * (backward: a reader on the new contract, data or peers of the old; forward: a reader on
 * the old contract, data or peers of the new), on two axes (wire, and source: the generated
 * SDK's names). The base contract both sends and receives each message, so no verdict is
 * softened by the direction of the operations: every role is involved. evc's verdict for a
 * case is:
 *   - "breaking" when some finding, of either axis, is breaking in at least one direction;
 *   - "non-breaking" when there is no finding, or every finding is safe both ways;
 *   - "warning" otherwise (evc says "needs a look"; the standard has no such verdict, so a
 *     warning always differs from it).
 * Every case where evc's verdict differs from the standard's is listed in `differences` with
 * the reason (docs/diff-rules.md, "Against @asyncapi/diff's standard"). Cases evc cannot
 * express (a required field removed, an edit of a container whose members have patterns
 * of their own, patterns the standard leaves unclassified without a case) carry `none`.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readSource } from '../../src/contract/source.js';
import { diffVersions, loadVersion, type Finding, type LoadedVersion } from '../../src/diff/index.js';
import { contractDir } from '../helpers/contract-dir.js';

type Doc = Record<string, any>;
type StandardVerdict = 'breaking' | 'non-breaking' | 'unclassified';
type EvcVerdict = 'breaking' | 'non-breaking' | 'warning';
type Op = ['set', string, unknown] | ['del', string];
interface StandardCase {
  id: string;
  pattern: string;
  action: 'add' | 'remove' | 'edit';
  standard: StandardVerdict;
  none?: string;
  old?: Op[];
  new?: Op[];
  evc?: [string, string, string][];
}

const fixture = readSource(fileURLToPath(new URL('../fixtures/diff/asyncapi-standard.yaml', import.meta.url))).data as { base: Doc; cases: StandardCase[] };

// Reasons shared by several cases.
const DOCS_ONLY =
  'documentation: no byte on the wire, no address, no generated type or method depends on it (evc compares the IR: channels, messages, operations, servers, bindings)';
const NOT_ON_WIRE_ID = "the document's `id` names the document; no message, address or peer carries it";
const VERSION = 'the version of the document is a label: evc judges the change by what changed in channels, messages and operations, and here nothing did';
const FORMAT_VERSION = 'AsyncAPI 3.0.0 and 3.1.0 describe this contract the same way: evc reads both into the same IR, so no message changes';
const MESSAGE_NAME =
  "messages are matched by their key (component or channel message key); `name` is a label the runtime neither sends nor matches on (it tells messages apart by the envelope's type const)";
const DEFAULT_CONTENT_TYPE = 'evc reads a missing content type as application/json: adding or removing that value leaves every message decoded the same way';
const CORRELATION =
  'readers still accept every message; a moved correlation id breaks tracing links across versions (evc also carries its own evc-correlation-id header), so evc warns instead of failing the gate';
const PROTOCOL_VERSION =
  'whether clients of one protocol version talk to a broker of another depends on the protocol (Kafka negotiates API versions per request): evc cannot know, so it warns';
const SERVER_VARIABLES =
  'server variables describe deployments, not messages: no reader rejects anything, but clients configured with a value or a default the new contract no longer describes need a look';
const ADDRESS_ADDED =
  'a channel without an address gets one at run time; fixing it in the contract moves where new peers meet (evc: breaking both ways, as an address edit)';
const PATHNAME_ADDED = 'a client connects to host + pathname: adding a pathname moves the endpoint as much as editing it';
const CHANNEL_MESSAGE_ADDED = 'old readers of the channel receive a message their contract does not list: they reject (dead-letter) it (forward breaking)';
const SCHEMA_SEMANTICS = 'evc decides schema edits by JSON Schema semantics (docs/diff-semantics.md): this edit admits exactly the same instances';
const SERVERS_ALL = 'a channel without `servers` is on every server: listing them all, or dropping such a list, leaves the channel where it was';
const SERVERS_FEWER = 'a channel without `servers` is on every server: adding a list that names fewer takes the channel off the others (breaking)';
const TRAIT_DOCS = 'evc judges traits by what they merge into the message or operation: this trait set only documentation';
const OP_MESSAGES = 'without `messages` an operation uses every message of its channel: evc compares the messages used, and they are the same';
const REPLY_ADDED =
  'a reply added: new requesters wait for replies that old responders never send (backward breaking); the standard calls the addition non-breaking';

const TRAIT_HEADERS =
  'the trait adds a header (`tenant`) to open headers: old writers may have sent `tenant` with another type, which new readers reject (evc judges a trait by what it merges into the message)';

const b = (reason: string) => ({ evc: 'breaking' as const, reason });
const nb = (reason: string) => ({ evc: 'non-breaking' as const, reason });
const w = (reason: string) => ({ evc: 'warning' as const, reason });

/** Cases where evc's verdict differs from the standard's, with evc's verdict and the reason. */
const differences: Record<string, { evc: EvcVerdict; reason: string }> = {
  '/asyncapi edit': nb(FORMAT_VERSION),
  '/id remove': nb(NOT_ON_WIRE_ID),
  '/id edit': nb(NOT_ON_WIRE_ID),
  '/info/version edit': nb(VERSION),
  '/info/termsOfService remove': nb(DOCS_ONLY),
  '/info/termsOfService edit': nb(DOCS_ONLY),
  '/info/contact remove': nb(DOCS_ONLY),
  '/info/contact/name remove': nb(DOCS_ONLY),
  '/info/contact/url remove': nb(DOCS_ONLY),
  '/info/contact/email remove': nb(DOCS_ONLY),
  '/info/license remove': nb(DOCS_ONLY),
  '/servers/*/protocolVersion add': w(PROTOCOL_VERSION),
  '/servers/*/protocolVersion remove': w(PROTOCOL_VERSION),
  '/servers/*/protocolVersion edit': w(PROTOCOL_VERSION),
  '/servers/*/pathname add': b(PATHNAME_ADDED),
  '/servers/*/variables add': w(SERVER_VARIABLES),
  '/servers/*/variables remove': w(SERVER_VARIABLES),
  '/servers/*/variables/* add': w(SERVER_VARIABLES),
  '/servers/*/variables/* remove': w(SERVER_VARIABLES),
  '/servers/*/variables/*/enum add': w(SERVER_VARIABLES),
  '/servers/*/variables/*/enum remove': w(SERVER_VARIABLES),
  '/servers/*/variables/*/enum/* add': w(SERVER_VARIABLES),
  '/servers/*/variables/*/enum/* remove': w(SERVER_VARIABLES),
  '/servers/*/variables/*/enum/* edit': w(SERVER_VARIABLES),
  '/servers/*/variables/*/default add': w(
    `${SERVER_VARIABLES}; a default added or removed moves no client that set the value (an edited default does: server-address-changed, breaking, as the standard says)`,
  ),
  '/servers/*/variables/*/default remove': w(
    `${SERVER_VARIABLES}; a default added or removed moves no client that set the value (an edited default does: server-address-changed, breaking, as the standard says)`,
  ),
  '/defaultContentType add': nb(DEFAULT_CONTENT_TYPE),
  '/defaultContentType remove': nb(DEFAULT_CONTENT_TYPE),
  '/channels/*/address add': b(ADDRESS_ADDED),
  '/channels/*/messages add': b(CHANNEL_MESSAGE_ADDED),
  '/channels/*/messages/* add': b(CHANNEL_MESSAGE_ADDED),
  '/channels/*/messages/*/headers edit (no instance changes)': nb(SCHEMA_SEMANTICS),
  '/channels/*/messages/*/payload edit (no instance changes)': nb(SCHEMA_SEMANTICS),
  '/channels/*/messages/*/correlationId add': w(CORRELATION),
  '/channels/*/messages/*/correlationId remove': w(CORRELATION),
  '/channels/*/messages/*/correlationId edit': w(CORRELATION),
  '/channels/*/messages/*/contentType add': nb(DEFAULT_CONTENT_TYPE),
  '/channels/*/messages/*/contentType remove': nb(DEFAULT_CONTENT_TYPE),
  '/channels/*/messages/*/name remove': nb(MESSAGE_NAME),
  '/channels/*/messages/*/name edit': nb(MESSAGE_NAME),
  '/channels/*/messages/*/traits add': b(TRAIT_HEADERS),
  '/channels/*/messages/*/traits/* remove': nb(TRAIT_DOCS),
  '/channels/*/messages/*/traits/*/correlationId add': w(CORRELATION),
  '/channels/*/messages/*/traits/*/correlationId remove': w(CORRELATION),
  '/channels/*/messages/*/traits/*/correlationId edit': w(CORRELATION),
  '/channels/*/messages/*/traits/*/correlationId/location edit': w(CORRELATION),
  '/channels/*/messages/*/traits/*/contentType add': nb(DEFAULT_CONTENT_TYPE),
  '/channels/*/messages/*/traits/*/contentType remove': nb(DEFAULT_CONTENT_TYPE),
  '/channels/*/servers add (fewer servers)': b(SERVERS_FEWER),
  '/channels/*/servers remove': nb(SERVERS_ALL),
  '/channels/*/servers remove (more servers)': nb(`${SERVERS_ALL}; dropping a list that named fewer puts the channel on more servers (safe)`),
  '/operations/*/traits remove': nb(TRAIT_DOCS),
  '/operations/*/traits/* remove': nb(TRAIT_DOCS),
  '/operations/*/messages remove': nb(OP_MESSAGES),
  '/operations/*/reply add': b(REPLY_ADDED),
};

function segments(pointer: string): string[] {
  return pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** Apply [set|del, pointer, value] edits to a copy of the base; an array index equal to the length appends. */
function applyOps(base: Doc, ops: Op[]): Doc {
  const doc = structuredClone(base);
  for (const op of ops) {
    const segs = segments(op[1]);
    const last = segs.pop()!;
    let node: any = doc;
    for (const s of segs) {
      if (node[s] === undefined) {
        if (op[0] === 'del') break;
        node[s] = {};
      }
      node = node[s];
    }
    if (node === undefined || node === null || typeof node !== 'object') continue;
    if (op[0] === 'set') {
      if (Array.isArray(node)) node[Number(last)] = structuredClone(op[2]);
      else node[last] = structuredClone(op[2]);
    } else if (Array.isArray(node)) {
      if (Number(last) < node.length) node.splice(Number(last), 1);
    } else delete node[last];
  }
  return doc;
}

const loads = new Map<string, Promise<LoadedVersion>>();
function load(doc: Doc): Promise<LoadedVersion> {
  const text = JSON.stringify(doc, null, 2);
  let v = loads.get(text);
  if (!v) loads.set(text, (v = loadVersion(contractDir({ 'orders.json': text }), { specValidation: false })));
  return v;
}

function evcVerdict(findings: Finding[]): EvcVerdict {
  if (findings.some((f) => f.backward === 'breaking' || f.forward === 'breaking')) return 'breaking';
  if (findings.every((f) => f.backward === 'safe' && f.forward === 'safe')) return 'non-breaking';
  return 'warning';
}

const brief = (findings: Finding[]) => findings.map((f) => [f.rule, f.backward, f.forward].join(' ')).sort();

describe("contract rules against @asyncapi/diff's standard classification (AsyncAPI 3)", () => {
  it('covers every pattern and action of the standard, with unique ids', () => {
    expect(new Set(fixture.cases.map((c) => c.id)).size).toBe(fixture.cases.length);
    expect(new Set(fixture.cases.map((c) => c.pattern)).size).toBe(120);
    for (const id of Object.keys(differences)) expect(fixture.cases.map((c) => c.id)).toContain(id);
  });

  it('gives the expected findings on every case; each verdict that differs from the standard is listed with a reason', async () => {
    const wrong: string[] = [];
    const unlisted: string[] = [];
    const stale: string[] = [];
    const counts = { same: 0, differs: 0, notExpressible: 0, unclassified: 0 };
    const why = new Map<string, number>();
    for (const c of fixture.cases) {
      if (c.none) {
        counts.notExpressible++;
        why.set(c.none, (why.get(c.none) ?? 0) + 1);
        continue;
      }
      const report = diffVersions([await load(applyOps(fixture.base, c.old!)), await load(applyOps(fixture.base, c.new!))], 'FULL');
      const got = brief(report.findings);
      const want = c.evc!.map((f) => f.join(' ')).sort();
      if (JSON.stringify(got) !== JSON.stringify(want)) wrong.push(`${c.id}: want [${want.join(', ')}], got [${got.join(', ')}]`);
      const verdict = evcVerdict(report.findings);
      const listed = differences[c.id];
      if (c.standard === 'unclassified') {
        counts.unclassified++;
        if (listed) stale.push(`${c.id}: unclassified by the standard, nothing to differ from`);
      } else if (verdict === c.standard) {
        counts.same++;
        if (listed) stale.push(`${c.id}: listed as a difference but evc now gives the standard's ${c.standard}`);
      } else {
        counts.differs++;
        if (!listed) unlisted.push(`${c.id}: standard ${c.standard}, evc ${verdict} [${got.join(', ')}]`);
        else if (listed.evc !== verdict) unlisted.push(`${c.id}: listed as evc ${listed.evc}, evc gives ${verdict}`);
      }
    }
    process.stdout.write(
      `asyncapi/diff standard (v3): ${counts.same} same, ${counts.differs} differ (each with a reason), ${counts.notExpressible} not expressible, ${counts.unclassified} unclassified by the standard (evc decides them)\n` +
        [...why].map(([reason, n]) => `  not expressible x${n}: ${reason}\n`).join(''),
    );
    expect(wrong).toEqual([]);
    expect(unlisted).toEqual([]);
    expect(stale).toEqual([]);
  }, 300_000);
});
