import { describe, expect, it } from 'vitest';
import type { MinerTaskOffer } from '../core/models/payloads.ts';
import { minerRules, type MinerRules } from '../core/rules/miner.ts';
import { decideOffer, pythonIsoformat, type MinerLoad, type OfferEndpoint } from './policy.ts';

const NOW = Date.UTC(2025, 7, 1, 12, 0, 0);
const idle: MinerLoad = { busyUntil: null, activeJobs: 0 };

function offer(over: Partial<MinerTaskOffer> = {}): MinerTaskOffer {
  return { model: 'unsloth/Llama-3.2-1B', hours_to_complete: 3, task_id: 't1', task_type: 'InstructTextTask', ds_size: 50000, model_params_count: 1_235_814_400, ...over };
}

function decide(o: Partial<MinerTaskOffer>, endpoint: OfferEndpoint = 'text', rules: Partial<MinerRules> = {}, load: MinerLoad = idle) {
  return decideOffer(offer(o), endpoint, { ...minerRules, ...rules }, load, NOW);
}

describe('the reference accept policy (default rules)', () => {
  // [endpoint, offer, expected message, accepted]: the reference's messages verbatim (Python 3.10 enum formatting).
  const matrix: [OfferEndpoint, Partial<MinerTaskOffer>, string, boolean][] = [
    ['text', {}, 'Yes. I can do InstructTextTask jobs', true],
    ['text', { task_type: 'DpoTask' }, 'Yes. I can do DpoTask jobs', true],
    ['text', { task_type: 'GrpoTask' }, 'Yes. I can do GrpoTask jobs', true],
    ['text', { task_type: 'ChatTask' }, 'Yes. I can do ChatTask jobs', true],
    ['text', { task_type: 'ImageTask' }, 'This endpoint only accepts text tasks: InstructTextTask, DpoTask, GrpoTask and ChatTask', false],
    ['text', { model: 'Qwen/Qwen2.5-0.5B' }, "I'm not yet optimised and only accept llama-type jobs", false],
    ['text', { model: 'meta-LLAMA/x' }, 'Yes. I can do InstructTextTask jobs', true],
    ['text', { hours_to_complete: 12.99 }, 'Yes. I can do InstructTextTask jobs', true],
    ['text', { hours_to_complete: 13 }, 'I only accept small jobs', false],
    ['image', { task_type: 'ImageTask', model: 'stabilityai/sdxl', hours_to_complete: 2.5 }, 'Yes. I can do image jobs', true],
    ['image', { task_type: 'ImageTask', model: 'stabilityai/sdxl', hours_to_complete: 3 }, 'I only accept small jobs', false],
    ['image', { task_type: 'InstructTextTask' }, 'This endpoint only accepts image tasks', false],
  ];
  it.each(matrix)('%s offer %j → %s', (endpoint, o, message, accepted) => {
    expect(decide(o, endpoint)).toEqual({ message, accepted });
  });

  it('is busy until the last started job is within the margin of its deadline', () => {
    const busyUntil = new Date(NOW + 5 * 3_600_000);
    expect(decide({}, 'text', {}, { busyUntil, activeJobs: 1 })).toEqual({ message: `Currently busy with another job until ${pythonIsoformat(busyUntil)}`, accepted: false });
    // Ends in 59 minutes: now + 1 h is past it, so the miner takes more work.
    expect(decide({}, 'text', {}, { busyUntil: new Date(NOW + 59 * 60_000), activeJobs: 1 }).accepted).toBe(true);
    // Exactly at the margin the reference's strict `>` still says busy.
    expect(decide({}, 'image', {}, { busyUntil: new Date(NOW + 3_600_000), activeJobs: 1 }).accepted).toBe(false);
  });

  it('checks the model before the busy state and the hours last, as the reference does', () => {
    const busy = { busyUntil: new Date(NOW + 5 * 3_600_000), activeJobs: 1 };
    expect(decide({ model: 'mistral' }, 'text', {}, busy).message).toBe("I'm not yet optimised and only accept llama-type jobs");
    expect(decide({ hours_to_complete: 20 }, 'text', {}, busy).message).toMatch(/^Currently busy/);
  });
});

describe('our extra rules', () => {
  it('task types, model pattern, size, minimum hours', () => {
    expect(decide({}, 'text', { acceptTaskTypes: ['DpoTask'] })).toEqual({ message: 'I do not accept InstructTextTask jobs', accepted: false });
    expect(decide({ model: 'Qwen/Qwen2.5-0.5B' }, 'text', { acceptModelPattern: '^qwen/' }).accepted).toBe(true);
    expect(decide({}, 'text', { acceptModelPattern: '^qwen/' })).toEqual({ message: 'I only accept models matching ^qwen/', accepted: false });
    expect(decide({ task_type: 'ImageTask', model: 'sdxl', hours_to_complete: 1 }, 'image', { acceptModelPattern: 'flux' }).accepted).toBe(false);
    expect(decide({}, 'text', { maxModelParams: 1_000_000_000 })).toEqual({ message: 'I only accept models of up to 1000000000 parameters', accepted: false });
    expect(decide({ model_params_count: null }, 'text', { maxModelParams: 1_000_000_000 }).accepted).toBe(true);
    expect(decide({ hours_to_complete: 1 }, 'text', { textMinHours: 2 })).toEqual({ message: 'I only accept jobs of at least 2 hours', accepted: false });
    expect(decide({ model: 'anything' }, 'text', { acceptModelSubstring: '' }).accepted).toBe(true);
  });

  it("the 'queue' busy rule looks at the queue length, not at deadlines", () => {
    const rules: Partial<MinerRules> = { busyRule: 'queue', maxQueuedJobs: 2 };
    const farDeadline = new Date(NOW + 10 * 3_600_000);
    expect(decide({}, 'text', rules, { busyUntil: farDeadline, activeJobs: 1 }).accepted).toBe(true);
    expect(decide({}, 'text', rules, { busyUntil: farDeadline, activeJobs: 2 })).toEqual({ message: 'Currently busy with 2 queued or running jobs', accepted: false });
    expect(decide({}, 'text', { busyRule: 'queue', maxQueuedJobs: 0 }, { busyUntil: farDeadline, activeJobs: 99 }).accepted).toBe(true);
  });
});

describe('pythonIsoformat', () => {
  it('omits a zero fraction and writes microseconds otherwise (local time, naive)', () => {
    const d = new Date(2025, 0, 2, 3, 4, 5, 0);
    expect(pythonIsoformat(d)).toBe('2025-01-02T03:04:05');
    expect(pythonIsoformat(new Date(2025, 0, 2, 3, 4, 5, 7))).toBe('2025-01-02T03:04:05.007000');
  });
});
