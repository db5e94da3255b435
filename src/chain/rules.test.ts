import { describe, expect, it } from 'vitest';
import { CommitRevealNotSupportedError, WeightsRateLimitedError } from './errors.ts';
import { checkServeAxon, checkSetWeights, setWeightsError, type WeightsContext } from './rules.ts';

const base: WeightsContext = {
  netuid: 56,
  block: 1000,
  n: 4,
  commitRevealWeightsEnabled: false,
  weightsSetRateLimit: 100,
  weightsVersionKey: 0,
  uid: 0,
  lastUpdate: 800,
};
const call = { uids: [1, 2], weights: [65535, 100], versionKey: 61_000 };

function refusal(ctx: Partial<WeightsContext>, c: Partial<typeof call> = {}): string {
  const verdict = checkSetWeights({ ...base, ...ctx }, { ...call, ...c });
  return verdict.ok ? 'ok' : verdict.refusal;
}

describe('set_weights rules (subtensor order)', () => {
  it('accepts a valid call', () => {
    expect(refusal({})).toBe('ok');
    // LastUpdate 0 means never set: the rate limit lets it through at any block.
    expect(refusal({ block: 5, lastUpdate: 0 })).toBe('ok');
    expect(refusal({ block: 900, lastUpdate: 800 })).toBe('ok');
  });

  it('refuses each broken rule with subtensor\'s error name', () => {
    expect(refusal({ commitRevealWeightsEnabled: true })).toBe('CommitRevealEnabled');
    expect(refusal({}, { weights: [1] })).toBe('WeightVecNotEqualSize');
    expect(refusal({ n: 1 })).toBe('UidsLengthExceedUidsInSubNet');
    expect(refusal({ uid: null })).toBe('HotKeyNotRegisteredInSubNet');
    expect(refusal({ stake: 1, minStake: 2 })).toBe('NotEnoughStakeToSetWeights');
    expect(refusal({ weightsVersionKey: 61_001 })).toBe('IncorrectWeightVersionKey');
    expect(refusal({ block: 899 })).toBe('SettingWeightsTooFast');
    expect(refusal({ validatorPermit: false })).toBe('NeuronNoValidatorPermit');
    expect(refusal({}, { uids: [1, 1] })).toBe('DuplicateUids');
    expect(refusal({}, { uids: [1, 4] })).toBe('UidVecContainInvalidOne');
    expect(refusal({ minAllowedWeights: 3 })).toBe('WeightVecLengthIsLow');
    expect(refusal({}, { weights: [65536, 1] })).toBe('InvalidWeightValue');
  });

  it('reports the first failing rule in subtensor\'s order', () => {
    // Commit-reveal wins over everything, lengths over registration, version key over the rate limit.
    expect(refusal({ commitRevealWeightsEnabled: true, uid: null, block: 801 }, { weights: [1] })).toBe('CommitRevealEnabled');
    expect(refusal({ uid: null }, { weights: [1] })).toBe('WeightVecNotEqualSize');
    expect(refusal({ weightsVersionKey: 70_000, block: 801 })).toBe('IncorrectWeightVersionKey');
    // A validator may set weights only on itself below the minimum count (subtensor's self-weight exemption).
    expect(refusal({ minAllowedWeights: 3 }, { uids: [0], weights: [1] })).toBe('ok');
  });

  it('maps refusals to typed errors', () => {
    const cr = setWeightsError({ ...base, commitRevealWeightsEnabled: true }, { refusal: 'CommitRevealEnabled', message: '' });
    expect(cr).toBeInstanceOf(CommitRevealNotSupportedError);
    expect(cr.message).toMatch(/commit-reveal not supported yet/);
    const rl = setWeightsError({ ...base, block: 850 }, { refusal: 'SettingWeightsTooFast', message: '' });
    expect(rl).toBeInstanceOf(WeightsRateLimitedError);
    expect((rl as WeightsRateLimitedError).blocksRemaining).toBe(50);
    expect(setWeightsError(base, { refusal: 'DuplicateUids', message: 'x' }).code).toBe('invalid_weights');
  });
});

describe('serve_axon rules', () => {
  it('follows subtensor\'s address checks', () => {
    const ok = (ip: bigint, ipType = 4, port = 8091, opts = {}) => checkServeAxon(true, { ip, ipType, port }, opts);
    expect(ok(3232235777n).ok).toBe(true);
    expect(ok(0n).ok).toBe(true);
    expect(ok(0x7f000001n)).toMatchObject({ refusal: 'InvalidIpAddress' });
    expect(ok(0x7f000001n, 4, 8091, { allowLoopback: true }).ok).toBe(true);
    expect(ok((1n << 32n) - 1n)).toMatchObject({ refusal: 'InvalidIpAddress' });
    expect(ok(1n, 6)).toMatchObject({ refusal: 'InvalidIpAddress' });
    expect(ok((1n << 128n) - 1n, 6)).toMatchObject({ refusal: 'InvalidIpAddress' });
    expect(ok(1n, 5)).toMatchObject({ refusal: 'InvalidIpType' });
    expect(ok(3232235777n, 4, 0)).toMatchObject({ refusal: 'InvalidPort' });
    expect(checkServeAxon(false, { ip: 1n, ipType: 4, port: 1 })).toMatchObject({ refusal: 'HotKeyNotRegisteredInNetwork' });
  });
});
