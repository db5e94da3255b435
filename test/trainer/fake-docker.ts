/**
 * FakeDockerEngine for the trainer's Docker executor (no Docker daemon runs here). On the shared skeleton
 * (src/testing/fake-docker-engine.ts: recording, container lifecycle, documented answer shapes) it adds what the
 * trainer calls besides: POST /build with the documented query parameters and a tar context (JSON build stream),
 * image removal, build-cache prune and _ping, and a lenient create schema that knows every v1.43 HostConfig field
 * name and types the ones the trainer sends. A container "runs" by a scripted behaviour that can write into its
 * /app/checkpoints bind, print, exit, hang or be OOM-killed.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { FakeDockerEngineBase, issuesText, type FakeContainer, type FakeRequest } from '../../src/testing/fake-docker-engine.ts';

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

type CreateBody = z.infer<typeof containerCreateSchema>;

export class FakeDockerEngine extends FakeDockerEngineBase<CreateBody> {
  behaviour: FakeBehaviour = {};
  protected readonly createSchema = containerCreateSchema;
  protected readonly idPrefix = 'c';

  protected newContainer(base: FakeContainer<CreateBody>): FakeContainer<CreateBody> {
    return base;
  }

  protected run(c: FakeContainer<CreateBody>): void {
    const run = this.behaviour.run ?? {};
    const ckptBind = c.body.HostConfig?.Binds?.find((b) => b.split(':')[1] === '/app/checkpoints');
    const hostCkpt = ckptBind?.split(':')[0];
    this.emit(c, run.lines ?? []);
    if (hostCkpt) {
      for (const [rel, content] of Object.entries(run.files ?? {})) {
        const path = join(hostCkpt, rel);
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, typeof content === 'number' ? Buffer.alloc(content, 1) : content);
      }
    }
    if (run.hang) return;
    c.timer = setTimeout(() => this.finish(c, run.oom ? 137 : (run.exitCode ?? 0), !!run.oom), run.afterMs ?? 50);
  }

  protected override route({ req, res, method, path, query, raw, record, json }: FakeRequest): boolean {
    const bad = (message: string): true => {
      json(400, { message });
      return true;
    };
    if (method === 'POST' && path === '/build') {
      const unknown = Object.keys(query).filter((k) => !BUILD_QUERY.includes(k));
      if (unknown.length) return bad(`unknown build parameters ${unknown.join(',')}`);
      const q = buildQuerySchema.safeParse(query);
      if (!q.success) return bad(issuesText(q.error));
      if (req.headers['content-type'] !== 'application/x-tar') return bad('build context must be application/x-tar');
      record.tarEntries = tarNames(raw);
      if (!record.tarEntries.includes(`./${query.dockerfile}`)) return bad(`Cannot locate specified Dockerfile: ${query.dockerfile}`);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(`${JSON.stringify({ stream: 'Step 1/2 : FROM base\n' })}\r\n`);
      if (this.behaviour.buildError) {
        res.end(`${JSON.stringify({ errorDetail: { code: 1, message: this.behaviour.buildError }, error: this.behaviour.buildError })}\r\n`);
        return true;
      }
      this.images.add(query.t!);
      res.end(`${JSON.stringify({ aux: { ID: 'sha256:abc' } })}\r\n${JSON.stringify({ stream: `Successfully tagged ${query.t}\n` })}\r\n`);
      return true;
    }
    const im = /^\/images\/(.+)$/.exec(path);
    if (method === 'DELETE' && im) {
      const tag = im[1]!;
      if (!this.images.delete(tag)) json(404, { message: `No such image: ${tag}` });
      else json(200, [{ Untagged: tag }]);
      return true;
    }
    if (method === 'POST' && path === '/build/prune') {
      json(200, { CachesDeleted: [], SpaceReclaimed: 0 });
      return true;
    }
    if (method === 'GET' && path === '/_ping') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('OK');
      return true;
    }
    return false;
  }
}
