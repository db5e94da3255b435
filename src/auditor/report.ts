/** Human-readable audit reports (the CLI prints these; `--json` prints the report object itself). */
import { REASON_TEXT } from './compare.ts';
import type { AuditReport } from './audit.ts';

function short(hotkey: string | null): string {
  return hotkey ? `${hotkey.slice(0, 8)}…` : '?';
}

export function formatReport(r: AuditReport): string {
  const lines: string[] = [];
  lines.push(`${r.ok ? 'OK' : 'MISMATCH'}: validator ${r.validatorHotkey} (uid ${r.validatorUid}) on netuid ${r.netuid}, block ${r.block}, weights last set at block ${r.lastUpdate ?? '?'}`);
  lines.push(`scores file ${r.scoresUrl}: ${r.taskCount} task(s), ${r.recomputed.periodScores} period score(s), computed at ${r.recomputed.computedAt}`);
  lines.push(
    `split (${r.recomputed.splitSource}): tournament ${r.recomputed.split.tournament}, regular ${r.recomputed.split.regular}, burn ${r.recomputed.split.burn}`,
  );
  lines.push(`recomputed ${r.recomputed.uids.length} uid(s); published ${r.published ? `${r.published.uids.length} uid(s)` : 'none (no weights block)'}; on chain ${r.onChain.uids.length} uid(s)`);
  if (r.differences.length === 0) lines.push('on-chain weights equal the recomputed weights, u16 for u16');
  for (const d of r.differences) {
    lines.push(`  uid ${d.uid} (${short(d.hotkey)}): expected ${d.expected}, on chain ${d.onChain}${d.published === null ? '' : `, published ${d.published}`} — ${REASON_TEXT[d.reason]}`);
  }
  if (r.publishedInconsistentUids.length > 0) {
    lines.push(`the file's own weights disagree with its task results at uid(s) ${r.publishedInconsistentUids.join(', ')}`);
  }
  if (r.taskChecks) {
    lines.push(`task cross-check: ${r.taskChecks.checked} task(s), ${r.taskChecks.problems.length} problem(s)`);
    for (const p of r.taskChecks.problems) lines.push(`  task ${p.task_id}: ${p.problem}`);
  }
  for (const n of r.notes) lines.push(`note: ${n}`);
  return lines.join('\n') + '\n';
}
