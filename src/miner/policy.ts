/**
 * Whether to accept a task offer (miner-protocol-chain.md §5.2). With the default rules this is the reference
 * miner's decision and reply text exactly; the extra rules (task types, model pattern, size, minimum hours,
 * queue length) are ours and only ever refuse more. Pure: the miner's load comes in as data.
 */
import type { MinerTaskOffer, MinerTaskResponse } from '../core/models/payloads.ts';
import { TEXT_TASK_TYPES } from '../core/enums.ts';
import type { MinerRules } from '../core/rules/miner.ts';

export type OfferEndpoint = 'text' | 'image';

export interface MinerLoad {
  /** When the most recently started job is due (`now + hours_to_complete` at its start); null before any. */
  readonly busyUntil: Date | null;
  /** Jobs queued or running now. */
  readonly activeJobs: number;
}

/** Python's naive `datetime.isoformat()` in local time: microseconds only when non-zero. */
export function pythonIsoformat(date: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const base = `${date.getFullYear()}-${p(date.getMonth() + 1)}-${p(date.getDate())}T${p(date.getHours())}:${p(date.getMinutes())}:${p(date.getSeconds())}`;
  const ms = date.getMilliseconds();
  return ms === 0 ? base : `${base}.${p(ms * 1000, 6)}`;
}

function reply(message: string, accepted: boolean): MinerTaskResponse {
  return { message, accepted };
}

function modelAllowed(model: string, rules: MinerRules, endpoint: OfferEndpoint): boolean {
  if (rules.acceptModelPattern !== null && rules.acceptModelPattern !== '') return new RegExp(rules.acceptModelPattern, 'i').test(model);
  // The reference filters text models only.
  return endpoint === 'image' || model.toLowerCase().includes(rules.acceptModelSubstring.toLowerCase());
}

/** The reference's answer, and ours where the extra rules refuse. `now` in epoch ms. */
export function decideOffer(offer: MinerTaskOffer, endpoint: OfferEndpoint, rules: MinerRules, load: MinerLoad, now: number): MinerTaskResponse {
  const isText = (TEXT_TASK_TYPES as readonly string[]).includes(offer.task_type);
  if (endpoint === 'text' && !isText) {
    return reply(`This endpoint only accepts text tasks: ${TEXT_TASK_TYPES.slice(0, 3).join(', ')} and ${TEXT_TASK_TYPES[3]}`, false);
  }
  if (endpoint === 'image' && offer.task_type !== 'ImageTask') return reply('This endpoint only accepts image tasks', false);
  if (!rules.acceptTaskTypes.includes(offer.task_type)) return reply(`I do not accept ${offer.task_type} jobs`, false);
  if (!modelAllowed(offer.model, rules, endpoint)) {
    return rules.acceptModelPattern
      ? reply(`I only accept models matching ${rules.acceptModelPattern}`, false)
      : reply("I'm not yet optimised and only accept llama-type jobs", false);
  }
  if (rules.maxModelParams !== null && offer.model_params_count != null && offer.model_params_count > rules.maxModelParams) {
    return reply(`I only accept models of up to ${rules.maxModelParams} parameters`, false);
  }
  if (rules.busyRule === 'queue') {
    if (rules.maxQueuedJobs > 0 && load.activeJobs >= rules.maxQueuedJobs) return reply(`Currently busy with ${load.activeJobs} queued or running jobs`, false);
  } else if (load.busyUntil !== null && !(now + rules.busyMarginSeconds * 1000 > load.busyUntil.getTime())) {
    return reply(`Currently busy with another job until ${pythonIsoformat(load.busyUntil)}`, false);
  }
  const [minHours, maxHours] = endpoint === 'text' ? [rules.textMinHours, rules.textMaxHoursExclusive] : [rules.imageMinHours, rules.imageMaxHoursExclusive];
  if (offer.hours_to_complete < minHours) return reply(`I only accept jobs of at least ${minHours} hours`, false);
  if (!(offer.hours_to_complete < maxHours)) return reply('I only accept small jobs', false);
  return reply(endpoint === 'text' ? `Yes. I can do ${offer.task_type} jobs` : 'Yes. I can do image jobs', true);
}
