import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../../..');
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function folder(files: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'god-conformance-cli-'));
  dirs.push(dir);
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), JSON.stringify(content));
  return dir;
}

function god(...args: string[]): { code: number; stdout: string } {
  try {
    return { code: 0, stdout: execFileSync('node', ['bin/god.js', ...args], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }) };
  } catch (err) {
    const e = err as { status: number; stdout: string };
    return { code: e.status, stdout: e.stdout };
  }
}

const decline = (output: number) => ({
  function: 'exponential_decline_mapping',
  commit: 'a7e666d7',
  cases: [{ name: 'N=2 rank=1', input: { total_participants: 2, rank: 1 }, output }],
});

describe('god conformance', () => {
  it('exits 0 when everything passes, even with unsupported files, and 1 for them under --strict', () => {
    const dir = folder({ 'a.json': decline(1 / 1.3), 'b.json': { ...decline(1), commit: '86623e97' } });
    const ok = god('conformance', dir);
    expect(ok.code).toBe(0);
    expect(ok.stdout.trim().split('\n')).toEqual([
      'PASS a.json (1 case)',
      'UNSUPPORTED b.json: no rule set for commit 86623e97',
      '1 passed, 0 failed, 1 unsupported',
    ]);
    expect(god('conformance', dir, '--strict').code).toBe(1);
  });

  it('exits 1 on a failing case and reports it as JSON on request', () => {
    const dir = folder({ 'a.json': decline(0.5) });
    const text = god('conformance', dir);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain('FAIL a.json: 1 of 1 failed');
    const json = god('conformance', dir, '--json');
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout) as { totals: { failed: number }; files: { cases: { mismatches: { path: string }[] }[] }[] };
    expect(report.totals.failed).toBe(1);
    expect(report.files[0]!.cases[0]!.mismatches[0]!.path).toBe('$');
  });
});
