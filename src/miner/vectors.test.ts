/**
 * The miner's two vector files through the conformance runner, the reference behaviour reproduced case by case,
 * and our PyYAML emitter cross-checked against PyYAML itself on random configs (when python3 with PyYAML is
 * installed; the vector texts are checked regardless).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeNonFinite, normaliseOutput } from '../conformance/codec.ts';
import { compareValues } from '../conformance/compare.ts';
import { registeredAdapters } from '../conformance/registry.ts';
import { runVectorFile } from '../conformance/runner.ts';
import type { Json } from '../conformance/types.ts';
import { pyFloat, PyFloat } from '../net/python-json.ts';
import { originalRewardFunctionName, rewardFunctionName } from './container/axolotl.ts';
import { pyTomlDump } from './container/pytoml.ts';
import { modelHashOf } from './model-hash.ts';
import { pyYamlDump, type YamlValue } from './pyyaml.ts';
import { runOriginal } from './vectors.ts';

const VECTORS = join(import.meta.dirname, '..', '..', 'vectors');

describe('conformance', () => {
  it('model_hash.json: every case passes, none unsupported', () => {
    const report = runVectorFile(join(VECTORS, 'model_hash.json'), 'model_hash.json', registeredAdapters);
    expect(report.status).toBe('pass');
    expect(report.failed).toBe(0);
    expect(report.passed).toBe(report.cases.length);
    expect(report.cases.length).toBeGreaterThanOrEqual(13);
  });

  it('axolotl_config.json: every case passes or is a documented deviation, recognised by rule', () => {
    const report = runVectorFile(join(VECTORS, 'axolotl_config.json'), 'axolotl_config.json', registeredAdapters);
    expect(report.status).toBe('pass');
    expect(report.failed).toBe(0);
    const byName = new Map(report.cases.map((c) => [c.name, c]));
    expect(byName.get('grpo_one_reward_function')?.deviation?.id).toBe('D-miner-1 + D-miner-4');
    expect(byName.get('grpo_function_name_parsing_edges')?.deviation?.id).toBe('D-miner-1 + D-miner-2 + D-miner-4');
    expect(byName.get('image_sdxl')?.deviation?.id).toBe('D-miner-3');
    expect(byName.get('instruct_all_fields_system_and_input')?.status).toBe('pass');
    expect(report.cases.filter((c) => c.status === 'deviation').every((c) => c.originalAgrees === false)).toBe(true);
  });

  it("the reference behaviour reproduces every case's recorded output exactly, deviation cases included", () => {
    const doc = JSON.parse(readFileSync(join(VECTORS, 'axolotl_config.json'), 'utf8')) as { cases: { name: string; input: Json; output: Json }[] };
    for (const c of doc.cases) {
      const mismatches = compareValues(decodeNonFinite(c.output), normaliseOutput(runOriginal(decodeNonFinite(c.input))));
      expect(mismatches, c.name).toEqual([]);
    }
  });

  it("the model hash's trace matches the original's log and preimage", () => {
    const doc = JSON.parse(readFileSync(join(VECTORS, 'model_hash.json'), 'utf8')) as {
      cases: { name: string; input: { files: Record<string, string | { base64: string }>; repo_id?: string; snapshot_download_error?: string }; trace: { hashed_files: string[] | null; outer_preimage: string } }[];
    };
    for (const c of doc.cases) {
      if (c.input.repo_id === '' || c.input.snapshot_download_error) continue;
      const files = Object.entries(c.input.files).map(([path, v]) => ({ path, bytes: typeof v === 'string' ? Buffer.from(v) : Buffer.from(v.base64, 'base64') }));
      const r = modelHashOf(files);
      expect(r.hashedFiles.length === 0 ? null : r.hashedFiles, c.name).toEqual(c.trace.hashed_files);
      expect(r.outerPreimage, c.name).toBe(c.trace.outer_preimage);
    }
  });
});

describe('reward function names', () => {
  it('the reference takes the text after the first "def "; we take the top-level function taking **kwargs', () => {
    const helperFirst = 'def _helper(x):\n    return x\n\ndef reward(completions, **kw):\n    return [1.0]';
    expect(originalRewardFunctionName(helperFirst)).toBe('_helper');
    expect(rewardFunctionName(helperFirst)).toBe('reward');
    expect(rewardFunctionName('def multi(\n    completions,\n    **kwargs,\n) -> list:\n    return []')).toBe('multi');
    expect(rewardFunctionName('def only(x):\n    return [x]')).toBe('only');
    const commented = '# def old(x)\ndef new_one(completions, **kw):\n    return [1.0]';
    expect(originalRewardFunctionName(commented)).toBe('old');
    expect(rewardFunctionName(commented)).toBe('new_one');
    expect(originalRewardFunctionName('f = lambda c, **k: [1.0]')).toBeNull();
    expect(rewardFunctionName('f = lambda c, **k: [1.0]')).toBe('f');
    expect(rewardFunctionName('"""\ndef hidden(x):\n"""\nasync def shown(c):\n    pass')).toBe('shown');
    expect(rewardFunctionName('    def indented(x): pass')).toBeNull();
  });
});

describe('pyTomlDump', () => {
  it('writes floats, lists and strings as the toml package does', () => {
    expect(pyTomlDump({ a: pyFloat(1e-5), b: [pyFloat(5e-5), pyFloat(5e-5)], c: [], d: 'x"y\\z', e: true, f: 3, g: pyFloat(1), h: null })).toBe(
      'a = 1e-5\nb = [ 5e-5, 5e-5,]\nc = []\nd = "x\\"y\\\\z"\ne = true\nf = 3\ng = 1.0\n',
    );
  });
});

const python = spawnSync('python3', ['-c', 'import yaml; print(yaml.__version__)'], { encoding: 'utf8' });
const hasPyYaml = python.status === 0;

describe.skipIf(!hasPyYaml)('pyYamlDump against PyYAML', () => {
  const scalarText = fc.oneof(
    fc.string({ unit: 'grapheme', maxLength: 40 }),
    fc.constantFrom('', ' ', 'yes', 'No', 'null', '~', '123', '1.5', '0x1F', '1e5', '.inf', '2025-01-01', '<<', '=', '- a', 'a: b', 'a #b', '#x', '{x}', '[y]', "it's", 'a\nb', 'a\n\nb', ' lead', 'trail ', '\ttab', 'é', '☕', '😀', '---', '...', '?', ':', '-', 'x'.repeat(90), 'word '.repeat(30), "don't ".repeat(20)),
  );
  const scalar: fc.Arbitrary<YamlValue> = fc.oneof(scalarText, fc.integer(), fc.double({ noNaN: false }).map((d) => pyFloat(Object.is(d, -0) ? 0 : d)), fc.boolean(), fc.constant(null));
  const key = fc.oneof(fc.stringMatching(/^[a-z_][a-z0-9_]{0,12}$/), fc.constantFrom('a b', 'yes', '1', 'x:y'));
  const value: fc.Arbitrary<YamlValue> = fc.letrec<{ v: YamlValue }>((tie) => ({
    v: fc.oneof({ depthSize: 'small' }, scalar, fc.array(tie('v'), { maxLength: 4 }), fc.dictionary(key, tie('v'), { maxKeys: 4 })),
  })).v;
  const doc = fc.dictionary(key, value, { minKeys: 1, maxKeys: 6 });

  it('writes the same text as yaml.dump for 300 random configs', () => {
    const samples = fc.sample(doc, { numRuns: 300, seed: 56 });
    const toJson = (v: unknown): unknown => (v instanceof PyFloat ? { __float__: Number.isFinite(v.value) ? v.value : String(v.value) } : Array.isArray(v) ? v.map(toJson) : v !== null && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toJson(x)])) : v);
    const script = `
import json, sys, yaml
def hook(d):
    if set(d) == {"__float__"}:
        return float(d["__float__"])
    return d
out = [yaml.dump(json.loads(line, object_hook=hook)) for line in sys.stdin.read().split(chr(10))]
print(json.dumps(out))
`;
    const input = samples.map((s) => JSON.stringify(toJson(s))).join('\n');
    const run = spawnSync('python3', ['-c', script], { input, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    expect(run.stderr).toBe('');
    const expected = JSON.parse(run.stdout) as string[];
    samples.forEach((s, i) => expect(pyYamlDump(s), JSON.stringify(toJson(s))).toBe(expected[i]));
  });
});
