#!/usr/bin/env node
// Entry point of the `god` command. Sources are TypeScript run through tsx, so a checkout runs as it is,
// with no build step and nothing stale.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
await main(process.argv);
