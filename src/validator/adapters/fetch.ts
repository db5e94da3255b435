/** Downloads over HTTP(S) with a size cap checked while reading (the original checks only afterwards). */
import type { Fetcher } from '../ports.ts';

export const httpFetcher: Fetcher = async (url, options = {}) => {
  const scheme = url.split(':', 1)[0]?.toLowerCase();
  if (scheme !== 'http' && scheme !== 'https') throw new Error(`unsupported URL scheme in ${url.slice(0, 80)}`);
  const res = await fetch(url, { redirect: 'follow' });
  if (!res.ok) throw new Error(`GET ${url.split('?')[0]} answered ${res.status}`);
  const max = options.maxBytes ?? Number.MAX_SAFE_INTEGER;
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > max) throw new Error(`download of ${declared} bytes exceeds the ${max}-byte limit`);
  const chunks: Uint8Array[] = [];
  let total = 0;
  if (!res.body) return new Uint8Array();
  for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
    total += chunk.length;
    if (total > max) throw new Error(`download exceeds the ${max}-byte limit`);
    chunks.push(chunk);
  }
  return new Uint8Array(Buffer.concat(chunks));
};
