import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'god-config-cli-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Runs the real binary with a clean environment (only PATH/HOME kept) so the developer's shell cannot leak in. */
function god(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [join(root, 'bin/god.js'), ...args], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? dir, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('god config', () => {
  it('show --json prints every value with its source, from file, env and --set', () => {
    const file = join(dir, 'god.json');
    writeFileSync(file, JSON.stringify({ tournament: { topNByStake: 20 } }));
    const { code, stdout, stderr } = god(['config', 'show', '--json', '--set', 'protocol.minerPort=8000'], {
      GOD_CONFIG: file,
      GOD_VALIDATOR__OFFER_TIMEOUT_SECONDS: '5',
      DATABASE_URL: 'postgres://god:secret@localhost/god',
    });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const shown = JSON.parse(stdout) as Record<string, Record<string, { value: unknown; source: string }>>;
    expect(shown.validator?.offerTimeoutSeconds).toEqual({ value: 5, source: 'env:GOD_VALIDATOR__OFFER_TIMEOUT_SECONDS' });
    expect(shown.tournament?.topNByStake).toEqual({ value: 20, source: `file:${file}` });
    expect(shown.protocol?.minerPort).toEqual({ value: 8000, source: 'cli' });
    expect(shown.scoring?.betaGrpo).toEqual({ value: 0.04, source: 'default' });
    expect(shown.database?.url).toEqual({ value: 'postgres://god:****@localhost/god', source: 'env:DATABASE_URL' });
    expect(stdout).not.toContain('secret');
  });

  it('fails with the one-line error and exit code 1 on a bad value', () => {
    const { code, stdout, stderr } = god(['config', 'show'], { GOD_VALIDATOR__OFFER_TIMEOUT_SECONDS: 'abc' });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe('god: config: GOD_VALIDATOR__OFFER_TIMEOUT_SECONDS="abc" (env): expected a number of seconds ≥ 0\n');
  });

  it('path prints the file that would be read', () => {
    const { code, stdout, stderr } = god(['config', 'path'], { GOD_HOME: 'data' });
    expect(code).toBe(0);
    expect(stdout).toBe(`${join(dir, 'data', 'config.json')}\n`);
    expect(stderr).toContain('does not exist');
  });
});
