/** Task list (GET /v1/tasks with status/type filters, refreshed every few seconds). */
import { get } from '../api.ts';
import { every, h, type El } from '../dom.ts';
import { badge, fillWith, section, table, when } from '../ui.ts';

export interface TaskSummary {
  id: string;
  task_type: string;
  status: string;
  base_model_repository?: string;
  ds_repo?: string;
  created_at: string;
  hours_to_complete: number;
  trained_model_repository: string | null;
}

const TYPES = ['', 'InstructTextTask', 'ChatTask', 'DpoTask', 'GrpoTask', 'ImageTask'];
const STATUS_SETS: Record<string, string> = {
  '': 'all',
  'pending,preparing_data,looking_for_nodes,ready,training,preevaluation,evaluating': 'in progress',
  success: 'succeeded',
  'failure,prep_task_failure,failure_finding_nodes,node_training_failure': 'failed',
};

export function tasksPage(root: El): () => void {
  let status = '';
  let type = '';
  const list = h('div', { id: 'task-list' }, 'Loading…');
  const refresh = () =>
    fillWith(list, async () => {
      const q = new URLSearchParams({ limit: '100' });
      if (status) q.set('status', status);
      if (type) q.set('task_type', type);
      const tasks = await get<TaskSummary[]>(`/v1/tasks?${q}`);
      return table(
        ['Task', 'Type', 'Status', 'Base model', 'Dataset', 'Created', 'Hours'],
        tasks.map((t) => [h('a', { href: `#/tasks/${t.id}` }, t.id.slice(0, 8)), t.task_type, badge(t.status), t.base_model_repository ?? '—', t.ds_repo ?? '—', when(t.created_at), String(t.hours_to_complete)]),
        { id: 'tasks-table' },
      );
    });
  const statusSelect = h('select', { 'aria-label': 'Status', onchange: (e) => ((status = (e.target as El).value), void refresh()) }, Object.entries(STATUS_SETS).map(([v, l]) => h('option', { value: v }, l)));
  const typeSelect = h('select', { 'aria-label': 'Task type', onchange: (e) => ((type = (e.target as El).value), void refresh()) }, TYPES.map((t) => h('option', { value: t }, t || 'every type')));
  root.replaceChildren(
    section('Tasks', h('div', { class: 'toolbar' }, statusSelect, typeSelect, h('a', { href: '#/create', class: 'button' }, 'New task')), list),
  );
  void refresh();
  return every(5000, () => void refresh());
}
