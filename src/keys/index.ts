/** sr25519 keys and Bittensor wallet files. */
export { DEV_PHRASE, SS58_PREFIX, Sr25519Keypair, initCrypto, isSs58Address, publicKeyFromAddress } from './keypair.ts';
export { verifySr25519 } from './signature.ts';
export type { Sr25519Impl } from './signature.ts';
export {
  DEFAULT_WALLET_ROOT,
  listWallets,
  loadColdkeyAddress,
  loadHotkey,
  readKeyfile,
  resolveWalletRoot,
  saveColdkey,
  saveHotkey,
  walletPaths,
} from './wallet.ts';
export type { HotkeyListing, Keyfile, KeyfileData, WalletListing, WalletRef } from './wallet.ts';
