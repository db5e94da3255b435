/**
 * Hugging Face Hub access for the container backend, whose containers push results to Hugging Face themselves:
 * reading a repo's hash-relevant files (for the submission's model hash), making a repo public, and reading a
 * model's tokenizer_config.json (pad/eos tokens for the axolotl config). Plain HTTPS to the Hub's documented
 * endpoints; not exercised against the live Hub here (no network), see docs/miner.md.
 */
import type { TokenizerInfo } from './container/axolotl.ts';
import { isHashCandidate } from './model-hash.ts';
import type { HubFile, MinerModelHub } from './ports.ts';

export interface HuggingFaceOptions {
  readonly token: string | null;
  readonly endpoint?: string;
  readonly fetchImpl?: typeof fetch;
}

function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

export class HuggingFaceHub implements MinerModelHub {
  private readonly endpoint: string;
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly options: HuggingFaceOptions) {
    this.endpoint = options.endpoint ?? 'https://huggingface.co';
    this.fetchImpl = options.fetchImpl ?? fetch;
  }

  private headers(): Record<string, string> {
    return this.options.token ? { authorization: `Bearer ${this.options.token}` } : {};
  }

  async upload(): Promise<{ revision: string }> {
    throw new Error('uploads to Hugging Face are made by the training containers, not by the miner process');
  }

  /** The files `calculate_model_hash` reads (other files are left out: they do not change the hash). */
  async snapshot(repoId: string): Promise<HubFile[] | null> {
    const info = await this.fetchImpl(`${this.endpoint}/api/models/${encodePath(repoId)}`, { headers: this.headers() });
    if (info.status === 404 || info.status === 401) return null;
    if (!info.ok) throw new Error(`Hugging Face ${repoId}: ${info.status}`);
    const siblings = ((await info.json()) as { siblings?: { rfilename: string }[] }).siblings ?? [];
    const files: HubFile[] = [];
    for (const { rfilename } of siblings) {
      if (!isHashCandidate(rfilename)) continue;
      const res = await this.fetchImpl(`${this.endpoint}/${encodePath(repoId)}/resolve/main/${encodePath(rfilename)}`, { headers: this.headers() });
      if (!res.ok) throw new Error(`Hugging Face ${repoId}/${rfilename}: ${res.status}`);
      files.push({ path: rfilename, bytes: new Uint8Array(await res.arrayBuffer()) });
    }
    return files;
  }

  async setPublic(repoId: string): Promise<void> {
    const res = await this.fetchImpl(`${this.endpoint}/api/models/${encodePath(repoId)}/settings`, {
      method: 'PUT',
      headers: { ...this.headers(), 'content-type': 'application/json' },
      body: JSON.stringify({ private: false }),
    });
    if (!res.ok) throw new Error(`Hugging Face visibility of ${repoId}: ${res.status}`);
  }
}

/** A token as tokenizer_config.json spells it: a string, or an AddedToken object with `content`. */
function tokenText(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (value !== null && typeof value === 'object' && typeof (value as { content?: unknown }).content === 'string') return (value as { content: string }).content;
  return null;
}

/** Pad/eos of a model's tokenizer from its tokenizer_config.json (a token present ⇔ its id is set). */
export function huggingFaceTokenizerInfo(options: HuggingFaceOptions): (model: string) => Promise<TokenizerInfo> {
  const endpoint = options.endpoint ?? 'https://huggingface.co';
  const fetchImpl = options.fetchImpl ?? fetch;
  return async (model) => {
    const res = await fetchImpl(`${endpoint}/${encodePath(model)}/resolve/main/tokenizer_config.json`, {
      headers: options.token ? { authorization: `Bearer ${options.token}` } : {},
    });
    if (!res.ok) throw new Error(`tokenizer_config.json of ${model}: ${res.status}`);
    const cfg = (await res.json()) as Record<string, unknown>;
    const pad = tokenText(cfg.pad_token);
    const eos = tokenText(cfg.eos_token);
    return { padTokenId: pad === null ? null : 0, eosTokenId: eos === null ? null : 0, eosToken: eos };
  };
}
