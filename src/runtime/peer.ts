/**
 * Optional peer dependencies (kafkajs, ioredis, prom-client, @opentelemetry/api) are loaded
 * here, when a sub-entry point that needs one is used, so a service installs only the
 * clients it uses and a missing one is one clear error naming the package to install
 * instead of a module-not-found stack trace.
 *
 * The load is a CommonJS `require` (each of these clients is CommonJS): from ESM through
 * createRequire, from a CommonJS bundle (where `import.meta` is empty) through its own
 * `require`. Bundlers leave such a computed require alone, so the client stays external
 * and is read from node_modules at run time.
 */
import { createRequire } from 'node:module';
import { ConfigurationError } from './errors.js';

declare const require: ((id: string) => unknown) | undefined;

let req: ((id: string) => unknown) | undefined;

function nodeRequire(): (id: string) => unknown {
  if (req) return req;
  const url = import.meta.url as string | undefined;
  if (url) req = createRequire(url);
  else if (typeof require === 'function') req = require;
  else throw new ConfigurationError('cannot load optional packages: neither import.meta.url nor require is available in this bundle');
  return req;
}

/** `@scope/name` or `name` of a specifier that may name a file inside the package. */
const packageName = (specifier: string): string =>
  specifier
    .split('/')
    .slice(0, specifier.startsWith('@') ? 2 : 1)
    .join('/');

/** True when `name` resolves from the runtime package. */
export function hasPeer(name: string): boolean {
  try {
    nodeRequire()(`${name}/package.json`);
    return true;
  } catch (err) {
    // A package whose `exports` hide package.json is there all the same.
    return (err as { code?: string }).code !== 'MODULE_NOT_FOUND';
  }
}

/**
 * `require(name)`, or a ConfigurationError that names the package and the entry point that
 * needs it when it is not installed.
 */
export function requirePeer<T>(name: string, entry: string): T {
  try {
    return nodeRequire()(name) as T;
  } catch (err) {
    // Only the package itself being absent is "not installed"; a broken install or a
    // missing deep path keeps its own error.
    if ((err as { code?: string }).code === 'MODULE_NOT_FOUND' && !hasPeer(packageName(name))) {
      throw new ConfigurationError(`${entry} needs the package "${packageName(name)}", which is not installed: npm install ${packageName(name)}`, {
        cause: err,
      });
    }
    throw err;
  }
}
