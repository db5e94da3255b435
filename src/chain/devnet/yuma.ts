/**
 * The devnet's incentive rule: a simplified Yuma consensus, run once per tempo.
 *
 * Kept from subtensor's Yuma (pallets/subtensor/src/epoch/run_epoch.rs):
 *  - only permitted validators' weights count, each validator's row normalised to sum 1;
 *  - self-weights are ignored (mask_diag), and so are weights a validator set before the target registered
 *    (they were meant for the uid's previous owner);
 *  - consensus per miner is the stake-weighted κ-quantile of the weights it received: the largest value that
 *    validators holding at least κ of the stake gave it or more;
 *  - each weight is clipped to that consensus, and incentive is the stake-weighted sum of clipped weights,
 *    normalised to sum 1.
 * Left out: bonds and their moving average, dividends, emission, liquid alpha, pruning and immunity, and the
 * fixed-point arithmetic (floats here). Good enough for a devnet where "who got weight from staked validators"
 * must show up as incentive; not a source of finney-identical numbers.
 */

export interface YumaNeuron {
  /** Stake in TAO units (total, as the metagraph's `total_stake`). */
  stake: number;
  validatorPermit: boolean;
  /** Sparse (uid, u16 weight) pairs this neuron set. */
  weights: readonly (readonly [number, number])[];
  /** Block of its last weight set. */
  lastUpdate: number;
  registeredAt: number;
}

export interface YumaResult {
  /** Sums to 1 (or all 0 when nobody set weights). */
  incentive: number[];
  /** Per miner, the κ-consensus weight (0..1). */
  consensus: number[];
}

/** Largest c such that the stake of validators giving ≥ c is at least κ of all stake (0 when none). */
export function stakeWeightedQuantile(values: readonly number[], stakeShares: readonly number[], kappa: number): number {
  const order = values.map((v, i) => [v, stakeShares[i] ?? 0] as const).sort((a, b) => b[0] - a[0]);
  let cumulative = 0;
  for (const [value, share] of order) {
    cumulative += share;
    // Tolerance: shares are floats that should sum to 1; don't let 0.49999999 miss a κ of 0.5.
    if (cumulative >= kappa - 1e-12) return value;
  }
  return 0;
}

export function simplifiedYuma(neurons: readonly YumaNeuron[], kappa: number): YumaResult {
  const n = neurons.length;
  const zeros = () => new Array<number>(n).fill(0);
  const validators = neurons.map((neuron, uid) => ({ neuron, uid })).filter(({ neuron }) => neuron.validatorPermit && neuron.stake > 0);
  const totalStake = validators.reduce((sum, v) => sum + v.neuron.stake, 0);
  if (n === 0 || totalStake <= 0) return { incentive: zeros(), consensus: zeros() };

  const shares = validators.map((v) => v.neuron.stake / totalStake);
  const rows = validators.map(({ neuron, uid }) => {
    const row = zeros();
    for (const [dest, w] of neuron.weights) {
      const target = neurons[dest];
      if (dest === uid || target === undefined || target.registeredAt > neuron.lastUpdate) continue;
      row[dest] = w;
    }
    const sum = row.reduce((a, b) => a + b, 0);
    return sum > 0 ? row.map((w) => w / sum) : row;
  });

  const consensus = zeros().map((_, miner) => stakeWeightedQuantile(rows.map((row) => row[miner] ?? 0), shares, kappa));
  const rank = zeros();
  rows.forEach((row, v) => {
    row.forEach((w, miner) => {
      rank[miner] = (rank[miner] ?? 0) + (shares[v] ?? 0) * Math.min(w, consensus[miner] ?? 0);
    });
  });
  const rankSum = rank.reduce((a, b) => a + b, 0);
  return { incentive: rankSum > 0 ? rank.map((r) => r / rankSum) : zeros(), consensus };
}

/** Top `max` neurons by stake (stake > 0) get a permit; ties go to the lower uid, as a stable sort gives. */
export function validatorPermits(stakes: readonly number[], max: number): boolean[] {
  const ranked = stakes
    .map((stake, uid) => ({ stake, uid }))
    .filter((s) => s.stake > 0)
    .sort((a, b) => b.stake - a.stake || a.uid - b.uid)
    .slice(0, max);
  const permits = new Array<boolean>(stakes.length).fill(false);
  for (const { uid } of ranked) permits[uid] = true;
  return permits;
}

/** A 0..1 proportion as the chain's u16 fixed point. */
export function toU16(x: number): number {
  return Math.max(0, Math.min(65_535, Math.round(x * 65_535)));
}
