/** Small pieces every page uses: tables, status badges, number and date formats, error and empty notes. */
import { ApiError } from './api.ts';
import { h, type Child, type El } from './dom.ts';

export type Cell = Child;

export function table(headers: readonly string[], rows: readonly (readonly Cell[])[], attrs: Record<string, string> = {}): El {
  return h(
    'table',
    { class: 'data', ...attrs },
    h('thead', null, h('tr', null, headers.map((x) => h('th', null, x)))),
    h('tbody', null, rows.length === 0 ? h('tr', null, h('td', { colspan: headers.length, class: 'muted' }, 'Nothing yet.')) : rows.map((r) => h('tr', null, r.map((c) => h('td', null, c))))),
  );
}

const STATUS_CLASS: Record<string, string> = {
  success: 'ok',
  completed: 'ok',
  failure: 'bad',
  prep_task_failure: 'bad',
  failure_finding_nodes: 'bad',
  training: 'run',
  active: 'run',
  evaluating: 'run',
  preevaluation: 'run',
};

export function badge(status: string): El {
  return h('span', { class: `badge ${STATUS_CLASS[status] ?? 'wait'}`, 'data-status': status }, status);
}

export function num(v: number | null | undefined, digits = 4): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  return Math.abs(v) >= 1e6 ? v.toExponential(2) : Number(v.toFixed(digits)).toString();
}

export function when(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toISOString().replace('T', ' ').slice(0, 19);
}

export function errorNote(err: unknown): El {
  const text = err instanceof Error ? err.message : String(err);
  const hint = err instanceof ApiError && err.status === 401 ? ' — enter an API key above (the devnet prints one).' : '';
  return h('p', { class: 'error', role: 'alert' }, text + hint);
}

export function section(title: string, ...children: Child[]): El {
  return h('section', { class: 'card' }, h('h2', null, title), ...children);
}

/** Replaces `target`'s contents with what `load` resolves to, or an error note. */
export async function fillWith(target: El, load: () => Promise<Child>): Promise<void> {
  try {
    const content = await load();
    target.replaceChildren();
    const flat = [content].flat(Infinity as 1) as unknown[];
    target.append(...flat.filter((c): c is El | string => c !== null && c !== undefined && c !== false));
  } catch (err) {
    target.replaceChildren(errorNote(err));
  }
}
