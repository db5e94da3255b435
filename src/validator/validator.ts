/**
 * The validator process: start-up repair, then the cycle's loops side by side (validator.md §4.3). Each loop
 * claims its own rows, so a slow prep no longer holds up offers or training starts as the original's single
 * sequential loop did; the per-pass caps are the original's.
 *
 *   prep        pending → preparing_data → looking_for_nodes | prep_task_failure        (≤3 per pass)
 *   market      delayed → looking_for_nodes; offer rounds (≤5); ready → training (≤10)
 *   deadlines   training → preevaluation when termination_at passes; interrupted prep/evaluation repaired
 *   evaluation  one worker per GPU id: preevaluation → evaluating → success | preevaluation | failure
 *   synthetic   one synthetic task per tick unless the network is busy
 *   weights     rate-limited weight setting + scores file
 */
import { errorText, type ValidatorContext } from './context.ts';
import { evaluationPass } from './cycle/evaluation.ts';
import { delayedPass, offersPass } from './cycle/offers.ts';
import { prepPass } from './cycle/prep.ts';
import { preevaluationPass, recoveryPass, startupRecovery } from './cycle/recovery.ts';
import { trainingPass } from './cycle/training.ts';
import { GpuPool } from './evaluation/gpus.ts';
import { synthPass } from './synth/scheduler.ts';
import { weightsLoop } from './weights/loop.ts';

export interface ValidatorLoops {
  prep?: boolean;
  market?: boolean;
  deadlines?: boolean;
  evaluation?: boolean;
  synthetic?: boolean;
  weights?: boolean;
}

export class Validator {
  private controller: AbortController | undefined;
  private running: Promise<void>[] = [];
  readonly gpus: GpuPool;

  constructor(
    readonly ctx: ValidatorContext,
    private readonly loops: ValidatorLoops = {},
  ) {
    this.gpus = new GpuPool(ctx.config.evaluation.gpuIds);
  }

  private enabled(name: keyof ValidatorLoops): boolean {
    return this.loops[name] ?? (name === 'weights' ? this.ctx.chain !== undefined : true);
  }

  async start(): Promise<void> {
    if (this.controller) return;
    const controller = new AbortController();
    this.controller = controller;
    const { ctx } = this;
    const v = ctx.config.validator;
    await startupRecovery(ctx);
    const signal = controller.signal;
    const every = (name: string, idleMs: number, pass: () => Promise<number>) => this.running.push(this.loop(name, idleMs, v.pendingLoopErrorSeconds * 1000, pass, signal));
    if (this.enabled('prep')) every('prep', v.pendingLoopIdleSeconds * 1000, () => prepPass(ctx));
    if (this.enabled('market')) {
      every('market', v.pendingLoopIdleSeconds * 1000, async () => (await delayedPass(ctx)) + (await offersPass(ctx)) + (await trainingPass(ctx)));
    }
    if (this.enabled('deadlines')) {
      // Paced by the poll interval whether or not it moved anything: a deadline is a point in time, not a queue.
      every('deadlines', v.preevaluationPollSeconds * 1000, async () => {
        await recoveryPass(ctx);
        await preevaluationPass(ctx);
        return 0;
      });
    }
    if (this.enabled('evaluation')) {
      for (let i = 0; i < this.gpus.size; i++) {
        every(`evaluation-${i}`, ctx.config.evaluation.pollIntervalSeconds * 1000, async () => ((await evaluationPass(ctx, this.gpus)) ? 1 : 0));
      }
    }
    if (this.enabled('synthetic')) {
      every('synthetic', ctx.config.synth.scheduleIntervalSeconds * 1000, async () => {
        await synthPass(ctx);
        return 0;
      });
    }
    if (this.enabled('weights') && ctx.chain) this.running.push(weightsLoop(ctx, signal));
    ctx.log.info({ netuid: ctx.netuid, hotkey: ctx.hotkey, worker: ctx.worker, gpus: this.gpus.size }, 'validator started');
  }

  /** A loop that runs `pass` again at once while it finds work, sleeps `idleMs` when it found none. */
  private async loop(name: string, idleMs: number, errorMs: number, pass: () => Promise<number>, signal: AbortSignal): Promise<void> {
    const log = this.ctx.log.child({ loop: name });
    while (!signal.aborted) {
      let wait = idleMs;
      try {
        if ((await pass()) > 0) wait = 0;
      } catch (err) {
        log.error({ err: errorText(err) }, 'loop pass failed');
        wait = errorMs;
      }
      try {
        // Even a busy loop yields a tick so stop() and the other loops get their turn.
        await this.ctx.clock.sleep(wait, signal);
      } catch {
        return;
      }
    }
  }

  /** Stops every loop; resolves when the passes in progress have finished. */
  async stop(): Promise<void> {
    this.controller?.abort();
    await Promise.all(this.running);
    this.running = [];
    this.controller = undefined;
    this.ctx.log.info('validator stopped');
  }
}
