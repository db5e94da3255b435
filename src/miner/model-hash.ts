/**
 * The original's `calculate_model_hash` (validator/utils/hash_verification.py; miner-protocol-chain.md §5.8),
 * which the miner reports with its submission and the validator recomputes. Bit for bit, so a miner of ours
 * and a Python validator agree (vectors/model_hash.json).
 *
 * Which files count: a fixed list of root names, plus glob patterns where `*` matches any run of characters
 * other than `/` (empty included). Candidates are de-duplicated, sorted by Unicode code point (Python's str
 * order), folders and empty files skipped, and the outer SHA-256 is fed `"{path}:{sha256hex}"` per file with
 * no separator. Nothing hashed → null.
 */
import { createHash } from 'node:crypto';

/** Root-level names hashed when present. */
export const MODEL_HASH_FIXED_NAMES: readonly string[] = [
  'adapter_model.bin',
  'adapter_model.safetensors',
  'pytorch_model.bin',
  'pytorch_model.safetensors',
  'model.safetensors',
  'adapter_config.json',
  'config.json',
];

/** Glob patterns (relative to the repo root) whose matches are hashed. */
export const MODEL_HASH_PATTERNS: readonly string[] = [
  'model-*.safetensors',
  'pytorch_model-*.bin',
  'pytorch_model-*.safetensors',
  'checkpoint/last.safetensors',
  'checkpoint/last-*.safetensors',
  'checkpoint/checkpoint-*.safetensors',
  'last-*.safetensors',
  'diffusion_pytorch_model.safetensors',
  'unet/diffusion_pytorch_model.safetensors',
  'vae/diffusion_pytorch_model.safetensors',
  'text_encoder/pytorch_model.bin',
  'text_encoder_2/pytorch_model.bin',
];

function globToRegExp(pattern: string): RegExp {
  const body = pattern
    .split('*')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('[^/]*');
  return new RegExp(`^${body}$`, 'u');
}

const PATTERN_RES = MODEL_HASH_PATTERNS.map(globToRegExp);
const FIXED = new Set(MODEL_HASH_FIXED_NAMES);

/**
 * Python's glob skips names starting with `.` unless the pattern itself starts with one; none of ours does,
 * and every pattern's segments start with a literal letter, so a dot-file can never match. Kept explicit.
 */
function hidden(path: string): boolean {
  return path.split('/').some((segment) => segment.startsWith('.'));
}

/** Whether a repo-relative path (with `/`) is one the hash covers. */
export function isHashCandidate(path: string): boolean {
  if (FIXED.has(path)) return true;
  if (hidden(path)) return false;
  return PATTERN_RES.some((re) => re.test(path));
}

/** Python `str` ordering: by code point, not by UTF-16 unit (an astral character sorts after U+FFFF). */
export function compareCodePoints(a: string, b: string): number {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done || y.done) return x.done && y.done ? 0 : x.done ? -1 : 1;
    const cx = x.value.codePointAt(0) ?? 0;
    const cy = y.value.codePointAt(0) ?? 0;
    if (cx !== cy) return cx < cy ? -1 : 1;
  }
}

export interface SnapshotFile {
  /** Repo-relative path with `/` separators, exactly as stored (no Unicode normalisation). */
  readonly path: string;
  readonly bytes: Uint8Array;
}

export interface ModelHashResult {
  /** 64 lowercase hex, or null when no file was hashed. */
  readonly hash: string | null;
  /** The files hashed, in order (the original logs this list). */
  readonly hashedFiles: readonly string[];
  /** The exact text fed to the outer SHA-256. */
  readonly outerPreimage: string;
}

/**
 * Hashes a repository snapshot given as its files. Folders are implied by paths and never hashed (the original
 * fails to read them and skips them), so only files need to be listed.
 */
export function modelHashOf(files: Iterable<SnapshotFile>): ModelHashResult {
  const byPath = new Map<string, Uint8Array>();
  for (const f of files) if (isHashCandidate(f.path)) byPath.set(f.path, f.bytes);
  const ordered = [...byPath.keys()].sort(compareCodePoints);
  const outer = createHash('sha256');
  const hashedFiles: string[] = [];
  let outerPreimage = '';
  for (const path of ordered) {
    const bytes = byPath.get(path) as Uint8Array;
    if (bytes.length === 0) continue;
    const entry = `${path}:${createHash('sha256').update(bytes).digest('hex')}`;
    outer.update(entry, 'utf8');
    outerPreimage += entry;
    hashedFiles.push(path);
  }
  return { hash: hashedFiles.length === 0 ? null : outer.digest('hex'), hashedFiles, outerPreimage };
}

/** The hash alone, as the submission endpoint reports it. */
export function calculateModelHash(files: Iterable<SnapshotFile>): string | null {
  return modelHashOf(files).hash;
}
