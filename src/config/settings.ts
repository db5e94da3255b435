import { choice, count, flag, optionalText, port, seconds, text } from '../core/rules/define.ts';
import { valuesOfGroups } from '../core/rules/index.ts';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export const NETWORKS = ['devnet', 'finney', 'test'] as const;

/**
 * Operational settings: where this installation keeps its data and how it reaches the outside world. Unlike rules
 * they differ per machine, so most defaults are "unset" (null) and come from the environment.
 */
export const settingDefs = {
  general: {
    home: text('./.god', 'ARCHITECTURE.md (GOD_HOME)', 'data directory: embedded database, blobs, keys; relative paths resolve against the working directory'),
    logLevel: choice(LOG_LEVELS, 'info', 'STYLE.md (one logger)', 'lowest level the structured logger writes'),
    network: choice(NETWORKS, 'devnet', 'miner-protocol-chain.md §1; ARCHITECTURE.md', 'which chain to talk to: the local devnet chain, finney (mainnet) or test'),
  },
  database: {
    url: optionalText('validator.md §0 DATABASE_URL; ARCHITECTURE.md', 'PostgreSQL URL; unset means the embedded PGlite database under general.home', { secret: 'url' }),
  },
  chain: {
    endpoint: optionalText('miner-protocol-chain.md §1 SUBTENSOR_ADDRESS', 'websocket endpoint of a subtensor node; unset means the one for general.network'),
    finneyEndpoint: text('wss://entrypoint-finney.opentensor.ai:443', 'miner-protocol-chain.md §1', 'mainnet endpoint used when chain.endpoint is unset and the network is finney'),
    testEndpoint: text('wss://test.finney.opentensor.ai:443/', 'miner-protocol-chain.md §1', 'testnet endpoint used when chain.endpoint is unset and the network is test'),
    walletName: text('default', 'miner-protocol-chain.md §5.1 WALLET_NAME', 'bittensor wallet (coldkey) name'),
    hotkeyName: text('default', 'miner-protocol-chain.md §2.4 HOTKEY_NAME', 'hotkey name inside the wallet'),
    walletDir: text('~/.bittensor/wallets', 'miner-protocol-chain.md §5.1', 'directory holding bittensor wallet files'),
  },
  services: {
    llmBaseUrl: text('https://api.nineteen.ai/v1', 'validator.md §5.2', 'OpenAI-compatible chat-completions endpoint for synthetic data'),
    llmApiKey: optionalText('validator.md §0 NINETEEN_API_KEY', 'bearer key of the LLM endpoint (without it the original signs with the hotkey)', { secret: 'value' }),
    contentBaseUrl: text('https://content.gradients.io', 'validator.md §6.2 CONTENT_BASE_URL', 'content service for random models and datasets (dev.content.gradients.io on netuid 241)'),
    huggingfaceToken: optionalText('miner-protocol-chain.md §5.1 HUGGINGFACE_TOKEN', 'Hugging Face token for uploads and private downloads', { secret: 'value' }),
    huggingfaceUsername: optionalText('miner-protocol-chain.md §5.1 HUGGINGFACE_USERNAME', 'Hugging Face namespace that outputs are uploaded to'),
    wandbToken: optionalText('miner-protocol-chain.md §5.1 WANDB_TOKEN', 'Weights & Biases token for training logs', { secret: 'value' }),
    s3Endpoint: optionalText('validator.md §0 S3_COMPATIBLE_ENDPOINT', 'S3/MinIO endpoint; unset means the local blob store'),
    s3AccessKey: optionalText('validator.md §0 S3_COMPATIBLE_ACCESS_KEY', 'S3 access key id', { secret: 'value' }),
    s3SecretKey: optionalText('validator.md §0 S3_COMPATIBLE_SECRET_KEY', 'S3 secret key', { secret: 'value' }),
    s3Bucket: optionalText('validator.md §0 S3_BUCKET_NAME', 'bucket for task data and score dumps'),
    s3Region: optionalText('validator.md §0 S3_REGION', 'S3 region'),
    githubToken: optionalText('tournament.md §3.12 GITHUB_TOKEN', 'token that publishes tournament winners\' repos', { secret: 'value' }),
  },
  /** The embedded storage (local blob store and model hub) and how clients reach a hub server; docs/storage.md. */
  storage: {
    blobDir: optionalText('ARCHITECTURE.md (local blob store); docs/storage.md', 'directory of the local blob store; unset means <general.home>/blobs'),
    hubDir: optionalText('ARCHITECTURE.md (local hub); docs/storage.md', 'directory of the local model hub; unset means <general.home>/hub'),
    host: text('127.0.0.1', 'docs/storage.md', 'address the storage server (blobs and hub) listens on'),
    port: port(8600, 'docs/storage.md', 'port of the storage server (0 picks a free one)'),
    publicUrl: optionalText('docs/storage.md', 'base URL other machines reach the storage server at (signed URLs and hub links point here); unset means the listen address'),
    hubUrl: optionalText('docs/storage.md', 'hub server a client uploads to and reads from (a miner, the validator); unset means the local hub directory in-process'),
    hubToken: optionalText('docs/storage.md', 'upload token of this owner namespace on the hub server (issued by `god hub token <owner>`)', { secret: 'value' }),
    blobMaxBytes: count(2_147_483_646, 'validator.md §5.1', 'largest blob the store accepts (the original\'s dataset cap); larger uploads are refused with 413'),
    blobUrlMaxSeconds: seconds(604_800, 'validator.md §5.1; S3 presign limit', 'longest lifetime a signed blob URL may be given (7 days, as S3 allows)'),
    hubMaxFileBytes: count(2_147_483_646, 'docs/storage.md', 'largest single file the local hub accepts in an upload'),
    hubMaxCommitBytes: count(16 * 1024 * 1024, 'docs/storage.md', 'largest commit request body (file list and inline base64 files) the hub server reads'),
    hub: choice(['auto', 'local', 'http', 'huggingface'], 'auto', 'docs/storage.md (choosing backends)', 'model hub backend: auto = the hub server at storage.hubUrl when set, else the local hub directory; huggingface = the Hugging Face Hub at storage.hfEndpoint with services.huggingfaceToken (never chosen by auto)'),
    hfEndpoint: text('https://huggingface.co', 'huggingface_hub HF_ENDPOINT; docs/storage.md', 'base URL of the Hugging Face Hub (or a mirror) when storage.hub is huggingface'),
    s3PathStyle: flag(true, 'validator.md §0 (MinIO client); docs/storage.md', 'address objects as <endpoint>/<bucket>/<key> (MinIO) rather than <bucket>.<endpoint>/<key> (AWS virtual-hosted)'),
  },
} as const;

export const defaultSettings = valuesOfGroups(settingDefs);
