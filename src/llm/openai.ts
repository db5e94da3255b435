/**
 * OpenAI-compatible chat completions (`POST <base>/chat/completions`), the transport of the synthetic data
 * (validator.md §5.2): `{model, messages, temperature, max_tokens, stream: false}`, answer
 * `choices[0].message.content`. Works against OpenAI, vLLM, llama.cpp server, Ollama's /v1, OpenRouter, Chutes and
 * Nineteen. Retries, timeouts and budgets come from http.ts.
 */
import { z } from 'zod';
import type { ChatMessage, LlmClient } from '../validator/ports.ts';
import { chargeTokens, type Budget } from './budget.ts';
import { RemoteCallError } from './errors.ts';
import { authHeaders, type HotkeySigner } from './hotkey-auth.ts';
import { requestJson, type FetchLike, type RetryPolicy, type Sleep } from './http.ts';

export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  temperature: number;
  maxTokens: number;
}

/** The request body exactly as the API names its fields. */
export function chatCompletionBody(request: ChatRequest): Record<string, unknown> {
  return {
    model: request.model,
    messages: request.messages.map((m) => ({ role: m.role, content: m.content })),
    temperature: request.temperature,
    max_tokens: request.maxTokens,
    stream: false,
  };
}

const usageSchema = z.object({
  prompt_tokens: z.number().int().nonnegative().optional(),
  completion_tokens: z.number().int().nonnegative().optional(),
  total_tokens: z.number().int().nonnegative(),
});

/** Only what we read; providers add fields (id, created, system_fingerprint, logprobs…) that we let through. */
export const chatCompletionResponse = z.object({
  choices: z
    .array(
      z.object({
        message: z.object({ role: z.string().optional(), content: z.string().nullable() }),
        finish_reason: z.string().nullable().optional(),
      }),
    )
    .min(1),
  usage: usageSchema.nullable().optional(),
});

export type ChatCompletionResponse = z.infer<typeof chatCompletionResponse>;

/** Providers that omit `usage` are charged ~4 characters per token, prompt and answer. */
export function estimateTokens(request: ChatRequest, answer: string): number {
  const chars = request.messages.reduce((n, m) => n + m.content.length, 0) + answer.length;
  return Math.ceil(chars / 4);
}

export interface OpenAiChatOptions {
  /** Up to and including the version segment, e.g. `https://api.openai.com/v1`. */
  baseUrl: string;
  /** Bearer key; without one, requests carry the hotkey headers when `signer` is given (the original's fallback). */
  apiKey?: string | null;
  signer?: HotkeySigner | null;
  netuid?: number;
  timeoutMs: number;
  retry: RetryPolicy;
  /** Budgets every call is charged to (the process budget; `scoped` adds a task's). */
  budgets?: readonly Budget[];
  fetch?: FetchLike;
  sleep?: Sleep;
}

export class OpenAiChatClient implements LlmClient {
  private readonly url: string;
  private readonly headers: () => Record<string, string>;

  constructor(private readonly options: OpenAiChatOptions) {
    this.url = `${options.baseUrl.replace(/\/+$/, '')}/chat/completions`;
    this.headers = authHeaders(options);
  }

  /** The same client, also charged to `budget` (one task's share). */
  scoped(budget: Budget): OpenAiChatClient {
    return new OpenAiChatClient({ ...this.options, budgets: [...(this.options.budgets ?? []), budget] });
  }

  /** The full parsed answer (usage included). */
  async complete(request: ChatRequest, signal?: AbortSignal): Promise<ChatCompletionResponse> {
    const budgets = this.options.budgets ?? [];
    const answer = await requestJson(
      { method: 'POST', url: this.url, headers: this.headers, body: chatCompletionBody(request), timeoutMs: this.options.timeoutMs, ...(signal ? { signal } : {}) },
      chatCompletionResponse,
      this.options.retry,
      { budgets, ...(this.options.fetch ? { fetch: this.options.fetch } : {}), ...(this.options.sleep ? { sleep: this.options.sleep } : {}) },
    );
    chargeTokens(budgets, answer.usage?.total_tokens ?? estimateTokens(request, answer.choices[0]!.message.content ?? ''));
    return answer;
  }

  async chat(request: ChatRequest, signal?: AbortSignal): Promise<string> {
    const answer = await this.complete(request, signal);
    const content = answer.choices[0]!.message.content;
    if (content === null) {
      const reason = answer.choices[0]!.finish_reason;
      throw new RemoteCallError(`POST ${this.url}: choices.0.message.content is null${reason ? ` (finish_reason ${reason})` : ''}`, 'bad_response');
    }
    return content;
  }
}
