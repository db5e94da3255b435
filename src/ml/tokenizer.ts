// Byte-level tokenizer: ids 0–255 are the UTF-8 bytes of the text, followed by a few special tokens.
// No merges, so any text round-trips exactly and the vocabulary is fixed at 264 (a multiple of 8, which
// the SIMD matmul prefers for the output head).

export const SPECIAL_TOKENS = {
  bos: 256,
  eos: 257,
  pad: 258,
  system: 259,
  user: 260,
  assistant: 261,
  end: 262,
  reserved: 263,
} as const;

export const BYTE_VOCAB_SIZE = 264;

const SPECIAL_TEXT: Record<number, string> = {
  256: '<|bos|>',
  257: '<|eos|>',
  258: '<|pad|>',
  259: '<|system|>',
  260: '<|user|>',
  261: '<|assistant|>',
  262: '<|end|>',
  263: '<|reserved|>',
};

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: false });

/** The UTF-8 bytes of `text` as token ids (special-token text is not parsed: it stays plain bytes). */
export function encode(text: string): number[] {
  return Array.from(encoder.encode(text));
}

/** Bytes back to text; special tokens are rendered by name unless `skipSpecial` is set. */
export function decode(ids: readonly number[], skipSpecial = true): string {
  const out: string[] = [];
  let bytes: number[] = [];
  const flush = (): void => {
    if (bytes.length > 0) out.push(decoder.decode(new Uint8Array(bytes)));
    bytes = [];
  };
  for (const id of ids) {
    if (id >= 0 && id < 256) bytes.push(id);
    else {
      flush();
      if (!skipSpecial) out.push(SPECIAL_TEXT[id] ?? `<|${id}|>`);
    }
  }
  flush();
  return out.join('');
}

/** The tokenizer description written into config.json so a reader knows how ids map to text. */
export const TOKENIZER_INFO = {
  type: 'god-bytes-v1',
  special_tokens: Object.fromEntries(Object.values(SPECIAL_TOKENS).map((v) => [SPECIAL_TEXT[v]!, v])),
  note: `ids 0-255 are UTF-8 bytes; ${Object.keys(SPECIAL_TOKENS).length} special tokens follow (${Object.keys(SPECIAL_TOKENS).join(', ')})`,
};
