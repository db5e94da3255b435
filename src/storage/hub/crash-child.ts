/**
 * A writer for the crash tests (`crash.test.ts`), run as its own process so it can be killed with SIGKILL:
 *
 *   crash-child.ts <hub root> pause:<phase>   upload rev1, then upload rev2 and stop dead at <phase>
 *   crash-child.ts <hub root> loop            upload revisions forever
 *
 * It prints `committed <sha>` after each upload returns, and `paused <phase>` when it stops.
 */
import { LocalModelHub } from './local.ts';
import type { CommitPhase } from './local.ts';

const [root, mode = 'loop'] = process.argv.slice(2);
if (root === undefined) throw new Error('usage: crash-child.ts <hub root> pause:<phase>|loop');

let armed = false;
const hub = await LocalModelHub.open({
  root,
  onCommitPhase: async (phase: CommitPhase) => {
    if (armed && mode === `pause:${phase}`) {
      process.stdout.write(`paused ${phase}\n`);
      await new Promise(() => undefined);
    }
  },
});

/** Deterministic contents per revision number, so the parent can check what it reads back. */
function revisionFiles(n: number): { path: string; bytes: Uint8Array }[] {
  const big = new Uint8Array(2 * 1024 * 1024);
  for (let i = 0; i < big.length; i += 4096) big[i] = (n + i) % 251;
  return [
    { path: 'config.json', bytes: new TextEncoder().encode(JSON.stringify({ revision: n })) },
    { path: 'model.safetensors', bytes: big },
    { path: `checkpoint/step-${n}.safetensors`, bytes: new TextEncoder().encode(`step ${n}`) },
  ];
}

await hub.createRepo('crash/m', { existOk: true });
if (mode.startsWith('pause:')) {
  const first = await hub.upload('crash/m', revisionFiles(1), { message: 'rev 1' });
  process.stdout.write(`committed ${first.sha}\n`);
  armed = true;
  await hub.upload('crash/m', revisionFiles(2), { message: 'rev 2' });
  process.stdout.write('not paused\n');
} else {
  for (let n = 1; ; n++) {
    const rev = await hub.upload('crash/m', revisionFiles(n), { message: `rev ${n}` });
    process.stdout.write(`committed ${rev.sha}\n`);
  }
}
