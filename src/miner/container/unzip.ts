/**
 * Extracts a validator's image-dataset zip (stored and deflate entries, read through the central directory).
 * Refuses what the reference would blindly unpack (miner-protocol-chain.md §11 item 8): absolute paths, `..`
 * segments, more than `maxEntries` entries or `maxBytes` uncompressed.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, normalize, sep } from 'node:path';
import { inflateRawSync } from 'node:zlib';

export interface UnzipLimits {
  readonly maxEntries: number;
  readonly maxBytes: number;
}

export const DEFAULT_UNZIP_LIMITS: UnzipLimits = { maxEntries: 10_000, maxBytes: 4 * 1024 ** 3 };

/** Returns the relative paths of the files written under `dest`. */
export async function unzipTo(zip: Buffer, dest: string, limits: UnzipLimits = DEFAULT_UNZIP_LIMITS): Promise<string[]> {
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 65_535); i--) {
    if (zip.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error('not a zip file (no end of central directory)');
  const count = zip.readUInt16LE(eocd + 10);
  if (count > limits.maxEntries) throw new Error(`the zip has ${count} entries, above the limit of ${limits.maxEntries}`);
  let at = zip.readUInt32LE(eocd + 16);
  let total = 0;
  const written: string[] = [];
  for (let n = 0; n < count; n++) {
    if (zip.readUInt32LE(at) !== 0x02014b50) throw new Error('corrupt zip central directory');
    const method = zip.readUInt16LE(at + 10);
    const compressed = zip.readUInt32LE(at + 20);
    const size = zip.readUInt32LE(at + 24);
    const nameLen = zip.readUInt16LE(at + 28);
    const extraLen = zip.readUInt16LE(at + 30);
    const commentLen = zip.readUInt16LE(at + 32);
    const local = zip.readUInt32LE(at + 42);
    const name = zip.subarray(at + 46, at + 46 + nameLen).toString('utf8');
    at += 46 + nameLen + extraLen + commentLen;
    const clean = normalize(name.replaceAll('\\', '/'));
    if (name.startsWith('/') || /^[A-Za-z]:/.test(name) || clean.split(sep).includes('..')) throw new Error(`unsafe path in zip: ${name}`);
    if (name.endsWith('/')) {
      await mkdir(join(dest, clean), { recursive: true });
      continue;
    }
    total += size;
    if (total > limits.maxBytes) throw new Error(`the zip unpacks to more than ${limits.maxBytes} bytes`);
    if (zip.readUInt32LE(local) !== 0x04034b50) throw new Error('corrupt zip local header');
    const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const data = zip.subarray(start, start + compressed);
    let content: Buffer;
    if (method === 0) content = Buffer.from(data);
    else if (method === 8) content = inflateRawSync(data, { maxOutputLength: Math.max(size, 1) });
    else throw new Error(`unsupported zip compression method ${method} for ${name}`);
    if (content.length !== size) throw new Error(`size mismatch for ${name}`);
    const target = join(dest, clean);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, content);
    written.push(clean.split(sep).join('/'));
  }
  return written;
}
