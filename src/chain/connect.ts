/**
 * One way to get a `Chain` from settings: the devnet chain over HTTP, or subtensor over a websocket. The
 * subtensor module (and @polkadot/api with it) is loaded only when asked for, so devnet processes stay light.
 */
import type { Sr25519Keypair } from '../keys/keypair.ts';
import { httpChain } from './devnet/index.ts';
import type { Chain } from './types.ts';

export type ChainTarget =
  | { network: 'devnet'; url: string }
  | { network: 'finney' | 'test'; endpoint: string };

export async function connectChain(target: ChainTarget, signer?: Sr25519Keypair): Promise<Chain> {
  if (target.network === 'devnet') return httpChain(target.url, signer);
  const { SubtensorChain } = await import('./subtensor/adapter.ts');
  return SubtensorChain.connect({ endpoint: target.endpoint, ...(signer ? { signer } : {}) });
}

export interface ChainChoice {
  /** `--chain-url` (or `GOD_CHAIN_URL`): the devnet chain over HTTP, whatever the network setting says. */
  chainUrl?: string | undefined;
  /** `--network`; default `general.network`. */
  network?: 'devnet' | 'finney' | 'test' | undefined;
  /** `--endpoint`; default `chain.endpoint`, else the network's public entrypoint. */
  endpoint?: string | undefined;
}

/**
 * Where a role's chain is: a devnet URL wins; otherwise finney or test (from the flag or `general.network`) means
 * subtensor at the given endpoint, else `chain.endpoint`, else that network's entrypoint. Devnet without a URL is
 * `null`: the caller decides whether it can run without a chain.
 */
export function chainTarget(
  choice: ChainChoice,
  config: { general: { network: 'devnet' | 'finney' | 'test' }; chain: { endpoint: string | null; finneyEndpoint: string; testEndpoint: string } },
): ChainTarget | null {
  if (choice.chainUrl) return { network: 'devnet', url: choice.chainUrl };
  const network = choice.network ?? config.general.network;
  if (network === 'devnet') return null;
  return { network, endpoint: choice.endpoint ?? config.chain.endpoint ?? (network === 'finney' ? config.chain.finneyEndpoint : config.chain.testEndpoint) };
}
