/**
 * A fake Kubernetes API server on loopback HTTP for tests (no cluster runs here). It records every request the
 * real @kubernetes/client-node sends and answers as the API server documents: a created Job (201, with uid and
 * creationTimestamp) or a `Status` object on errors (409 AlreadyExists, 404 NotFound, 422 Invalid), Job status
 * with `Complete`/`Failed` conditions, a PodList for a label selector, plain-text pod logs honouring `tailLines`,
 * and deletion with `propagationPolicy`. Job bodies are checked with strict schemas (as `fieldValidation=Strict`
 * would) so a misspelt field fails the test. What the pod does is a test-supplied program over the Job.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { z } from 'zod';
import { RESULT_MARKER, RESULT_NONE } from '../manifest.ts';

export interface PodProgram {
  /** Exit code of the init container (inputs); a non-zero one fails the pod before main runs. */
  initExitCode?: number;
  initLines?: string[];
  exitCode?: number;
  lines?: string[];
  /** Content of the output file; the fake prints it the way the wrapper script does. */
  output?: string;
  /** Never finishes on its own. */
  hang?: boolean;
  /** Reports the Job as failed with DeadlineExceeded after this many ms. */
  deadlineAfterMs?: number;
  /** The main container stays in Waiting with this reason (e.g. InvalidImageName). */
  waitingReason?: string;
  afterMs?: number;
  /** The main container is Waiting (ContainerCreating) for this long before it runs (default 0). */
  startAfterMs?: number;
  /** Reason of the main container's terminated state (e.g. OOMKilled); default Completed / Error. */
  terminatedReason?: string;
  /** The first `follow=true` log stream breaks after this many lines although the container still runs. */
  dropLogAfterLines?: number;
}

export type Program = (job: JobBody) => PodProgram;

export interface Recorded {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
}

const quantity = z.string().regex(/^[0-9]+(\.[0-9]+)?(m|Ki|Mi|Gi|Ti)?$/);
const envVar = z.strictObject({ name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/), value: z.string() });
const volumeMount = z.strictObject({
  name: z.string(),
  mountPath: z.string().startsWith('/'),
  readOnly: z.boolean().optional(),
  subPath: z.string().refine((p) => !p.startsWith('/') && !p.split('/').includes('..'), 'a relative path without ..').optional(),
});
const containerSecurity = z.strictObject({
  allowPrivilegeEscalation: z.boolean(),
  privileged: z.boolean(),
  readOnlyRootFilesystem: z.boolean(),
  runAsNonRoot: z.boolean(),
  capabilities: z.strictObject({ drop: z.array(z.string()), add: z.array(z.string()).optional() }),
});
const container = z.strictObject({
  name: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/),
  image: z.string().min(1),
  imagePullPolicy: z.enum(['Always', 'IfNotPresent', 'Never']),
  command: z.array(z.string()).min(1),
  args: z.array(z.string()).optional(),
  env: z.array(envVar),
  resources: z.strictObject({ limits: z.record(z.string(), quantity), requests: z.record(z.string(), quantity) }),
  volumeMounts: z.array(volumeMount),
  securityContext: containerSecurity,
});
const volume = z.union([
  z.strictObject({ name: z.string(), emptyDir: z.strictObject({ sizeLimit: quantity.optional(), medium: z.string().optional() }) }),
  z.strictObject({ name: z.string(), persistentVolumeClaim: z.strictObject({ claimName: z.string(), readOnly: z.boolean().optional() }) }),
]);
const labels = z.record(z.string().regex(/^([a-z0-9.-]+\/)?[A-Za-z0-9._-]{1,63}$/), z.string().regex(/^([A-Za-z0-9][-A-Za-z0-9_.]{0,61}[A-Za-z0-9]?)?$/));
export const jobBodySchema = z.strictObject({
  apiVersion: z.literal('batch/v1'),
  kind: z.literal('Job'),
  metadata: z.strictObject({
    name: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/).max(63),
    namespace: z.string(),
    labels,
    annotations: z.record(z.string().regex(/^([a-z0-9.-]+\/)?[A-Za-z0-9._-]{1,63}$/), z.string()).optional(),
  }),
  spec: z.strictObject({
    backoffLimit: z.number().int().min(0),
    completions: z.number().int().min(1),
    parallelism: z.number().int().min(1),
    activeDeadlineSeconds: z.number().int().min(1),
    ttlSecondsAfterFinished: z.number().int().min(0),
    template: z.strictObject({
      metadata: z.strictObject({ labels }),
      spec: z.strictObject({
        restartPolicy: z.enum(['Never', 'OnFailure']),
        automountServiceAccountToken: z.boolean(),
        enableServiceLinks: z.boolean(),
        securityContext: z.strictObject({
          runAsNonRoot: z.boolean(),
          runAsUser: z.number().int(),
          runAsGroup: z.number().int(),
          fsGroup: z.number().int(),
          fsGroupChangePolicy: z.enum(['OnRootMismatch', 'Always']).optional(),
          seccompProfile: z.strictObject({ type: z.enum(['RuntimeDefault', 'Localhost', 'Unconfined']) }),
        }),
        nodeSelector: z.record(z.string(), z.string()).optional(),
        initContainers: z.array(container),
        containers: z.array(container).length(1),
        volumes: z.array(volume),
      }),
    }),
  }),
});
export type JobBody = z.infer<typeof jobBodySchema>;

interface FakeJob {
  body: JobBody & { metadata: JobBody['metadata'] & { uid: string; creationTimestamp: string } };
  program: PodProgram;
  createdAt: number;
  podName: string;
  followed: number;
}

function status(code: number, reason: string, message: string) {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

export class FakeKubernetesApi {
  readonly requests: Recorded[] = [];
  readonly jobs = new Map<string, FakeJob>();
  readonly deleted: string[] = [];
  program: Program = () => ({ exitCode: 0 });
  private readonly server = http.createServer((req, res) => void this.handle(req, res));
  url = '';

  async listen(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    const addr = this.server.address() as { port: number };
    this.url = `http://127.0.0.1:${addr.port}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  calls(): string[] {
    return this.requests.map((r) => `${r.method} ${r.path}`);
  }

  created(): JobBody[] {
    return this.requests.filter((r) => r.method === 'POST').map((r) => r.body as JobBody);
  }

  private state(job: FakeJob): { done: boolean; failedReason: string | null; exitCode: number | null; initFailed: boolean } {
    const p = job.program;
    const elapsed = Date.now() - job.createdAt;
    if (p.deadlineAfterMs !== undefined && elapsed >= p.deadlineAfterMs) return { done: true, failedReason: 'DeadlineExceeded', exitCode: null, initFailed: false };
    if (p.hang || p.waitingReason) return { done: false, failedReason: null, exitCode: null, initFailed: false };
    if (elapsed < (p.startAfterMs ?? 0) + (p.afterMs ?? 30)) return { done: false, failedReason: null, exitCode: null, initFailed: false };
    if ((p.initExitCode ?? 0) !== 0) return { done: true, failedReason: 'BackoffLimitExceeded', exitCode: null, initFailed: true };
    const code = p.exitCode ?? 0;
    return { done: true, failedReason: code === 0 ? null : 'BackoffLimitExceeded', exitCode: code, initFailed: false };
  }

  private jobJson(job: FakeJob) {
    const s = this.state(job);
    const now = new Date().toISOString();
    const conditions = !s.done
      ? []
      : s.failedReason
        ? [{ type: 'Failed', status: 'True', reason: s.failedReason, message: s.failedReason === 'DeadlineExceeded' ? 'Job was active longer than specified deadline' : 'Job has reached the specified backoff limit', lastProbeTime: now, lastTransitionTime: now }]
        : [{ type: 'Complete', status: 'True', lastProbeTime: now, lastTransitionTime: now }];
    return { ...job.body, status: { startTime: new Date(job.createdAt).toISOString(), active: s.done ? 0 : 1, ...(s.done ? (s.failedReason ? { failed: 1 } : { succeeded: 1 }) : {}), conditions } };
  }

  private podJson(job: FakeJob) {
    const s = this.state(job);
    const p = job.program;
    const terminated = (exitCode: number, reason?: string) => ({ terminated: { exitCode, reason: reason ?? (exitCode === 0 ? 'Completed' : 'Error'), startedAt: new Date(job.createdAt).toISOString(), finishedAt: new Date().toISOString() } });
    const spec = job.body.spec.template.spec;
    const initStatuses = spec.initContainers.map((c) => ({ name: c.name, image: c.image, imageID: '', ready: false, restartCount: 0, state: terminated(p.initExitCode ?? 0) }));
    const mainState = s.initFailed
      ? { waiting: { reason: 'PodInitializing' } }
      : p.waitingReason
        ? { waiting: { reason: p.waitingReason, message: `bad image "${spec.containers[0]!.image}"` } }
        : s.exitCode !== null
          ? terminated(s.exitCode, p.terminatedReason)
          : this.waiting(job)
            ? { waiting: { reason: 'ContainerCreating' } }
            : { running: { startedAt: new Date(job.createdAt).toISOString() } };
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: job.podName, namespace: job.body.metadata.namespace, labels: { ...job.body.spec.template.metadata.labels, 'batch.kubernetes.io/job-name': job.body.metadata.name } },
      spec,
      status: {
        phase: s.done ? (s.failedReason ? 'Failed' : 'Succeeded') : 'Running',
        initContainerStatuses: initStatuses,
        containerStatuses: [{ name: spec.containers[0]!.name, image: spec.containers[0]!.image, imageID: '', ready: !s.done, restartCount: 0, state: mainState }],
      },
    };
  }

  /** The main container has not started yet (startAfterMs). */
  private waiting(job: FakeJob): boolean {
    return !this.state(job).done && Date.now() - job.createdAt < (job.program.startAfterMs ?? 0);
  }

  /** When line `i` of the main container was written, as the kubelet's `timestamps=true` prefix (RFC 3339). */
  lineTime(job: FakeJob, i: number): string {
    return new Date(job.createdAt + (job.program.startAfterMs ?? 0) + i).toISOString().replace('Z', '417Z');
  }

  /** What the pod log holds: the program's lines and, on a clean exit, the wrapper's result line. */
  private log(job: FakeJob, container: string, opts: { timestamps?: boolean; sinceTime?: string } = {}): string {
    const p = job.program;
    if (container !== job.body.spec.template.spec.containers[0]!.name) return (p.initLines ?? []).map((l) => `${l}\n`).join('');
    const s = this.state(job);
    const since = opts.sinceTime ? Date.parse(opts.sinceTime) : null;
    let text = (p.lines ?? [])
      .map((l, i) => ({ l, t: this.lineTime(job, i) }))
      .filter(({ t }) => since === null || Date.parse(t) >= since)
      .map(({ l, t }) => `${opts.timestamps ? `${t} ` : ''}${l}\n`)
      .join('');
    const env = job.body.spec.template.spec.containers[0]!.env;
    const output = env.find((e) => e.name === 'GOD_OUTPUT')?.value;
    if (s.exitCode === 0 && output) text += p.output !== undefined ? `\n${RESULT_MARKER}${Buffer.from(p.output).toString('base64')}\n` : `\n${RESULT_NONE}\n`;
    return text;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://k8s');
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const record: Recorded = { method: req.method ?? '', path: url.pathname, query: Object.fromEntries(url.searchParams), body: raw ? (JSON.parse(raw) as unknown) : null };
    this.requests.push(record);
    const json = (code: number, body: unknown) => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.headers.authorization !== 'Bearer test-token') return json(401, status(401, 'Unauthorized', 'Unauthorized'));

    const jobs = /^\/apis\/batch\/v1\/namespaces\/([^/]+)\/jobs(?:\/([^/]+)(\/status)?)?$/.exec(url.pathname);
    if (jobs) {
      const [, ns, name, sub] = jobs;
      if (req.method === 'POST' && !name) {
        const parsed = jobBodySchema.safeParse(record.body);
        if (!parsed.success) return json(422, status(422, 'Invalid', parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')));
        if (parsed.data.metadata.namespace !== ns) return json(400, status(400, 'BadRequest', 'the namespace of the provided object does not match the namespace sent on the request'));
        if (this.jobs.has(`${ns}/${parsed.data.metadata.name}`)) return json(409, status(409, 'AlreadyExists', `jobs.batch "${parsed.data.metadata.name}" already exists`));
        const body = { ...parsed.data, metadata: { ...parsed.data.metadata, uid: randomUUID(), creationTimestamp: new Date().toISOString() } };
        const job: FakeJob = { body, program: this.program(parsed.data), createdAt: Date.now(), podName: `${parsed.data.metadata.name}-x7k2p`, followed: 0 };
        this.jobs.set(`${ns}/${parsed.data.metadata.name}`, job);
        return json(201, body);
      }
      const job = name ? this.jobs.get(`${ns}/${name}`) : undefined;
      if (!job) return json(404, status(404, 'NotFound', `jobs.batch "${name}" not found`));
      if (req.method === 'GET' && sub) return json(200, this.jobJson(job));
      if (req.method === 'DELETE' && !sub) {
        this.jobs.delete(`${ns}/${name}`);
        this.deleted.push(`${name}?propagationPolicy=${record.query.propagationPolicy ?? ''}`);
        return json(200, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name, group: 'batch', kind: 'jobs', uid: job.body.metadata.uid } });
      }
    }
    const pods = /^\/api\/v1\/namespaces\/([^/]+)\/pods$/.exec(url.pathname);
    if (pods && req.method === 'GET') {
      const selector = record.query.labelSelector ?? '';
      const [key, value] = selector.split('=');
      const items = [...this.jobs.values()].filter((j) => j.body.metadata.namespace === pods[1] && key && j.body.spec.template.metadata.labels[key] === value).map((j) => this.podJson(j));
      return json(200, { apiVersion: 'v1', kind: 'PodList', metadata: { resourceVersion: '1' }, items });
    }
    const log = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/log$/.exec(url.pathname);
    if (log && req.method === 'GET') {
      const job = [...this.jobs.values()].find((j) => j.podName === log[2]);
      if (!job) return json(404, status(404, 'NotFound', `pods "${log[2]}" not found`));
      const container = record.query.container ?? 'main';
      if (this.waiting(job) || job.program.waitingReason) {
        return json(400, status(400, 'BadRequest', `container "${container}" in pod "${job.podName}" is waiting to start: ${job.program.waitingReason ?? 'ContainerCreating'}`));
      }
      let text = this.log(job, container, { timestamps: record.query.timestamps === 'true', ...(record.query.sinceTime ? { sinceTime: record.query.sinceTime } : {}) });
      if (record.query.follow === 'true') return void this.follow(job, text, res);
      const tail = Number(record.query.tailLines);
      if (Number.isInteger(tail) && tail >= 0) text = text.split('\n').filter((_, i, all) => i < all.length - 1 || all[i] !== '').slice(-tail).map((l) => `${l}\n`).join('');
      res.writeHead(200, { 'content-type': 'text/plain' });
      return void res.end(text);
    }
    json(404, status(404, 'NotFound', 'the server could not find the requested resource'));
  }

  /** A `follow=true` log stream: the log so far, then open until the container ends or the Job is deleted. */
  private follow(job: FakeJob, text: string, res: http.ServerResponse): void {
    res.writeHead(200, { 'content-type': 'text/plain' });
    const drop = job.followed++ === 0 ? job.program.dropLogAfterLines : undefined;
    if (drop !== undefined) {
      res.end(text.split('\n').slice(0, drop).map((l) => `${l}\n`).join(''));
      return;
    }
    res.write(text);
    const key = `${job.body.metadata.namespace}/${job.body.metadata.name}`;
    const timer = setInterval(() => {
      if (this.jobs.get(key) !== job || this.state(job).done || res.destroyed) {
        clearInterval(timer);
        res.end();
      }
    }, 10);
    res.on('close', () => clearInterval(timer));
  }
}
