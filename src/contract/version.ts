/**
 * The toolkit's version, named in every generated file's preamble: from the nearest
 * package.json above this module (the repository's from sources, @event-contracts/cli's
 * when compiled; the repository keeps them equal, test/packaging/manifests.test.ts checks it).
 */
import { readFileSync } from 'node:fs';

function nearestVersion(): string {
  for (let dir = new URL('./', import.meta.url); ; ) {
    try {
      return (JSON.parse(readFileSync(new URL('package.json', dir), 'utf8')) as { version: string }).version;
    } catch (err) {
      if ((err as { code?: string }).code !== 'ENOENT') throw err;
    }
    const up = new URL('../', dir);
    if (up.href === dir.href) throw new Error('event-contracts: no package.json above the toolkit');
    dir = up;
  }
}

export const version: string = nearestVersion();
