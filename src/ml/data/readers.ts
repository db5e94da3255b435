// Readers for user dataset files: JSON (an array of objects, an object holding one such array such as
// {"data": [...]}, or JSON lines), JSON lines, CSV (RFC 4180: quoted fields, doubled quotes, CRLF), and
// Parquet (hyparquet, pure JavaScript: uncompressed and Snappy pages; other codecs raise an error naming
// them). Every reader returns plain row objects; column mapping is columns.ts's job.
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import type { DataRow } from './builtin.ts';

export type FileFormat = 'json' | 'jsonl' | 'csv' | 'parquet';

export function formatOf(path: string): FileFormat {
  const ext = extname(path).toLowerCase();
  switch (ext) {
    case '.json': return 'json';
    case '.jsonl': case '.ndjson': return 'jsonl';
    case '.csv': return 'csv';
    case '.parquet': return 'parquet';
    default: throw new Error(`unknown dataset file type "${ext || path}" (use .json, .jsonl, .csv or .parquet)`);
  }
}

function objectRows(value: unknown, where: string): DataRow[] {
  if (!Array.isArray(value)) throw new Error(`${where}: expected a list of row objects`);
  return value.map((row, i) => {
    if (typeof row !== 'object' || row === null || Array.isArray(row)) throw new Error(`${where}: row ${i} is not an object`);
    return row as DataRow;
  });
}

export function parseJsonLines(text: string, where = 'jsonl'): DataRow[] {
  const rows: DataRow[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line) as unknown;
    } catch (err) {
      throw new Error(`${where}: line ${i + 1}: ${(err as Error).message}`);
    }
    rows.push(...objectRows([value], `${where}: line ${i + 1}`));
  });
  return rows;
}

export function parseJsonRows(text: string, where = 'json'): DataRow[] {
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch (_err) {
    // HF's json loader also takes JSON lines in a .json file
    return parseJsonLines(text, where);
  }
  if (Array.isArray(value)) return objectRows(value, where);
  if (typeof value === 'object' && value !== null) {
    const lists = Object.entries(value).filter(([, v]) => Array.isArray(v));
    if (lists.length === 1) return objectRows(lists[0]![1], `${where}: ${lists[0]![0]}`);
    return [value as DataRow];
  }
  throw new Error(`${where}: expected a list of row objects`);
}

/** RFC 4180 CSV with a header row; every value is a string (as pandas reads object columns). */
export function parseCsv(text: string, where = 'csv'): DataRow[] {
  const records: string[][] = [];
  let record: string[] = [];
  let cell = '';
  let quoted = false;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const endCell = (): void => {
    record.push(cell);
    cell = '';
  };
  for (; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          cell += '"';
          i++;
        } else quoted = false;
      } else cell += ch;
    } else if (ch === '"' && cell === '') {
      quoted = true;
    } else if (ch === ',') {
      endCell();
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      endCell();
      records.push(record);
      record = [];
    } else cell += ch;
  }
  if (quoted) throw new Error(`${where}: unterminated quoted field`);
  if (cell !== '' || record.length > 0) {
    endCell();
    records.push(record);
  }
  const nonEmpty = records.filter((r) => !(r.length === 1 && r[0] === ''));
  const header = nonEmpty[0];
  if (!header) return [];
  return nonEmpty.slice(1).map((r, n) => {
    if (r.length !== header.length) throw new Error(`${where}: row ${n + 2} has ${r.length} fields, the header has ${header.length}`);
    return Object.fromEntries(header.map((h, j) => [h, r[j]!]));
  });
}

export async function parseParquet(bytes: Uint8Array): Promise<DataRow[]> {
  const { parquetReadObjects } = await import('hyparquet');
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const rows = await parquetReadObjects({ file });
  // 64-bit integer columns arrive as BigInt; rows are JSON data everywhere else
  return rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])));
}

export async function parseDataset(bytes: Uint8Array, format: FileFormat, where: string = format): Promise<DataRow[]> {
  if (format === 'parquet') return parseParquet(bytes);
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  if (format === 'json') return parseJsonRows(text, where);
  if (format === 'jsonl') return parseJsonLines(text, where);
  return parseCsv(text, where);
}

/** Reads a dataset file; the format comes from the extension unless given. */
export async function readDatasetFile(path: string, format: FileFormat = formatOf(path)): Promise<DataRow[]> {
  return parseDataset(await readFile(path), format, path);
}
