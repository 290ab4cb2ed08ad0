/**
 * `evc.config.json` at the repository root: settings shared by every `evc generate` run
 * in a repository: `runtimeImport` and `emit`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * What `evc generate` writes: `ts`, TypeScript files (types.ts, validators.ts, client.ts,
 * index.ts) that compile under any compiler settings; `js`, for JavaScript projects,
 * JavaScript with declarations (types.d.ts, validators.js + .d.ts, client.js + .d.ts,
 * index.js + .d.ts).
 */
export type Emit = 'ts' | 'js';
export const EMIT_FORMS: readonly Emit[] = ['ts', 'js'];

export interface EvcConfig {
  /** Module specifier generated code imports the runtime from, relative to `generated/<system>/` when relative. */
  runtimeImport?: string;
  /** What generated files are written in (default `ts`). */
  emit?: Emit;
  /** `evc generate` treats lint findings as errors, as `evc lint` does (`--strict`). */
  strict?: boolean;
}

export const DEFAULT_RUNTIME_IMPORT = '@event-contracts/runtime';
export const DEFAULT_EMIT: Emit = 'ts';

export function isEmit(value: unknown): value is Emit {
  return (EMIT_FORMS as readonly unknown[]).includes(value);
}
export const CONFIG_FILE = 'evc.config.json';

/** Thrown for a config file that exists but cannot be used. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export function readConfig(root: string): EvcConfig {
  const file = join(root, CONFIG_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return {};
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${file}: not valid JSON (${(err as Error).message})`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new ConfigError(`${file}: expected an object`);
  const { runtimeImport, emit, strict } = data as Record<string, unknown>;
  if (strict !== undefined && typeof strict !== 'boolean') throw new ConfigError(`${file}: "strict" must be true or false`);
  if (runtimeImport !== undefined && (typeof runtimeImport !== 'string' || runtimeImport.trim() === '')) {
    throw new ConfigError(`${file}: "runtimeImport" must be a non-empty string`);
  }
  if (emit !== undefined && !isEmit(emit)) throw new ConfigError(`${file}: "emit" must be one of ${EMIT_FORMS.map((e) => `"${e}"`).join(', ')}`);
  return { ...(runtimeImport === undefined ? {} : { runtimeImport }), ...(emit === undefined ? {} : { emit }), ...(strict === undefined ? {} : { strict }) };
}
