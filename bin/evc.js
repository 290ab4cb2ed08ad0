#!/usr/bin/env node
// This repository's `evc`: the CLI from its TypeScript sources (through tsx's loader, so a
// fresh `npm ci` needs no build step) plus the seed systems' `run` and `replay` commands.
// The published command is @event-contracts/cli's own bin (packages/cli/bin/evc.js), built
// JavaScript without the seed systems.
import { register } from 'tsx/esm/api';

register({ tsconfig: new URL('../tsconfig.json', import.meta.url).pathname });
const { main, registerCommand } = await import('../src/cli/main.ts');
const { seedCommands } = await import('../src/flows/cli/commands.ts');
for (const [name, command] of Object.entries(seedCommands)) registerCommand(name, command);
process.exitCode = await main(process.argv.slice(2));
