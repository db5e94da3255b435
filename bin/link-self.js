#!/usr/bin/env node
// Makes `node_modules/.bin/god` point at this package's own binary, so tools and scripts that look there
// (CI hooks, `npx god`) find it in a plain checkout after `npm ci`. npm links the bins of dependencies
// only, never the root package's own.
import { mkdirSync, symlinkSync, rmSync, existsSync, chmodSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const binDir = join(root, 'node_modules', '.bin');
if (existsSync(join(root, 'node_modules'))) {
  mkdirSync(binDir, { recursive: true });
  const target = join(binDir, 'god');
  rmSync(target, { force: true });
  symlinkSync(relative(binDir, join(root, 'bin', 'god.js')), target);
  chmodSync(join(root, 'bin', 'god.js'), 0o755);
}
