import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/index.ts';
import { tempDir } from '../../storage/testing.ts';
import { registerHub } from './hub.ts';

let dir: { path: string; cleanup: () => Promise<void> };
let output: string;
let stop: () => void;
let stopped: Promise<void>;

function program(): Command {
  const p = new Command('god').exitOverride();
  registerHub(p, {
    out: (text) => (output += text),
    loadConfig: (cli) => loadConfig({ env: {}, cwd: dir.path, cli: { 'general.home': dir.path, 'general.logLevel': 'silent', 'storage.port': 0, ...cli } }).config,
    untilStopped: () => stopped,
  });
  return p;
}
const run = async (...args: string[]) => {
  output = '';
  await program().parseAsync(['node', 'god', 'hub', ...args]);
  return output;
};

beforeEach(async () => {
  dir = await tempDir();
  stopped = new Promise((resolve) => (stop = resolve));
});
afterEach(() => dir.cleanup());

describe('god hub', () => {
  it('issues, lists and revokes tokens; serves; uploads, shows and downloads a repository', async () => {
    const issued = await run('token', 'miner1');
    const token = /\n {2}(hub_\S+)\n/.exec(issued)?.[1] as string;
    expect(token).toMatch(/^hub_[A-Za-z0-9_-]{43}$/);
    expect(await run('tokens')).toContain(`${token.slice(0, 12)}  miner1`);

    output = '';
    const serving = program().parseAsync(['node', 'god', 'hub', 'serve', '--host', '127.0.0.1']);
    while (!output.includes('storage server at')) await new Promise((r) => setTimeout(r, 20));
    const baseUrl = /storage server at (\S+)/.exec(output)?.[1] as string;

    const src = join(dir.path, 'model');
    await mkdir(join(src, 'unet'), { recursive: true });
    await writeFile(join(src, 'config.json'), '{"x":1}');
    await writeFile(join(src, 'unet', 'w.safetensors'), 'weights');
    const remote = ['--set', `storage.hubUrl=${baseUrl}`, '--set', `storage.hubToken=${token}`];
    expect(await run('upload', 'miner1/task-1', src, '--create', '-m', 'trained', ...remote)).toMatch(/^miner1\/task-1@[0-9a-f]{64} uploaded 2 file\(s\)/);
    const info = JSON.parse(await run('info', 'miner1/task-1', '--json', '--history', ...remote)) as { files: { path: string }[]; revisions: { message: string }[] };
    expect(info.files.map((f) => f.path)).toEqual(['config.json', 'unet/w.safetensors']);
    expect(info.revisions.map((r) => r.message)).toEqual(['trained', 'initial commit']);
    await run('download', 'miner1/task-1', join(dir.path, 'out'), ...remote);
    expect(await readFile(join(dir.path, 'out', 'unet', 'w.safetensors'), 'utf8')).toBe('weights');
    // Without hubUrl the command reads the same hub directory directly.
    expect(await run('info', 'miner1/task-1')).toContain('unet/w.safetensors');

    await expect(run('upload', 'miner2/task-1', src, '--create', ...remote)).rejects.toThrow(/may write to miner1\/\*, not miner2\/\*/);
    stop();
    await serving;

    expect(await run('revoke', token.slice(0, 12))).toContain('revoked 1 token(s)');
    expect(await run('tokens')).toBe('no hub tokens\n');
    await expect(run('revoke', 'hub_nothing')).rejects.toThrow(/no hub token/);
    await expect(run('token', '../evil')).rejects.toThrow(/owner/);
  });
});
