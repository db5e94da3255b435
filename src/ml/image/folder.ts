// Image/caption pairs from a folder or a zip, as production's image tasks ship them (validator.md §5.4:
// `<name>.png|.jpg|.jpeg` + `<name>.txt`, inside one folder of the zip). When the top level holds no images, the
// first sub-folder that does is used (as the evaluator does, evaluation.md §8.1). Images decode through png.ts:
// JPEG files are reported as unsupported.
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { decodePng } from './png.ts';
import type { TestImage } from './evaluate.ts';

const IMAGE_EXTS = ['.png', '.jpg', '.jpeg'];

/** Reads a zip's files (stored or deflated entries) into name → bytes. */
export function unzip(bytes: Uint8Array): Map<string, Uint8Array> {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 65_535); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error('not a zip file (no end of central directory)');
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const out = new Map<string, Uint8Array>();
  for (let n = 0; n < count; n++) {
    if (buf.readUInt32LE(p) !== 0x02014b50) throw new Error('zip central directory is corrupt');
    const method = buf.readUInt16LE(p + 10);
    const size = buf.readUInt32LE(p + 20);
    const nameLen = buf.readUInt16LE(p + 28), extraLen = buf.readUInt16LE(p + 30), commentLen = buf.readUInt16LE(p + 32);
    const local = buf.readUInt32LE(p + 42);
    const name = buf.toString('utf8', p + 46, p + 46 + nameLen);
    p += 46 + nameLen + extraLen + commentLen;
    if (name.endsWith('/')) continue;
    const dataStart = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const raw = buf.subarray(dataStart, dataStart + size);
    if (method === 0) out.set(name, raw);
    else if (method === 8) out.set(name, inflateRawSync(raw));
    else throw new Error(`zip entry ${name}: compression method ${method} is not supported`);
  }
  return out;
}

function pairsFrom(files: Map<string, Uint8Array>): TestImage[] {
  const dirs = new Map<string, Map<string, Uint8Array>>();
  for (const [path, data] of files) {
    const slash = path.lastIndexOf('/');
    const dir = slash < 0 ? '' : path.slice(0, slash);
    if (!dirs.has(dir)) dirs.set(dir, new Map());
    dirs.get(dir)!.set(path.slice(slash + 1), data);
  }
  const hasImages = (m: Map<string, Uint8Array>): boolean => [...m.keys()].some((k) => IMAGE_EXTS.includes(extname(k)));
  const top = dirs.get('');
  const chosen = top && hasImages(top) ? top : [...dirs.entries()].sort(([a], [b]) => a.localeCompare(b)).find(([, m]) => hasImages(m))?.[1];
  if (!chosen) throw new Error('no .png/.jpg/.jpeg images found');
  const out: TestImage[] = [];
  for (const name of [...chosen.keys()].sort()) {
    const ext = extname(name);
    if (!IMAGE_EXTS.includes(ext)) continue;
    if (ext !== '.png') throw new Error(`${name}: only PNG images are decoded by the built-in engine`);
    const txt = chosen.get(`${basename(name, ext)}.txt`);
    out.push({ image: decodePng(chosen.get(name)!), caption: txt ? Buffer.from(txt).toString('utf8').trim() : null });
  }
  return out;
}

async function walk(dir: string, prefix: string, out: Map<string, Uint8Array>, depth: number): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const rel = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory() && depth < 2) await walk(join(dir, entry.name), rel, out, depth + 1);
    else if (entry.isFile() && (IMAGE_EXTS.includes(extname(entry.name)) || extname(entry.name) === '.txt')) {
      out.set(rel, await readFile(join(dir, entry.name)));
    }
  }
}

/** Pairs from a folder or a .zip file. */
export async function readImagePairs(path: string): Promise<TestImage[]> {
  const info = await stat(path);
  if (info.isFile()) return pairsFrom(unzip(await readFile(path)));
  const files = new Map<string, Uint8Array>();
  await walk(path, '', files, 0);
  return pairsFrom(files);
}
