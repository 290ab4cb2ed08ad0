/**
 * `evc.config.json` at the repository root: settings shared by every `evc generate` run
 * in a repository. Only `runtimeImport` so far.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface EvcConfig {
  /** Module specifier generated code imports the runtime from, relative to `generated/<system>/` when relative. */
  runtimeImport?: string;
}

export const DEFAULT_RUNTIME_IMPORT = '@event-contracts/runtime';
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
  const { runtimeImport } = data as Record<string, unknown>;
  if (runtimeImport !== undefined && (typeof runtimeImport !== 'string' || runtimeImport.trim() === '')) {
    throw new ConfigError(`${file}: "runtimeImport" must be a non-empty string`);
  }
  return runtimeImport === undefined ? {} : { runtimeImport };
}
