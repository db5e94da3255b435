/**
 * Wires a trainer from one options object: the executor (local, Docker or Kubernetes), the history, the HTTP server and its
 * authentication. `god trainer` builds the options from flags and the config; tests build them directly.
 */
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { systemClock, type Clock } from '../clock/index.ts';
import { trainerRules, type TrainerRules } from '../core/rules/trainer.ts';
import type { GodServer } from '../http/server.ts';
import type { Logger } from '../log/index.ts';
import { silentLogger } from '../log/index.ts';
import { downloadToFile } from '../miner/download.ts';
import { NonceStore } from '../net/nonce-store.ts';
import { detectHostIsolation, type Layer } from '../isolation/detect.ts';
import { trainerAuth } from './auth.ts';
import { DockerEngine } from './docker/engine.ts';
import { buildEngineBundle } from './engine/bundle.ts';
import { DockerExecutor } from './docker/executor.ts';
import { loadKubeConfig } from '../k8s/backend.ts';
import { KubernetesExecutor } from './k8s/executor.ts';
import { REFERENCE_REPO_MOUNTS } from './k8s/manifest.ts';
import type { Executor } from './executor.ts';
import type { GpuSpec } from './gpus.ts';
import { LocalExecutor } from './local-executor.ts';
import type { DatasetFetcher, TrainerHub } from './ports.ts';
import { createTrainerServer } from './server.ts';
import { TrainerService } from './service.ts';

const MiB = 1024 * 1024;

export const trainerOptionsSchema = z.object({
  host: z.string().default('127.0.0.1'),
  port: z.number().int().min(0).max(65535).default(8001),
  dataDir: z.string().min(1),
  executor: z.enum(['local', 'docker', 'kubernetes']).default('local'),
  auth: z.object({
    trainerHotkey: z.string().nullable().default(null),
    allowedValidators: z.array(z.string()).default([]),
    tokenSha256: z.array(z.string().regex(/^[0-9a-fA-F]{64}$/, 'a token hash is 64 hex digits')).default([]),
  }),
  repos: z
    .object({
      allowedHosts: z.array(z.string()).default(['github.com']),
      allowLocal: z.boolean().default(false),
      localRoots: z.array(z.string()).default([]),
      cloneTimeoutSeconds: z.number().positive().default(120),
      maxBytes: z.number().int().positive().default(2048 * MiB),
    })
    .default({ allowedHosts: ['github.com'], allowLocal: false, localRoots: [], cloneTimeoutSeconds: 120, maxBytes: 2048 * MiB }),
  hubNamespace: z.string().min(1).default('rayonlabs'),
  limits: z
    .object({
      maxDatasetBytes: z.number().int().positive().default(2_147_483_646),
      maxModelBytes: z.number().int().positive().default(1024 * 1024 * MiB),
      downloadTimeoutSeconds: z.number().positive().default(3600),
      outputMaxBytes: z.number().int().positive().default(200 * 1024 * MiB),
      outputMaxFiles: z.number().int().positive().default(10_000),
      maxLogEntries: z.number().int().positive().default(500),
      maxTailLines: z.number().int().positive().default(200),
      maxLineChars: z.number().int().positive().default(2000),
      msPerHour: z.number().positive().default(3_600_000),
    })
    .default({
      maxDatasetBytes: 2_147_483_646,
      maxModelBytes: 1024 * 1024 * MiB,
      downloadTimeoutSeconds: 3600,
      outputMaxBytes: 200 * 1024 * MiB,
      outputMaxFiles: 10_000,
      maxLogEntries: 500,
      maxTailLines: 200,
      maxLineChars: 2000,
      msPerHour: 3_600_000,
    }),
  deadlinePolicy: z.enum(['fail', 'publish-partial']).default('fail'),
  local: z
    .object({
      memoryMb: z.number().int().min(64).default(4096),
      pids: z.number().int().min(16).default(256),
      nofile: z.number().int().min(64).default(1024),
      fileMaxBytes: z.number().int().positive().default(8 * 1024 * MiB),
      privateTmpMb: z.number().int().min(1).default(64),
      outputPollMs: z.number().int().min(10).default(250),
      allowWorkers: z.boolean().default(true),
      uidBase: z.number().int().min(1000).default(200_000),
      uidSlots: z.number().int().min(1).max(4096).default(64),
      disable: z.array(z.enum(['namespaces', 'privateTmp', 'user', 'pdeathsig', 'rlimits', 'cgroupMemory', 'cgroupPids', 'nodePermission'])).default([]),
      /** Link the bundled built-in engine into every job's cache (god/engine.mjs); built on the first job. */
      engine: z.boolean().default(true),
    })
    .default({ memoryMb: 4096, pids: 256, nofile: 1024, fileMaxBytes: 8 * 1024 * MiB, privateTmpMb: 64, outputPollMs: 250, allowWorkers: true, uidBase: 200_000, uidSlots: 64, disable: [], engine: true }),
  docker: z
    .object({
      socketPath: z.string().default('/var/run/docker.sock'),
      apiVersion: z.string().regex(/^\d+\.\d+$/).default('1.43'),
      buildTimeoutSeconds: z.number().positive().default(3600),
      buildNetwork: z.string().default('default'),
      pidsLimit: z.number().int().min(16).default(4096),
      user: z.string().nullable().default(null),
      readonlyRootfs: z.boolean().default(false),
      pollMs: z.number().int().min(10).default(5000),
    })
    .default({ socketPath: '/var/run/docker.sock', apiVersion: '1.43', buildTimeoutSeconds: 3600, buildNetwork: 'default', pidsLimit: 4096, user: null, readonlyRootfs: false, pollMs: 5000 }),
  /** The Kubernetes executor (src/trainer/k8s/; the `trainerExecutor.*` settings). */
  kubernetes: z
    .object({
      namespace: z.string().min(1).default('default'),
      kubeconfig: z.string().nullable().default(null),
      textImage: z.string().min(1).nullable().default(null),
      imageImage: z.string().min(1).nullable().default(null),
      textEntrypoint: z.string().min(1).default('/workspace/scripts/run_text_trainer.sh'),
      imageEntrypoint: z.string().min(1).default('/workspace/scripts/run_image_trainer.sh'),
      repoMounts: z.array(z.object({ from: z.string().min(1), to: z.string().startsWith('/') })).default(() => REFERENCE_REPO_MOUNTS.map((m) => ({ ...m }))),
      /** Required for the kubernetes executor. */
      dataClaim: z.string().min(1).nullable().default(null),
      /** Where this process sees the claim's root; null = dataDir. */
      dataMountPath: z.string().min(1).nullable().default(null),
      runAsUser: z.number().int().min(0).default(1000),
      startupGraceSeconds: z.number().min(0).default(1800),
      ttlSecondsAfterFinished: z.number().int().min(0).default(3600),
      pollMs: z.number().int().min(10).default(10_000),
      imagePullPolicy: z.enum(['IfNotPresent', 'Always', 'Never']).default('IfNotPresent'),
      nodeSelector: z.record(z.string(), z.string()).default({}),
    })
    .prefault({}),
});
export type TrainerOptions = z.output<typeof trainerOptionsSchema>;
export type TrainerOptionsInput = z.input<typeof trainerOptionsSchema>;

export interface TrainerDeps {
  hub: TrainerHub;
  gpus: readonly GpuSpec[];
  fetchDataset?: DatasetFetcher;
  rules?: TrainerRules;
  clock?: Clock;
  logger?: Logger;
  /** Overrides the executor built from the options (tests). */
  executor?: Executor;
}

export interface RunningTrainer {
  service: TrainerService;
  server: GodServer;
  url: string;
  close(): Promise<void>;
}

export function buildExecutor(options: TrainerOptions, rules: TrainerRules): Executor {
  if (options.executor === 'docker') {
    return new DockerExecutor(new DockerEngine({ socketPath: options.docker.socketPath, apiVersion: options.docker.apiVersion }), {
      rules,
      network: rules.trainingNetwork,
      buildTimeoutMs: options.docker.buildTimeoutSeconds * 1000,
      buildNetwork: options.docker.buildNetwork,
      pidsLimit: options.docker.pidsLimit,
      user: options.docker.user,
      readonlyRootfs: options.docker.readonlyRootfs,
      outputMaxBytes: options.limits.outputMaxBytes,
      pollMs: options.docker.pollMs,
      maxLineChars: options.limits.maxLineChars,
    });
  }
  if (options.executor === 'kubernetes') {
    const k = options.kubernetes;
    if (!k.dataClaim) throw new Error('trainer: the kubernetes executor needs the PersistentVolumeClaim holding the data directory (trainerExecutor.k8sDataClaim)');
    return new KubernetesExecutor({
      kubeConfig: loadKubeConfig(k.kubeconfig),
      policy: {
        namespace: k.namespace,
        textImage: k.textImage,
        imageImage: k.imageImage,
        textEntrypoint: k.textEntrypoint,
        imageEntrypoint: k.imageEntrypoint,
        repoMounts: k.repoMounts,
        dataClaim: k.dataClaim,
        dataMountPath: resolve(k.dataMountPath ?? options.dataDir),
        runAsUser: k.runAsUser,
        rules,
        startupGraceSeconds: k.startupGraceSeconds,
        ttlSecondsAfterFinished: k.ttlSecondsAfterFinished,
        imagePullPolicy: k.imagePullPolicy,
        nodeSelector: k.nodeSelector,
      },
      pollMs: k.pollMs,
      maxLineChars: options.limits.maxLineChars,
      outputMaxBytes: options.limits.outputMaxBytes,
    });
  }
  const host = detectHostIsolation({ disable: options.local.disable as Layer[] });
  return new LocalExecutor({
    host,
    memoryMb: options.local.memoryMb,
    pids: options.local.pids,
    nofile: options.local.nofile,
    outputMaxBytes: options.limits.outputMaxBytes,
    fileMaxBytes: options.local.fileMaxBytes,
    privateTmpMb: options.local.privateTmpMb,
    outputPollMs: options.local.outputPollMs,
    maxLineChars: options.limits.maxLineChars,
    allowWorkers: options.local.allowWorkers,
    engineBundle: options.local.engine ? once(() => buildEngineBundle(join(options.dataDir, 'engine'))) : async () => null,
  });
}

function once<T>(fn: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | null = null;
  return () => {
    p ??= fn().catch((error: unknown) => {
      p = null;
      throw error;
    });
    return p;
  };
}

export async function startTrainer(input: TrainerOptionsInput, deps: TrainerDeps): Promise<RunningTrainer> {
  const options = trainerOptionsSchema.parse(input);
  const rules = deps.rules ?? trainerRules;
  const logger = deps.logger ?? silentLogger();
  const clock = deps.clock ?? systemClock;
  if (!options.auth.tokenSha256.length && !(options.auth.trainerHotkey && options.auth.allowedValidators.length)) {
    throw new Error('trainer: no caller could authenticate; configure allowed validator hotkeys (with this trainer\'s hotkey) or a token hash');
  }
  const executor = deps.executor ?? buildExecutor(options, rules);
  const host = options.executor === 'local' && executor instanceof LocalExecutor ? detectHostIsolation({ disable: options.local.disable as Layer[] }) : null;
  for (const warning of host?.warnings ?? []) logger.warn({ layer: 'isolation' }, warning);
  const service = await TrainerService.open({
    dataDir: options.dataDir,
    executor,
    hub: deps.hub,
    fetchDataset: deps.fetchDataset ?? ((url, target, o) => downloadToFile(url, target, o)),
    gpus: deps.gpus,
    repoPolicy: options.repos,
    hubNamespace: options.hubNamespace,
    limits: {
      cloneTimeoutMs: options.repos.cloneTimeoutSeconds * 1000,
      maxRepoBytes: options.repos.maxBytes,
      maxDatasetBytes: options.limits.maxDatasetBytes,
      maxModelBytes: options.limits.maxModelBytes,
      downloadTimeoutMs: options.limits.downloadTimeoutSeconds * 1000,
      outputMaxBytes: options.limits.outputMaxBytes,
      outputMaxFiles: options.limits.outputMaxFiles,
      maxLogEntries: options.limits.maxLogEntries,
      maxTailLines: options.limits.maxTailLines,
      msPerHour: options.limits.msPerHour,
    },
    users: options.executor === 'local' && host?.userSwitch ? { uidBase: options.local.uidBase, slots: options.local.uidSlots } : null,
    deadlinePolicy: options.deadlinePolicy,
    rules,
    clock,
    logger,
  });
  const auth = trainerAuth({
    trainerHotkey: options.auth.trainerHotkey,
    allowedValidators: options.auth.allowedValidators,
    tokenSha256: options.auth.tokenSha256,
    nonceStore: new NonceStore(),
    clock,
  });
  const server = createTrainerServer(service, auth, logger);
  const url = await server.listen({ port: options.port, host: options.host });
  return {
    service,
    server,
    url,
    async close() {
      await server.close();
      await service.close();
    },
  };
}

/** Where a trainer keeps its state by default: `<general.home>/trainer`. */
export const defaultTrainerDir = (home: string): string => join(home, 'trainer');
