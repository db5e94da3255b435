/**
 * The configured EvaluationExecutor (`evalExecutor.*`, docs/evaluation.md): the built-in engine by default, or
 * evaluation containers on Docker or Kubernetes speaking the original's contract or the generic one. Heavy
 * modules (the Kubernetes client) load only when chosen.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../config/schema.ts';
import type { Logger } from '../log/index.ts';
import type { ModelHub as StorageModelHub } from '../storage/hub/types.ts';
import type { EvaluationExecutor, Fetcher } from '../validator/ports.ts';
import type { ContainerBackend } from './backend.ts';

export interface ExecutorDeps {
  fetch: Fetcher;
  hub: Pick<StorageModelHub, 'download'>;
  home?: string;
  log?: Logger;
}

export async function containerBackend(config: Config, fetch: Fetcher): Promise<ContainerBackend> {
  const c = config.evalExecutor;
  if (c.kind === 'docker') {
    const [{ DockerEngine }, { DockerContainerBackend }] = await Promise.all([import('../trainer/docker/engine.ts'), import('./docker-backend.ts')]);
    return new DockerContainerBackend({
      engine: new DockerEngine({ socketPath: c.dockerSocket, apiVersion: c.dockerApiVersion }),
      fetch,
      policy: { network: c.dockerNetwork, runtime: c.dockerRuntime, cpusPerGpu: c.cpusPerGpu, memoryGbPerGpu: c.memoryGbPerGpu, pidsLimit: c.pidsLimit, readonlyRootfs: false },
      cacheHostDir: c.hfCacheDir ?? join(homedir(), '.cache', 'huggingface', 'hub'),
      pull: c.dockerPull,
    });
  }
  if (c.kind === 'kubernetes') {
    const { KubernetesContainerBackend, loadKubeConfig } = await import('../k8s/backend.ts');
    return new KubernetesContainerBackend({
      kubeConfig: loadKubeConfig(c.kubeconfig),
      policy: {
        namespace: c.namespace,
        runAsUser: c.k8sRunAsUser,
        runAsGroup: c.k8sRunAsUser,
        cpusPerGpu: c.cpusPerGpu,
        memoryGbPerGpu: c.memoryGbPerGpu,
        cacheClaim: c.k8sCacheClaim,
        readOnlyRootFilesystem: c.k8sReadOnlyRootfs,
        ttlSecondsAfterFinished: c.k8sTtlSeconds,
        startupGraceSeconds: c.k8sStartupGraceSeconds,
        fetchImage: c.k8sFetchImage,
        imagePullPolicy: 'IfNotPresent',
        nodeSelector: {},
        maxInlineInputBytes: 256 * 1024,
      },
      pollMs: c.k8sPollSeconds * 1000,
      logTailLines: 200,
    });
  }
  throw new Error(`evalExecutor.kind ${c.kind} has no container backend`);
}

export async function buildEvaluationExecutor(config: Config, deps: ExecutorDeps): Promise<EvaluationExecutor> {
  const c = config.evalExecutor;
  if (c.kind === 'builtin') {
    const { BuiltinEvaluationExecutor } = await import('../validator/evaluation/builtin.ts');
    return new BuiltinEvaluationExecutor({ fetch: deps.fetch, hub: deps.hub, ...(deps.home ? { home: deps.home } : {}) });
  }
  const backend = await containerBackend(config, deps.fetch);
  if (c.contract === 'generic') {
    if (!c.genericImage) throw new Error('evalExecutor.contract is generic but evalExecutor.genericImage is not set');
    const { GenericEvaluationExecutor } = await import('./generic.ts');
    return new GenericEvaluationExecutor({ backend, image: c.genericImage, isolation: c.isolation, repoTimeoutMs: c.repoTimeoutSeconds * 1000 });
  }
  const { ContainerEvaluationExecutor } = await import('./executor.ts');
  const log = deps.log;
  return new ContainerEvaluationExecutor({
    backend,
    textImage: config.evaluation.textEvalImage,
    diffusionImage: config.evaluation.diffusionEvalImage,
    isolation: c.isolation,
    repoTimeoutMs: c.repoTimeoutSeconds * 1000,
    grpoPrefetch: c.grpoPrefetch,
    prefetchTimeoutMs: c.prefetchTimeoutSeconds * 1000,
    ...(log ? { onLine: (spec, line) => log.debug({ container: spec.name }, line) } : {}),
  });
}
