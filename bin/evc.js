#!/usr/bin/env node
// The `evc` command. The toolkit is TypeScript run through tsx's loader, so a fresh
// `npm ci` is enough: no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
