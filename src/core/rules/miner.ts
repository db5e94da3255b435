import { num, seconds, text, valuesOf, type ValuesOf } from './define.ts';

/** The reference miner's accept policy (miner-protocol-chain.md §5.2); miners are expected to replace it. */
export const minerDefs = {
  textMaxHoursExclusive: num(13, 'miner-protocol-chain.md §5.2', 'text offers are accepted only with hours_to_complete below this', { min: 0 }),
  imageMaxHoursExclusive: num(3, 'miner-protocol-chain.md §5.2', 'image offers are accepted only with hours_to_complete below this', { min: 0 }),
  busyMarginSeconds: seconds(3600, 'miner-protocol-chain.md §5.2', 'a busy miner still accepts if its current job ends within this'),
  acceptModelSubstring: text('llama', 'miner-protocol-chain.md §5.2', 'text offers are accepted only for model ids containing this (lower-cased); empty accepts all'),
} as const;

export type MinerRules = ValuesOf<typeof minerDefs>;
export const minerRules: MinerRules = valuesOf(minerDefs);
