#!/usr/bin/env node
// `npm run bench -- NAME [args]` runs bench/NAME/index.ts. Every bench ends with one summary line.
import { register } from 'tsx/esm/api';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

register();
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const name = process.argv[2];
const available = readdirSync(join(root, 'bench'), { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(root, 'bench', d.name, 'index.ts')))
  .map((d) => d.name);
if (!name || !available.includes(name)) {
  process.stderr.write(`usage: npm run bench -- NAME\navailable: ${available.join(', ') || '(none yet)'}\n`);
  process.exit(name ? 1 : 0);
}
process.argv.splice(2, 1);
await import(pathToFileURL(join(root, 'bench', name, 'index.ts')).href);
