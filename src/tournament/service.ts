/**
 * The tournament processes as one service: the original's `tournament_cycle` (scheduling, lifecycle, publishing) and
 * `tournament_orchestrator` (fetch, schedule, monitor, hand-off, GPU sync) loops, each "do the work, sleep the loop
 * interval" on the context's clock. Every loop works from the database only, so any number of services (or a
 * restarted one) can run against the same database.
 */
import { errorText, type TournamentContext } from './context.ts';
import { lifecycleUntilIdle, publishPass, schedulingPass } from './lifecycle.ts';
import { fetchPass, gpuSyncPass, handOffPass, monitorPass, schedulePass } from './orchestrator.ts';

export interface TournamentServiceOptions {
  /** Run the lifecycle loops (scheduling, rounds, publishing). Default true. */
  lifecycle?: boolean;
  /** Run the orchestrator loops. Default true. */
  orchestrator?: boolean;
}

export class TournamentService {
  private controller: AbortController | null = null;
  private loops: Promise<void>[] = [];

  constructor(
    private readonly ctx: TournamentContext,
    private readonly options: TournamentServiceOptions = {},
  ) {}

  get running(): boolean {
    return this.controller !== null;
  }

  start(): void {
    if (this.controller) return;
    const controller = new AbortController();
    this.controller = controller;
    const every = this.ctx.rules.loopIntervalSeconds * 1000;
    const loop = (name: string, body: () => Promise<unknown>) =>
      (async () => {
        const log = this.ctx.log.child({ loop: name });
        while (!controller.signal.aborted) {
          try {
            await body();
          } catch (err) {
            log.error({ err: errorText(err) }, 'tournament loop pass failed');
          }
          await this.ctx.clock.sleep(every, controller.signal).catch(() => undefined);
        }
      })();
    if (this.options.lifecycle ?? true) {
      this.loops.push(loop('scheduling', () => schedulingPass(this.ctx)));
      this.loops.push(loop('lifecycle', () => lifecycleUntilIdle(this.ctx)));
      this.loops.push(
        loop('publish', async () => {
          while (await publishPass(this.ctx));
        }),
      );
    }
    if (this.options.orchestrator ?? true) {
      this.loops.push(loop('fetch', () => fetchPass(this.ctx)));
      this.loops.push(loop('schedule', () => schedulePass(this.ctx)));
      this.loops.push(loop('monitor', () => monitorPass(this.ctx)));
      this.loops.push(loop('hand-off', () => handOffPass(this.ctx)));
      this.loops.push(loop('gpu-sync', () => gpuSyncPass(this.ctx)));
    }
  }

  /** Stops every loop after its current pass. */
  async stop(): Promise<void> {
    const controller = this.controller;
    if (!controller) return;
    controller.abort();
    await Promise.all(this.loops);
    this.loops = [];
    this.controller = null;
  }
}
