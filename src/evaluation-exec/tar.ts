/**
 * The few lines of ustar the Docker archive API needs: `GET /containers/{id}/archive` answers with a tar of the
 * requested path. Reading handles the ustar prefix field, GNU long names and PAX headers (the daemon writes PAX
 * records for long paths); writing exists for the test fake and emits plain ustar.
 */
export interface TarEntry {
  name: string;
  type: 'file' | 'dir' | 'other';
  data: Buffer;
}

const BLOCK = 512;

function cstr(header: Buffer, from: number, to: number): string {
  const raw = header.subarray(from, to);
  const nul = raw.indexOf(0);
  return raw.subarray(0, nul < 0 ? raw.length : nul).toString('utf8');
}

function octal(header: Buffer, from: number, to: number): number {
  const text = cstr(header, from, to).trim();
  if (!text) return 0;
  if (!/^[0-7]+$/.test(text)) throw new Error(`tar: bad octal field "${text}"`);
  return parseInt(text, 8);
}

function paxPath(data: Buffer): string | null {
  // Records are "<len> key=value\n".
  let off = 0;
  while (off < data.length) {
    const space = data.indexOf(0x20, off);
    if (space < 0) break;
    const len = Number(data.subarray(off, space).toString('ascii'));
    if (!Number.isInteger(len) || len <= 0) break;
    const record = data.subarray(space + 1, off + len - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq > 0 && record.slice(0, eq) === 'path') return record.slice(eq + 1);
    off += len;
  }
  return null;
}

/** All entries of an uncompressed tar archive; throws on a truncated or corrupt archive. */
export function readTar(buf: Buffer): TarEntry[] {
  const out: TarEntry[] = [];
  let nextName: string | null = null;
  for (let off = 0; off + BLOCK <= buf.length; ) {
    const header = buf.subarray(off, off + BLOCK);
    if (header.every((b) => b === 0)) break;
    const stored = octal(header, 148, 156);
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i]!;
    if (sum !== stored) throw new Error('tar: header checksum mismatch');
    const size = octal(header, 124, 136);
    const typeflag = String.fromCharCode(header[156]!);
    const dataStart = off + BLOCK;
    if (dataStart + size > buf.length) throw new Error('tar: archive truncated');
    const data = buf.subarray(dataStart, dataStart + size);
    off = dataStart + Math.ceil(size / BLOCK) * BLOCK;
    if (typeflag === 'x') {
      nextName = paxPath(data) ?? nextName;
      continue;
    }
    if (typeflag === 'L') {
      nextName = cstr(data, 0, data.length);
      continue;
    }
    if (typeflag === 'g') continue;
    const prefix = cstr(header, 345, 500);
    const name = nextName ?? (prefix ? `${prefix}/` : '') + cstr(header, 0, 100);
    nextName = null;
    out.push({ name, type: typeflag === '0' || typeflag === '\0' ? 'file' : typeflag === '5' ? 'dir' : 'other', data: Buffer.from(data) });
  }
  return out;
}

/** A plain ustar archive of regular files (names up to 100 bytes). */
export function writeTar(files: readonly { name: string; data: Buffer | string }[]): Buffer {
  const parts: Buffer[] = [];
  for (const f of files) {
    const data = typeof f.data === 'string' ? Buffer.from(f.data) : f.data;
    const header = Buffer.alloc(BLOCK);
    if (Buffer.byteLength(f.name) > 100) throw new Error(`tar: name too long: ${f.name}`);
    header.write(f.name, 0, 'utf8');
    header.write('0000644\0', 100, 'ascii');
    header.write('0000000\0', 108, 'ascii');
    header.write('0000000\0', 116, 'ascii');
    header.write(`${data.length.toString(8).padStart(11, '0')}\0`, 124, 'ascii');
    header.write('00000000000\0', 136, 'ascii');
    header.write('        ', 148, 'ascii');
    header.write('0', 156, 'ascii');
    header.write('ustar\0', 257, 'ascii');
    header.write('00', 263, 'ascii');
    let sum = 0;
    for (const b of header) sum += b;
    header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
    parts.push(header, data, Buffer.alloc((BLOCK - (data.length % BLOCK)) % BLOCK));
  }
  parts.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(parts);
}
