import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cgroupPids, createJobCgroup, killCgroups, pidsLimitHits, removeJobCgroup } from './cgroup.ts';
import { detectHostIsolation } from './detect.ts';
import { confinedCommand, shq } from './launch.ts';
import { folderUsage } from './usage.ts';

const root = mkdtempSync(join(tmpdir(), 'god-iso-'));
chmodSync(root, 0o755);
afterAll(() => rmSync(root, { recursive: true, force: true }));
const host = detectHostIsolation();

function run(argv: string[], extra: Partial<Parameters<typeof confinedCommand>[0]> = {}) {
  const cmd = confinedCommand({ host, argv, cwd: root, env: { A: 'b c' }, user: { uid: 250_123, gid: 250_123 }, cgroupDirs: [], rlimits: { nproc: 32, fsizeBytes: 1 << 20, nofile: 64 }, jobRoot: root, privateTmpBytes: 1 << 20, ...extra });
  return spawnSync(cmd.command, cmd.args, { env: {}, encoding: 'utf8', timeout: 20_000 });
}

describe('shell quoting', () => {
  it('round-trips any text through sh', () => {
    for (const s of ["it's", '$(touch /tmp/x)', '`id`', 'a\nb', '"\\', '']) {
      expect(spawnSync('/bin/sh', ['-c', `printf %s ${shq(s)}`], { encoding: 'utf8' }).stdout).toBe(s);
    }
    expect(() => shq('a\0b')).toThrow();
  });
});

describe.skipIf(!host.namespaces || !host.userSwitch)('confined command on this machine', () => {
  it('runs as the given uid, in its own pid namespace, with only the given environment and a private /tmp', () => {
    const r = run(['/bin/sh', '-c', 'id -u; echo $$; env; df -k /tmp | tail -1; ls /proc | grep -c "^[0-9]"; cat /proc/self/status | grep -E "^(NoNewPrivs|CapEff)"']);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe('250123');
    expect(lines[1]).toBe('1');
    expect(lines[2]).toBe('A=b c');
    expect(lines.some((l) => /^tmpfs\s+1024\s/.test(l))).toBe(true);
    expect(r.stdout).toMatch(/NoNewPrivs:\s+1/);
    expect(r.stdout).toMatch(/CapEff:\s+0+\n/);
  });
  it('has no route to the host network', () => {
    // /proc/net reflects the reader's network namespace: only a loopback device, and no routes at all.
    const r = run(['/bin/sh', '-c', 'grep -c ":" /proc/net/dev; grep -c . /proc/net/route']);
    expect(r.stdout.trim().split('\n')).toEqual(['1', '0']);
  });
  it('RLIMIT_FSIZE stops a file at the limit', () => {
    const r = run(['/bin/sh', '-c', 'head -c 300000 /dev/zero > /tmp/f; echo rc=$?; wc -c < /tmp/f'], { rlimits: { nproc: 32, fsizeBytes: 100_000, nofile: 64 } });
    // 128 + SIGXFSZ (25): the writer is killed at the limit, and the file holds exactly the limit.
    expect(r.stdout.trim().split('\n')).toEqual(['rc=153', '100000']);
  });
});

describe.skipIf(!host.cgroups.pids)('pids cgroup', () => {
  it('bounds the processes of a job and kills all of them', async () => {
    const cg = createJobCgroup(host.cgroups, 'unit-test', { pids: 8 });
    const cmd = confinedCommand({ host: { ...host, namespaces: null, userSwitch: false, pdeathsig: false }, argv: ['/bin/sh', '-c', 'for i in 1 2 3 4 5 6 7 8 9 10 11 12; do sleep 30 & done; wait'], cwd: root, env: {}, user: null, cgroupDirs: cg.dirs, rlimits: { nproc: 32, fsizeBytes: 1 << 20, nofile: 64 }, jobRoot: root, privateTmpBytes: 1 << 20 });
    const child = (await import('node:child_process')).spawn(cmd.command, cmd.args, { env: {}, stdio: 'ignore', detached: true });
    const closed = new Promise((r) => child.once('close', r));
    await new Promise((r) => setTimeout(r, 500));
    const inside = cgroupPids(cg.pidsDir!).length;
    expect(inside).toBeGreaterThan(4);
    expect(inside).toBeLessThanOrEqual(8);
    expect(pidsLimitHits(cg.pidsDir!)).toBeGreaterThan(0);
    await killCgroups(cg.dirs);
    expect(cgroupPids(cg.pidsDir!)).toEqual([]);
    await closed;
    expect(removeJobCgroup(cg.dirs)).toBe(true);
  });
});

describe('folder usage', () => {
  it('counts sparse files by their apparent size', async () => {
    const dir = join(root, 'u');
    spawnSync('mkdir', ['-p', dir]);
    spawnSync('truncate', ['-s', '10M', join(dir, 'sparse')]);
    const u = await folderUsage(dir);
    expect(u.bytes).toBeGreaterThanOrEqual(10 * 1024 * 1024);
    expect((await folderUsage(dir, 0)).truncated).toBe(true);
  });
});
