/**
 * The dashboard's script: src/web/client/main.ts bundled by esbuild in memory on first request and kept for the
 * life of the process (no build step; the project runs from source through tsx). A failed build is not cached,
 * so the next request tries again.
 */
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ENTRY = fileURLToPath(new URL('./client/main.ts', import.meta.url));

export interface Bundle {
  code: string;
  etag: string;
}

let cached: Promise<Bundle> | undefined;

export async function buildDashboardBundle(): Promise<Bundle> {
  const result = await build({
    entryPoints: [ENTRY],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: ['es2022'],
    minify: true,
    sourcemap: false,
    legalComments: 'none',
    logLevel: 'silent',
  });
  const file = result.outputFiles[0];
  if (!file) throw new Error('esbuild produced no output for the dashboard');
  return { code: file.text, etag: `"${file.hash}"` };
}

/** The bundle, built once per process. */
export function dashboardBundle(): Promise<Bundle> {
  cached ??= buildDashboardBundle().catch((err: unknown) => {
    cached = undefined;
    throw err;
  });
  return cached;
}
