import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { LocalModelHub } from '../storage/hub/local.ts';
import { trainerHubFrom } from './hub-adapter.ts';
import { publishOutputs } from './outputs.ts';

const root = mkdtempSync(join(tmpdir(), 'god-trainer-hub-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

it('publishes through the local hub under <namespace>/<expected_repo_name>, replacing a previous attempt', async () => {
  const hub = trainerHubFrom(await LocalModelHub.open({ root }));
  expect(await hub.snapshot('rayonlabs/none')).toBeNull();
  const enc = (s: string) => new TextEncoder().encode(s);
  await publishOutputs(hub, [{ path: 'stale.bin', bytes: enc('old') }], { namespace: 'rayonlabs', expectedRepoName: 'tournament-a', taskId: 't', isImage: true });
  const { repoId } = await publishOutputs(hub, [{ path: 'last.safetensors', bytes: enc('new') }], { namespace: 'rayonlabs', expectedRepoName: 'tournament-a', taskId: 't', isImage: true });
  expect(repoId).toBe('rayonlabs/tournament-a');
  const files = await hub.snapshot(repoId);
  expect(files?.map((f) => [f.path, new TextDecoder().decode(f.bytes)])).toEqual([['checkpoints/last.safetensors', 'new']]);
});
