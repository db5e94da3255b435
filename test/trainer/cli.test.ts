/** `god trainer` as an operator runs it: a token, a served API, the isolation report. */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, expect, it } from 'vitest';
import { registerTrainer } from '../../src/cli/commands/trainer.ts';
import { loadConfig } from '../../src/config/index.ts';
import { scratch } from './helpers.ts';

const root = scratch('god-trainer-cli-');
const BIN = join(import.meta.dirname, '..', '..', 'bin', 'god.js');
afterAll(() => rmSync(root, { recursive: true, force: true }));

function inProcess(args: string[]): Promise<string> {
  let out = '';
  const program = new Command().exitOverride();
  registerTrainer(program, { out: (t) => (out += t), config: () => loadConfig({ env: { GOD_HOME: root } }).config });
  return program.parseAsync(['node', 'god', 'trainer', ...args]).then(() => out);
}

it('god trainer token → start → an authenticated call → SIGTERM', async () => {
  const tokenOut = await inProcess(['token']);
  const token = /token:\s+(\S+)/.exec(tokenOut)![1]!;
  const sha = /sha256:\s+([0-9a-f]{64})/.exec(tokenOut)![1]!;
  const child = spawn(process.execPath, [BIN, 'trainer', 'start', '--port', '0', '--gpus', '2xA100:40', '--token-sha256', sha, '--data-dir', join(root, 'trainer')], {
    env: { ...process.env, GOD_HOME: root, GOD_LOG_LEVEL: 'silent' },
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /listening on (\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.once('close', () => reject(new Error(out)));
  });
  expect((await fetch(`${url}/v1/trainer/get_gpu_availability`)).status).toBe(401);
  const res = await fetch(`${url}/v1/trainer/get_gpu_availability`, { headers: { authorization: `Bearer ${token}` } });
  expect(await res.json()).toEqual([
    { gpu_id: 0, gpu_type: 'A100', vram_gb: 40, available: true, used_until: null },
    { gpu_id: 1, gpu_type: 'A100', vram_gb: 40, available: true, used_until: null },
  ]);
  const closed = new Promise((r) => child.once('close', r));
  child.kill('SIGTERM');
  expect(await closed).toBe(0);
});

it('god trainer isolation --json lists every layer', async () => {
  const report = JSON.parse(await inProcess(['isolation', '--json'])) as { layers: { layer: string; active: boolean }[] };
  expect(report.layers.map((l) => l.layer)).toContain('network namespace');
});

it('god trainer start refuses to run open to everyone', async () => {
  await expect(inProcess(['start', '--port', '0', '--gpus', '1xH100', '--data-dir', join(root, 't2')])).rejects.toThrow('no caller could authenticate');
});
