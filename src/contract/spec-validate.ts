/**
 * AsyncAPI spec validation through @asyncapi/parser (Spectral rules). Runs on the
 * bundled document (references to other files already inlined, so the parser never
 * touches the file system or the network) and maps every finding back to file:line:col.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Parser } from '@asyncapi/parser';
import type { Diagnostic, Severity } from './ir.js';
import { isObject, type Origin, type RefResolver } from './resolve.js';
import { isAvroFormat } from './avro.js';
import { workerBoot } from './worker-boot.js';
import { encodePointerSegment, splitPointer } from './json-pointer.js';

let parser: Parser | undefined;

async function getParser(): Promise<Parser> {
  // Building the parser loads the Spectral rulesets: once per process.
  // The parser must never read a file or fetch a URL: references to other files are
  // inlined before it runs, and what is left ($ref inside examples, defaults or consts)
  // is data. Its default file/http(s) readers stay in place after ours, but ours come
  // first (order 0) and answer every such reference with an empty document.
  const inert = (schema: string) => ({ schema, order: 0, read: () => '{}' });
  // Imported here, not at the top: the parser takes about a second to load, and the
  // thread that loads contracts leaves it to the spec check's worker (./spec-worker.ts).
  const { Parser } = await import('@asyncapi/parser');
  parser ??= new Parser({ __unstable: { resolver: { resolvers: [inert('file'), inert('http'), inert('https')] } } } as never);
  return parser;
}

/**
 * Findings we do not pass on. `asyncapi-latest-version` is advice (3.0 documents are
 * valid and most tools do not read 3.1 yet); the other two are reported by our own lint
 * rules (operation-message-in-channel, address-parameters) with the names involved.
 */
const IGNORED = new Set(['asyncapi-latest-version', 'asyncapi3-operation-messages-from-referred-channel', 'asyncapi3-channel-parameters']);

/** One finding of the parser, with the fields read here (what the worker sends back). */
export interface Found {
  code: string | number;
  message: string;
  path: Array<string | number>;
  severity: number;
}

type SchemaValidator = ((data: unknown) => boolean) & { errors?: unknown };
type AssignAjv = (schema: Record<string, unknown>, dialect: string, allErrors: boolean) => SchemaValidator;
interface AjvInstancesModule {
  createAjvInstances(): AssignAjv;
  __evcShared?: boolean;
}

/**
 * Spectral's `schema` function compiles with ajv instances of its own per document (one
 * set per DocumentInventory), so the parser's AsyncAPI schemas (resolved and unresolved,
 * a second or more of ajv's time) were compiled again for every document, the worker's
 * warm-up included. Validators of those schema objects (the parser's cached copies, ids
 * under http://asyncapi.com/definitions/) are kept once compiled; any other schema (a
 * document's own) still gets its document's instances.
 */
function shareSpecValidators(module: AjvInstancesModule): void {
  if (module.__evcShared) return;
  module.__evcShared = true;
  const original = module.createAjvInstances;
  const compiled = new WeakMap<object, Map<string, SchemaValidator>>();
  module.createAjvInstances = () => {
    const perDocument = original();
    return (schema, dialect, allErrors) => {
      if (typeof schema.$id !== 'string' || !schema.$id.startsWith('http://asyncapi.com/definitions/')) return perDocument(schema, dialect, allErrors);
      let byOptions = compiled.get(schema);
      if (!byOptions) compiled.set(schema, (byOptions = new Map()));
      const key = `${dialect}|${allErrors}`;
      let validator = byOptions.get(key);
      if (!validator) {
        validator = perDocument(schema, dialect, allErrors);
        byOptions.set(key, validator);
      }
      return validator;
    };
  };
}

interface DepGraphProto {
  outgoingEdges: Record<string, string[]>;
  incomingEdges: Record<string, string[]>;
  hasNode(node: string): boolean;
  addDependency(from: string, to: string): boolean;
  removeNode(node: string): void;
  removeDependency(from: string, to: string): void;
  __evcIndexed?: boolean;
}

/**
 * The resolver records every `$ref` as an edge of a dependency-graph DepGraph, from the
 * document's root and from each enclosing pointer, and `addDependency` skips an edge it
 * has by scanning the node's edge list (indexOf): quadratic in the `$ref`s of a contract of
 * thousands of channels. The same method with the lists' members in a Set each, built on
 * first use and forgotten when a removal may shrink a list. Same edges, same order.
 */
function indexEdges(proto: DepGraphProto): void {
  if (proto.__evcIndexed) return;
  proto.__evcIndexed = true;
  let members = new WeakMap<string[], Set<string>>();
  const add = (list: string[], item: string) => {
    let set = members.get(list);
    if (!set) {
      set = new Set(list);
      members.set(list, set);
    }
    if (set.has(item)) return;
    list.push(item);
    set.add(item);
  };
  proto.addDependency = function (this: DepGraphProto, from: string, to: string): boolean {
    if (!this.hasNode(from)) throw new Error(`Node does not exist: ${from}`);
    if (!this.hasNode(to)) throw new Error(`Node does not exist: ${to}`);
    add(this.outgoingEdges[from]!, to);
    add(this.incomingEdges[to]!, from);
    return true;
  };
  for (const name of ['removeNode', 'removeDependency'] as const) {
    const original = proto[name] as (this: DepGraphProto, ...args: string[]) => void;
    proto[name] = function (this: DepGraphProto, ...args: string[]) {
      members = new WeakMap();
      return original.apply(this, args);
    } as never;
  }
}

/** Spectral's Document, from the copy of @stoplight/spectral-core the parser (pinned) itself loads. */
interface SpectralDocument {
  __parserInput?: unknown;
}
type DocumentClass = new (input: unknown, parser: unknown, source?: string) => SpectralDocument;
let documentClass: DocumentClass | undefined;

function spectralDocument(): DocumentClass {
  if (!documentClass) {
    // Spectral's $ref resolver (json-ref-resolver) builds the resolved document with immer,
    // which deep-freezes everything it returns: a third of the resolver's time on a large
    // contract, for a copy that only the rules read (parserFindings gives it a private one).
    const fromParser = createRequire(createRequire(import.meta.url).resolve('@asyncapi/parser'));
    const fromResolver = createRequire(createRequire(fromParser.resolve('@stoplight/spectral-ref-resolver')).resolve('@stoplight/json-ref-resolver'));
    (fromResolver('immer') as { setAutoFreeze(on: boolean): void }).setAutoFreeze(false);
    shareSpecValidators(fromParser('@stoplight/spectral-functions/dist/schema/ajv') as AjvInstancesModule);
    indexEdges((fromResolver('dependency-graph') as { DepGraph: { prototype: DepGraphProto } }).DepGraph.prototype);
  }
  documentClass ??= (createRequire(createRequire(import.meta.url).resolve('@asyncapi/parser'))('@stoplight/spectral-core') as { Document: DocumentClass })
    .Document;
  return documentClass;
}

/**
 * What `Parser.validate` does (@asyncapi/parser 3.6.3, cjs/validate.js), without its text
 * round trip: it prints the document as JSON and has Spectral parse that text back as YAML
 * with a position for every node, a third of its time on a large contract. Here Spectral
 * gets a plain copy of the data (its resolver freezes what it is given) and, for a result's
 * place, the node's rank in document order, which is all Spectral uses a range for (its
 * results are sorted by it); we map paths to file:line:col ourselves (originAtPath).
 */
export async function parserFindings(bundled: unknown, json?: string): Promise<Found[]> {
  const data = JSON.parse(json ?? JSON.stringify(bundled)) as unknown;
  const at = (character: number) => ({ start: { line: 0, character }, end: { line: 0, character } });
  const plain = {
    parse: (input: unknown) => ({ data: input, diagnostics: [] }),
    getLocationForJsonPath: (_result: unknown, path: readonly (string | number)[]) => ({ range: at(documentRank(data, path)) }),
    trapAccess: <T>(value: T) => value,
  };
  const Document = spectralDocument();
  const document = new Document(data, plain);
  // The parser's schema-format rules read the caller's input from here.
  document.__parserInput = bundled;
  try {
    const spectral = ((await getParser()) as unknown as { spectral: { runWithResolved(d: unknown, o: object): Promise<{ results: Found[] }> } }).spectral;
    const { results } = await spectral.runWithResolved(document, {});
    // As the parser does: an unregistered schema format is a warning (its #1066).
    return results.map((d) => ({
      code: d.code,
      message: d.message,
      path: d.path ?? [],
      severity: typeof d.message === 'string' && d.message.startsWith('No schema parser registered for') ? 1 : d.severity,
    }));
  } catch (err) {
    if (!(err instanceof Error)) return [];
    const message = `Error thrown during AsyncAPI document validation. Name: ${err.name}, message: ${err.message}, stack: ${err.stack}`;
    return [{ code: 'uncaught-error', message, path: [], severity: 0 }];
  }
}

const subtreeSizes = new WeakMap<object, number>();

function subtreeSize(node: unknown): number {
  if (node === null || typeof node !== 'object') return 1;
  let size = subtreeSizes.get(node);
  if (size === undefined) {
    size = 1;
    for (const child of Object.values(node)) size += subtreeSize(child);
    subtreeSizes.set(node, size);
  }
  return size;
}

/**
 * The pre-order rank of the node at a path: the order of their places in the JSON text.
 * 0 (the top) for a path that is not in the document, as Spectral's YAML locator gives
 * (it drops its `closest` flag): a path through a `$ref` of the unresolved document.
 */
function documentRank(root: unknown, path: readonly (string | number)[]): number {
  let rank = 0;
  let node = root;
  for (const segment of path) {
    if (Array.isArray(node)) {
      const index = Number(segment);
      if (!Number.isInteger(index) || index < 0 || index >= node.length) return 0;
      rank += 1;
      for (let i = 0; i < index; i++) rank += subtreeSize(node[i]);
      node = node[index];
    } else if (isObject(node) && typeof segment === 'string' && Object.hasOwn(node, segment)) {
      rank += 1;
      for (const [key, child] of Object.entries(node)) {
        if (key === segment) break;
        rank += subtreeSize(child);
      }
      node = node[segment];
    } else {
      return 0;
    }
  }
  return rank;
}

/**
 * The parser validates the resolved document, so one bad schema is reported at every
 * place that references it, and again at each enclosing `if/else` branch. Keep the most
 * specific finding: drop one whose path is a prefix of another's, then repeats of a message.
 */
function leavesOnly(found: Found[]): Found[] {
  const key = (d: Found) => d.path.map(String).join('/');
  const resolved = found.filter((d) => d.code === 'asyncapi-document-resolved');
  const leaves = resolved.filter((d) => !resolved.some((o) => o !== d && key(o).startsWith(key(d) + '/')));
  return [...found.filter((d) => d.code !== 'asyncapi-document-resolved'), ...leaves];
}

const SEVERITY: Record<number, Severity> = { 0: 'error', 1: 'warning', 2: 'info', 3: 'info' };

type SpecReply = { id: number; found?: Found[] };

interface SpecWorker {
  worker: Worker;
  pending: Map<number, (found: Found[] | undefined) => void>;
  failed: boolean;
  nextId: number;
}

let specWorker: SpecWorker | null | undefined;

/**
 * Start the thread the spec check runs in (./spec-worker.ts), once per process. Loading the
 * parser, building its rulesets and compiling the AsyncAPI schema take seconds; started
 * before a contract is read, the worker does that while this thread parses the YAML, and it
 * runs the parser's rules while this thread builds the IR. `version` (the document's
 * `asyncapi`, when known) is the schema it compiles ahead. Undefined when no worker can
 * start: the check then runs in this thread, with the same findings.
 */
export function startSpecWorker(version?: string): SpecWorker | undefined {
  if (specWorker === undefined) {
    try {
      const worker = new Worker(workerBoot(import.meta.url, 'spec-worker'), { eval: true, workerData: { version } });
      const sw: SpecWorker = { worker, pending: new Map(), failed: false, nextId: 0 };
      const fail = () => {
        sw.failed = true;
        for (const done of sw.pending.values()) done(undefined);
        sw.pending.clear();
      };
      worker.on('message', (m: SpecReply) => {
        const done = sw.pending.get(m.id);
        if (!done) return;
        sw.pending.delete(m.id);
        if (sw.pending.size === 0) worker.unref();
        done(m.found);
      });
      worker.on('error', fail);
      worker.on('exit', fail);
      // An idle worker does not keep the process alive: a command ends when its work does.
      worker.unref();
      specWorker = sw;
    } catch {
      specWorker = null;
    }
  }
  return specWorker ?? undefined;
}

/** The parser's findings: from the worker when it runs, else (or when it fails) in this thread. */
async function findingsOf(bundled: unknown, inWorker: boolean): Promise<Found[]> {
  const sw = inWorker ? startSpecWorker() : undefined;
  if (sw && !sw.failed) {
    const found = await new Promise<Found[] | undefined>((resolve) => {
      const id = sw.nextId++;
      try {
        // A structured clone: the worker gets the same data (-0, NaN, shared nodes and all).
        sw.worker.postMessage({ id, bundled });
      } catch {
        resolve(undefined);
        return;
      }
      sw.pending.set(id, resolve);
      sw.worker.ref();
    });
    if (found) return found;
  }
  return parserFindings(bundled);
}

/**
 * The spec check's diagnostics. The parser's findings are mapped to file:line:col through
 * `bundled` and the resolver's origins: the caller must not change the objects `bundled`
 * holds before this resolves (see load.ts).
 */
export async function specDiagnostics(
  bundled: unknown,
  rootFile: string,
  resolver: RefResolver,
  { inWorker = true }: { inWorker?: boolean } = {},
): Promise<Diagnostic[]> {
  const found = leavesOnly(
    (await findingsOf(bundled, inWorker)).filter((d) => !IGNORED.has(String(d.code)) && !isSameMessageTwice(d, bundled) && !isReadSchemaFormat(d)),
  );
  const out: Diagnostic[] = [];
  const seen = new Set<string>();
  for (const d of found) {
    const severity = SEVERITY[d.severity] ?? 'info';
    const path = d.path.map(String);
    const origin = originAtPath(bundled, path, rootFile, resolver);
    const key = `${String(d.code)}|${origin.file}|${origin.pointer}|${d.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ severity, rule: `asyncapi/${String(d.code)}`, message: d.message, location: resolver.locate(origin) });
  }
  return out;
}

function followLocalRef(root: unknown, ref: string): unknown {
  let node = root;
  for (const segment of splitPointer(decodeURIComponent(ref.slice(1)))) {
    if (Array.isArray(node)) node = node[Number(segment)];
    else if (isObject(node)) node = node[segment];
    else return undefined;
  }
  return node;
}

/** Walk a path through the bundled document; where a node came from another file, follow its origin. */
function originAtPath(root: unknown, path: string[], rootFile: string, resolver: RefResolver): Origin {
  let current: Origin = { file: rootFile, pointer: '' };
  let node: unknown = root;
  for (const segment of path) {
    let next: unknown;
    // The parser saw references inside the file resolved; follow them the same way.
    for (let hops = 0; isObject(node) && typeof node.$ref === 'string' && node.$ref.startsWith('#') && hops < 32; hops++) {
      node = followLocalRef(root, node.$ref);
    }
    if (Array.isArray(node)) next = node[Number(segment)];
    else if (isObject(node)) next = node[segment];
    if (next === undefined) break;
    const origin = isObject(next) || Array.isArray(next) ? resolver.originOf(next as object) : undefined;
    current = origin ?? { file: current.file, pointer: `${current.pointer}/${encodePointerSegment(segment)}` };
    node = next;
  }
  return current;
}

/**
 * AsyncAPI 2.x: the parser's `messageId` uniqueness rule counts a message once per place
 * that uses it, so one component message that an application both publishes and
 * subscribes to (`$ref` from both operations) is reported as a duplicate of itself. A
 * finding is dropped when every use of that messageId reaches the same message object.
 */
function isSameMessageTwice(d: Found, bundled: unknown): boolean {
  if (d.code !== 'asyncapi2-message-messageId-uniqueness' || !isObject(bundled) || !isObject(bundled.channels)) return false;
  const deref = (node: unknown): unknown => {
    for (let hops = 0; isObject(node) && typeof node.$ref === 'string' && node.$ref.startsWith('#') && hops < 32; hops++)
      node = followLocalRef(bundled, node.$ref);
    return node;
  };
  const byId = new Map<string, Set<unknown>>();
  for (const channel of Object.values(bundled.channels)) {
    const ch = deref(channel);
    if (!isObject(ch)) continue;
    for (const verb of ['publish', 'subscribe']) {
      const op = deref(ch[verb]);
      const message = isObject(op) ? deref(op.message) : undefined;
      if (!isObject(message)) continue;
      const all = Array.isArray(message.oneOf) ? message.oneOf.map(deref) : [message];
      for (const m of all) {
        if (!isObject(m) || typeof m.messageId !== 'string') continue;
        const set = byId.get(m.messageId) ?? new Set();
        set.add(m);
        byId.set(m.messageId, set);
      }
    }
  }
  let node: unknown = bundled;
  for (const segment of d.path.map(String)) {
    node = deref(node);
    node = Array.isArray(node) ? node[Number(segment)] : isObject(node) ? node[segment] : undefined;
  }
  return typeof node === 'string' && byId.get(node)?.size === 1;
}

/** The parser has no Avro schema parser: its "no schema parser registered" is moot, the loader reads Avro (./avro.ts). */
function isReadSchemaFormat(d: Found): boolean {
  const format = /^No schema parser registered for "(.*)"$/.exec(d.message)?.[1];
  return format !== undefined && isAvroFormat(format);
}
