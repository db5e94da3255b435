/**
 * The synthetic-data LLM and image clients, built from the configuration (docs/synthetic.md):
 * `synthetic.llm = builtin | openai`, `synthetic.images = builtin | openai`, budgets and retries from the
 * `synthetic.*` settings and the `prep.llm*` rules.
 */
import type { Config } from '../config/schema.ts';
import type { ImageGenerator, LlmClient } from '../validator/ports.ts';
import type { Random } from '../validator/rng.ts';
import { Budget } from './budget.ts';
import type { HotkeySigner } from './hotkey-auth.ts';
import type { RetryPolicy } from './http.ts';
import { OpenAiImageClient } from './images.ts';
import { OpenAiChatClient } from './openai.ts';
import { StyleImageGenerator } from './style-synth.ts';

export { Budget } from './budget.ts';
export { BudgetExceededError, LlmUnsupportedError, RemoteCallError, isBudgetExceeded, isHopelessLlmError } from './errors.ts';
export { OpenAiChatClient } from './openai.ts';
export { OpenAiImageClient } from './images.ts';
export { StyleImageGenerator } from './style-synth.ts';
export type { HotkeySigner } from './hotkey-auth.ts';

type SyntheticConfig = Pick<Config, 'services' | 'prep' | 'synthetic'>;

export interface RemoteAuth {
  /** The validator hotkey: signs requests when no API key is configured, as the original does. */
  signer?: HotkeySigner | null;
  netuid?: number;
}

export function llmRetryPolicy(config: SyntheticConfig): RetryPolicy {
  return {
    attempts: config.prep.llmAttempts,
    backoffMinMs: config.prep.llmBackoffMinSeconds * 1000,
    backoffMaxMs: config.prep.llmBackoffMaxSeconds * 1000,
    retryAfterMaxMs: config.synthetic.retryAfterMaxSeconds * 1000,
  };
}

/** The OpenAI-compatible chat client at services.llmBaseUrl with the process budget. */
export function openAiLlmFromConfig(config: SyntheticConfig, auth: RemoteAuth = {}): OpenAiChatClient {
  return new OpenAiChatClient({
    baseUrl: config.services.llmBaseUrl,
    apiKey: config.services.llmApiKey,
    signer: auth.signer ?? null,
    ...(auth.netuid === undefined ? {} : { netuid: auth.netuid }),
    timeoutMs: config.prep.llmTimeoutSeconds * 1000,
    retry: llmRetryPolicy(config),
    budgets: [new Budget('llm process', { maxRequests: config.synthetic.llmMaxRequests, maxTokens: config.synthetic.llmMaxTokens })],
  });
}

/** The configured LLM, or `builtin()` (the template engine) when synthetic.llm is builtin. */
export function llmFromConfig(config: SyntheticConfig, builtin: () => LlmClient, auth: RemoteAuth = {}, kind: 'builtin' | 'openai' = config.synthetic.llm): LlmClient {
  return kind === 'openai' ? openAiLlmFromConfig(config, auth) : builtin();
}

/**
 * The LLM one task's prep should use: the same client also charged to a fresh per-task budget when the client
 * supports budgets and synthetic.llmTask* set one; otherwise the client itself.
 */
export function perTaskLlm(llm: LlmClient, config: Pick<Config, 'synthetic'>, taskId: string): LlmClient {
  const { llmTaskMaxRequests, llmTaskMaxTokens } = config.synthetic;
  if (!(llm instanceof OpenAiChatClient) || (!llmTaskMaxRequests && !llmTaskMaxTokens)) return llm;
  return llm.scoped(new Budget(`llm task ${taskId}`, { maxRequests: llmTaskMaxRequests, maxTokens: llmTaskMaxTokens }));
}

/** The configured synthetic image source: `builtin()` or style prompts from `llm` rendered at the images endpoint. */
export function imagesFromConfig(config: SyntheticConfig, deps: { llm: LlmClient; random: Random; builtin: () => ImageGenerator } & RemoteAuth): ImageGenerator {
  if (config.synthetic.images !== 'openai') return deps.builtin();
  const s = config.synthetic;
  const client = new OpenAiImageClient({
    baseUrl: s.imageBaseUrl ?? config.services.llmBaseUrl,
    apiKey: s.imageApiKey ?? config.services.llmApiKey,
    signer: deps.signer ?? null,
    ...(deps.netuid === undefined ? {} : { netuid: deps.netuid }),
    timeoutMs: config.prep.llmTimeoutSeconds * 1000,
    retry: llmRetryPolicy(config),
    budgets: [new Budget('images process', { maxRequests: s.imageMaxRequests })],
  });
  return new StyleImageGenerator({
    llm: deps.llm,
    images: client,
    random: deps.random,
    settings: {
      promptModel: s.imagePromptModel,
      promptTemperature: s.imagePromptTemperature,
      promptMaxTokens: s.imagePromptMaxTokens,
      styleCombineProbability: s.imageStyleCombineProbability,
      styleTries: s.imageStyleTries,
      imageModel: s.imageModel,
      imageSize: s.imageSize,
    },
  });
}
