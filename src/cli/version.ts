import { readFileSync } from 'node:fs';

/** The toolkit's version, from package.json (named in every generated file's preamble). */
export const version: string = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
