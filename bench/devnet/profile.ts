/**
 * Attributes a V8 `.cpuprofile` of the validator child to categories, per time window, so the CPU a task adds can be
 * told apart from the background the loops burn whatever the load. Each sample is charged to the category of its
 * leaf-most frame that matches one (the built-in dataset generators, the template LLM, JSON, …), except that a sample
 * with a database driver's frame anywhere in its stack (PGlite, pg) is the driver's, its socket and file I/O included;
 * the windows are `process.hrtime` marks the child logs (`cpu_marks`, in ns), on the same monotonic clock V8 stamps
 * its samples with (µs).
 */
import { readFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const isPglite = (f: CallFrame) => f.url.includes('@electric-sql/pglite');
const isPg = (f: CallFrame) => /node_modules\/(pg|pg-protocol|pg-types|pg-pool)\//.test(f.url);
/** Categories that own everything below them in a stack. */
const OWNERS: readonly [string, (f: CallFrame) => boolean][] = [
  ['pglite', isPglite],
  ['pg driver', isPg],
];

/** Ordered: the first rule a frame matches names its category; frames matching none pass to their caller. */
const RULES: readonly [string, (f: CallFrame) => boolean][] = [
  ['(idle)', (f) => f.functionName === '(idle)'],
  ['(gc)', (f) => f.functionName === '(garbage collector)'],
  ['(program)', (f) => f.functionName === '(program)'],
  ['dataset generators', (f) => f.url.includes('/src/ml/data/')],
  ['template llm', (f) => f.url.includes('/src/validator/adapters/builtin.ts')],
  ['prep', (f) => f.url.includes('/src/validator/prep/')],
  ['logging', (f) => f.url.includes('node_modules/pino') || f.url.includes('sonic-boom')],
  ['crypto/sr25519', (f) => f.url.includes('@polkadot')],
  ['zod', (f) => f.url.includes('node_modules/zod/')],
  ['http', (f) => /node:(_http|http|net|_stream|stream|internal\/(http|stream|net|streams))/.test(f.url) || f.url.includes('undici')],
  ['child processes', (f) => /node:(child_process|internal\/child_process)/.test(f.url)],
  ['module loading', (f) => /node:internal\/modules|tsx|esbuild/.test(f.url)],
  ['db queries (ours)', (f) => f.url.includes('/src/db/')],
  ['evaluation orchestration', (f) => f.url.includes('/src/validator/evaluation/') || f.url.includes('/src/validator/cycle/evaluation') || f.url.includes('/src/ml/')],
  ['validator loops', (f) => f.url.includes('/src/validator/') || f.url.includes('/src/metagraph/') || f.url.includes('/src/scoring/')],
  ['json', (f) => f.functionName === 'stringify' || f.functionName === 'parse'],
  ['timers', (f) => /node:(timers|internal\/timers)/.test(f.url)],
  ['other node internals', (f) => f.url.startsWith('node:')],
  ['other ours', (f) => f.url.includes('/src/')],
];

export interface Window {
  name: string;
  startUs: number;
  endUs: number;
}

/** CPU ms per category inside each window (idle excluded from the totals). */
export function attribute(profile: CpuProfile, windows: readonly Window[]): Map<string, Map<string, number>> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const categoryOf = new Map<number, string>();
  const categorize = (id: number): string => {
    const cached = categoryOf.get(id);
    if (cached) return cached;
    let cur: number | undefined = id;
    let found = 'unattributed';
    // A database driver's own I/O (socket writes, PGlite's filesystem syscalls) belongs to the driver, whatever
    // node:net or node:fs frame sits at the leaf.
    for (let up: number | undefined = id; up !== undefined; up = parent.get(up)) {
      const owner = OWNERS.find(([, test]) => test(byId.get(up!)!.callFrame));
      if (owner) {
        categoryOf.set(id, owner[0]);
        return owner[0];
      }
    }
    while (cur !== undefined) {
      const frame = byId.get(cur)!.callFrame;
      const rule = RULES.find(([, test]) => test(frame));
      if (rule) {
        found = rule[0];
        break;
      }
      cur = parent.get(cur);
    }
    categoryOf.set(id, found);
    return found;
  };
  const out = new Map(windows.map((w) => [w.name, new Map<string, number>()]));
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    // A sample's delta is the time since the previous one: charge it to this sample's frame.
    const dt = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    const cat = categorize(profile.samples[i]!);
    if (cat === '(idle)') continue;
    for (const w of windows) {
      if (t >= w.startUs && t < w.endUs) {
        const m = out.get(w.name)!;
        m.set(cat, (m.get(cat) ?? 0) + dt);
      }
    }
  }
  return out;
}

/**
 * Per category: the busy child's CPU in its task window minus the twin's rate for that category over the same
 * length, per task. The rows add up to the bench's "above its idle twin" figure up to sampling error — and, on a
 * loaded machine, inflated alike: a sample is charged the wall time since the previous one, so a descheduled
 * thread's wait lands on whatever frame it was in. Read the shares, not the absolute numbers.
 */
export function perTaskAboveTwin(busy: { file: string; startNs: number; endNs: number }, twin: { file: string; startNs: number; endNs: number }, tasks: number): string[] {
  const window = (w: { file: string; startNs: number; endNs: number }) => {
    const profile = JSON.parse(readFileSync(w.file, 'utf8')) as CpuProfile;
    return attribute(profile, [{ name: 'w', startUs: w.startNs / 1000, endUs: w.endNs / 1000 }]).get('w')!;
  };
  const b = window(busy);
  const t = window(twin);
  const busyS = (busy.endNs - busy.startNs) / 1e9;
  const twinS = (twin.endNs - twin.startNs) / 1e9;
  const cats = new Set([...b.keys(), ...t.keys()]);
  const rows = [...cats].map((c) => {
    const rate = (t.get(c) ?? 0) / twinS;
    const spent = b.get(c) ?? 0;
    return { c, rate, spent, above: (spent - rate * busyS) / tasks };
  });
  rows.sort((x, y) => y.above - x.above);
  const total = rows.reduce((s, r) => s + r.above, 0);
  return [
    `  CPU profile by category (sampled; ms/task above the twin, twin ms/s, busy window ms):`,
    ...rows.map((r) => `    ${r.c.padEnd(26)} ${r.above.toFixed(1).padStart(7)} ms/task   twin ${r.rate.toFixed(1).padStart(6)} ms/s   busy ${r.spent.toFixed(0).padStart(6)} ms`),
    `    ${'total'.padEnd(26)} ${total.toFixed(1).padStart(7)} ms/task`,
  ];
}
