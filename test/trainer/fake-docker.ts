/**
 * FakeDockerEngine: a recording stand-in for the Docker Engine API on a unix socket (no Docker daemon runs here).
 * It checks every request against the documented API shapes (Engine API v1.43: the /build query parameters, the
 * ContainerConfig and HostConfig field names and types, the DeviceRequest object) and answers with the documented
 * response shapes (JSON build stream, 201 {Id, Warnings}, 204, multiplexed log frames, {StatusCode}). A container
 * "runs" by a scripted behaviour that can write into its /app/checkpoints bind, print, exit, hang or be OOM-killed.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { dirname, join } from 'node:path';
import { z } from 'zod';

export interface RunBehaviour {
  lines?: string[];
  exitCode?: number;
  /** Never exits on its own (until killed). */
  hang?: boolean;
  afterMs?: number;
  /** Files written under the container's /app/checkpoints (relative paths). */
  files?: Record<string, string | number>;
  oom?: boolean;
}

export interface FakeBehaviour {
  buildError?: string;
  run?: RunBehaviour;
}

export interface Recorded {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
  tarEntries?: string[];
}

/** Query parameters POST /build documents (v1.43). */
const BUILD_QUERY = ['dockerfile', 't', 'extrahosts', 'remote', 'q', 'nocache', 'cachefrom', 'pull', 'rm', 'forcerm', 'memory', 'memswap', 'cpushares', 'cpusetcpus', 'cpuperiod', 'cpuquota', 'buildargs', 'shmsize', 'squash', 'labels', 'networkmode', 'platform', 'target', 'outputs', 'version'];
const boolParam = z.enum(['0', '1', 'true', 'false']);
const intParam = z.string().regex(/^\d+$/);
const buildQuerySchema = z
  .object({
    dockerfile: z.string().min(1),
    t: z.string().regex(/^[a-z0-9._/-]+:[A-Za-z0-9._-]+$/),
    nocache: boolParam.optional(),
    rm: boolParam.optional(),
    forcerm: boolParam.optional(),
    pull: z.string().optional(),
    memory: intParam.optional(),
    memswap: z.string().regex(/^-?\d+$/).optional(),
    networkmode: z.string().optional(),
    labels: z
      .string()
      .refine((s) => {
        try {
          return Object.values(JSON.parse(s) as Record<string, unknown>).every((v) => typeof v === 'string');
        } catch {
          return false;
        }
      }, 'labels is a JSON map of strings')
      .optional(),
  })
  .catchall(z.string());

const int64 = z.number().int();
const deviceRequestSchema = z.strictObject({
  Driver: z.string(),
  Count: int64,
  DeviceIDs: z.array(z.string()),
  Capabilities: z.array(z.array(z.string())),
  Options: z.record(z.string(), z.string()),
});
/** HostConfig fields of the v1.43 schema; the ones the trainer sends are typed, the rest accepted by name only. */
const HOST_CONFIG_FIELDS = ['CpuShares', 'Memory', 'CgroupParent', 'BlkioWeight', 'BlkioWeightDevice', 'BlkioDeviceReadBps', 'BlkioDeviceWriteBps', 'BlkioDeviceReadIOps', 'BlkioDeviceWriteIOps', 'CpuPeriod', 'CpuQuota', 'CpuRealtimePeriod', 'CpuRealtimeRuntime', 'CpusetCpus', 'CpusetMems', 'Devices', 'DeviceCgroupRules', 'DeviceRequests', 'KernelMemoryTCP', 'MemoryReservation', 'MemorySwap', 'MemorySwappiness', 'NanoCpus', 'OomKillDisable', 'Init', 'PidsLimit', 'Ulimits', 'CpuCount', 'CpuPercent', 'IOMaximumIOps', 'IOMaximumBandwidth', 'Binds', 'ContainerIDFile', 'LogConfig', 'NetworkMode', 'PortBindings', 'RestartPolicy', 'AutoRemove', 'VolumeDriver', 'VolumesFrom', 'Mounts', 'ConsoleSize', 'Annotations', 'CapAdd', 'CapDrop', 'CgroupnsMode', 'Dns', 'DnsOptions', 'DnsSearch', 'ExtraHosts', 'GroupAdd', 'IpcMode', 'Cgroup', 'Links', 'OomScoreAdj', 'PidMode', 'Privileged', 'PublishAllPorts', 'ReadonlyRootfs', 'SecurityOpt', 'StorageOpt', 'Tmpfs', 'UTSMode', 'UsernsMode', 'ShmSize', 'Sysctls', 'Runtime', 'Isolation', 'MaskedPaths', 'ReadonlyPaths'];
const hostConfigSchema = z
  .object({
    Binds: z.array(z.string().regex(/^\/[^:]+:\/[^:]+(:(ro|rw))?$/, 'host-src:container-dest[:ro|rw]')).optional(),
    NetworkMode: z.string().optional(),
    Memory: int64.optional(),
    MemorySwap: int64.optional(),
    NanoCpus: int64.optional(),
    PidsLimit: int64.nullable().optional(),
    ShmSize: int64.min(0).optional(),
    SecurityOpt: z.array(z.string()).optional(),
    CapDrop: z.array(z.string()).optional(),
    ReadonlyRootfs: z.boolean().optional(),
    AutoRemove: z.boolean().optional(),
    DeviceRequests: z.array(deviceRequestSchema).optional(),
  })
  .catchall(z.unknown())
  .superRefine((v, ctx) => {
    for (const key of Object.keys(v)) if (!HOST_CONFIG_FIELDS.includes(key)) ctx.addIssue({ code: 'custom', message: `unknown HostConfig field ${key}` });
  });
const containerCreateSchema = z.strictObject({
  Hostname: z.string().optional(),
  User: z.string().optional(),
  Env: z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*=/)).optional(),
  Cmd: z.array(z.string()).optional(),
  Image: z.string(),
  WorkingDir: z.string().optional(),
  Entrypoint: z.array(z.string()).optional(),
  NetworkDisabled: z.boolean().optional(),
  Labels: z.record(z.string(), z.string()).optional(),
  StopSignal: z.string().optional(),
  HostConfig: hostConfigSchema.optional(),
});

/** Names of the entries of a ustar archive. */
function tarNames(buf: Buffer): string[] {
  const names: string[] = [];
  for (let off = 0; off + 512 <= buf.length; ) {
    const header = buf.subarray(off, off + 512);
    if (header.every((b) => b === 0)) break;
    const cstr = (a: number, b: number) => header.subarray(a, b).toString('utf8').replace(/\0.*$/s, '');
    const prefix = cstr(345, 500);
    names.push((prefix ? `${prefix}/` : '') + cstr(0, 100));
    const size = parseInt(cstr(124, 136).trim() || '0', 8);
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return names;
}

interface Container {
  id: string;
  config: z.infer<typeof containerCreateSchema>;
  state: 'created' | 'running' | 'exited';
  exitCode: number;
  oom: boolean;
  output: Buffer[];
  waiters: Array<() => void>;
  timer?: NodeJS.Timeout;
}

export class FakeDockerEngine {
  readonly requests: Recorded[] = [];
  readonly containers = new Map<string, Container>();
  readonly images = new Set<string>();
  behaviour: FakeBehaviour = {};
  private server: http.Server;
  private nextId = 1;

  constructor(readonly socketPath: string) {
    this.server = http.createServer((req, res) => void this.handle(req, res));
  }

  async listen(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(this.socketPath, r));
  }

  async close(): Promise<void> {
    for (const c of this.containers.values()) clearTimeout(c.timer);
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  calls(): string[] {
    return this.requests.map((r) => `${r.method} ${r.path}`);
  }

  private finish(c: Container, code: number): void {
    if (c.state === 'exited') return;
    clearTimeout(c.timer);
    c.state = 'exited';
    c.exitCode = code;
    for (const w of c.waiters.splice(0)) w();
  }

  private startRun(c: Container): void {
    const run = this.behaviour.run ?? {};
    c.state = 'running';
    const ckptBind = c.config.HostConfig?.Binds?.find((b) => b.split(':')[1] === '/app/checkpoints');
    const hostCkpt = ckptBind?.split(':')[0];
    const frame = (stream: 1 | 2, text: string) => {
      const payload = Buffer.from(text);
      const header = Buffer.alloc(8);
      header[0] = stream;
      header.writeUInt32BE(payload.length, 4);
      c.output.push(Buffer.concat([header, payload]));
    };
    for (const line of run.lines ?? []) frame(line.startsWith('ERR ') ? 2 : 1, `${line}\n`);
    if (hostCkpt) {
      for (const [rel, content] of Object.entries(run.files ?? {})) {
        const path = join(hostCkpt, rel);
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, typeof content === 'number' ? Buffer.alloc(content, 1) : content);
      }
    }
    if (run.hang) return;
    c.timer = setTimeout(() => {
      c.oom = !!run.oom;
      this.finish(c, run.oom ? 137 : (run.exitCode ?? 0));
    }, run.afterMs ?? 50);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://docker');
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks);
    const m = /^\/v(\d+\.\d+)(\/.*)$/.exec(url.pathname);
    const path = decodeURIComponent(m?.[2] ?? url.pathname);
    const query = Object.fromEntries(url.searchParams);
    const record: Recorded = { method: req.method ?? '', path, query, body: null };
    this.requests.push(record);
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const bad = (message: string) => json(400, { message });
    if (!m) return bad('missing API version prefix');

    if (req.method === 'POST' && path === '/build') {
      const unknown = Object.keys(query).filter((k) => !BUILD_QUERY.includes(k));
      if (unknown.length) return bad(`unknown build parameters ${unknown.join(',')}`);
      const q = buildQuerySchema.safeParse(query);
      if (!q.success) return bad(q.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
      if (req.headers['content-type'] !== 'application/x-tar') return bad('build context must be application/x-tar');
      record.tarEntries = tarNames(raw);
      if (!record.tarEntries.includes(`./${query.dockerfile}`)) return bad(`Cannot locate specified Dockerfile: ${query.dockerfile}`);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(`${JSON.stringify({ stream: 'Step 1/2 : FROM base\n' })}\r\n`);
      if (this.behaviour.buildError) {
        res.end(`${JSON.stringify({ errorDetail: { code: 1, message: this.behaviour.buildError }, error: this.behaviour.buildError })}\r\n`);
        return;
      }
      this.images.add(query.t!);
      res.end(`${JSON.stringify({ aux: { ID: 'sha256:abc' } })}\r\n${JSON.stringify({ stream: `Successfully tagged ${query.t}\n` })}\r\n`);
      return;
    }
    if (req.method === 'POST' && path === '/containers/create') {
      let body: unknown;
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        return bad('invalid JSON');
      }
      record.body = body;
      const parsed = containerCreateSchema.safeParse(body);
      if (!parsed.success) return bad(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
      if (!this.images.has(parsed.data.Image)) return json(404, { message: `No such image: ${parsed.data.Image}` });
      const id = `c${String(this.nextId++).padStart(63, '0')}`;
      this.containers.set(id, { id, config: parsed.data, state: 'created', exitCode: 0, oom: false, output: [], waiters: [] });
      return json(201, { Id: id, Warnings: [] });
    }
    const cm = /^\/containers\/([^/]+)(?:\/(start|wait|logs|kill|json))?$/.exec(path);
    if (cm) {
      const c = this.containers.get(cm[1]!);
      if (!c) return json(404, { message: 'No such container' });
      const action = cm[2];
      if (req.method === 'POST' && action === 'start') {
        if (c.state !== 'created') return void res.writeHead(304).end();
        this.startRun(c);
        return void res.writeHead(204).end();
      }
      if (req.method === 'POST' && action === 'wait') {
        const answer = () => json(200, { StatusCode: c.exitCode, Error: null });
        if (c.state === 'exited') return answer();
        c.waiters.push(answer);
        return;
      }
      if (req.method === 'GET' && action === 'logs') {
        res.writeHead(200, { 'content-type': 'application/vnd.docker.multiplexed-stream' });
        for (const f of c.output) res.write(f);
        if (c.state === 'exited') return void res.end();
        c.waiters.push(() => res.end());
        return;
      }
      if (req.method === 'POST' && action === 'kill') {
        if (c.state !== 'running') return json(409, { message: 'container is not running' });
        this.finish(c, 137);
        return void res.writeHead(204).end();
      }
      if (req.method === 'GET' && action === 'json') {
        return json(200, { Id: c.id, State: { Status: c.state === 'exited' ? 'exited' : c.state, Running: c.state === 'running', ExitCode: c.exitCode, OOMKilled: c.oom } });
      }
      if (req.method === 'DELETE' && !action) {
        this.finish(c, 137);
        this.containers.delete(c.id);
        return void res.writeHead(204).end();
      }
    }
    const im = /^\/images\/(.+)$/.exec(path);
    if (req.method === 'DELETE' && im) {
      const tag = im[1]!;
      if (!this.images.delete(tag)) return json(404, { message: `No such image: ${tag}` });
      return json(200, [{ Untagged: tag }]);
    }
    if (req.method === 'POST' && path === '/build/prune') return json(200, { CachesDeleted: [], SpaceReclaimed: 0 });
    if (req.method === 'GET' && path === '/_ping') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      return void res.end('OK');
    }
    json(404, { message: `page not found: ${req.method} ${path}` });
  }
}
