// The GPT's shape, and its Hugging Face GPT-2 `config.json` form. Field names on disk are HF's, so a full
// model written here reads as GPT2LMHeadModel, and the `is_finetune` attribute check sees the same keys
// production compares (hidden_size → n_embd, num_hidden_layers → n_layer, num_attention_heads → n_head).
import { z } from 'zod';
import { BYTE_VOCAB_SIZE, SPECIAL_TOKENS, TOKENIZER_INFO } from './tokenizer.ts';

export interface GptConfig {
  vocabSize: number;
  /** maximum sequence length (learned positional embeddings) */
  contextLength: number;
  width: number;
  depth: number;
  heads: number;
  layerNormEps: number;
}

export function validateGptConfig(cfg: GptConfig): GptConfig {
  const positive = ['vocabSize', 'contextLength', 'width', 'depth', 'heads'] as const;
  for (const k of positive) {
    if (!Number.isInteger(cfg[k]) || cfg[k] < 1) throw new Error(`config.${k} must be a positive integer, got ${cfg[k]}`);
  }
  if (cfg.width % cfg.heads !== 0) throw new Error(`config.width (${cfg.width}) must be divisible by config.heads (${cfg.heads})`);
  if (!(cfg.layerNormEps > 0)) throw new Error('config.layerNormEps must be positive');
  return cfg;
}

export function gptConfig(partial: Partial<GptConfig>): GptConfig {
  return validateGptConfig({
    vocabSize: BYTE_VOCAB_SIZE,
    contextLength: 128,
    width: 128,
    depth: 4,
    heads: 4,
    layerNormEps: 1e-5,
    ...partial,
  });
}

/** HF GPT-2 config.json (the fields we write and read; others pass through untouched on read). */
export const HfGpt2ConfigSchema = z.looseObject({
  architectures: z.array(z.string()),
  model_type: z.literal('gpt2'),
  vocab_size: z.number().int().positive(),
  n_positions: z.number().int().positive(),
  n_embd: z.number().int().positive(),
  n_layer: z.number().int().positive(),
  n_head: z.number().int().positive(),
  n_inner: z.number().int().positive().nullable().optional(),
  activation_function: z.literal('gelu_new'),
  layer_norm_epsilon: z.number().positive(),
  tie_word_embeddings: z.literal(true).optional(),
});
export type HfGpt2Config = z.infer<typeof HfGpt2ConfigSchema>;

export function toHfConfig(cfg: GptConfig): Record<string, unknown> {
  return {
    architectures: ['GPT2LMHeadModel'],
    model_type: 'gpt2',
    vocab_size: cfg.vocabSize,
    n_positions: cfg.contextLength,
    n_ctx: cfg.contextLength,
    n_embd: cfg.width,
    n_layer: cfg.depth,
    n_head: cfg.heads,
    n_inner: null,
    activation_function: 'gelu_new',
    layer_norm_epsilon: cfg.layerNormEps,
    resid_pdrop: 0,
    embd_pdrop: 0,
    attn_pdrop: 0,
    initializer_range: 0.02,
    tie_word_embeddings: true,
    bos_token_id: SPECIAL_TOKENS.bos,
    eos_token_id: SPECIAL_TOKENS.eos,
    pad_token_id: SPECIAL_TOKENS.pad,
    torch_dtype: 'float32',
    god_tokenizer: TOKENIZER_INFO,
  };
}

export function fromHfConfig(raw: unknown): GptConfig {
  const parsed = HfGpt2ConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`config.json: ${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid'}`);
  }
  const c = parsed.data;
  if (c.n_inner !== undefined && c.n_inner !== null && c.n_inner !== 4 * c.n_embd) {
    throw new Error(`config.json: n_inner: only 4 × n_embd is supported, got ${c.n_inner}`);
  }
  return validateGptConfig({
    vocabSize: c.vocab_size,
    contextLength: c.n_positions,
    width: c.n_embd,
    depth: c.n_layer,
    heads: c.n_head,
    layerNormEps: c.layer_norm_epsilon,
  });
}
