/**
 * Builds the engine module (api.ts and the built-in engine) into one ESM file with esbuild, in the trusted trainer
 * process, once per content: the file name carries the hash of the bundle, so jobs never see a half-written one.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ENGINE_ENTRY = join(dirname(fileURLToPath(import.meta.url)), 'api.ts');
/** Where the engine appears inside a local job's cache. */
export const ENGINE_IN_CACHE = 'god/engine.mjs';

export async function buildEngineBundle(outDir: string): Promise<string> {
  const { build } = await import('esbuild');
  const result = await build({ entryPoints: [ENGINE_ENTRY], bundle: true, format: 'esm', platform: 'node', target: 'node20', write: false, logLevel: 'silent', legalComments: 'none' });
  const code = result.outputFiles[0]!.contents;
  const hash = createHash('sha256').update(code).digest('hex').slice(0, 16);
  const target = join(outDir, `engine-${hash}.mjs`);
  if (existsSync(target)) return target;
  await mkdir(outDir, { recursive: true });
  const tmp = `${target}.${process.pid}.tmp`;
  await writeFile(tmp, code, { mode: 0o444 });
  await rename(tmp, target);
  await chmod(target, 0o444);
  return target;
}
