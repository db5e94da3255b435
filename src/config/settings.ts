import { z } from 'zod';
import { choice, count, flag, fraction, num, optionalText, port, seconds, structured, text } from '../core/rules/define.ts';
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
  /** Synthetic-data services: the LLM and images endpoints and the model/dataset catalogue; docs/synthetic.md. */
  synthetic: {
    llm: choice(['builtin', 'openai'], 'builtin', 'validator.md §5.2; docs/synthetic.md', 'synthetic-data LLM: the built-in template engine, or the OpenAI-compatible endpoint at services.llmBaseUrl (`god validator --llm` overrides)'),
    llmMaxRequests: count(0, 'docs/synthetic.md (budgets)', 'chat-completions requests this process may send, every attempt counted; 0 = no limit'),
    llmMaxTokens: count(0, 'docs/synthetic.md (budgets)', 'tokens (usage.total_tokens) this process may spend on chat completions; 0 = no limit'),
    llmTaskMaxRequests: count(0, 'docs/synthetic.md (budgets)', 'chat-completions requests one task\'s data preparation may send; 0 = no limit'),
    llmTaskMaxTokens: count(0, 'docs/synthetic.md (budgets)', 'tokens one task\'s data preparation may spend; 0 = no limit'),
    retryAfterMaxSeconds: seconds(60, 'docs/synthetic.md (retries)', 'longest Retry-After wait honoured on 429/5xx; a longer one ends the call instead of stalling prep'),
    images: choice(['builtin', 'openai'], 'builtin', 'validator.md §6.4; docs/synthetic.md', 'synthetic image pairs: built-in shape images, or LLM-written style prompts rendered by an OpenAI images endpoint'),
    imageBaseUrl: optionalText('validator.md §6.4; docs/synthetic.md', 'OpenAI-compatible images API base (POST <base>/images/generations); unset means services.llmBaseUrl'),
    imageApiKey: optionalText('validator.md §6.4', 'bearer key of the images endpoint; unset means services.llmApiKey', { secret: 'value' }),
    imageModel: text('black-forest-labs/FLUX.1-schnell', 'validator.md §6.4 IMAGE_GEN_MODEL', 'model the images endpoint renders with'),
    imageSize: text('1024x1024', 'validator.md §6.4', 'size of generated images, WIDTHxHEIGHT as the images API takes it'),
    imageMaxRequests: count(0, 'docs/synthetic.md (budgets)', 'image-generation requests this process may send, every attempt counted; 0 = no limit'),
    imagePromptModel: text('casperhansen/deepseek-r1-distill-qwen-32b-awq', 'validator.md §6.4 IMAGE_PROMPT_GEN_MODEL', 'chat model that writes image prompts and judges style pairs'),
    imagePromptTemperature: num(0.4, 'validator.md §6.4', 'sampling temperature of the image-prompt model', { min: 0 }),
    imagePromptMaxTokens: count(5024, 'validator.md §6.4', 'max_tokens of the image-prompt model (reasoning models need room before </think>)', 1),
    imageStyleCombineProbability: fraction(0.5, 'validator.md §6.4 PROBABILITY_STYLE_COMBINATION', 'chance that a style dataset combines two styles'),
    imageStyleTries: count(10, 'validator.md §6.4 IMAGE_STYLE_PICKING_NUM_TRIES', 'style pairs tried before giving up on a compatible one', 1),
    catalogue: choice(['builtin', 'content', 'file'], 'builtin', 'validator.md §6.2; docs/synthetic.md', 'where the synthetic scheduler draws models and datasets: built-in datasets, the content service at services.contentBaseUrl, or synthetic.catalogueFile'),
    catalogueFile: optionalText('docs/synthetic.md (catalogue file)', 'JSON or YAML catalogue of Hugging Face models and datasets, used when synthetic.catalogue is file'),
    contentTimeoutSeconds: seconds(120, 'validator.md §6.2 call_content_service', 'limit on one content-service request'),
    contentAttempts: count(5, 'validator.md §6.2', 'attempts per content-service request on HTTP errors', 1),
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
  /** The tournament service inside `god validator` and the trainer nodes it drives; docs/tournament.md. */
  orchestrator: {
    enabled: flag(true, 'tournament.md §3–§4 (tournament_cycle, tournament_orchestrator)', 'run the tournament lifecycle and orchestrator loops inside `god validator` (--no-tournaments turns them off for one run)'),
    trainers: {
      ...structured(
        [] as readonly { readonly url: string; readonly token?: string | null | undefined }[],
        z.array(z.strictObject({ url: z.string().min(1), token: z.string().min(1).nullable().optional() })).readonly() as z.ZodType<readonly { readonly url: string; readonly token?: string | null | undefined }[]>,
        'a JSON list of {"url": "host[:port] or http(s)://host:port", "token": "<bearer token>"}',
        'tournament.md §4.3 (add_trainer); docs/trainer.md (authentication)',
        'trainer nodes the validator registers at start; each token is sent only to its own trainer',
      ),
      secret: 'value' as const,
    },
    trainerToken: optionalText('docs/tournament.md (trainer credentials)', 'bearer token for trainers not listed in orchestrator.trainers (e.g. added with add_trainer); unset: such trainers get no credential', { secret: 'value' }),
  },
  /** Where submissions are evaluated: the built-in engine, or evaluation containers on Docker or Kubernetes; docs/evaluation.md. */
  evalExecutor: {
    kind: choice(['builtin', 'docker', 'kubernetes'], 'builtin', 'evaluation.md §1; docs/evaluation.md', 'builtin = the CPU engine in-process; docker = evaluation containers on this host; kubernetes = evaluation Jobs on a cluster'),
    contract: choice(['original', 'generic'], 'original', 'evaluation.md §2; docs/evaluation.md', 'original = the original evaluation image (evaluation.textEvalImage / diffusionEvalImage); generic = an image speaking the JSON job/result file contract'),
    genericImage: optionalText('docs/evaluation.md (generic contract)', 'image run for the generic contract'),
    isolation: choice(['per_repo', 'contract'], 'per_repo', 'evaluation.md §1.2, §1.5; docs/deviations.md', 'per_repo = one container per evaluated repo; contract = one container per job as the original (GRPO is always per repo)'),
    repoTimeoutSeconds: seconds(18_000, 'evaluation.md §1.4 (the original has none)', 'limit per repo in an evaluation container; a container with n repos gets n times this, then it is killed'),
    grpoPrefetch: flag(true, 'evaluation.md §1.2 (GRPO pre-download)', 'download base model and repo into the model cache before each GRPO container (which has no network)'),
    prefetchTimeoutSeconds: seconds(7200, 'docs/evaluation.md', 'limit on one GRPO model download container'),
    cpusPerGpu: num(8, 'docs/evaluation.md (the original sets no limit)', 'CPU limit per GPU of an evaluation container (0 = none)', { min: 0 }),
    memoryGbPerGpu: num(96, 'docs/evaluation.md (the original sets no limit)', 'memory limit (GiB) per GPU of an evaluation container (0 = none)', { min: 0 }),
    dockerSocket: text('/var/run/docker.sock', 'docs/evaluation.md', 'Docker Engine API socket'),
    dockerApiVersion: text('1.43', 'docs/evaluation.md', 'Docker Engine API version in request paths'),
    dockerNetwork: text('bridge', 'evaluation.md §1.2', 'Docker network of evaluation containers that have network (GRPO always gets none)'),
    dockerRuntime: optionalText('evaluation.md §1.1 (runtime="nvidia")', 'container runtime, e.g. nvidia as the original; unset relies on the GPU device request alone'),
    dockerPull: choice(['missing', 'never'], 'missing', 'docs/evaluation.md', 'pull the evaluation image when the host lacks it, or fail'),
    hfCacheDir: optionalText('evaluation.md §1.2 (host HF hub cache)', 'host folder shared by evaluation containers as the Hugging Face hub cache; unset = ~/.cache/huggingface/hub'),
    pidsLimit: count(8192, 'docs/evaluation.md', 'process limit of a Docker evaluation container', 1),
    namespace: text('default', 'docs/evaluation.md', 'Kubernetes namespace of evaluation Jobs'),
    kubeconfig: optionalText('docs/evaluation.md', 'kubeconfig file; unset = KUBECONFIG, ~/.kube/config or the in-cluster service account'),
    k8sRunAsUser: count(1000, 'docs/evaluation.md', 'non-root uid (and gid) of evaluation pods', 1),
    k8sCacheClaim: optionalText('docs/evaluation.md', 'PersistentVolumeClaim holding the shared model cache; unset = an emptyDir per pod (GRPO then needs the prefetch in the same pod: not supported)'),
    k8sReadOnlyRootfs: flag(true, 'docs/evaluation.md', 'read-only root filesystem for evaluation pods whose program allows it'),
    k8sTtlSeconds: count(600, 'docs/evaluation.md', 'ttlSecondsAfterFinished of evaluation Jobs (they are also deleted right after reading)'),
    k8sStartupGraceSeconds: count(1800, 'docs/evaluation.md', 'added to the run limit in activeDeadlineSeconds: scheduling, image pull, input download'),
    k8sPollSeconds: seconds(5, 'docs/evaluation.md', 'how often a running evaluation Job is polled'),
    k8sFetchImage: optionalText('docs/evaluation.md', 'image of the input-fetching init container (needs python3); unset = the evaluation image'),
  },
  /** How `god trainer start` runs jobs (its --executor flag overrides kind); docs/trainer.md. Limits per GPU: trainer.* rules. */
  trainerExecutor: {
    kind: choice(['local', 'docker', 'kubernetes'], 'local', 'tournament.md §5; docs/trainer.md', 'local = the repo\'s Node entry under OS isolation (devnet); docker = the miner\'s Dockerfile on this host; kubernetes = a Job per training run on a cluster'),
    namespace: text('default', 'docs/trainer.md (Kubernetes executor)', 'Kubernetes namespace of training Jobs'),
    kubeconfig: optionalText('docs/trainer.md (Kubernetes executor)', 'kubeconfig file; unset = KUBECONFIG, ~/.kube/config or the in-cluster service account'),
    k8sTextImage: optionalText('tournament.md §5.4 (standalone-text-trainer.dockerfile); docs/trainer.md', 'pre-built image text training Jobs run (the miner\'s repo is mounted into it); unset = text jobs fail to start'),
    k8sImageImage: optionalText('tournament.md §5.4 (standalone-image-trainer.dockerfile); docs/trainer.md', 'pre-built image image training Jobs run; unset = image jobs fail to start'),
    k8sTextEntrypoint: text('/workspace/scripts/run_text_trainer.sh', 'tournament.md §5.4 (the Dockerfile\'s ENTRYPOINT)', 'command of text training Jobs; the contract\'s arguments follow it'),
    k8sImageEntrypoint: text('/workspace/scripts/run_image_trainer.sh', 'tournament.md §5.4 (the Dockerfile\'s ENTRYPOINT)', 'command of image training Jobs; the contract\'s arguments follow it'),
    k8sRepoMounts: structured(
      [
        { from: 'core', to: '/workspace/core' },
        { from: 'miner', to: '/workspace/miner' },
        { from: 'trainer', to: '/workspace/trainer' },
        { from: 'scripts', to: '/workspace/scripts' },
      ] as readonly { readonly from: string; readonly to: string }[],
      z.array(z.strictObject({ from: z.string().min(1), to: z.string().startsWith('/') })).readonly() as z.ZodType<readonly { readonly from: string; readonly to: string }[]>,
      'a JSON list of {"from": "<path in the repo>", "to": "<absolute path in the container>"}',
      'tournament.md §5.4 (the Dockerfiles\' COPY lines); docs/trainer.md',
      'parts of the miner\'s cloned repo mounted read-only into training pods, where its Dockerfile would copy them',
    ),
    k8sDataClaim: optionalText('docs/trainer.md (Kubernetes executor)', 'PersistentVolumeClaim holding the trainer\'s data directory (job repos, inputs, outputs); required for kubernetes'),
    k8sDataMountPath: optionalText('docs/trainer.md (Kubernetes executor)', 'where the trainer itself mounts that claim; unset = the trainer\'s data directory is the claim\'s root'),
    k8sRunAsUser: count(1000, 'docs/trainer.md (Kubernetes executor)', 'uid and gid of training pods (run the trainer as the same uid); 0 = root'),
    k8sStartupGraceSeconds: seconds(1800, 'docs/trainer.md (Kubernetes executor)', 'longest a training pod may take to schedule and pull its image; also added to activeDeadlineSeconds'),
    k8sTtlSeconds: count(3600, 'docs/trainer.md (Kubernetes executor)', 'ttlSecondsAfterFinished of training Jobs (they are also deleted as soon as they end)'),
    k8sPollSeconds: seconds(10, 'docs/trainer.md (Kubernetes executor)', 'how often a training Job is polled (and its output folder size-checked)'),
    k8sImagePullPolicy: choice(['IfNotPresent', 'Always', 'Never'], 'IfNotPresent', 'docs/trainer.md (Kubernetes executor)', 'imagePullPolicy of training pods'),
    k8sNodeSelector: structured(
      {} as Readonly<Record<string, string>>,
      z.record(z.string(), z.string()) as z.ZodType<Readonly<Record<string, string>>>,
      'a JSON object of node labels',
      'docs/trainer.md (Kubernetes executor)',
      'nodeSelector of training pods, e.g. {"nvidia.com/gpu.product": "NVIDIA-H100-80GB-HBM3"}',
    ),
  },
} as const;

export const defaultSettings = valuesOfGroups(settingDefs);
