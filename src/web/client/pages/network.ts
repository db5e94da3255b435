/** Network: task counts (GET /v1/network/status), the metagraph's miners and stakes, and the validator's weights. */
import { get } from '../api.ts';
import { shortKey } from '../bracket.ts';
import { barChart } from '../charts.ts';
import { every, h, type El } from '../dom.ts';
import { fillWith, num, section, table } from '../ui.ts';

export interface NetworkView {
  netuid: number;
  validator_hotkey: string | null;
  nodes: { uid: number; hotkey: string; coldkey: string; stake: number; alpha_stake: number; tao_stake: number; incentive: number | null; trust: number | null; vtrust: number | null; ip: string; port: number; is_validator: boolean }[];
  weights: { setter_uid: number; weights: { uid: number; hotkey: string | null; weight: number; share: number }[] } | null;
}

export function networkPage(root: El): () => void {
  const status = h('div', { id: 'network-status' }, 'Loading…');
  const nodes = h('div', { id: 'network-nodes' }, 'Loading…');
  const charts = h('div', { id: 'network-charts', class: 'grid2' });
  root.replaceChildren(section('Network', status), section('Weights and stakes', charts), section('Miners and validators', nodes));
  const refresh = () => {
    void fillWith(status, async () => {
      const s = await get<Record<string, number | string | boolean | null>>('/v1/network/status');
      return h('dl', { class: 'facts' }, Object.entries(s).map(([k, v]) => [h('dt', null, k.replace(/^number_of_jobs_/, 'jobs ')), h('dd', null, String(v))]));
    });
    void fillWith(nodes, async () => {
      const n = await get<NetworkView>('/dashboard/api/network');
      const weights = n.weights;
      charts.replaceChildren(
        weights && weights.weights.length > 0
          ? barChart(weights.weights.map((w) => ({ label: `uid ${w.uid}`, value: w.share })), { title: `Weights set by validator uid ${weights.setter_uid} (share of the total)` })
          : h('figure', { class: 'chart-box', id: 'weights-chart' }, h('figcaption', null, 'Weights'), h('p', { class: 'muted' }, weights ? `Validator uid ${weights.setter_uid} has set no weights yet.` : 'No weights read from the chain (this server has no chain reader).')),
        // Miners only: a validator's stake is orders of magnitude larger and would flatten the bars.
        barChart(n.nodes.filter((x) => !x.is_validator).map((x) => ({ label: `uid ${x.uid}`, value: x.stake })), { title: 'Stake per miner' }),
      );
      return table(
        ['UID', 'Hotkey', 'Role', 'Stake', 'Alpha', 'TAO', 'Incentive', 'Trust', 'Axon'],
        n.nodes.map((x) => [String(x.uid), h('span', { class: 'mono', title: x.hotkey }, shortKey(x.hotkey, 12)), x.is_validator ? 'validator' : 'miner', num(x.stake, 2), num(x.alpha_stake, 2), num(x.tao_stake, 2), num(x.incentive, 4), num(x.trust, 4), `${x.ip}:${x.port}`]),
        { id: 'nodes-table' },
      );
    });
  };
  refresh();
  return every(15_000, refresh);
}
