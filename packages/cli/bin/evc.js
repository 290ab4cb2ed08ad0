#!/usr/bin/env node
// The `evc` command: compiled JavaScript, no loader.
import { main } from '../dist/src/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
