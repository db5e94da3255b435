import { count, flag, valuesOf, type ValuesOf } from './define.ts';

/**
 * Fees. The reference version (a7e666d7) charges none: tournament entry is by (boosted) alpha stake. The only fee in
 * the specs is HEAD's "burn to play" tournament entry fee (tournament.md §3.3, §9; miner-protocol-chain.md §10),
 * kept here switched off so a later rule set can turn it on without new code paths. 1 TAO = 1e9 rao.
 */
export const feesDefs = {
  tournamentEntryFeeEnabled: flag(false, 'tournament.md §3.3 [HEAD]', 'charge an entry fee from the coldkey balance instead of selecting by stake (REF: off)'),
  tournamentEntryFeeTextRao: count(200_000_000, 'tournament.md §3.3 [HEAD]; miner-protocol-chain.md §10', 'text tournament entry fee (0.2 TAO), burned'),
  tournamentEntryFeeImageRao: count(150_000_000, 'tournament.md §3.3 [HEAD]; miner-protocol-chain.md §10', 'image tournament entry fee (0.15 TAO), burned'),
} as const;

export type FeesRules = ValuesOf<typeof feesDefs>;
export const feesRules: FeesRules = valuesOf(feesDefs);
