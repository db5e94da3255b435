// The safetensors format: 8-byte little-endian header length N, then N bytes of JSON
// {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {str: str}}, then the raw little-endian
// tensor bytes, offsets relative to the end of the header. We write F32 only and read F32/F64/F16/BF16.
import { z } from 'zod';

export interface NamedTensor {
  name: string;
  shape: number[];
  data: Float32Array;
}

const TensorInfo = z.object({
  dtype: z.string(),
  shape: z.array(z.number().int().nonnegative()),
  data_offsets: z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()]),
});

const DTYPE_BYTES: Record<string, number> = { F32: 4, F64: 8, F16: 2, BF16: 2 };

export function writeSafetensors(tensors: NamedTensor[], metadata: Record<string, string> = {}): Buffer {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header['__metadata__'] = metadata;
  let offset = 0;
  for (const t of tensors) {
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) throw new Error(`tensor ${t.name}: shape ${JSON.stringify(t.shape)} needs ${count} values, has ${t.data.length}`);
    if (t.name in header) throw new Error(`duplicate tensor name ${t.name}`);
    header[t.name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + count * 4] };
    offset += count * 4;
  }
  let json = JSON.stringify(header);
  // pad the header with spaces so the data starts 8-byte aligned (as the reference writer does)
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const headerBytes = Buffer.from(json, 'utf8');
  const out = Buffer.alloc(8 + headerBytes.length + offset);
  out.writeBigUInt64LE(BigInt(headerBytes.length), 0);
  headerBytes.copy(out, 8);
  let pos = 8 + headerBytes.length;
  for (const t of tensors) {
    for (let i = 0; i < t.data.length; i++, pos += 4) out.writeFloatLE(t.data[i]!, pos);
  }
  return out;
}

export interface ReadSafetensors {
  tensors: Map<string, { shape: number[]; data: Float32Array }>;
  metadata: Record<string, string>;
}

export function readSafetensors(buf: Buffer): ReadSafetensors {
  if (buf.length < 8) throw new Error('safetensors: file shorter than its 8-byte header length');
  const n = Number(buf.readBigUInt64LE(0));
  if (8 + n > buf.length) throw new Error(`safetensors: header length ${n} runs past the end of the file`);
  let raw: unknown;
  try {
    raw = JSON.parse(buf.subarray(8, 8 + n).toString('utf8'));
  } catch (err) {
    throw new Error(`safetensors: header is not JSON (${(err as Error).message})`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error('safetensors: header is not an object');
  const dataStart = 8 + n;
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  let metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (name === '__metadata__') {
      metadata = z.record(z.string(), z.string()).parse(value);
      continue;
    }
    const parsed = TensorInfo.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(`safetensors: ${name}.${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
    }
    const { dtype, shape, data_offsets: [begin, end] } = parsed.data;
    const width = DTYPE_BYTES[dtype];
    if (!width) throw new Error(`safetensors: ${name}.dtype: unsupported ${dtype}`);
    const count = shape.reduce((a, b) => a * b, 1);
    if (end - begin !== count * width) throw new Error(`safetensors: ${name}.data_offsets: ${end - begin} bytes for ${count} ${dtype} values`);
    if (dataStart + end > buf.length) throw new Error(`safetensors: ${name}.data_offsets: past the end of the file`);
    const data = new Float32Array(count);
    const base = dataStart + begin;
    for (let i = 0; i < count; i++) data[i] = readValue(buf, base + i * width, dtype);
    tensors.set(name, { shape, data });
  }
  return { tensors, metadata };
}

function readValue(buf: Buffer, pos: number, dtype: string): number {
  switch (dtype) {
    case 'F32': return buf.readFloatLE(pos);
    case 'F64': return buf.readDoubleLE(pos);
    case 'BF16': {
      const tmp = Buffer.alloc(4);
      tmp.writeUInt16LE(buf.readUInt16LE(pos), 2);
      return tmp.readFloatLE(0);
    }
    default: return halfToFloat(buf.readUInt16LE(pos));
  }
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * Math.pow(2, -14) * (frac / 1024);
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * Math.pow(2, exp - 15) * (1 + frac / 1024);
}
