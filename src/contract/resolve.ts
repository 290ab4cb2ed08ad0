/**
 * Offline `$ref` resolution. A contract is untrusted input: a `$ref` may only reach
 * files inside the contract folder, and never a URL unless the user allowed it.
 *
 * The resolver returns plain data with every `$ref` replaced by its target. The same
 * target always resolves to the same object, so identity tells which component a node
 * came from, and `originOf` tells where (file and JSON pointer) any node was written.
 * A `$ref` back into a schema being resolved (recursion) stays a reference: see backRef.
 */
import { realpathSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve as resolvePath, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ContractError } from './errors.js';
import type { SourceLocation } from './ir.js';
import { type ContractLimits, raiseHint, withDefaults } from './limits.js';
import { DATA_KEYWORDS } from './schema-keywords.js';
import { encodePointerSegment, joinPointer, splitPointer } from './json-pointer.js';
import { parseSource, readSource, type SourceFile } from './source.js';

export interface ResolveOptions {
  /** Folder the contract may read from. `$ref`s outside it are refused. */
  root: string;
  /** Allow http(s) `$ref`s (off by default: the tool never fetches unless asked). */
  allowRemote?: boolean;
  /** Fetches a remote document's text; defaults to global fetch. */
  fetchText?: (url: string) => Promise<string>;
  /** Size and nesting limits (see ./limits.ts); defaults where unset. */
  limits?: Partial<ContractLimits>;
}

export interface Origin {
  file: string;
  pointer: string;
}

export interface ComponentRef {
  kind: string;
  name: string;
}

const REMOTE = /^https?:\/\//i;

interface MemoEntry {
  value: Record<string, unknown>;
  height: number;
  building: boolean;
}

export class RefResolver {
  readonly files = new Map<string, SourceFile>();
  private readonly origins = new WeakMap<object, Origin>();
  private readonly components = new WeakMap<object, ComponentRef>();
  /**
   * Each object resolved, by file and then pointer (no `file#pointer` string per node), with
   * its height (levels of mappings/sequences, set once it is built) and whether it is still
   * being resolved: a `$ref` that reaches one of those closes a cycle.
   */
  private readonly memo = new Map<string, Map<string, MemoEntry>>();
  /** References that close a cycle (recursive schemas), and the resolved object each points back to. */
  private readonly backRefs = new WeakMap<object, object>();
  /** The document `load` started from: back references into it stay local (`#/...`) for the parser. */
  private entry: string | undefined;
  private readonly rootReal: string;
  private readonly limits: ContractLimits;
  /** Bytes of the files read so far: together they may not pass maxContractBytes either. */
  private bytesRead = 0;
  /**
   * Levels of mappings/sequences in the value the last `deref` returned (0 for a scalar):
   * how a parent learns its children's heights without a map entry per node.
   */
  private lastHeight = 0;

  constructor(private readonly options: ResolveOptions) {
    this.rootReal = safeRealpath(resolvePath(options.root));
    this.limits = withDefaults(options.limits);
  }

  /** Where a resolved node was written. */
  originOf(node: object): Origin | undefined {
    return this.origins.get(node);
  }

  /** Record where a node built from resolved nodes (traits merged into a message, say) belongs. */
  setOrigin(node: object, origin: Origin): void {
    this.origins.set(node, origin);
  }

  /** `{kind: 'schemas', name: 'Uuid'}` when the node is `#/components/schemas/Uuid` of some file. */
  componentOf(node: object): ComponentRef | undefined {
    return this.components.get(node);
  }

  /**
   * The resolved object a back reference (see `backRef`) points to: how the IR builder
   * tells a recursive schema's self-reference from a `$ref` written as data.
   */
  recursionTarget(node: object): object | undefined {
    return this.backRefs.get(node);
  }

  /**
   * Record `node` as a reference back to `target`, for schemas the loader builds itself
   * (an Avro record that contains itself, ./avro.ts): the IR builder then treats it as it
   * treats a recursive `$ref` (see `backRef`).
   */
  markBackReference(node: object, target: object): void {
    this.backRefs.set(node, target);
  }

  /** Line and column of a place. */
  locate(origin: Origin): SourceLocation {
    const file = this.files.get(origin.file);
    const pos = file ? file.position(origin.pointer) : { line: 0, col: 0 };
    return { file: origin.file, pointer: origin.pointer, line: pos.line, col: pos.col };
  }

  /** Load a document and every file it references (recursively), checking each reference. */
  async load(entry: string): Promise<SourceFile> {
    const first = this.readLocal(entry, undefined);
    this.entry ??= first.path;
    const queue: SourceFile[] = [first];
    while (queue.length > 0) {
      const file = queue.shift()!;
      for (const ref of collectRefs(file.data, '')) {
        const target = this.targetOf(file.path, ref.value, ref.pointer);
        if (this.files.has(target.file)) continue;
        const loaded = REMOTE.test(target.file)
          ? await this.readRemote(target.file, { file: file.path, pointer: ref.pointer })
          : this.readLocal(target.file, { file: file.path, pointer: ref.pointer });
        queue.push(loaded);
      }
    }
    return first;
  }

  /** Fully resolve the node at `pointer` of a loaded file. */
  resolve(file: string, pointer = ''): unknown {
    const source = this.files.get(file);
    if (!source) throw new Error(`file not loaded: ${file}`);
    const node = getAt(source.data, pointer);
    return this.deref(file, pointer, node, [], 1);
  }

  /**
   * The root document with references into other files replaced by their resolved
   * content and references inside the file kept: what the AsyncAPI parser validates.
   */
  bundle(file: string): unknown {
    const source = this.files.get(file);
    if (!source) throw new Error(`file not loaded: ${file}`);
    const walk = (node: unknown, pointer: string): unknown => {
      if (Array.isArray(node)) return node.map((item, i) => walk(item, `${pointer}/${i}`));
      if (!isObject(node)) return node;
      const ref = node.$ref;
      if (typeof ref === 'string' && !ref.startsWith('#')) {
        return this.deref(file, pointer, node, [], splitPointer(pointer).length + 1);
      }
      const out: Record<string, unknown> = {};
      this.origins.set(out, { file, pointer });
      for (const [key, value] of Object.entries(node)) out[key] = isDataKey(key, pointer) ? value : walk(value, `${pointer}/${encodePointerSegment(key)}`);
      return out;
    };
    return walk(source.data, '');
  }

  /**
   * `level`: the level the node takes in the resolved tree when it is an object or array
   * (the root's is 1). Each file was checked against maxNestingDepth when it was read, but
   * `$ref`s stack files and components on top of each other: checked again here, before
   * the recursion goes deeper than the limit.
   */
  private deref(file: string, pointer: string, node: unknown, stack: string[], level: number): unknown {
    if (Array.isArray(node) || isObject(node)) this.checkLevel(level, file, pointer);
    if (Array.isArray(node)) {
      let height = 0;
      const out = node.map((item, i) => {
        const value = this.deref(file, `${pointer}/${i}`, item, stack, level + 1);
        if (this.lastHeight > height) height = this.lastHeight;
        return value;
      });
      this.lastHeight = 1 + height;
      return out;
    }
    if (!isObject(node)) {
      this.lastHeight = 0;
      return node;
    }
    if (typeof node.$ref === 'string') {
      const memoKey = `${file}#${pointer}`;
      const target = this.throughRefs(this.targetOf(file, node.$ref, pointer), file, pointer);
      const targetKey = `${target.file}#${target.pointer}`;
      if (stack.includes(targetKey) || this.memoOf(target.file).get(target.pointer)?.building) {
        this.lastHeight = 1;
        return this.backRef(file, pointer, node.$ref, target, stack, targetKey);
      }
      const source = this.files.get(target.file);
      if (!source) throw new Error(`file not loaded: ${target.file}`);
      const raw = getAt(source.data, target.pointer, () => {
        throw new ContractError(
          'ref-not-found',
          `$ref "${node.$ref}" points at nothing: no ${target.pointer || '/'} in ${target.file}`,
          this.locate({ file, pointer: `${pointer}/$ref` }),
        );
      });
      const resolved = this.deref(target.file, target.pointer, raw, [...stack, memoKey, targetKey], level);
      const height = this.lastHeight;
      // A target resolved before (memoized) at a shallower place: its height decides here.
      if (typeof resolved === 'object' && resolved !== null) this.checkLevel(level - 1 + height, file, pointer);
      const siblings = Object.keys(node).filter((k) => k !== '$ref');
      if (siblings.length === 0 || !isObject(resolved)) {
        this.lastHeight = height;
        return resolved;
      }
      // JSON Schema 2020-12 lets keywords sit beside $ref (a description, say): they apply too.
      const merged: Record<string, unknown> = { ...resolved };
      let inner = 0;
      for (const key of siblings) {
        if (isDataKey(key, pointer)) {
          merged[key] = node[key];
          inner = Math.max(inner, dataHeight(node[key]));
        } else {
          merged[key] = this.deref(file, `${pointer}/${encodePointerSegment(key)}`, node[key], stack, level + 1);
          inner = Math.max(inner, this.lastHeight);
        }
      }
      this.lastHeight = Math.max(height, 1 + inner);
      this.origins.set(merged, { file, pointer });
      const component = this.components.get(resolved);
      if (component) this.components.set(merged, component);
      return merged;
    }
    const memo = this.memoOf(file);
    const hit = memo.get(pointer);
    if (hit !== undefined) {
      this.lastHeight = hit.height;
      return hit.value;
    }
    const out: Record<string, unknown> = {};
    const entry: MemoEntry = { value: out, height: 1, building: true };
    memo.set(pointer, entry);
    this.origins.set(out, { file, pointer });
    const component = /^\/components\/([^/]+)\/([^/]+)$/.exec(pointer);
    if (component) this.components.set(out, { kind: component[1]!, name: decodeURIComponentSafe(splitPointer(pointer)[2]!) });
    let inner = 0;
    for (const [key, value] of Object.entries(node)) {
      // Examples, defaults, consts and enums are data: a `$ref` inside them stays text.
      if (isDataKey(key, pointer)) {
        out[key] = value;
        inner = Math.max(inner, dataHeight(value));
      } else {
        out[key] = this.deref(file, `${pointer}/${encodePointerSegment(key)}`, value, stack, level + 1);
        if (this.lastHeight > inner) inner = this.lastHeight;
      }
    }
    entry.building = false;
    this.lastHeight = entry.height = 1 + inner;
    return out;
  }

  /**
   * A `$ref` back into an object still being resolved: a recursive schema (a tree's
   * children, a JSON value, mutual recursion across files). Inlining it would never end,
   * so it stays a reference, `recursionTarget` names the object it means, and the IR keeps
   * it as a `$ref` to a definition (build.ts). Its text is for the AsyncAPI parser, which
   * reads the bundle: a `$ref` into the root document when the target is there; else an
   * annotation naming the target, since the bundle holds no other file for a `$ref` to
   * reach (the parser takes it for the any-schema). A cycle of plain aliases
   * (`A: {$ref: B}`, `B: {$ref: A}`) names no object: refused.
   */
  private backRef(file: string, pointer: string, ref: string, target: Origin, stack: string[], targetKey: string): Record<string, unknown> {
    let at = target;
    for (let hops = 0; hops < 64; hops++) {
      const entry = this.memoOf(at.file).get(at.pointer);
      const resolved = entry?.building ? entry.value : undefined;
      if (isObject(resolved)) {
        const fragment = `#${at.pointer.split('/').map(encodeURIComponent).join('/')}`;
        const elsewhere = `${REMOTE.test(at.file) ? at.file : pathToFileURL(at.file).href}${fragment}`;
        const back = at.file === this.entry ? { $ref: fragment } : { 'x-evc-recursive-ref': elsewhere };
        this.backRefs.set(back, resolved);
        this.origins.set(back, { file, pointer });
        return back;
      }
      const raw = getAt(this.files.get(at.file)?.data, at.pointer);
      if (!isObject(raw) || typeof raw.$ref !== 'string') break;
      at = this.targetOf(at.file, raw.$ref, at.pointer);
    }
    const path = [...stack, targetKey];
    throw new ContractError(
      'ref-cycle',
      `$ref "${ref}" closes a cycle of references that never reaches a schema: ${path.slice(Math.max(0, path.indexOf(targetKey))).join(' -> ')}`,
      this.locate({ file, pointer }),
    );
  }

  /**
   * The place a `$ref`'s pointer names once the `$ref`s met on the way there are followed:
   * `#/channels/echo/messages/echo` where `/channels/echo` is itself a `$ref` (to a channel
   * in another file, say) names that channel's `messages/echo`, as the AsyncAPI parser reads
   * it. The same node then has one place, whichever way it is reached, so it resolves to one
   * object. Unchanged when no `$ref` stands on the way (or the pointer reaches nothing: deref
   * reports that with the pointer as written).
   */
  private throughRefs(target: Origin, fromFile: string, fromPointer: string): Origin {
    let at = target;
    for (let hops = 0; hops < 64; hops++) {
      const segments = splitPointer(at.pointer);
      let node = this.files.get(at.file)?.data;
      let i = 0;
      while (i < segments.length && !(isObject(node) && typeof node.$ref === 'string')) {
        node = getAt(node, `/${encodePointerSegment(segments[i]!)}`);
        if (node === undefined) return at;
        i++;
      }
      if (i === segments.length) return at;
      const via = this.targetOf(at.file, (node as { $ref: string }).$ref, joinPointer(segments.slice(0, i)));
      at = { file: via.file, pointer: `${via.pointer}${joinPointer(segments.slice(i))}` };
    }
    throw new ContractError(
      'ref-cycle',
      `$ref's pointer passes through more than 64 $refs on its way (a cycle?): last at ${at.file}#${at.pointer}`,
      this.locate({ file: fromFile, pointer: `${fromPointer}/$ref` }),
    );
  }

  private memoOf(file: string): Map<string, MemoEntry> {
    let memo = this.memo.get(file);
    if (!memo) this.memo.set(file, (memo = new Map()));
    return memo;
  }

  private checkLevel(level: number, file: string, pointer: string): void {
    const max = this.limits.maxNestingDepth;
    if (level > max) {
      throw new ContractError(
        'nesting-too-deep',
        `nested deeper than ${max} levels of objects/arrays once $refs are resolved (${raiseHint('maxNestingDepth')})`,
        this.locate({ file, pointer }),
      );
    }
  }

  private targetOf(fromFile: string, ref: string, atPointer: string): Origin {
    const hash = ref.indexOf('#');
    const path = hash === -1 ? ref : ref.slice(0, hash);
    let fragment = hash === -1 ? '' : ref.slice(hash + 1);
    try {
      fragment = decodeURIComponent(fragment);
    } catch {
      throw new ContractError('ref-invalid', `$ref "${ref}" has an invalid fragment`, this.locate({ file: fromFile, pointer: `${atPointer}/$ref` }));
    }
    if (fragment !== '' && !fragment.startsWith('/')) {
      throw new ContractError(
        'ref-invalid',
        `$ref "${ref}": expected a JSON pointer after '#' (like #/components/schemas/Name)`,
        this.locate({ file: fromFile, pointer: `${atPointer}/$ref` }),
      );
    }
    if (path === '') return { file: fromFile, pointer: fragment };
    if (REMOTE.test(path) || REMOTE.test(fromFile)) {
      const url = REMOTE.test(path) ? path : new URL(path, fromFile).toString();
      if (!REMOTE.test(url)) {
        throw new ContractError(
          'ref-invalid',
          `$ref "${ref}" in a remote document resolves to ${url}: only http(s) URLs are followed from remote documents`,
          this.locate({ file: fromFile, pointer: `${atPointer}/$ref` }),
        );
      }
      if (!this.options.allowRemote) {
        throw new ContractError(
          'ref-remote-disabled',
          `$ref "${ref}" points at a URL; remote references are off (pass --allow-remote to fetch them)`,
          this.locate({ file: fromFile, pointer: `${atPointer}/$ref` }),
        );
      }
      return { file: url, pointer: fragment };
    }
    if (/^[a-z][a-z0-9+.-]*:/i.test(path) && !/^[a-z]:[\\/]/i.test(path)) {
      throw new ContractError(
        'ref-invalid',
        `$ref "${ref}": only relative file paths and (with --allow-remote) http(s) URLs are supported`,
        this.locate({ file: fromFile, pointer: `${atPointer}/$ref` }),
      );
    }
    const abs = isAbsolute(path) ? path : resolvePath(dirname(fromFile), path);
    return { file: abs, pointer: fragment };
  }

  private readLocal(path: string, from: Origin | undefined): SourceFile {
    const abs = resolvePath(path);
    const real = safeRealpath(abs);
    const rel = relative(this.rootReal, real);
    if (rel.startsWith('..') || isAbsolute(rel)) {
      const hint = 'choose the root with --root or "root" in evc.config.json';
      if (!from) {
        throw new ContractError('contract-outside-root', `the contract ${abs} is not inside the contract root ${this.rootReal}${sep} (${hint})`, {
          file: abs,
          pointer: '',
          line: 1,
          col: 1,
        });
      }
      const where = this.locate({ file: from.file, pointer: `${from.pointer}/$ref` });
      const via = real !== abs ? ` (through a symbolic link to ${real})` : '';
      throw new ContractError('ref-outside-root', `$ref reaches outside the contract root: ${abs}${via} is not inside ${this.rootReal}${sep} (${hint})`, where);
    }
    try {
      const source = readSource(abs, this.limits);
      this.countBytes(Buffer.byteLength(source.text), abs, from);
      this.files.set(abs, source);
      return source;
    } catch (err) {
      if (from && err instanceof ContractError && err.rule === 'file-unreadable') {
        throw new ContractError('ref-not-found', `$ref points at a missing file: ${abs}`, this.locate({ file: from.file, pointer: `${from.pointer}/$ref` }), {
          cause: err,
        });
      }
      if (from && err instanceof ContractError && err.rule === 'contract-too-large' && err.location.file === abs) {
        const where = this.locate({ file: from.file, pointer: `${from.pointer}/$ref` });
        throw new ContractError('contract-too-large', `$ref points at ${abs}, which ${err.message.replace(/^file is/, 'is')}`, where, { cause: err });
      }
      throw err;
    }
  }

  /** The files one root document reads are held to maxContractBytes together as well. */
  private countBytes(bytes: number, file: string, from: Origin | undefined): void {
    this.bytesRead += bytes;
    const max = this.limits.maxContractBytes;
    if (this.bytesRead <= max) return;
    const where = from ? this.locate({ file: from.file, pointer: `${from.pointer}/$ref` }) : { file, pointer: '', line: 1, col: 1 };
    throw new ContractError(
      'contract-too-large',
      `the document and the files its $refs read come to ${this.bytesRead} bytes with ${file}, over the limit of ${max} bytes (${raiseHint('maxContractBytes')})`,
      where,
    );
  }

  private async readRemote(url: string, from: Origin): Promise<SourceFile> {
    const fetchText =
      this.options.fetchText ??
      (async (u: string) => {
        const res = await fetch(u);
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        return res.text();
      });
    let text: string;
    try {
      text = await fetchText(url);
    } catch (err) {
      throw new ContractError(
        'ref-not-found',
        `cannot fetch $ref ${url}: ${(err as Error).message}`,
        this.locate({ file: from.file, pointer: `${from.pointer}/$ref` }),
        { cause: err },
      );
    }
    const bytes = Buffer.byteLength(text);
    if (bytes > this.limits.maxContractBytes) {
      throw new ContractError(
        'contract-too-large',
        `$ref points at ${url}, which is ${bytes} bytes, over the limit of ${this.limits.maxContractBytes} bytes for a contract file (${raiseHint('maxContractBytes')})`,
        this.locate({ file: from.file, pointer: `${from.pointer}/$ref` }),
      );
    }
    this.countBytes(bytes, url, from);
    const source = parseSource(url, text, this.limits);
    this.files.set(url, source);
    return source;
  }
}

function safeRealpath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Keys whose values map names to objects: a child named `default` there is not data. */
const NAME_MAPS = new Set([
  'properties',
  'patternProperties',
  '$defs',
  'definitions',
  'dependentSchemas',
  'components',
  'schemas',
  'messages',
  'channels',
  'operations',
  'servers',
  'parameters',
  'variables',
  'securitySchemes',
  'serverVariables',
  'correlationIds',
  'replies',
  'replyAddresses',
  'tags',
  'operationTraits',
  'messageTraits',
  'serverBindings',
  'channelBindings',
  'operationBindings',
  'messageBindings',
]);

/** Whether the value under `key` of an object (itself under `parentKey`) is instance data. */
function isDataKey(key: string, pointer: string): boolean {
  if (!DATA_KEYWORDS.has(key)) return false;
  const parentKey = pointer.slice(pointer.lastIndexOf('/') + 1);
  return !NAME_MAPS.has(parentKey);
}

/** The height a data keyword's value counts for (it is not resolved, nor measured): 1 for an object or array, else 0. */
function dataHeight(value: unknown): number {
  return typeof value === 'object' && value !== null ? 1 : 0;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function getAt(data: unknown, pointer: string, onMissing?: () => never): unknown {
  let node = data;
  for (const segment of splitPointer(pointer)) {
    if (Array.isArray(node) && /^\d+$/.test(segment) && Number(segment) < node.length) node = node[Number(segment)];
    else if (isObject(node) && Object.hasOwn(node, segment)) node = node[segment];
    else if (onMissing) return onMissing();
    else return undefined;
  }
  return node;
}

/**
 * The `$ref`s to other files under a node (not inside data keywords), with their JSON
 * pointers. A pointer is spelled out only for a `$ref` found: the walk keeps the keys on
 * the way, not a string per node.
 */
function collectRefs(root: unknown, base: string): { value: string; pointer: string }[] {
  const out: { value: string; pointer: string }[] = [];
  // Segments on the way down; numbers for array indexes, keys as they are (encoded when used).
  const path: Array<string | number> = [];
  const pointerHere = () => {
    let pointer = base;
    for (const segment of path) pointer += `/${typeof segment === 'number' ? segment : encodePointerSegment(segment)}`;
    return pointer;
  };
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) {
      node.forEach((item, i) => {
        path.push(i);
        walk(item);
        path.pop();
      });
    } else if (isObject(node)) {
      if (typeof node.$ref === 'string' && !node.$ref.startsWith('#')) out.push({ value: node.$ref, pointer: pointerHere() });
      for (const [key, value] of Object.entries(node)) {
        if (key === '$ref') continue;
        // isDataKey reads the last segment of the node's pointer: only spelled out for a data keyword.
        if (DATA_KEYWORDS.has(key) && isDataKey(key, path.length > 0 ? `/${lastSegment(path)}` : base)) continue;
        path.push(key);
        walk(value);
        path.pop();
      }
    }
  };
  walk(root);
  return out;
}

function lastSegment(path: Array<string | number>): string {
  const last = path[path.length - 1]!;
  return typeof last === 'number' ? String(last) : encodePointerSegment(last);
}
