import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { Sandbox } from './index.ts';
import { childScript, detectIsolation, launchSpec, pyodideDir, workerDir, type IsolationReport } from './isolation.ts';

const opened: Sandbox[] = [];
afterAll(async () => {
  await Promise.all(opened.map((s) => s.close()));
});

describe('launchSpec', () => {
  const full: IsolationReport = {
    permissionFlag: '--experimental-permission',
    namespaces: ['unshare', '--net', '--fork'],
    cgroup: { version: 1, dir: '/cg/root' },
    warnings: [],
  };

  it('wraps node in the cgroup shell and unshare, with reads limited to pyodide, the worker folder and extras', () => {
    const spec = launchSpec({ isolation: full, cgroupDir: '/cg/root/p1', extraReads: ['/snap/x.snap'], maxOldSpaceMb: 256, childConfig: { a: 1 } });
    expect(spec.command).toBe('/bin/sh');
    expect(spec.args.slice(2, 6)).toEqual(['/cg/root/p1/cgroup.procs', 'unshare', '--net', '--fork']);
    const node = spec.args.slice(6);
    expect(node[0]).toBe(process.execPath);
    expect(node).toContain('--experimental-permission');
    expect(node.filter((a) => a.startsWith('--allow-'))).toEqual([`--allow-fs-read=${pyodideDir()}`, `--allow-fs-read=${workerDir}/`, '--allow-fs-read=/snap/x.snap']);
    expect(node).toContain('--disallow-code-generation-from-strings');
    expect(node).toContain('--max-old-space-size=256');
    expect(node.slice(-2)).toEqual([childScript, '{"a":1}']);
  });

  it('drops each unavailable layer', () => {
    const bare = launchSpec({ isolation: { permissionFlag: null, namespaces: null, cgroup: null, warnings: [] }, maxOldSpaceMb: 64, childConfig: {} });
    expect(bare.command).toBe(process.execPath);
    expect(bare.args.some((a) => a.includes('permission') || a.startsWith('--allow-'))).toBe(false);
    expect(bare.args).toContain('--disallow-code-generation-from-strings');
  });
});

describe('fallback and recycling', () => {
  it('with namespaces and cgroup disabled it still serves, and says so loudly', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) }));
    const box = await Sandbox.start({ rules: { poolSize: 1, memoryLimitMb: 512 }, disable: ['namespaces', 'cgroup'], logger });
    opened.push(box);
    expect(box.isolation.namespaces).toBeNull();
    expect(box.isolation.cgroup).toBeNull();
    expect(lines.join('')).toContain('namespaces disabled by configuration');
    expect(lines.join('')).toContain('memory cgroup disabled by configuration');
    expect(await box.restrictedExecution('print(sum([1, 2]))')).toEqual({ output: '3\n', error: null });
    // The wasm cap alone still turns a memory bomb into an ordinary error.
    expect(await box.restrictedExecution('x = bytearray(600 * 2**20)')).toEqual({ output: '', error: 'MemoryError' });
  });

  it('replaces a process after callsPerProcess calls', async () => {
    const box = await Sandbox.start({ rules: { poolSize: 1, memoryLimitMb: 512, callsPerProcess: 2 } });
    opened.push(box);
    for (let i = 0; i < 3; i++) expect(await box.restrictedExecution(`print(${i})`)).toEqual({ output: `${i}\n`, error: null });
    expect(box.stats().started).toBeGreaterThanOrEqual(2);
  });

  it('detects the layers of this machine and reports every missing one', () => {
    const report = detectIsolation();
    const missing = [report.permissionFlag, report.namespaces, report.cgroup].filter((layer) => layer === null).length;
    expect(report.warnings.length).toBeGreaterThanOrEqual(missing);
  });
});
