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
