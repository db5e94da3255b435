/**
 * Asks miners for their tournament training repo over the signed miner protocol
 * (`GET /training_repo/{text|image}`, miner-protocol-chain spec §3): a JSON `{github_repo, commit_hash}` within the
 * timeout is an answer; anything else (timeout, refusal, error status, other body) is no answer.
 */
import type { TournamentType } from '../core/enums.ts';
import { trainingRepoResponseSchema, type TrainingRepoResponse } from '../core/models/payloads.ts';
import { minerBaseUrl } from '../net/client.ts';
import type { MinerClient } from '../validator/ports.ts';
import type { EntryNode, TrainingRepoSource } from './ports.ts';

export function signedRepoSource(client: MinerClient, timeoutMs: number): TrainingRepoSource {
  return {
    async get(node: EntryNode, type: TournamentType): Promise<TrainingRepoResponse | null> {
      const res = await client.get({
        baseUrl: minerBaseUrl(node.ip, node.port),
        minerHotkey: node.hotkey,
        path: `/training_repo/${type}`,
        timeout: timeoutMs,
        schema: trainingRepoResponseSchema,
      });
      return res.kind === 'ok' ? res.body : null;
    },
  };
}
