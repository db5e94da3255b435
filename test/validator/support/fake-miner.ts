/**
 * In-process miners for validator tests: real fastify servers on loopback that verify fiber signatures exactly
 * as a miner must, and behave well or badly on purpose (down, slow, garbage, wrong repo name, declining, no
 * submission). A copied model is a hub matter (same weights under another repo): tests set that up in the
 * executor and hub, not here.
 */
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { Sr25519Keypair } from '../../../src/keys/keypair.ts';
import { fiberAuthPreHandler } from '../../../src/net/fastify.ts';
import { NonceStore } from '../../../src/net/nonce-store.ts';

export type MinerBehaviour =
  | 'good'
  | 'decline'
  /** The server answers nothing: connection refused. */
  | 'down'
  /** Answers every call after `slowMs`, past the validator's timeouts. */
  | 'slow'
  /** 200 with a body that is not JSON. */
  | 'garbage'
  /** Submits a repo whose last segment is not the expected name. */
  | 'wrong_repo'
  /** Accepts and starts, but never submits anything. */
  | 'no_submission';

export interface FakeMinerOptions {
  uri: string;
  behaviour: MinerBehaviour;
  slowMs?: number;
  /** Stake lookup for validators; every validator is staked by default. */
  validators?: Set<string>;
}

export interface StartRecord {
  path: string;
  body: Record<string, unknown>;
}

export class FakeMiner {
  readonly keypair: Sr25519Keypair;
  readonly offers: Record<string, unknown>[] = [];
  readonly starts: StartRecord[] = [];
  readonly submissionCalls: string[] = [];
  /** Requests refused by signature verification (must stay 0 for a correct validator). */
  rejected = 0;
  port = 0;
  private app: FastifyInstance | undefined;

  constructor(readonly options: FakeMinerOptions) {
    this.keypair = Sr25519Keypair.fromUri(options.uri);
  }

  get hotkey(): string {
    return this.keypair.ss58Address;
  }

  /** The repo this miner publishes for a task: `<namespace>/<expected name>`. */
  repoFor(taskId: string): string | null {
    const start = [...this.starts].reverse().find((s) => s.body.task_id === taskId);
    const name = start?.body.expected_repo_name;
    return typeof name === 'string' ? `${this.options.uri.replace(/\W/g, '').toLowerCase()}/${name}` : null;
  }

  async start(): Promise<void> {
    const app = Fastify({ logger: false });
    app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
      (request as typeof request & { rawBody?: Buffer }).rawBody = body as Buffer;
      if ((body as Buffer).length === 0) return done(null, undefined);
      try {
        done(null, JSON.parse((body as Buffer).toString('utf8')));
      } catch (err) {
        done(err as Error, undefined);
      }
    });
    const auth = fiberAuthPreHandler(
      {
        minerHotkey: this.hotkey,
        lookupStake: (hotkey) => (!this.options.validators || this.options.validators.has(hotkey) ? { found: true, stake: 1e6 } : { found: false }),
        nonceStore: new NonceStore(),
        nowNs: () => BigInt(Date.now()) * 1_000_000n,
      },
      { onReject: () => void this.rejected++ },
    );
    const behave = async (reply: import('fastify').FastifyReply, ok: () => unknown): Promise<unknown> => {
      if (this.options.behaviour === 'slow') await new Promise((r) => setTimeout(r, this.options.slowMs ?? 5000));
      if (this.options.behaviour === 'garbage') return reply.header('content-type', 'application/json').send('{not json');
      return ok();
    };
    for (const path of ['/task_offer/', '/task_offer_image/']) {
      app.post(path, { preHandler: auth }, async (request, reply) => {
        this.offers.push(request.body as Record<string, unknown>);
        return behave(reply, () => (this.options.behaviour === 'decline' ? { message: 'busy', accepted: false } : { message: 'Yes. I will do this task', accepted: true }));
      });
    }
    for (const path of ['/start_training/', '/start_training_grpo/', '/start_training_image/']) {
      app.post(path, { preHandler: auth }, async (request, reply) => {
        const body = request.body as Record<string, unknown>;
        this.starts.push({ path, body });
        return behave(reply, () => ({ message: 'Started Training!', task_id: body.task_id }));
      });
    }
    app.get('/get_latest_model_submission/:task_id', { preHandler: auth }, async (request, reply) => {
      const taskId = (request.params as { task_id: string }).task_id;
      this.submissionCalls.push(taskId);
      return behave(reply, () => {
        switch (this.options.behaviour) {
          case 'no_submission':
            return reply.code(404).send({ detail: 'No submission' });
          case 'wrong_repo':
            return { repo: `${this.options.uri.replace(/\W/g, '').toLowerCase()}/not-the-expected-name`, model_hash: null };
          default: {
            const repo = this.repoFor(taskId);
            return repo ? { repo, model_hash: null } : 'None';
          }
        }
      });
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    this.port = (app.server.address() as AddressInfo).port;
    this.app = app;
    if (this.options.behaviour === 'down') {
      // Keep the port (so the node row has a real address) but answer nothing: connection refused.
      await app.close();
      this.app = undefined;
    }
  }

  async stop(): Promise<void> {
    await this.app?.close();
    this.app = undefined;
  }
}
