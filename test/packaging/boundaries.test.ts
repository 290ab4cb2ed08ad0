/**
 * The package boundaries, checked on the import specifiers of the sources (./imports.ts
 * finds them; read its header for what its scanner cannot see):
 * - the runtime (src/runtime → @event-contracts/runtime) imports only node: built-ins, its
 *   own files and the dependencies and peers packages/runtime/package.json declares;
 * - the tooling (src/cli, contract, lint, codegen, diff, docs, validate, templates →
 *   @event-contracts/cli) reaches the runtime only as `@event-contracts/runtime[/…]` and
 *   never the seed systems;
 * - the seed systems (src/flows) and generated/ reach the runtime only as
 *   `@event-contracts/runtime[/…]`; generated code imports nothing else but itself;
 * - no import cycles (value imports, then type-only and dynamic ones too), no module imports
 *   the index of its own folder, and nothing a template builds on imports a template;
 * - every package a package's sources import is declared in its package.json, and every
 *   dependency it declares is imported.
 * Each check lists every offending import, as `file:line imports 'specifier' (resolved file): why`.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findCycles, importGraph, isBuiltin, isRelative, listFiles, packageName, root, type Edge } from './imports.js';

interface Manifest {
  name: string;
  exports?: Record<string, unknown>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}
const manifest = (path: string): Manifest => JSON.parse(readFileSync(join(root, path), 'utf8')) as Manifest;

const RUNTIME = '@event-contracts/runtime';
const TOOLING = ['src/cli', 'src/contract', 'src/lint', 'src/codegen', 'src/diff', 'src/docs', 'src/validate', 'src/verify', 'templates'];
const under = (file: string, dir: string) => file.startsWith(`${dir}/`);
const isRuntimeSpecifier = (s: string) => s === RUNTIME || s.startsWith(`${RUNTIME}/`);
const isWorkspaceName = (s: string) => s.startsWith('@event-contracts/');

type Area = 'runtime' | 'tooling' | 'flows' | 'generated';
function areaOf(file: string): Area | undefined {
  if (under(file, 'src/runtime')) return 'runtime';
  if (TOOLING.some((d) => under(file, d))) return 'tooling';
  if (under(file, 'src/flows')) return 'flows';
  if (under(file, 'generated')) return 'generated';
  return undefined;
}

const sources = ['src', 'templates', 'generated'].flatMap((d) => listFiles(d, ['.ts']));
const edges = importGraph(sources);
const from = (area: Area) => edges.filter((e) => areaOf(e.from) === area);
const where = (e: Edge) => `${e.from}:${e.line} imports '${e.specifier}'${e.to && isRelative(e.specifier) ? ` (${e.to})` : ''}`;

describe('package boundaries', () => {
  it('finds the imports it checks (the scan is not empty)', () => {
    expect(sources.length).toBeGreaterThan(100);
    for (const area of ['runtime', 'tooling', 'flows', 'generated'] as const) expect(from(area).length, area).toBeGreaterThan(10);
  });

  it('every relative import resolves to a file', () => {
    expect(edges.filter((e) => isRelative(e.specifier) && e.to === undefined).map((e) => `${where(e)}: no such file`)).toEqual([]);
  });

  it('every @event-contracts/runtime specifier names an entry point the runtime package exports', () => {
    const exported = new Set(
      Object.keys(manifest('packages/runtime/package.json').exports ?? {}).map((k) => (k === '.' ? RUNTIME : `${RUNTIME}/${k.slice(2)}`)),
    );
    const bad = edges.filter((e) => isRuntimeSpecifier(e.specifier) && (!exported.has(e.specifier) || e.to === undefined));
    expect(bad.map((e) => `${where(e)}: not an export of packages/runtime/package.json (or not in tsconfig.json paths)`)).toEqual([]);
  });

  it('the runtime imports only node: built-ins, src/runtime and its declared dependencies and peers', () => {
    const m = manifest('packages/runtime/package.json');
    const allowed = new Set([...Object.keys(m.dependencies ?? {}), ...Object.keys(m.peerDependencies ?? {})]);
    const bad = from('runtime').flatMap((e) => {
      if (isBuiltin(e.specifier)) return [];
      if (isRelative(e.specifier))
        return e.to === undefined || under(e.to, 'src/runtime')
          ? []
          : [`${where(e)}: outside src/runtime (the runtime never imports tooling, the seed systems or generated code)`];
      if (isWorkspaceName(e.specifier)) return [`${where(e)}: the runtime imports its own files by relative path, never a workspace package`];
      return allowed.has(packageName(e.specifier)) ? [] : [`${where(e)}: not a dependency or peer of ${m.name}`];
    });
    expect(bad).toEqual([]);
  });

  it('the tooling never imports the seed systems and reaches the runtime only as @event-contracts/runtime', () => {
    const bad = from('tooling').flatMap((e) => {
      if (isRelative(e.specifier)) {
        if (e.to === undefined || TOOLING.some((d) => under(e.to!, d))) return [];
        const why = under(e.to, 'src/runtime') ? `import the runtime as '${RUNTIME}[/…]'` : 'outside the tooling folders';
        return [`${where(e)}: ${why}`];
      }
      return isWorkspaceName(e.specifier) && !isRuntimeSpecifier(e.specifier)
        ? [`${where(e)}: the tooling depends on no workspace package but the runtime`]
        : [];
    });
    expect(bad).toEqual([]);
  });

  it('the seed systems reach the runtime only as @event-contracts/runtime, never a path into src/runtime or the tooling', () => {
    const bad = from('flows').flatMap((e) => {
      if (isRelative(e.specifier)) {
        if (e.to === undefined || under(e.to, 'src/flows') || under(e.to, 'generated')) return [];
        return [
          `${where(e)}: ${under(e.to, 'src/runtime') ? `import the runtime as '${RUNTIME}[/…]'` : 'the seed systems use only src/flows, generated/ and the runtime'}`,
        ];
      }
      return isWorkspaceName(e.specifier) && !isRuntimeSpecifier(e.specifier)
        ? [`${where(e)}: the seed systems depend on no workspace package but the runtime`]
        : [];
    });
    expect(bad).toEqual([]);
  });

  it('generated code imports only @event-contracts/runtime and its own files', () => {
    const bad = from('generated').flatMap((e) => {
      if (isRuntimeSpecifier(e.specifier)) return [];
      if (isRelative(e.specifier) && (e.to === undefined || under(e.to, 'generated'))) return [];
      return [`${where(e)}: generated code may import only '${RUNTIME}[/…]' and generated/ files`];
    });
    expect(bad).toEqual([]);
  });
});

describe('import graph', () => {
  const graph = edges.filter((e) => e.kind !== 'resolve');
  const show = (cycles: string[][]) => cycles.map((c) => c.join(' → '));

  it('has no cycles among static value imports', () => {
    expect(show(findCycles(graph.filter((e) => e.kind === 'value')))).toEqual([]);
  });

  it('has no cycles counting type-only and dynamic imports too', () => {
    expect(show(findCycles(graph))).toEqual([]);
  });

  it('no module imports the index of its own folder or of a folder above it (the index re-exports; importing it back starts a cycle)', () => {
    const bad = graph.filter((e) => e.to?.endsWith('/index.ts') && e.to !== e.from && under(e.from, dirname(e.to)));
    expect(bad.map((e) => `${where(e)}: import the module that defines what you need`)).toEqual([]);
  });

  it('templates/ is one layer: codegen and docs import templates, nothing a template builds on imports one back', () => {
    const layered = graph.map((e) => ({
      from: under(e.from, 'templates') ? 'templates/' : e.from,
      to: e.to && under(e.to, 'templates') ? 'templates/' : e.to,
    }));
    const throughTemplates = findCycles(layered.filter((e) => e.from !== e.to)).filter((c) => c.includes('templates/'));
    expect(show(throughTemplates)).toEqual([]);
  });
});

describe('declared dependencies', () => {
  interface Pkg {
    manifest: string;
    dirs: string[];
    /** Sections whose packages the sources may import. */
    sections: ('dependencies' | 'peerDependencies' | 'devDependencies')[];
    /** Whether every declared dependency must be imported. */
    noUnused: boolean;
  }
  const packages: Pkg[] = [
    { manifest: 'packages/runtime/package.json', dirs: ['src/runtime'], sections: ['dependencies', 'peerDependencies'], noUnused: true },
    { manifest: 'packages/cli/package.json', dirs: TOOLING, sections: ['dependencies', 'peerDependencies'], noUnused: true },
    { manifest: 'src/flows/package.json', dirs: ['src/flows'], sections: ['dependencies', 'peerDependencies'], noUnused: true },
    { manifest: 'package.json', dirs: ['test', 'bench'], sections: ['dependencies', 'devDependencies'], noUnused: false },
  ];
  // Fixture projects are data for other tests (test/fixtures) or packages of their own (a package.json).
  const edgesOf = (p: Pkg) => importGraph(p.dirs.flatMap((d) => listFiles(d, ['.ts'], { skip: ['test/fixtures'], nestedPackages: false })));

  // The packages each runtime entry point loads (through its own files): using
  // `@event-contracts/runtime/kafka` means declaring kafkajs, the optional peer it loads.
  const runtimeEdges = edges.filter((e) => under(e.from, 'src/runtime'));
  function packagesBehind(entry: string): Set<string> {
    const seen = new Set([entry]);
    const out = new Set<string>();
    for (const file of seen) {
      for (const e of runtimeEdges) {
        if (e.from !== file) continue;
        if (e.to !== undefined && under(e.to, 'src/runtime')) seen.add(e.to);
        else if (!isRelative(e.specifier) && !isBuiltin(e.specifier)) out.add(packageName(e.specifier));
      }
    }
    return out;
  }

  it.each(packages.map((p) => [p.manifest, p] as const))('%s declares every package its sources import', (_, p) => {
    const m = manifest(p.manifest);
    const declared = new Set(p.sections.flatMap((s) => Object.keys(m[s] ?? {})));
    // A lookup (`require.resolve`) may probe for what is not installed: only imports must be declared.
    const bad = edgesOf(p).filter(
      (e) => e.kind !== 'resolve' && !isRelative(e.specifier) && !isBuiltin(e.specifier) && !declared.has(packageName(e.specifier)),
    );
    expect(bad.map((e) => `${where(e)}: '${packageName(e.specifier)}' is not in ${p.manifest} ${p.sections.join(' or ')}`)).toEqual([]);
  });

  it.each(packages.filter((p) => p.noUnused).map((p) => [p.manifest, p] as const))('%s imports every dependency it declares', (_, p) => {
    const m = manifest(p.manifest);
    const used = new Set<string>();
    for (const e of edgesOf(p)) {
      if (isRelative(e.specifier) || isBuiltin(e.specifier)) continue;
      used.add(packageName(e.specifier));
      if (isRuntimeSpecifier(e.specifier) && e.to !== undefined) for (const name of packagesBehind(e.to)) used.add(name);
    }
    const unused: string[] = [];
    for (const section of ['dependencies', 'peerDependencies', 'devDependencies'] as const) {
      for (const name of Object.keys(m[section] ?? {})) {
        // @types/x is used when x is (@types/scope__x for @scope/x).
        const typed = name.startsWith('@types/') ? name.slice(7).replace(/^(.*)__(.*)$/, '@$1/$2') : undefined;
        if (!used.has(typed ?? name)) unused.push(`${name} (${section})${typed ? `: ${typed} is not imported` : ''}`);
      }
    }
    expect(unused, `declared in ${p.manifest} but never imported by ${p.dirs.join(', ')}`).toEqual([]);
  });
});
