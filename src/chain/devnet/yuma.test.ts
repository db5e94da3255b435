import { describe, expect, it } from 'vitest';
import { simplifiedYuma, stakeWeightedQuantile, toU16, validatorPermits, type YumaNeuron } from './yuma.ts';

const miner = (registeredAt = 0): YumaNeuron => ({ stake: 0, validatorPermit: false, weights: [], lastUpdate: registeredAt, registeredAt });
const validator = (stake: number, weights: [number, number][], lastUpdate = 10): YumaNeuron => ({ stake, validatorPermit: true, weights, lastUpdate, registeredAt: 0 });

describe('simplified Yuma', () => {
  it('gives incentive in proportion to the weights of agreeing validators', () => {
    const r = simplifiedYuma([validator(100, [[1, 3], [2, 1]]), miner(), miner()], 0.5);
    expect(r.incentive[0]).toBe(0);
    expect(r.incentive[1]).toBeCloseTo(0.75, 12);
    expect(r.incentive[2]).toBeCloseTo(0.25, 12);
  });

  it('clips a minority validator\'s weight to the stake-weighted consensus', () => {
    // 70% of stake weights miner 1 only, 30% weights miner 2 only: miner 2's consensus is 0, so it earns nothing.
    const r = simplifiedYuma([validator(70, [[2, 1]]), validator(30, [[3, 1]]), miner(), miner()], 0.5);
    expect(r.consensus[2]).toBe(1);
    expect(r.consensus[3]).toBe(0);
    expect(r.incentive[2]).toBeCloseTo(1, 12);
    expect(r.incentive[3]).toBe(0);
  });

  it('ignores self-weights, weights of unpermitted or unstaked neurons, and weights older than the target', () => {
    const unpermitted: YumaNeuron = { ...validator(1000, [[3, 1]]), validatorPermit: false };
    const r = simplifiedYuma([validator(10, [[0, 5], [2, 1], [3, 1]], 10), unpermitted, miner(), miner(11)], 0.5);
    // Miner 3 registered at block 11, after the validator's weights (block 10): those weights were for its predecessor.
    expect(r.incentive).toEqual([0, 0, 1, 0]);
  });

  it('is all zeros with no stake or no weights', () => {
    expect(simplifiedYuma([miner(), miner()], 0.5).incentive).toEqual([0, 0]);
    expect(simplifiedYuma([validator(5, []), miner()], 0.5).incentive).toEqual([0, 0]);
    expect(simplifiedYuma([], 0.5).incentive).toEqual([]);
  });

  it('computes the κ-quantile and permits', () => {
    expect(stakeWeightedQuantile([0.9, 0.1, 0.5], [0.2, 0.5, 0.3], 0.5)).toBe(0.5);
    expect(stakeWeightedQuantile([0.9, 0.1, 0.5], [0.6, 0.2, 0.2], 0.5)).toBe(0.9);
    expect(validatorPermits([5, 0, 9, 5], 2)).toEqual([true, false, true, false]);
    expect(toU16(1)).toBe(65535);
    expect(toU16(0.5)).toBe(32768);
  });
});
