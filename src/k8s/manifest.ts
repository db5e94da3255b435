/**
 * A container job as a Kubernetes `batch/v1` Job, as plain data. Inputs are fetched by an init container into an
 * emptyDir that the main container mounts read-only; the main command is wrapped by a small shell script that,
 * after a clean exit, prints the output file base64-encoded on one marker line at the end of the pod log, where
 * the backend reads it (no API credentials in the pod, no sidecar, no extra objects to clean up).
 *
 * Hardening: backoffLimit 0 (a failed evaluation is not retried behind the validator's back), activeDeadlineSeconds,
 * ttlSecondsAfterFinished, non-root user, no privilege escalation, all capabilities dropped, RuntimeDefault seccomp,
 * read-only root filesystem where the program allows it, no service-account token, no service links. Network
 * isolation is the cluster's NetworkPolicy: pods carry `god.network: none|default` for a policy to select
 * (docs/evaluation.md has one).
 */
import type { V1Container, V1Job, V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import type { ContainerJobSpec } from '../evaluation-exec/backend.ts';

export const RESULT_MARKER = 'GOD_RESULT_BASE64 ';
export const RESULT_NONE = 'GOD_RESULT_NONE';
export const MAIN_CONTAINER = 'main';
export const INIT_CONTAINER = 'fetch-inputs';
export const JOB_LABEL = 'god.job';

/**
 * Runs the command ("$@"), then on exit 0 prints the output file as the last log line. The exit status of the
 * command is the container's.
 */
export const WRAPPER_SCRIPT = [
  '"$@"',
  'rc=$?',
  'if [ "$rc" -eq 0 ] && [ -n "$GOD_OUTPUT" ]; then',
  '  if [ -f "$GOD_OUTPUT" ]; then printf \'\\n%s\' "$GOD_RESULT_MARKER"; base64 -w0 "$GOD_OUTPUT"; printf \'\\n\';',
  `  else printf '\\n%s\\n' '${RESULT_NONE}'; fi`,
  'fi',
  'exit "$rc"',
].join('\n');

/** The init container's program: downloads URL inputs, writes inline ones, unzips archives (refusing unsafe paths). */
export const FETCH_SCRIPT = [
  'import base64, io, json, os, sys, urllib.request, zipfile',
  "dest = os.environ['GOD_INPUT_DIR']",
  "timeout = float(os.environ.get('GOD_FETCH_TIMEOUT', '600'))",
  "for item in json.loads(os.environ['GOD_INPUTS']):",
  "    if 'b64' in item:",
  "        data = base64.b64decode(item['b64'])",
  '    else:',
  "        with urllib.request.urlopen(item['url'], timeout=timeout) as r:",
  '            data = r.read()',
  "    if item.get('unzip'):",
  "        target = os.path.join(dest, item['name']) if item['name'] else dest",
  '        with zipfile.ZipFile(io.BytesIO(data)) as z:',
  '            for m in z.infolist():',
  '                p = os.path.normpath(m.filename)',
  "                if os.path.isabs(p) or p == '..' or p.startswith('..' + os.sep):",
  "                    sys.exit('unsafe path in zip: ' + m.filename)",
  '            z.extractall(target)',
  '    else:',
  "        with open(os.path.join(dest, item['name']), 'wb') as f:",
  '            f.write(data)',
  "    print('fetched', item['name'] or '(archive)', len(data), 'bytes', flush=True)",
].join('\n');

export interface KubernetesJobPolicy {
  namespace: string;
  runAsUser: number;
  runAsGroup: number;
  /** 0 = no CPU limit/request (GPUs are always requested). */
  cpusPerGpu: number;
  memoryGbPerGpu: number;
  /** PersistentVolumeClaim holding the shared model cache; null = an emptyDir per pod (nothing shared). */
  cacheClaim: string | null;
  readOnlyRootFilesystem: boolean;
  ttlSecondsAfterFinished: number;
  /** Added to the run's limit in activeDeadlineSeconds: scheduling, image pull, input download. */
  startupGraceSeconds: number;
  /** Image of the input-fetching init container (needs python3); null = the job's own image. */
  fetchImage: string | null;
  imagePullPolicy: 'Always' | 'IfNotPresent' | 'Never';
  nodeSelector: Readonly<Record<string, string>>;
  /** Largest total of inline (bytes) inputs, which travel in the pod spec. */
  maxInlineInputBytes: number;
}

export function activeDeadlineSeconds(spec: Pick<ContainerJobSpec, 'timeoutMs'>, policy: Pick<KubernetesJobPolicy, 'startupGraceSeconds'>): number {
  return Math.max(1, Math.ceil(spec.timeoutMs / 1000) + Math.ceil(policy.startupGraceSeconds));
}

function inputsEnv(spec: ContainerJobSpec, policy: KubernetesJobPolicy): string {
  let inline = 0;
  const items = spec.inputs.map((i) => {
    if ('bytes' in i.source) {
      inline += i.source.bytes.length;
      return { name: i.name, b64: Buffer.from(i.source.bytes).toString('base64') };
    }
    return { name: i.name, url: i.source.url, ...(i.source.unzip ? { unzip: true } : {}) };
  });
  if (inline > policy.maxInlineInputBytes) throw new Error(`inline inputs of ${inline} bytes exceed the ${policy.maxInlineInputBytes}-byte limit of a pod spec`);
  return JSON.stringify(items);
}

const securityContext = (readOnlyRootFilesystem: boolean) => ({
  allowPrivilegeEscalation: false,
  privileged: false,
  readOnlyRootFilesystem,
  runAsNonRoot: true,
  capabilities: { drop: ['ALL'] },
});

export function jobManifest(spec: ContainerJobSpec, policy: KubernetesJobPolicy): V1Job {
  const gpus = spec.gpuIds.length;
  const per = Math.max(1, gpus);
  const limits: Record<string, string> = {};
  if (gpus > 0) limits['nvidia.com/gpu'] = String(gpus);
  if (policy.cpusPerGpu > 0) limits.cpu = String(per * policy.cpusPerGpu);
  if (policy.memoryGbPerGpu > 0) limits.memory = `${per * policy.memoryGbPerGpu}Gi`;

  const volumes: V1Volume[] = [{ name: 'input', emptyDir: {} }, { name: 'fetch-tmp', emptyDir: {} }];
  const mainMounts: V1VolumeMount[] = [{ name: 'input', mountPath: spec.inputDir, readOnly: true }];
  if (spec.cacheDirs.length > 0) {
    volumes.push(policy.cacheClaim ? { name: 'cache', persistentVolumeClaim: { claimName: policy.cacheClaim } } : { name: 'cache', emptyDir: {} });
    for (const d of spec.cacheDirs) mainMounts.push({ name: 'cache', mountPath: d });
  }
  for (const [i, d] of spec.writableDirs.entries()) {
    volumes.push({ name: `w${i}`, emptyDir: {} });
    mainMounts.push({ name: `w${i}`, mountPath: d });
  }

  const env = { ...spec.env, GOD_OUTPUT: spec.outputPath ?? '', GOD_RESULT_MARKER: RESULT_MARKER };
  const main: V1Container = {
    name: MAIN_CONTAINER,
    image: spec.image,
    imagePullPolicy: policy.imagePullPolicy,
    command: ['/bin/sh', '-c', WRAPPER_SCRIPT, 'god-wrap', ...spec.command],
    env: Object.entries(env).map(([name, value]) => ({ name, value })),
    resources: { limits, requests: { ...limits } },
    volumeMounts: mainMounts,
    securityContext: securityContext(policy.readOnlyRootFilesystem && !spec.rootfsWritable),
  };
  const fetch: V1Container = {
    name: INIT_CONTAINER,
    image: policy.fetchImage ?? spec.image,
    imagePullPolicy: policy.imagePullPolicy,
    command: ['python3', '-c', FETCH_SCRIPT],
    env: [
      { name: 'GOD_INPUT_DIR', value: spec.inputDir },
      { name: 'GOD_INPUTS', value: inputsEnv(spec, policy) },
      { name: 'HOME', value: '/tmp' },
    ],
    resources: { limits: { cpu: '1', memory: '4Gi' }, requests: { cpu: '250m', memory: '512Mi' } },
    volumeMounts: [
      { name: 'input', mountPath: spec.inputDir },
      { name: 'fetch-tmp', mountPath: '/tmp' },
    ],
    securityContext: securityContext(true),
  };
  const labels = { ...spec.labels, [JOB_LABEL]: spec.name, 'god.network': spec.network, 'app.kubernetes.io/managed-by': 'god' };
  return jobSkeleton({
    name: spec.name,
    namespace: policy.namespace,
    labels,
    activeDeadlineSeconds: activeDeadlineSeconds(spec, policy),
    ttlSecondsAfterFinished: policy.ttlSecondsAfterFinished,
    podSecurity: {
      runAsNonRoot: true,
      runAsUser: policy.runAsUser,
      runAsGroup: policy.runAsGroup,
      fsGroup: policy.runAsGroup,
      seccompProfile: { type: 'RuntimeDefault' },
    },
    nodeSelector: policy.nodeSelector,
    initContainers: spec.inputs.length > 0 ? [fetch] : [],
    containers: [main],
    volumes,
  });
}

export interface JobParts {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  activeDeadlineSeconds: number;
  ttlSecondsAfterFinished: number;
  /** The pod's security context (identity, fsGroup, seccomp). */
  podSecurity: NonNullable<NonNullable<V1Job['spec']>['template']['spec']>['securityContext'];
  nodeSelector: Record<string, string>;
  initContainers: V1Container[];
  containers: V1Container[];
  volumes: V1Volume[];
}

/**
 * The Job every god workload runs as: one pod, never retried or restarted, no service-account token, no service
 * links, deleted `ttlSecondsAfterFinished` after it ends. Callers supply the containers and the pod's identity.
 */
export function jobSkeleton(p: JobParts): V1Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: p.name, namespace: p.namespace, labels: p.labels, ...(p.annotations ? { annotations: p.annotations } : {}) },
    spec: {
      backoffLimit: 0,
      completions: 1,
      parallelism: 1,
      activeDeadlineSeconds: p.activeDeadlineSeconds,
      ttlSecondsAfterFinished: p.ttlSecondsAfterFinished,
      template: {
        metadata: { labels: p.labels },
        spec: {
          restartPolicy: 'Never',
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          ...(p.podSecurity ? { securityContext: p.podSecurity } : {}),
          ...(Object.keys(p.nodeSelector).length ? { nodeSelector: { ...p.nodeSelector } } : {}),
          initContainers: p.initContainers,
          containers: p.containers,
          volumes: p.volumes,
        },
      },
    },
  };
}

/** The output file from the pod log: the last marker line wins; the other lines are the log. */
export function splitResultLine(log: string): { lines: string[]; output: Buffer | null; sawMarker: boolean } {
  const lines = log.split('\n');
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!;
    if (line.startsWith(RESULT_MARKER)) {
      const rest = [...lines.slice(0, i), ...lines.slice(i + 1)];
      return { lines: rest, output: Buffer.from(line.slice(RESULT_MARKER.length).trim(), 'base64'), sawMarker: true };
    }
    if (line === RESULT_NONE) return { lines: [...lines.slice(0, i), ...lines.slice(i + 1)], output: null, sawMarker: true };
  }
  return { lines, output: null, sawMarker: false };
}
