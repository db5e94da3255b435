// The child-process side of a job (run with `node --import tsx`, forked by run.ts). Protocol over the IPC channel:
//   parent → child: {kind: 'train', spec, deadline, cancelFile} | {kind: 'evaluate', spec}
//   child → parent: {kind: 'event', event} … then {kind: 'result', result} | {kind: 'error', message}
// Training steps are synchronous, so an IPC message could not be seen until the job ends: cancellation is a file
// the parent creates, which the step hook checks (at most every 100 ms). The child exits when it has answered.
import { existsSync } from 'node:fs';
import { evaluateInProcess } from './evaluate.ts';
import { trainInProcess } from './train.ts';
import type { EvaluationJobSpec, JobEvent, TrainingJobSpec } from './spec.ts';

type Incoming =
  | { kind: 'train'; spec: TrainingJobSpec; deadline: number | null; cancelFile: string }
  | { kind: 'evaluate'; spec: EvaluationJobSpec };

function cancelProbe(file: string): () => boolean {
  let checkedAt = 0;
  let cancelled = false;
  return () => {
    const now = Date.now();
    if (!cancelled && now - checkedAt >= 100) {
      checkedAt = now;
      cancelled = existsSync(file);
    }
    return cancelled;
  };
}

function send(message: unknown): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) return resolve();
    process.send(message, undefined, {}, () => resolve());
  });
}

async function run(msg: Incoming): Promise<void> {
  try {
    if (msg.kind === 'train') {
      const result = await trainInProcess(msg.spec, {
        deadline: msg.deadline,
        cancelled: cancelProbe(msg.cancelFile),
        onEvent: (event: JobEvent) => void send({ kind: 'event', event }),
      });
      await send({ kind: 'result', result });
    } else if (msg.kind === 'evaluate') {
      await send({ kind: 'result', result: await evaluateInProcess(msg.spec) });
    }
  } catch (err) {
    await send({ kind: 'error', message: err instanceof Error ? err.message : String(err) });
  }
  process.disconnect?.();
  process.exit(0);
}

process.once('message', (msg: Incoming) => void run(msg));
