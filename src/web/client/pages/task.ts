/**
 * One task: its details, a status timeline and per-miner training progress that follow the server-sent event
 * stream live, the event log, and the per-miner results (GET /v1/tasks/{id}/result) refreshed as scores arrive.
 */
import { get, openStream, post } from '../api.ts';
import { h, type El } from '../dom.ts';
import { shortKey } from '../bracket.ts';
import { followStream } from '../sse.ts';
import { badge, errorNote, fillWith, num, section, table, when } from '../ui.ts';
import { FLOW, progressOf, type MinerProgress, type TaskEvent } from '../task-progress.ts';

interface Outcome {
  status: string;
  finished: boolean;
  succeeded: boolean;
  trained_model_repository: string | null;
  winner: { hotkey: string } | null;
  miner_results: { hotkey: string; rank: number; quality_score: number | null; test_loss: number | null; synth_loss: number | null; score_reason: string | null; repo: string | null }[];
}

type Details = Record<string, unknown> & { id: string; status: string; task_type: string; created_at: string; started_at: string | null; finished_at: string | null };

const SHOWN = ['task_type', 'base_model_repository', 'ds_repo', 'hours_to_complete', 'created_at', 'started_at', 'finished_at', 'trained_model_repository', 'result_model_name', 'field_instruction', 'field_input', 'field_output', 'field_prompt', 'field_chosen', 'field_rejected', 'chat_template', 'chat_column'];

export function taskPage(root: El, taskId: string): () => void {
  const abort = new AbortController();
  const events: TaskEvent[] = [];
  const header = h('div', null, 'Loading…');
  const timeline = h('ol', { class: 'timeline', id: 'timeline' });
  const progress = h('div', { id: 'progress' });
  const log = h('div', { id: 'events' });
  const results = h('div', { id: 'results' }, 'Loading…');
  const streamNote = h('p', { class: 'muted', id: 'stream-state' }, 'Connecting to the event stream…');
  let details: Details | null = null;

  const renderHeader = () => {
    if (!details) return;
    const d = details;
    const cancel = h('button', {
      type: 'button',
      class: 'danger',
      disabled: FLOW.indexOf(d.status) < 0 || d.status === 'success',
      onclick: async () => {
        try {
          await post(`/v1/tasks/${taskId}/cancel`, {});
          await loadDetails();
        } catch (err) {
          header.append(errorNote(err));
        }
      },
    }, 'Cancel task');
    header.replaceChildren(
      h('p', null, 'Status ', badge(d.status), ' ', cancel),
      h('dl', { class: 'facts' }, SHOWN.filter((k) => d[k] !== undefined && d[k] !== null).map((k) => [h('dt', null, k), h('dd', null, k.endsWith('_at') ? when(String(d[k])) : String(d[k]))])),
    );
  };

  const renderLive = () => {
    const p = progressOf(details?.status ?? 'pending', events);
    timeline.replaceChildren(...FLOW.map((s) => h('li', { class: s === p.status ? 'current' : p.reached.has(s) ? 'done' : '' }, s)));
    if (p.failed) timeline.append(h('li', { class: 'current failed' }, p.status));
    const bars = [...p.miners.values()].map((m: MinerProgress) =>
      h('div', { class: 'progress-row' }, h('span', { class: 'mono' }, shortKey(m.hotkey)), h('progress', { max: m.totalSteps ?? 1, value: m.step ?? 0 }), h('span', null, `${m.status}${m.step !== null && m.totalSteps !== null ? ` ${m.step}/${m.totalSteps}` : ''}${m.loss !== null ? ` loss ${num(m.loss, 3)}` : ''}`)),
    );
    progress.replaceChildren(...(bars.length ? bars : [h('p', { class: 'muted' }, p.status === 'training' ? 'Training; miners report progress when the validator polls them.' : 'No training progress reported.')]));
    log.replaceChildren(
      table(
        ['#', 'When', 'Event', 'Change', 'By', 'Detail'],
        [...events].reverse().map((e) => [String(e.id), when(e.created_at), e.event_type, e.to_status ? `${e.from_status ?? '—'} → ${e.to_status}` : '', e.actor ?? '', h('code', null, JSON.stringify(e.detail).slice(0, 140))]),
        { id: 'events-table' },
      ),
    );
  };

  const loadResults = () =>
    fillWith(results, async () => {
      const r = await get<Outcome>(`/v1/tasks/${taskId}/result`);
      return [
        r.trained_model_repository ? h('p', null, 'Trained model: ', h('code', null, r.trained_model_repository)) : null,
        table(
          ['Rank', 'Miner', 'Quality score', 'Test loss', 'Synth loss', 'Reason', 'Repository'],
          r.miner_results.map((m) => [String(m.rank), h('span', { class: 'mono', title: m.hotkey }, shortKey(m.hotkey)), num(m.quality_score, 3), num(m.test_loss), num(m.synth_loss), m.score_reason ?? '', m.repo ?? '—']),
          { id: 'results-table' },
        ),
      ];
    });

  const loadDetails = async () => {
    try {
      details = await get<Details>(`/v1/tasks/${taskId}`);
      renderHeader();
      renderLive();
    } catch (err) {
      header.replaceChildren(errorNote(err));
    }
  };

  root.replaceChildren(
    section(`Task ${taskId}`, header),
    section('Progress', timeline, progress, streamNote),
    section('Results per miner', results),
    section('Events', log),
  );

  void loadDetails().then(loadResults);
  void followStream({
    signal: abort.signal,
    open: (after, signal) => openStream(`/v1/tasks/${taskId}/events/stream${after ? `?after=${after}` : ''}`, signal),
    onError: (err) => streamNote.replaceChildren(`Stream interrupted (${err instanceof Error ? err.message : String(err)}); reconnecting…`),
    onMessage: (m) => {
      streamNote.replaceChildren('Live: following the event stream.');
      const e = JSON.parse(m.data) as TaskEvent;
      if (events.some((x) => x.id === e.id)) return;
      events.push(e);
      if (details && e.to_status) details = { ...details, status: e.to_status };
      renderHeader();
      renderLive();
      if (e.event_type === 'evaluation_result' || e.to_status) void loadResults();
    },
  }).then((ended) => {
    if (!ended) return;
    streamNote.replaceChildren('The task has finished; the stream is closed.');
    streamNote.setAttribute('data-ended', 'true');
    void loadDetails().then(loadResults);
  });
  return () => abort.abort();
}
