/**
 * Image generation over the OpenAI images API shape, `POST <base>/images/generations` with
 * `{model, prompt, n: 1, size: "WxH", response_format: "b64_json"}` → `{created, data: [{b64_json, revised_prompt?}]}`.
 * We picked this shape over the original's Nineteen `/v1/text-to-image` (`{prompt, model, steps, cfg_scale, width,
 * height, negative_prompt}` → `{image_b64}`) because OpenAI, LocalAI, many vLLM/diffusers gateways and
 * OpenRouter-style proxies speak it; the original's provider is gone (validator.md §6.4, HEAD moved to Chutes).
 * Only PNG and JPEG bytes are accepted, since image prep keeps only those (validator.md §5.4).
 */
import { z } from 'zod';
import type { Budget } from './budget.ts';
import { RemoteCallError } from './errors.ts';
import { authHeaders, type HotkeySigner } from './hotkey-auth.ts';
import { requestJson, type FetchLike, type RetryPolicy, type Sleep } from './http.ts';

export interface ImageRequest {
  prompt: string;
  model: string;
  /** `WIDTHxHEIGHT`, e.g. `1024x1024`. */
  size: string;
}

export interface GeneratedImage {
  bytes: Uint8Array;
  ext: 'png' | 'jpg';
  /** Some providers rewrite the prompt; the caption should describe what was drawn. */
  revisedPrompt: string | null;
}

export function imageGenerationBody(request: ImageRequest): Record<string, unknown> {
  return { model: request.model, prompt: request.prompt, n: 1, size: request.size, response_format: 'b64_json' };
}

export const imageGenerationResponse = z.object({
  created: z.number().optional(),
  data: z
    .array(
      z.object({
        b64_json: z.string().min(1).regex(/^[A-Za-z0-9+/=\s]+$/, 'not base64'),
        revised_prompt: z.string().nullable().optional(),
      }),
    )
    .min(1),
});

export function imageExtension(bytes: Uint8Array): 'png' | 'jpg' | null {
  if (bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return 'png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpg';
  return null;
}

export interface OpenAiImageOptions {
  baseUrl: string;
  apiKey?: string | null;
  signer?: HotkeySigner | null;
  netuid?: number;
  timeoutMs: number;
  retry: RetryPolicy;
  budgets?: readonly Budget[];
  fetch?: FetchLike;
  sleep?: Sleep;
}

export class OpenAiImageClient {
  private readonly url: string;
  private readonly headers: () => Record<string, string>;

  constructor(private readonly options: OpenAiImageOptions) {
    this.url = `${options.baseUrl.replace(/\/+$/, '')}/images/generations`;
    this.headers = authHeaders(options);
  }

  async generate(request: ImageRequest, signal?: AbortSignal): Promise<GeneratedImage> {
    if (!/^\d+x\d+$/.test(request.size)) throw new Error(`image size ${JSON.stringify(request.size)} is not WIDTHxHEIGHT`);
    const answer = await requestJson(
      { method: 'POST', url: this.url, headers: this.headers, body: imageGenerationBody(request), timeoutMs: this.options.timeoutMs, ...(signal ? { signal } : {}) },
      imageGenerationResponse,
      this.options.retry,
      { budgets: this.options.budgets ?? [], ...(this.options.fetch ? { fetch: this.options.fetch } : {}), ...(this.options.sleep ? { sleep: this.options.sleep } : {}) },
    );
    const item = answer.data[0]!;
    const bytes = new Uint8Array(Buffer.from(item.b64_json, 'base64'));
    const ext = imageExtension(bytes);
    if (!ext) throw new RemoteCallError(`POST ${this.url}: data.0.b64_json is not a PNG or JPEG image`, 'bad_response');
    return { bytes, ext, revisedPrompt: item.revised_prompt ?? null };
  }
}
