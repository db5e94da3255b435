import type { RuleDef, RuleDefs } from '../core/rules/index.ts';
import { maskValue } from './format.ts';
import { configDefs, configGroups, envNameFor, wellKnownNamesFor } from './schema.ts';

export const DOC_BEGIN = '<!-- BEGIN GENERATED: god config docs -->';
export const DOC_END = '<!-- END GENERATED: god config docs -->';

const GROUP_INTRO: Readonly<Record<string, string>> = {
  general: 'Where this installation keeps its data, how much it logs, which chain it talks to.',
  database: 'The database: embedded PGlite by default, PostgreSQL when a URL is given.',
  chain: 'How to reach the chain and which keys to sign with.',
  services: 'Outside services (LLM, content service, Hugging Face, S3, GitHub). Secrets are masked in every printout.',
  storage: 'The local blob store and model hub: directories, address, upload token, size and expiry limits.',
  validator: 'The validator\'s task cycle: loop intervals, per-pass caps, timeouts of its calls to miners, delays, the offer market, the API database pool.',
  api: 'Limits of the customer API: body and upload sizes, rate limits, page sizes, event stream and webhook timing (mostly ours; the original has none).',
  prep: 'Task data preparation: splits, size limits, the synthetic evaluation set and its LLM.',
  synth: 'Synthetic task creation: interval, task mix, models, datasets, hours, reward functions, synthetic images.',
  tournament: 'Tournaments and the orchestrator that places trainings on trainer GPUs.',
  trainer: 'The trainer service that builds and runs miners\' training repos.',
  miner: 'The reference miner\'s accept policy (miners are expected to replace it).',
  protocol: 'Validator↔miner protocol and network identity: netuid, nonce window, stake threshold, ports, call timeout, body and nonce-store limits, chain reads.',
  weights: 'The weight-setting loop and auditing.',
  evaluation: 'Evaluation orchestration: GPU sizing, loop, timeouts, retries, metric settings.',
  sandbox: 'Limits of the isolated Python pool for reward functions (ours; the original has none).',
  fees: 'Fees. The reference version charges none; HEAD\'s tournament entry fee is present but switched off.',
  scoring: 'Scoring and weight constants of the `ref-2025-08` rule set.',
};

function cell(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ');
}

function shownDefault(key: string, def: RuleDef<unknown>): string {
  const value = maskValue(def, key, def.value);
  if (value === null) return '*unset*';
  const text = typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value);
  return `\`${cell(text ?? String(value))}\``;
}

/** The generated reference: one table per group with every key, default, environment name, meaning and source. */
export function renderConfigReference(): string {
  const out: string[] = [DOC_BEGIN, ''];
  for (const group of configGroups) {
    out.push(`### \`${group}\``, '', GROUP_INTRO[group] ?? '', '', '| key | default | environment | meaning | spec |', '|---|---|---|---|---|');
    for (const [key, def] of Object.entries(configDefs[group] as RuleDefs)) {
      const envNames = [envNameFor(group, key), ...wellKnownNamesFor(`${group}.${key}`)].map((n) => `\`${n}\``).join(', ');
      out.push(`| \`${group}.${key}\` | ${shownDefault(key, def)} | ${envNames} | ${cell(def.doc)} (${cell(def.expected)}) | ${cell(def.spec)} |`);
    }
    out.push('');
  }
  out.push(DOC_END);
  return out.join('\n');
}

/** Replaces the generated section of a markdown document (or appends it when the markers are missing). */
export function updateConfigDoc(markdown: string): string {
  const begin = markdown.indexOf(DOC_BEGIN);
  const end = markdown.indexOf(DOC_END);
  const section = renderConfigReference();
  if (begin === -1 || end === -1 || end < begin) return `${markdown.trimEnd()}\n\n${section}\n`;
  return markdown.slice(0, begin) + section + markdown.slice(end + DOC_END.length);
}

/** The generated section currently in a markdown document, or undefined. */
export function extractConfigReference(markdown: string): string | undefined {
  const begin = markdown.indexOf(DOC_BEGIN);
  const end = markdown.indexOf(DOC_END);
  if (begin === -1 || end === -1 || end < begin) return undefined;
  return markdown.slice(begin, end + DOC_END.length);
}
