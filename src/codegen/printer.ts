/**
 * The printer every template writes through. Contract text is untrusted: it reaches
 * generated code only as a string literal (`f.string`, `f.literal`), inside a comment
 * (`f.jsdoc`, `commentText`) or as an identifier made safe by `src/contract/names.ts`.
 *
 * Imports are collected while printing and rendered when the file is finished:
 * deduplicated, sorted by module then name, split into `import type` and value imports,
 * and aliased (`Name$1`) when a name clashes with a local declaration or another import.
 */
import { compareCodeUnits } from '../contract/compare.js';
import { type Line, lineText, type SpooledText } from './spool.js';

/** An imported name. Printed as the local name the import ends up with. */
export interface ImportSymbol {
  readonly kind: 'import';
  readonly name: string;
  readonly from: string;
  /** The file this symbol belongs to (a symbol is only valid in the file that made it). */
  readonly file: GeneratedFile;
}

export type Printable = string | number | ImportSymbol | readonly Printable[];

export interface JsdocOptions {
  deprecated?: boolean | string | undefined;
  /** Extra tags, e.g. `['default "x"']`, printed as `@default "x"`. */
  tags?: readonly string[];
  /** Indentation prefix of every line. */
  indent?: string;
}

export interface GeneratedFile {
  /** Path relative to the output folder, with `/` separators. */
  readonly path: string;
  /** Append one line made of the parts (no parts: an empty line). */
  print(...parts: Printable[]): void;
  /**
   * Append one line of text held in a spool file (spool.ts), as it is: the compiled
   * validators' code, which stays on disk until the file is written.
   */
  printSpooled(text: SpooledText): void;
  /**
   * Import `name` from `from`; type-only unless a value import of the same name exists.
   * With `default`, the module's default export under the local name `name`; with
   * `namespace`, the module namespace object (`import * as name`).
   */
  import(name: string, from: string, options?: { type?: boolean; default?: boolean; namespace?: boolean }): ImportSymbol;
  /** Names this file declares itself (imports that clash get aliased). */
  declare(...names: string[]): void;
  /**
   * A `//` comment line printed right after the preamble, before the imports: for
   * directives TypeScript reads only above the first statement (`@ts-nocheck`).
   */
  pragma(text: string): void;
  /** A JSDoc block for `text` (`*∕` escaped), printed as lines; nothing when there is nothing to say. */
  jsdoc(text: string | undefined, options?: JsdocOptions): void;
  /** A safe string literal for any text. */
  string(value: string): string;
  /** A safe key for an object literal (`__proto__` computed). */
  key(name: string): string;
  /** A safe literal for JSON-like data (keys sorted only when `sortKeys`). */
  literal(value: unknown, options?: { sortKeys?: boolean }): string;
  /** The file's text. */
  toString(): string;
  /**
   * The file's text as lines: joined with `\n` they are `toString()` (the last one is empty:
   * the text ends with a newline). A line printed with printSpooled stays in its spool.
   */
  toLines(): Line[];
}

/**
 * A string literal that is safe in any JS/TS context: JSON escaping, plus U+2028/U+2029
 * (line terminators in older engines and in comments) and `</script` (HTML embedding).
 */
export function stringLiteral(value: string): string {
  return JSON.stringify(value)
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029')
    .replace(/<\/(script)/gi, '<\\/$1');
}

/**
 * JSON text (2-space indented) with the same escapes as `stringLiteral`: `<\/script`,
 * `\u2028` and `\u2029` are valid JSON escapes and parse back to the same strings.
 */
export function jsonText(value: unknown): string {
  return JSON.stringify(value, null, 2)
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029')
    .replace(/<\/(script)/gi, '<\\/$1');
}

/** A literal for JSON data: strings through `stringLiteral`, numbers as written, objects and arrays recursively. */
export function jsonLiteral(value: unknown, options: { sortKeys?: boolean } = {}): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return stringLiteral(value);
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (Array.isArray(value)) return `[${value.map((v) => jsonLiteral(v, options)).join(', ')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    if (options.sortKeys) entries.sort(([a], [b]) => compareCodeUnits(a, b));
    if (entries.length === 0) return '{}';
    return `{ ${entries.map(([k, v]) => `${objectKey(k)}: ${jsonLiteral(v, options)}`).join(', ')} }`;
  }
  return 'null';
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** A property name in a type (interface member): bare when it is a plain identifier, else a string literal. */
export function propertyKey(name: string): string {
  return IDENTIFIER.test(name) ? name : stringLiteral(name);
}

/**
 * A key in an object literal (a value): like `propertyKey`, except `__proto__`, which as a
 * plain or quoted key would set the object's prototype instead of a property.
 */
export function objectKey(name: string): string {
  return name === '__proto__' ? `[${stringLiteral(name)}]` : propertyKey(name);
}

/**
 * Text made safe for the inside of a comment: `*∕` cannot close it, no line terminator
 * can end a `//` comment, and `</script` cannot end an HTML script block.
 */
export function commentText(text: string): string {
  return text
    .replace(/\*\//g, '*\\/')
    .replace(/<\/(script)/gi, '<\\/$1')
    .replace(/\r\n?|[\n\u2028\u2029]/g, ' ');
}

const WRAP = 100;

/** Words of a line spread over lines of at most `width` characters (a longer word keeps its own line). */
function wrap(line: string, width: number): string[] {
  if (line.length <= width) return [line];
  const out: string[] = [];
  let current = '';
  for (const word of line.split(/ +/)) {
    if (current !== '' && current.length + 1 + word.length > width) {
      out.push(current);
      current = word;
    } else current = current === '' ? word : `${current} ${word}`;
  }
  if (current !== '') out.push(current);
  return out;
}

/** The lines of a JSDoc block, or none when there is nothing to say. */
export function jsdocLines(text: string | undefined, options: JsdocOptions = {}): string[] {
  const indent = options.indent ?? '';
  const body: string[] = [];
  const clean = (s: string) =>
    s
      .replace(/\*\//g, '*\\/')
      .replace(/<\/(script)/gi, '<\\/$1')
      .replace(/\r\n?|[\u2028\u2029]/g, '\n');
  if (text !== undefined && text.trim() !== '') {
    const lines = clean(text.trim())
      .split('\n')
      .map((l) => l.replace(/\s+$/, ''));
    for (const l of lines) body.push(...wrap(l, Math.max(40, WRAP - indent.length - 3)));
  }
  const dep = options.deprecated;
  if (dep) body.push(typeof dep === 'string' && dep.trim() !== '' ? `@deprecated ${clean(dep).replace(/\n/g, ' ')}` : '@deprecated');
  for (const tag of options.tags ?? []) body.push(...`@${clean(tag)}`.split('\n'));
  if (body.length === 0) return [];
  if (body.length === 1 && body[0]!.length + indent.length + 7 <= WRAP) return [`${indent}/** ${body[0]} */`];
  return [`${indent}/**`, ...body.map((l) => (l === '' ? `${indent} *` : `${indent} * ${l}`)), `${indent} */`];
}

/** The preamble every generated file starts with. */
export interface Preamble {
  generator: string;
  version: string;
  /** Source documents, relative to the repository root. */
  sources: readonly string[];
}

export function preambleLines(p: Preamble, style: 'line' | 'json' = 'line'): string[] {
  const [first, ...rest] = p.sources;
  const lines = [
    `Code generated by ${p.generator} ${p.version}. DO NOT EDIT.`,
    `Source: ${first ?? '(none)'}${rest.length > 0 ? ` (with ${rest.join(', ')})` : ''}`,
  ].map(commentText);
  return style === 'line' ? lines.map((l) => `// ${l}`) : lines;
}

export function createGeneratedFile(path: string, preamble: Preamble): GeneratedFile {
  const lines: Array<Printable[] | SpooledText> = [];
  type Binding = 'named' | 'default' | 'namespace';
  const imports = new Map<string, { name: string; from: string; typeOnly: boolean; binding: Binding; symbol: ImportSymbol }>();
  const declared = new Set<string>();
  const pragmas: string[] = [];

  const file: GeneratedFile = {
    path,
    print(...parts) {
      lines.push(parts);
    },
    printSpooled(text) {
      lines.push(text);
    },
    import(name, from, options = {}) {
      const binding: Binding = options.namespace === true ? 'namespace' : options.default === true ? 'default' : 'named';
      const key = `${from}\0${binding}\0${name}`;
      const hit = imports.get(key);
      if (hit) {
        if (!options.type) hit.typeOnly = false;
        return hit.symbol;
      }
      const symbol: ImportSymbol = { kind: 'import', name, from, file };
      imports.set(key, { name, from, typeOnly: options.type === true && binding === 'named', binding, symbol });
      return symbol;
    },
    declare(...names) {
      for (const n of names) declared.add(n);
    },
    pragma(text) {
      pragmas.push(`// ${commentText(text)}`);
    },
    jsdoc(text, options) {
      for (const l of jsdocLines(text, options)) lines.push([l]);
    },
    string: stringLiteral,
    key: objectKey,
    literal: (value, options) => jsonLiteral(value, options),
    toString() {
      return file.toLines().map(lineText).join('\n');
    },
    toLines() {
      // Resolve local names: sorted by module, then name, so aliases are predictable.
      const rank = { namespace: 0, default: 1, named: 2 } as const;
      const sorted = [...imports.values()].sort(
        (a, b) => compareCodeUnits(a.from, b.from) || rank[a.binding] - rank[b.binding] || compareCodeUnits(a.name, b.name),
      );
      const taken = new Set(declared);
      const local = new Map<ImportSymbol, string>();
      for (const imp of sorted) {
        let alias = imp.name;
        for (let i = 1; taken.has(alias); i++) alias = `${imp.name}$${i}`;
        taken.add(alias);
        local.set(imp.symbol, alias);
      }
      const render = (p: Printable): string => {
        if (typeof p === 'string') return p;
        if (typeof p === 'number') return String(p);
        if (Array.isArray(p)) return p.map(render).join('');
        const sym = p as ImportSymbol;
        if (sym.file !== file) throw new Error(`generator error: symbol ${sym.name} from ${sym.from} used outside ${sym.file.path}`);
        return local.get(sym)!;
      };
      // JSON has no comments: its template puts the preamble in a `$comment`.
      const out: string[] = path.endsWith('.json') ? [] : [...preambleLines(preamble), ...pragmas];
      const byModule = new Map<string, typeof sorted>();
      for (const imp of sorted) {
        const list = byModule.get(imp.from);
        if (list) list.push(imp);
        else byModule.set(imp.from, [imp]);
      }
      const importLines: string[] = [];
      for (const [from, list] of byModule) {
        const spec = (i: (typeof sorted)[number]) => (local.get(i.symbol) === i.name ? i.name : `${i.name} as ${local.get(i.symbol)}`);
        for (const d of list.filter((i) => i.binding === 'namespace')) importLines.push(`import * as ${local.get(d.symbol)} from ${stringLiteral(from)};`);
        for (const d of list.filter((i) => i.binding === 'default')) importLines.push(`import ${local.get(d.symbol)} from ${stringLiteral(from)};`);
        const types = list.filter((i) => i.typeOnly && i.binding === 'named');
        const values = list.filter((i) => !i.typeOnly && i.binding === 'named');
        if (types.length > 0) importLines.push(`import type { ${types.map(spec).join(', ')} } from ${stringLiteral(from)};`);
        if (values.length > 0) importLines.push(`import { ${values.map(spec).join(', ')} } from ${stringLiteral(from)};`);
      }
      if (importLines.length > 0) out.push('', ...importLines);
      // No leading or doubled blank lines: templates may print separators freely. One pass
      // into the final array (client.ts has hundreds of thousands of lines on big contracts).
      const all: Line[] = out;
      if (out.length > 0) all.push('');
      const bodyStart = all.length;
      for (const parts of lines) {
        if (!Array.isArray(parts)) {
          all.push(parts as SpooledText);
          continue;
        }
        const l = parts.length === 1 && typeof parts[0] === 'string' ? parts[0] : parts.map(render).join('');
        if (l === '' && (all.length === bodyStart || all[all.length - 1] === '')) continue;
        all.push(l);
      }
      while (all.length > bodyStart && all[all.length - 1] === '') all.pop();
      // The last newline as the join's last separator, not `+ '\n'`: that concatenation made
      // the text a rope, which its first reader (compare, write) flattened into a second copy
      // (150 MB for validators.ts at 5,000 channels).
      all.push('');
      return all.length === 1 ? ['', ''] : all;
    },
  };
  return file;
}
