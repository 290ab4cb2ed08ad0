/**
 * The import graph of the repository's TypeScript sources, for the boundaries test
 * (test/packaging/boundaries.test.ts); `npx tsx test/packaging/imports.ts [dirs...]`
 * prints the value-import cycles and every edge.
 *
 * How imports are found: a small scanner blanks comments and the text of string, template
 * and regular-expression literals (keeping each string literal's value by position), then
 * regular expressions over what is left find the import forms. So an `import` written
 * inside a comment, a string or a template is never taken for one, and a specifier is
 * only ever a whole string literal.
 *
 * Limits, on purpose (none is used in this repository, and each would be caught by tsc or
 * the review rather than silently allowed):
 * - `import(x)` with anything but one string literal is not seen (it cannot be resolved
 *   statically anyway), nor `require(...)` or `import x = require(...)`; of the lookups only
 *   `require.resolve('…')` and `import.meta.resolve('…')` with a literal are.
 * - Telling a regular expression from a division uses the previous token, as JavaScript
 *   tokenizers do; `)` before `/` is taken as division (so `if (x) /re/.test(y)` would be
 *   misread).
 * - Value or type is decided by syntax: `import type`/`export type`, or every named
 *   binding marked `type`, is type-only; `typeof import('x')` and `import('x').Name` are
 *   types; other imports count as value imports, even when TypeScript would elide them
 *   because only types are used (so a reported value cycle may be type-only in emitted
 *   JavaScript; write `import type` to say so).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * How a specifier is used: a static value import or re-export, a dynamic `import()`, types
 * only, or a lookup that loads nothing (`require.resolve(…)`, `import.meta.resolve(…)`: a
 * package file read or located, which counts as using the package but is not an import).
 */
export type ImportKind = 'value' | 'dynamic' | 'type' | 'resolve';

export interface ImportRef {
  specifier: string;
  kind: ImportKind;
  /** 1-based line of the specifier in the importing file. */
  line: number;
}

/** Source text with comments and literal contents blanked (same length, newlines kept), plus the string literals by start offset. */
export function scan(text: string): { code: string; strings: Map<number, string> } {
  const out = text.split('');
  const strings = new Map<number, string>();
  const blank = (from: number, to: number) => {
    for (let k = from; k < to; k++) if (out[k] !== '\n') out[k] = ' ';
  };
  // Tokens before which a `/` starts a regular expression rather than a division.
  const regexAfterWord = new Set(['return', 'typeof', 'instanceof', 'in', 'of', 'new', 'delete', 'void', 'throw', 'case', 'do', 'else', 'yield', 'await']);
  let prev = ''; // last significant token: a word, or one punctuation character
  // Template nesting: for each open `${`, the brace depth at which it closes.
  const templateStack: number[] = [];
  let braces = 0;
  let i = 0;
  const n = text.length;

  const readTemplate = (start: number): number => {
    // From just after a backtick or a `}` closing `${`: to just after the closing backtick, or just after a `${`.
    let k = start;
    while (k < n) {
      const c = text[k];
      if (c === '\\') k += 2;
      else if (c === '`') {
        blank(start, k);
        return k + 1;
      } else if (c === '$' && text[k + 1] === '{') {
        blank(start, k);
        templateStack.push(braces);
        braces++;
        return k + 2;
      } else k++;
    }
    blank(start, n);
    return n;
  };

  while (i < n) {
    const c = text[i]!;
    const d = text[i + 1];
    if (c === '/' && d === '/') {
      const end = text.indexOf('\n', i);
      blank(i, end < 0 ? n : end);
      i = end < 0 ? n : end;
    } else if (c === '/' && d === '*') {
      const end = text.indexOf('*/', i + 2);
      blank(i, end < 0 ? n : end + 2);
      i = end < 0 ? n : end + 2;
    } else if (c === "'" || c === '"') {
      let k = i + 1;
      let value = '';
      while (k < n && text[k] !== c && text[k] !== '\n') {
        if (text[k] === '\\') {
          value += text[k + 1] ?? '';
          k += 2;
        } else value += text[k++];
      }
      strings.set(i, value);
      blank(i + 1, k);
      i = k + 1;
      prev = 'string';
    } else if (c === '`') {
      i = readTemplate(i + 1);
      prev = 'string';
    } else if (c === '/') {
      const regex = prev === '' || (/^[^\w$)\]}]$/.test(prev) && prev !== 'string') || regexAfterWord.has(prev);
      if (regex) {
        let k = i + 1;
        let inClass = false;
        while (k < n && text[k] !== '\n') {
          if (text[k] === '\\') k += 2;
          else if (text[k] === '[') (inClass = true), k++;
          else if (text[k] === ']') (inClass = false), k++;
          else if (text[k] === '/' && !inClass) break;
          else k++;
        }
        blank(i + 1, k);
        i = k + 1;
        prev = 'string';
      } else {
        prev = '/';
        i++;
      }
    } else if (/[\w$]/.test(c)) {
      let k = i;
      while (k < n && /[\w$]/.test(text[k]!)) k++;
      prev = text.slice(i, k);
      i = k;
    } else if (/\s/.test(c)) i++;
    else {
      if (c === '{') braces++;
      else if (c === '}') {
        braces--;
        if (templateStack.length > 0 && templateStack[templateStack.length - 1] === braces) {
          templateStack.pop();
          i = readTemplate(i + 1);
          prev = 'string';
          continue;
        }
      }
      prev = c;
      i++;
    }
  }
  return { code: out.join(''), strings };
}

// A string literal in the blanked code: its quotes with only blanks between (no capture group, so the forms' groups keep their numbers).
const STR = `(?:'[ ]*'|"[ ]*")`;
const forms: { re: RegExp; kind: (m: RegExpExecArray, code: string) => ImportKind }[] = [
  // import x from '…'; import { a, type b } from '…'; import type { … } from '…'; import * as ns from '…'
  {
    re: new RegExp(String.raw`(?<![\w$.])import\s+(type\s+)?([\w$]+\s*,?\s*)?(\{[^}]*\}|\*\s*as\s+[\w$]+)?\s*from\s*(?=${STR})`, 'g'),
    kind: (m) => (m[1] || allTyped(m[3]) ? 'type' : 'value'),
  },
  // import '…' (side effects only)
  { re: new RegExp(String.raw`(?<![\w$.])import\s*(?=${STR})`, 'g'), kind: () => 'value' },
  // export * from '…'; export * as ns from '…'; export { a, type b } from '…'; export type { … } from '…'
  {
    re: new RegExp(String.raw`(?<![\w$.])export\s+(type\s+)?(\*(?:\s*as\s+[\w$]+)?|\{[^}]*\})\s*from\s*(?=${STR})`, 'g'),
    kind: (m) => (m[1] || allTyped(m[2]) ? 'type' : 'value'),
  },
  // import('…'): a type in `typeof import('…')` or `import('…').Name`, else a dynamic import
  {
    re: new RegExp(String.raw`(?<![\w$.])import\s*\(\s*(?=${STR}\s*[,)])`, 'g'),
    kind: (m, code) => {
      if (/\btypeof\s*$/.test(code.slice(0, m.index))) return 'type';
      const after = code.slice(m.index + m[0].length).match(new RegExp(String.raw`^${STR}\s*\)\s*\.\s*([\w$]+)`));
      return after && !['then', 'catch', 'finally'].includes(after[1]!) ? 'type' : 'dynamic';
    },
  },
  // require.resolve('…'), import.meta.resolve('…')
  { re: new RegExp(String.raw`(?<![\w$.])(?:require|import\s*\.\s*meta)\s*\.\s*resolve\s*\(\s*(?=${STR})`, 'g'), kind: () => 'resolve' },
];

/** Named bindings `{ type a, type b }` with every one marked `type` (an empty list is not). */
function allTyped(braces: string | undefined): boolean {
  if (!braces?.startsWith('{')) return false;
  const names = braces
    .slice(1, -1)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return names.length > 0 && names.every((s) => /^type\s/.test(s));
}

/** Every import specifier of a TypeScript/JavaScript source text, in order. */
export function parseImports(text: string): ImportRef[] {
  const { code, strings } = scan(text);
  const found = new Map<number, ImportRef>();
  for (const { re, kind } of forms) {
    for (const m of code.matchAll(re) as IterableIterator<RegExpExecArray>) {
      const at = m.index + m[0].length;
      const specifier = strings.get(at);
      if (specifier === undefined || found.has(at)) continue;
      found.set(at, { specifier, kind: kind(m, code), line: text.slice(0, at).split('\n').length });
    }
  }
  return [...found.entries()].sort(([a], [b]) => a - b).map(([, ref]) => ref);
}

export function isBuiltin(specifier: string): boolean {
  return specifier.startsWith('node:');
}

export function isRelative(specifier: string): boolean {
  return specifier.startsWith('./') || specifier.startsWith('../');
}

/** The package a bare specifier names: `@scope/name` or `name`. */
export function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

/** tsconfig.json's `paths`: `@event-contracts/runtime[/sub]` → a file under src/runtime (repo-relative). */
export function workspacePaths(): Map<string, string> {
  const tsconfig = JSON.parse(readFileSync(join(root, 'tsconfig.json'), 'utf8').replace(/^\s*\/\/.*$/gm, '')) as {
    compilerOptions: { paths: Record<string, [string]> };
  };
  return new Map(Object.entries(tsconfig.compilerOptions.paths).map(([k, [v]]) => [k, relative(root, resolve(root, v)).split(sep).join('/')]));
}

/** A relative specifier as NodeNext resolves it in this repo: `./x.js` → x.ts or x.js, `./dir/index.js`, `.json`. Repo-relative, or undefined. */
export function resolveRelative(fromFile: string, specifier: string): string | undefined {
  const base = resolve(root, dirname(fromFile), specifier);
  const candidates = [base.replace(/\.js$/, '.ts'), base.replace(/\.mjs$/, '.mts'), base, `${base}.ts`, join(base, 'index.ts')];
  const hit = candidates.find((p) => existsSync(p) && statSync(p).isFile());
  return hit && relative(root, hit).split(sep).join('/');
}

/**
 * Files below `dir` (repo-relative) whose names end with one of `exts`: no `.d.ts`, nothing
 * under node_modules, dist, dot-folders, `skip`, or (with `nestedPackages: false`) a folder
 * with a package.json of its own, which is another package.
 */
export function listFiles(dir: string, exts: string[], options: { skip?: string[]; nestedPackages?: boolean } = {}): string[] {
  const skip = options.skip ?? [];
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(join(root, d), { withFileTypes: true })) {
      const p = `${d}/${e.name}`;
      if (e.isDirectory()) {
        const nested = options.nestedPackages === false && existsSync(join(root, p, 'package.json'));
        if (e.name !== 'node_modules' && e.name !== 'dist' && !e.name.startsWith('.') && !skip.includes(p) && !nested) walk(p);
      } else if (exts.some((x) => e.name.endsWith(x)) && !e.name.endsWith('.d.ts')) out.push(p);
    }
  };
  if (existsSync(join(root, dir))) walk(dir);
  return out.sort();
}

export interface Edge extends ImportRef {
  from: string;
  /** The repo-relative file the specifier resolves to (relative or workspace specifiers), else undefined. */
  to: string | undefined;
}

/** Every import of every file, resolved where it names a file of this repository. */
export function importGraph(files: string[]): Edge[] {
  const paths = workspacePaths();
  const edges: Edge[] = [];
  for (const from of files) {
    for (const ref of parseImports(readFileSync(join(root, from), 'utf8'))) {
      const to = isRelative(ref.specifier) ? resolveRelative(from, ref.specifier) : paths.get(ref.specifier);
      edges.push({ ...ref, from, to });
    }
  }
  return edges;
}

/**
 * The elementary cycles through the edges, each once, as a path `a → b → a` starting at its
 * smallest file (Tarjan's strongly connected components, then one shortest cycle per edge
 * inside each component, so a tangle of several cycles lists each of them).
 */
export function findCycles(edges: { from: string; to: string | undefined }[]): string[][] {
  const next = new Map<string, Set<string>>();
  for (const e of edges) if (e.to !== undefined) next.set(e.from, (next.get(e.from) ?? new Set()).add(e.to));
  const sorted = (n: string) => [...(next.get(n) ?? [])].sort();
  // Tarjan's SCC.
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const strong = (v: string) => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of sorted(v)) {
      if (!index.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || next.get(v)?.has(v)) components.push(component);
    }
  };
  for (const v of [...next.keys()].sort()) if (!index.has(v)) strong(v);

  const cycles = new Map<string, string[]>();
  for (const component of components) {
    const inside = new Set(component);
    for (const a of [...inside].sort()) {
      for (const b of sorted(a).filter((x) => inside.has(x))) {
        // Shortest path b → a inside the component closes the cycle through edge a → b.
        const back = new Map<string, string>([[b, b]]);
        const queue = [b];
        while (queue.length > 0 && !back.has(a)) {
          const x = queue.shift()!;
          for (const y of sorted(x)) if (inside.has(y) && !back.has(y)) back.set(y, x), queue.push(y);
        }
        const path = [a];
        for (let x = a; x !== b; x = back.get(x)!) path.push(back.get(x)!);
        // path is a ← … ← b reversed: a, (pred of a), …, b; the cycle is a → b → … → a.
        const cycle = [a, ...path.slice(1).reverse()];
        const start = cycle.indexOf([...cycle].sort()[0]!);
        const canonical = [...cycle.slice(start), ...cycle.slice(0, start)];
        cycles.set(canonical.join('\n'), [...canonical, canonical[0]!]);
      }
    }
  }
  return [...cycles.values()].sort((x, y) => (x.join('\n') < y.join('\n') ? -1 : 1));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dirs = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['src', 'templates', 'generated'];
  const edges = importGraph(dirs.flatMap((d) => listFiles(d, ['.ts'])));
  const value = edges.filter((e) => e.kind === 'value');
  console.log('value-import cycles:');
  for (const c of findCycles(value)) console.log(`  ${c.join(' → ')}`);
  console.log('cycles counting dynamic and type imports too:');
  for (const c of findCycles(edges.filter((e) => e.kind !== 'resolve'))) console.log(`  ${c.join(' → ')}`);
}
