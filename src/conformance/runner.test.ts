import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { registeredAdapters } from './registry.ts';
import { reportLines, summaryLine } from './report.ts';
import { adaptersFor, runConformance, runVectorDocument } from './runner.ts';
import { ruleSetForCommit, VectorError, type Json, type VectorAdapter } from './types.ts';

const dirs: string[] = [];
function folder(files: Record<string, string | object>): string {
  const dir = mkdtempSync(join(tmpdir(), 'god-conformance-'));
  dirs.push(dir);
  for (const [name, content] of Object.entries(files)) {
    writeFileSync(join(dir, name), typeof content === 'string' ? content : JSON.stringify(content));
  }
  return dir;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A small adapter family: halves `x`, raises for negative x, and deviates (doubles instead) for x = 100. */
const half: VectorAdapter = {
  fn: 'half',
  ruleSets: ['ref-2025-08'],
  run(input) {
    const x = (input as { x: number }).x;
    if (x < 0) throw new VectorError('ValueError', 'negative');
    if (x === 100) return 200;
    return x / 2;
  },
  deviation: (input) => ((input as { x: number }).x === 100 ? { id: 'D-test-1', reason: 'hundreds double' } : null),
  expectedFixed: () => 200,
};
const ordered: VectorAdapter = {
  fn: 'ordered',
  ruleSets: ['ref-2025-08'],
  orderedKeys: true,
  run: (input) => new Map((input as { keys: string[] }).keys.map((k, i) => [k, i])),
};
const throwing: VectorAdapter = {
  fn: 'throws',
  ruleSets: ['ref-2025-08'],
  run: () => {
    throw new TypeError('boom');
  },
};
const mutating: VectorAdapter = {
  fn: 'mutates',
  ruleSets: ['ref-2025-08'],
  run(input) {
    const i = input as { list: number[] };
    i.list.push(1);
    return i.list.length;
  },
  deviation(input) {
    const i = input as { list: number[] };
    i.list.push(1);
    return i.list.length > 6 ? { id: 'D-x', reason: '' } : null;
  },
  expectedFixed: (input) => (input as { list: number[] }).list.length + 1,
};
const testAdapters = [half, ordered, throwing, mutating];

function doc(fn: string, cases: { name?: string; input?: Json; output?: Json }[], commit = 'a7e666d7'): object {
  return { function: fn, source: 'x.py', commit, description: '', cases };
}

describe('runVectorDocument', () => {
  it('passes matching cases, with ints and floats, NaN and error outputs', () => {
    const r = runVectorDocument(
      'half.json',
      doc('half', [
        { name: 'int', input: { x: 4 }, output: 2.0 },
        { name: 'nan', input: { x: 'NaN' }, output: 'NaN' },
        { name: 'inf', input: { x: 'Infinity' }, output: 'Infinity' },
        { name: 'raises', input: { x: -1 }, output: { error: 'ValueError', message: 'negative' } },
      ]),
      testAdapters,
    );
    expect(r.status).toBe('pass');
    expect([r.passed, r.failed, r.deviations]).toEqual([4, 0, 0]);
  });

  it('fails a case on a wrong value, a wrong error message, or an error where a value was expected', () => {
    const r = runVectorDocument(
      'half.json',
      doc('half', [
        { name: 'wrong', input: { x: 4 }, output: 3 },
        { name: 'message', input: { x: -1 }, output: { error: 'ValueError', message: 'other' } },
        { name: 'class', input: { x: -1 }, output: { error: 'AssertionError', message: 'negative' } },
        { name: 'value', input: { x: -1 }, output: 0 },
      ]),
      testAdapters,
    );
    expect(r.status).toBe('fail');
    expect(r.failed).toBe(4);
    expect(r.cases[1]!.mismatches[0]!.path).toBe('$.message');
    expect(r.cases[2]!.mismatches[0]!.path).toBe('$.error');
  });

  it('checks deviation cases against the fixed result, never against the original output', () => {
    const r = runVectorDocument(
      'half.json',
      doc('half', [{ name: 'dev', input: { x: 100 }, output: 50 }]),
      testAdapters,
    );
    expect(r.status).toBe('pass');
    expect(r.deviations).toBe(1);
    expect(r.cases[0]).toMatchObject({ status: 'deviation', deviation: { id: 'D-test-1' }, originalAgrees: false });

    const wrongFixed: VectorAdapter = { ...half, expectedFixed: () => 201 };
    const f = runVectorDocument('half.json', doc('half', [{ name: 'dev', input: { x: 100 }, output: 50 }]), [wrongFixed]);
    expect(f.failed).toBe(1);

    const noFixed: VectorAdapter = { ...half, expectedFixed: undefined };
    const g = runVectorDocument('half.json', doc('half', [{ name: 'dev', input: { x: 100 }, output: 200 }]), [noFixed]);
    expect(g.failed).toBe(1);
    expect(g.cases[0]!.mismatches[0]!.message).toContain('no expected result');
  });

  it('compares key order for adapters that declare it', () => {
    const pass = runVectorDocument('o.json', doc('ordered', [{ input: { keys: ['b', 'a'] }, output: { b: 0, a: 1 } }]), testAdapters);
    expect(pass.status).toBe('pass');
    const fail = runVectorDocument('o.json', doc('ordered', [{ input: { keys: ['b', 'a'] }, output: { a: 1, b: 0 } }]), testAdapters);
    expect(fail.status).toBe('fail');
    expect(fail.cases[0]!.name).toBe('#0');
  });

  it('turns an adapter crash and a malformed case into failures, not exceptions', () => {
    const r = runVectorDocument('t.json', doc('throws', [{ name: 'c', input: {}, output: 1 }]), testAdapters);
    expect(r.failed).toBe(1);
    expect(r.cases[0]!.mismatches[0]!.message).toBe('adapter threw TypeError: boom');
    const m = runVectorDocument('h.json', { function: 'half', commit: 'a7e666d7', cases: [{ name: 'x', input: { x: 1 } }, 5] }, testAdapters);
    expect(m.failed).toBe(2);
    expect(m.cases[0]!.mismatches[0]!.message).toContain('no output');
    expect(m.cases[1]!.mismatches[0]!.message).toContain('not an object');
  });

  it('gives every adapter call its own copy of the input', () => {
    const r = runVectorDocument('m.json', doc('mutates', [{ input: { list: [1, 2, 3, 4, 5] }, output: 6 }]), testAdapters);
    expect(r.status).toBe('pass');
    expect(r.deviations).toBe(0);
  });

  it('marks unknown functions, unknown commits and wrong rule sets unsupported, non-vectors invalid', () => {
    expect(runVectorDocument('a.json', doc('nope', []), testAdapters)).toMatchObject({ status: 'unsupported' });
    const head = runVectorDocument('b.json', doc('half', [{ input: { x: 2 }, output: 1 }], '86623e97'), testAdapters);
    expect(head).toMatchObject({ status: 'unsupported', reason: 'no rule set for commit 86623e97' });
    const fiber = runVectorDocument('c.json', doc('half', [], 'fiber 2.1.0 (edd328c)'), testAdapters);
    expect(fiber.status).toBe('unsupported');
    expect(fiber.reason).toContain('not fiber-2.1.0');
    expect(runVectorDocument('d.json', [1, 2], testAdapters)).toMatchObject({ status: 'invalid' });
    expect(runVectorDocument('e.json', { function: 'half', cases: [] }, testAdapters).reason).toContain('`commit`');
    expect(runVectorDocument('f.json', doc('half', []), [half, half])).toMatchObject({ status: 'invalid' });
  });
});

describe('matching', () => {
  it('finds adapters by exact name, then without a trailing note', () => {
    expect(adaptersFor('half', testAdapters)).toEqual([half]);
    expect(adaptersFor('half (+ other at HEAD)', testAdapters)).toEqual([half]);
    expect(adaptersFor('half+other', testAdapters)).toEqual([]);
    expect(adaptersFor('half(_x)', testAdapters)).toEqual([]);
  });
  it('maps commits to rule sets, abbreviated or full', () => {
    expect(ruleSetForCommit('a7e666d7')).toBe('ref-2025-08');
    expect(ruleSetForCommit('a7e666d7aaaabbbbccccddddeeeeffff00001111')).toBe('ref-2025-08');
    expect(ruleSetForCommit('A7E666D')).toBe('ref-2025-08');
    expect(ruleSetForCommit('86623e97')).toBeNull();
    expect(ruleSetForCommit('main')).toBeNull();
  });
});

describe('runConformance over a folder', () => {
  it('reports every json file, never crashing on bad ones, and counts cases and unsupported files', () => {
    const dir = folder({
      'a_good.json': doc('half', [
        { name: 'one', input: { x: 2 }, output: 1 },
        { name: 'dev', input: { x: 100 }, output: 50 },
      ]),
      'b_bad.json': doc('half', [{ name: 'wrong', input: { x: 2 }, output: 7 }]),
      'c_malformed.json': '{"function": "half", "cases": [',
      'd_config.json': { name: 'not a vector' },
      'e_head.json': doc('half', [], '86623e97'),
      'notes.md': '# ignored',
    });
    mkdirSync(join(dir, 'sub.json'));
    const report = runConformance(dir, testAdapters);
    expect(report.files.map((f) => [f.file, f.status])).toEqual([
      ['a_good.json', 'pass'],
      ['b_bad.json', 'fail'],
      ['c_malformed.json', 'invalid'],
      ['d_config.json', 'invalid'],
      ['e_head.json', 'unsupported'],
    ]);
    expect(report.totals).toEqual({ passed: 1, failed: 1, deviations: 1, unsupported: 3 });
    const lines = reportLines(report);
    expect(lines[0]).toBe('PASS a_good.json (2 cases, 1 deviation (D-test-1))');
    expect(lines[1]).toBe('FAIL b_bad.json: 1 of 1 failed');
    expect(lines[2]).toBe('  - wrong');
    expect(lines[3]).toBe('    $: expected 7, got 1');
    expect(lines.some((l) => l.startsWith('INVALID c_malformed.json: malformed JSON'))).toBe(true);
    expect(lines.at(-1)).toBe('1 passed, 1 failed, 1 deviations, 3 unsupported');
  });

  it('prints only the nonzero extras on the last line', () => {
    expect(summaryLine({ passed: 3, failed: 0, deviations: 0, unsupported: 0 })).toBe('3 passed, 0 failed');
    expect(summaryLine({ passed: 0, failed: 0, deviations: 0, unsupported: 2 })).toBe('0 passed, 0 failed, 2 unsupported');
  });
});

describe('the project vectors', () => {
  const report = runConformance(join(import.meta.dirname, '../../vectors'), registeredAdapters);

  it('has no failing case', () => {
    const failing = report.files.filter((f) => f.status === 'fail').flatMap((f) => f.cases.filter((c) => c.status === 'fail').map((c) => `${f.file}: ${c.name}`));
    expect(failing).toEqual([]);
    expect(report.totals.failed).toBe(0);
  });

  it('runs every tournament file and the miner files', () => {
    const status = new Map(report.files.map((f) => [f.file, f.status]));
    for (const fn of [
      'exponential_decline_mapping',
      'tournament_scores_to_weights',
      'calculate_tournament_type_scores_from_data',
      'get_tournament_weights_from_data',
      'calculate_final_round_winner',
      'get_progressive_threshold',
      'count_champion_consecutive_wins',
      'get_knockout_winners',
      'get_group_winners',
      'calculate_performance_difference',
    ]) {
      expect(status.get(`a7e666d7__${fn}.json`), fn).toBe('pass');
    }
    expect(status.get('model_hash.json')).toBe('pass');
    expect(status.get('axolotl_config.json')).toBe('pass');
  });

  it('recognises exactly the documented deviations among the tournament cases', () => {
    const devs = report.files.flatMap((f) => f.cases.filter((c) => c.status === 'deviation').map((c) => `${f.file}: ${c.deviation?.id}`));
    expect(devs).toEqual(expect.arrayContaining([
      'a7e666d7__calculate_performance_difference.json: D-tournament-3',
      'a7e666d7__count_champion_consecutive_wins.json: D-tournament-1',
      'a7e666d7__get_knockout_winners.json: D-tournament-2',
    ]));
    // Every tournament deviation case differs from the original's output: the rules flag no case needlessly.
    for (const f of report.files) {
      for (const c of f.cases) if (c.status === 'deviation' && c.deviation?.id.startsWith('D-tournament')) expect(c.originalAgrees, c.name).toBe(false);
    }
  });
});
