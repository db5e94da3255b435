/**
 * The devnet's validator API with the dashboard: an API server on the devnet validator's database and clock,
 * customer uploads into the devnet's blob store, miners polled for training progress, the weights read from the
 * embedded chain, and a customer account
 * whose key the devnet prints (paste it into the dashboard's key box).
 */
import { createApiServer, type ApiServer } from '../api/index.ts';
import { minerProgressSource } from '../api/progress.ts';
import { createAccountWithKey, SqlApiKeyStore } from '../auth/index.ts';
import type { Devnet } from '../devnet/devnet.ts';
import { ONCE_DATASETS } from '../devnet/devnet.ts';

export interface DevnetDashboard {
  api: ApiServer;
  /** Base URL of the API; the dashboard is at `${url}/dashboard/`. */
  url: string;
  dashboardUrl: string;
  customerKey: string;
  accountId: string;
  close(): Promise<void>;
}

export async function startDevnetDashboard(
  dn: Pick<Devnet, 'ctx' | 'clock' | 'chain' | 'validatorUid'>,
  o: { host?: string; port?: number; baseModels?: readonly string[] } = {},
): Promise<DevnetDashboard> {
  const { ctx } = dn;
  const api = createApiServer({
    db: ctx.db,
    config: ctx.config,
    clock: dn.clock,
    logger: ctx.log.child({ component: 'api' }),
    netuid: ctx.netuid,
    uploads: ctx.blobs,
    webhooks: false,
    logRequests: false,
    // Live training progress on the task page: the devnet's miners answer /training_progress (every ~1.5 real s).
    progress: { source: minerProgressSource(ctx.miners), intervalMs: 1500 * dn.clock.factor },
    dashboard: {
      validatorHotkey: ctx.hotkey,
      chain: {
        getUid: async (_netuid, hotkey) => (hotkey === ctx.hotkey ? dn.validatorUid : null),
        getWeights: async (netuid, uid) => (await dn.chain.weights(netuid, uid)).weights,
      },
      baseModels: o.baseModels ?? ['god-local/tinygpt-tiny', 'god-local/tinydiff-tiny'],
      datasets: Object.values(ONCE_DATASETS),
    },
  });
  const issued = await createAccountWithKey(new SqlApiKeyStore(ctx.db), 'devnet-customer', ['customer']);
  const url = await api.listen({ host: o.host ?? '127.0.0.1', port: o.port ?? 0 });
  return { api, url, dashboardUrl: `${url}/dashboard/`, customerKey: issued.key, accountId: issued.account.id, close: () => api.close() };
}
