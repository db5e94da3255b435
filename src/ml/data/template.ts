// How rows become token sequences with a loss mask. Instruct rows are formatted as the original formats
// them (axolotl "custom" type: `format` = "{instruction} {input}", `no_input_format` = "{instruction}", an
// optional system prompt through `system_format`) and then placed in the engine's chat template as one
// user turn; chat rows use the template directly:
//
//   <|bos|> [<|system|> text <|end|>] (<|user|> text <|end|> <|assistant|> text <|end|>)*
//
// Loss is on assistant text and its closing <|end|> only (production: labels −100 on the prompt).
import { SPECIAL_TOKENS, encode } from '../tokenizer.ts';

export interface Example {
  ids: number[];
  /** lossMask[i] = 1 when ids[i] is a completion token the model must predict from ids[0..i) */
  lossMask: number[];
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface InstructRow {
  instruct: string;
  input?: string | null;
  output: string;
  system?: string | null;
}

export interface InstructFormat {
  format?: string;
  noInputFormat?: string;
  systemPrompt?: string;
  systemFormat?: string;
}

/** The prompt text of an instruct row, with the original's placeholders {instruction} {input} {system}. */
export function formatInstructPrompt(row: InstructRow, fmt: InstructFormat = {}): { system: string | null; prompt: string } {
  const hasInput = row.input !== undefined && row.input !== null && row.input !== '';
  const template = hasInput ? (fmt.format ?? '{instruction} {input}') : (fmt.noInputFormat ?? '{instruction}');
  const prompt = template.replaceAll('{instruction}', row.instruct).replaceAll('{input}', hasInput ? row.input! : '');
  const sys = row.system ?? fmt.systemPrompt ?? '';
  const system = sys === '' ? null : (fmt.systemFormat ?? '{system}').replaceAll('{system}', sys);
  return { system, prompt };
}

export function encodeChat(messages: readonly ChatMessage[]): Example {
  const ids: number[] = [SPECIAL_TOKENS.bos];
  const lossMask: number[] = [0];
  const push = (tokens: number[], loss: number): void => {
    for (const t of tokens) {
      ids.push(t);
      lossMask.push(loss);
    }
  };
  for (const m of messages) {
    const marker = m.role === 'system' ? SPECIAL_TOKENS.system : m.role === 'user' ? SPECIAL_TOKENS.user : SPECIAL_TOKENS.assistant;
    push([marker], 0);
    const learn = m.role === 'assistant' ? 1 : 0;
    push(encode(m.content), learn);
    push([SPECIAL_TOKENS.end], learn);
  }
  return { ids, lossMask };
}

export function instructMessages(row: InstructRow, fmt: InstructFormat = {}): ChatMessage[] {
  const { system, prompt } = formatInstructPrompt(row, fmt);
  return [
    ...(system === null ? [] : [{ role: 'system' as const, content: system }]),
    { role: 'user', content: prompt },
    { role: 'assistant', content: row.output },
  ];
}

export function encodeInstruct(row: InstructRow, fmt: InstructFormat = {}): Example {
  return encodeChat(instructMessages(row, fmt));
}

/** The prompt of a row up to and including <|assistant|>: what generation continues from. */
export function promptIds(messages: readonly ChatMessage[]): number[] {
  const last = messages[messages.length - 1];
  const head = last?.role === 'assistant' ? messages.slice(0, -1) : messages;
  return [...encodeChat(head).ids, SPECIAL_TOKENS.assistant];
}
