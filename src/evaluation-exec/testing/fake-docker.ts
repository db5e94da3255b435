/**
 * A fake Docker Engine (API v1.43) for the evaluation containers' tests: no daemon runs on this machine. On the
 * shared skeleton (src/testing/fake-docker-engine.ts: recording, container lifecycle, documented answer shapes) it
 * adds a strict create schema of the fields the evaluation executor sends, a container-name check, image inspect,
 * a pull (JSON progress stream from /images/create, from a fake registry) and a tar from the archive endpoint.
 * What a container "does" is a test-supplied program over its Env, Cmd and bind mounts (host folders are real),
 * which can print, write files into the container's filesystem, exit with a code, or hang until killed.
 */
import { z } from 'zod';
import { FakeDockerEngineBase, type FakeContainer, type FakeRequest } from '../../testing/fake-docker-engine.ts';
import { writeTar } from '../tar.ts';

export interface ContainerView {
  image: string;
  cmd: string[];
  env: Record<string, string>;
  /** Container path → host path of each bind. */
  binds: Map<string, string>;
  networkMode: string | undefined;
}

export interface ProgramResult {
  lines?: string[];
  exitCode?: number;
  /** Container path → content written into the container's filesystem. */
  files?: Record<string, string>;
  hang?: boolean;
  afterMs?: number;
}

export type Program = (view: ContainerView) => ProgramResult | Promise<ProgramResult>;

const deviceRequestSchema = z.strictObject({
  Driver: z.string(),
  Count: z.number().int(),
  DeviceIDs: z.array(z.string()),
  Capabilities: z.array(z.array(z.string())),
  Options: z.record(z.string(), z.string()),
});

export const hostConfigSchema = z.strictObject({
  Binds: z.array(z.string().regex(/^\/[^:]+:\/[^:]+(:(ro|rw))?$/, 'host-src:container-dest[:ro|rw]')),
  NetworkMode: z.string(),
  Memory: z.number().int().min(0).optional(),
  MemorySwap: z.number().int().optional(),
  NanoCpus: z.number().int().min(0).optional(),
  PidsLimit: z.number().int().nullable().optional(),
  SecurityOpt: z.array(z.string()).optional(),
  CapDrop: z.array(z.string()).optional(),
  CapAdd: z.array(z.string()).optional(),
  ReadonlyRootfs: z.boolean().optional(),
  AutoRemove: z.boolean().optional(),
  Runtime: z.string().optional(),
  DeviceRequests: z.array(deviceRequestSchema).optional(),
});

export const containerCreateSchema = z.strictObject({
  Image: z.string().min(1),
  Cmd: z.array(z.string()).min(1),
  Env: z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*=/)),
  Labels: z.record(z.string(), z.string()),
  NetworkDisabled: z.boolean(),
  HostConfig: hostConfigSchema,
});

type CreateBody = z.infer<typeof containerCreateSchema>;

interface Container extends FakeContainer<CreateBody> {
  /** Container path → content written into the container's filesystem (served by GET archive). */
  files: Map<string, string>;
}

export class FakeDockerEngine extends FakeDockerEngineBase<CreateBody, Container> {
  /** Images the fake registry can pull. */
  readonly registry = new Set<string>();
  program: Program = () => ({ exitCode: 0 });
  protected readonly createSchema = containerCreateSchema;
  protected readonly idPrefix = 'e';

  creates(): CreateBody[] {
    return this.requests.filter((r) => r.path === '/containers/create').map((r) => r.body as CreateBody);
  }

  protected newContainer(base: FakeContainer<CreateBody>): Container {
    return { ...base, files: new Map() };
  }

  protected override admit(_body: CreateBody, query: Record<string, string>): string | null {
    return /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/.test(query.name ?? '') ? null : `invalid container name ${query.name}`;
  }

  protected async run(c: Container): Promise<void> {
    const env = Object.fromEntries(c.body.Env.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
    const binds = new Map(c.body.HostConfig.Binds.map((b) => [b.split(':')[1]!, b.split(':')[0]!]));
    let result: ProgramResult;
    try {
      result = await this.program({ image: c.body.Image, cmd: c.body.Cmd, env, binds, networkMode: c.body.HostConfig.NetworkMode });
    } catch (err) {
      result = { lines: [`ERR ${(err as Error).message}`], exitCode: 1 };
    }
    this.emit(c, result.lines ?? []);
    for (const [path, content] of Object.entries(result.files ?? {})) c.files.set(path, content);
    if (result.hang) return;
    c.timer = setTimeout(() => this.finish(c, result.exitCode ?? 0), result.afterMs ?? 20);
  }

  protected override route({ method, path, query, res, json }: FakeRequest): boolean {
    const image = /^\/images\/(.+)\/json$/.exec(path);
    if (method === 'GET' && image) {
      if (this.images.has(image[1]!)) json(200, { Id: 'sha256:1', RepoTags: [image[1]] });
      else json(404, { message: `No such image: ${image[1]}` });
      return true;
    }
    if (method === 'POST' && path === '/images/create') {
      const name = `${query.fromImage}:${query.tag}`;
      res.writeHead(200, { 'content-type': 'application/json' });
      if (!this.registry.has(name)) {
        res.end(`${JSON.stringify({ errorDetail: { message: `pull access denied for ${query.fromImage}` }, error: `pull access denied for ${query.fromImage}` })}\r\n`);
        return true;
      }
      this.images.add(name);
      res.end(`${JSON.stringify({ status: `Pulling from ${query.fromImage}` })}\r\n${JSON.stringify({ status: `Status: Downloaded newer image for ${name}` })}\r\n`);
      return true;
    }
    const archive = /^\/containers\/([^/]+)\/archive$/.exec(path);
    if (method === 'GET' && archive) {
      const c = this.containers.get(archive[1]!);
      if (!c) {
        json(404, { message: `No such container: ${archive[1]}` });
        return true;
      }
      const content = query.path ? c.files.get(query.path) : undefined;
      if (content === undefined) {
        json(404, { message: `Could not find the file ${query.path} in container ${c.id}` });
        return true;
      }
      res.writeHead(200, { 'content-type': 'application/x-tar' });
      res.end(writeTar([{ name: query.path!.split('/').pop()!, data: content }]));
      return true;
    }
    return false;
  }
}
