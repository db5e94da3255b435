import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as core from '../index.ts';

const ALL_DATASET_KEYS = [
  ...new Set(core.DATASET_TYPE_MEMBERS.flatMap((m) => Object.keys(m.schema.shape))),
].filter((k) => k !== 'reward_functions');

describe('dataset-type union', () => {
  it('parsing keeps only the chosen member keys, and re-classifying is stable', () => {
    const body = fc.dictionary(fc.constantFrom(...ALL_DATASET_KEYS, 'reward_functions', 'unknown_key'), fc.option(fc.string(), { nil: null }));
    fc.assert(
      fc.property(body, (raw) => {
        const input: Record<string, unknown> = { ...raw };
        if ('reward_functions' in input) input.reward_functions = [];
        const parsed = core.parseWire(core.textDatasetTypeSchema, input);
        const { kind } = core.classifyDatasetType(parsed);
        const member = core.DATASET_TYPE_MEMBERS.find((m) => m.name === kind);
        if (!member) return false;
        for (const key of Object.keys(parsed)) expect(key in member.schema.shape).toBe(true);
        expect(core.classifyDatasetType(core.parseWire(core.textDatasetTypeSchema, parsed)).kind).toBe(kind);
        // Every member key present in the input survives with its value.
        for (const key of Object.keys(member.schema.shape)) if (key in input) expect(parsed).toHaveProperty(key);
        return true;
      }),
    );
  });

  it('completes each member to all of its keys', () => {
    expect(Object.keys(core.completeDatasetType({ field_prompt: 'p', field_chosen: 'c' })).sort()).toStrictEqual(
      Object.keys(core.dpoDatasetTypeSchema.shape).sort(),
    );
    expect(core.completeDatasetType({ reward_functions: [{ reward_func: 'x', reward_weight: 1 }] })).toStrictEqual({
      field_prompt: null,
      extra_column: null,
      reward_functions: [{ reward_id: null, reward_func: 'x', reward_weight: 1, func_hash: null, is_generic: null }],
    });
  });
});

describe('reward functions', () => {
  it('hashes the source as sha256 hex of its UTF-8 bytes', () => {
    expect(core.rewardFuncHash('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    // Python: hashlib.sha256('é'.encode()).hexdigest()
    expect(core.rewardFuncHash('é')).toBe('4a99557e4033c3539de2eb65472017cad5f9557f7a0625a09f1c3f6e2ba69c4c');
  });

  it('fills a missing func_hash on tasks, keeping given ones', () => {
    const task = core.withFuncHashes({
      reward_functions: [
        { reward_func: 'abc', reward_weight: 1 },
        { reward_func: 'abc', reward_weight: 2, func_hash: 'f'.repeat(64) },
      ],
    });
    expect(task.reward_functions.map((f) => f.func_hash)).toStrictEqual([core.rewardFuncHash('abc'), 'f'.repeat(64)]);
  });
});

describe('identifiers and enums', () => {
  it('builds tournament ids as the original formats them', () => {
    const t = core.tournamentIds.tournament('0123456789abcdef', '20250801');
    const r = core.tournamentIds.round(t, 1);
    expect(r).toBe('tourn_0123456789abcdef_20250801_round_001');
    expect(core.tournamentIds.group(r, 12)).toBe(`${r}_group_012`);
    expect(core.tournamentIds.pair(r, 3)).toBe(`${r}_pair_003`);
    expect(core.tournamentIds.tournamentRepoName(t, 'task', '5F3sa2TJAWMqDhXG')).toBe(`tournament-${t}-task-5F3sa2TJ`);
    expect(core.tournamentIds.benchmarkRepoName('root', t, '5F3sa2TJAWMqDhXG')).toBe(`benchmark-root-${t}-5F3sa2TJ`);
  });

  it('exposes each enum schema with its values', () => {
    for (const [name, e] of Object.entries(core.ENUMS)) {
      for (const v of e.values) expect(e.schema.parse(v), name).toBe(v);
      expect(e.schema.safeParse('not-a-value').success, name).toBe(false);
    }
    expect(core.tournamentTypeOf('ImageTask')).toBe('image');
    expect(core.tournamentTypeOf('ChatTask')).toBe('text');
  });

  it('keeps date-times as given and converts driver Dates', () => {
    for (const s of ['2025-08-01T12:00:00Z', '2025-08-01T12:00:00.123456+00:00', '2025-08-01 12:00:00+00', '2025-08-01T12:00:00']) {
      expect(core.dateTimeSchema.parse(s)).toBe(s);
    }
    expect(core.dateTimeSchema.safeParse('2025-08-01').success).toBe(false);
    expect(core.toDateTime(new Date(Date.UTC(2025, 7, 1, 12)))).toBe('2025-08-01T12:00:00.000Z');
  });
});
