/**
 * Crash safety: a writer process killed with SIGKILL in the middle of an upload leaves a hub that opens, whose
 * main is the last completed revision (or the interrupted one, fully written), and that accepts the next upload.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../testing.ts';
import { LocalModelHub } from './local.ts';

const childScript = fileURLToPath(new URL('./crash-child.ts', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

interface Child {
  proc: ChildProcess;
  lines: string[];
  waitFor(predicate: (lines: string[]) => boolean): Promise<void>;
  kill(): Promise<void>;
}

function startChild(root: string, mode: string): Child {
  const proc = spawn(process.execPath, ['--import', 'tsx', childScript, root, mode], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let stderr = '';
  const waiters: (() => void)[] = [];
  let buffer = '';
  proc.stdout?.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    const parts = buffer.split('\n');
    buffer = parts.pop() ?? '';
    lines.push(...parts);
    for (const w of waiters) w();
  });
  proc.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => proc.on('exit', () => resolve()));
  return {
    proc,
    lines,
    waitFor(predicate) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (predicate(lines)) resolve();
        };
        waiters.push(check);
        proc.on('exit', (code) => {
          if (!predicate(lines)) reject(new Error(`child exited (${String(code)}) before the expected output; stdout: ${lines.join(' | ')}; stderr: ${stderr}`));
        });
        check();
      });
    },
    async kill() {
      proc.kill('SIGKILL');
      await exited;
    },
  };
}

const committed = (lines: string[]) => lines.filter((l) => l.startsWith('committed ')).map((l) => l.slice('committed '.length));

describe('hub crash safety (kill -9 of a writer process)', () => {
  let dir: { path: string; cleanup: () => Promise<void> };
  let root: string;
  beforeEach(async () => {
    dir = await tempDir();
    root = join(dir.path, 'hub');
  });
  afterEach(() => dir.cleanup());

  async function checkIntact(expectedHead: string | ((history: string[]) => void)): Promise<LocalModelHub> {
    const hub = await LocalModelHub.open({ root });
    const info = await hub.repoInfo('crash/m');
    const history = (await hub.listRevisions('crash/m')).map((r) => r.sha);
    if (typeof expectedHead === 'string') expect(info.sha).toBe(expectedHead);
    else expectedHead(history);
    // Every file of the head reads back and matches its sha256 (getFile verifies it).
    for (const f of info.files) expect((await hub.getFile('crash/m', f.path)).length).toBe(f.size);
    const config = JSON.parse(new TextDecoder().decode(await hub.getFile('crash/m', 'config.json'))) as { revision: number };
    expect(info.files.map((f) => f.path)).toContain(`checkpoint/step-${config.revision}.safetensors`);
    // And the next writer gets through: a dead writer's lock is broken, its partial files swept.
    const next = await hub.upload('crash/m', [{ path: 'after-crash.txt', bytes: new TextEncoder().encode('ok') }], { message: 'after crash' });
    expect((await hub.repoInfo('crash/m')).sha).toBe(next.sha);
    expect(await readdir(join(root, 'tmp'))).toEqual([]);
    return hub;
  }

  for (const phase of ['objects-written', 'revision-written'] as const) {
    it(`keeps the previous revision when killed at ${phase}`, async () => {
      const child = startChild(root, `pause:${phase}`);
      await child.waitFor((lines) => lines.some((l) => l.startsWith('paused ')));
      const [rev1] = committed(child.lines);
      await child.kill();
      expect(rev1).toMatch(/^[0-9a-f]{64}$/);
      const hub = await checkIntact(rev1 as string);
      const history = await hub.listRevisions('crash/m');
      expect(history.map((r) => r.message)).toEqual(['after crash', 'rev 1', 'initial commit']);
    });
  }

  it('stays consistent when killed at random moments of a stream of uploads', async () => {
    const acknowledged: string[] = [];
    for (let round = 0; round < 3; round++) {
      const child = startChild(root, 'loop');
      await child.waitFor((lines) => committed(lines).length >= 1);
      await new Promise((resolve) => setTimeout(resolve, 50 + Math.floor(Math.random() * 250)));
      await child.kill();
      acknowledged.push(...committed(child.lines));
      await checkIntact((history) => {
        // Every upload that returned to its caller survived; at most one more (finished but unreported) is newer.
        for (const sha of acknowledged) expect(history).toContain(sha);
        expect(history.indexOf(acknowledged.at(-1) as string)).toBeLessThanOrEqual(1);
      });
    }
  });
});
