import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { StorageError } from './errors.ts';
import { spoolToTemp, writeFileAtomic } from './fsutil.ts';

const dirs: string[] = [];
function scratch(): string {
  const d = mkdtempSync(join(tmpdir(), 'god-fsutil-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('crash-safe writes', () => {
  it('writeFileAtomic creates the temporary and the target directories when they are missing', async () => {
    const root = scratch();
    const target = join(root, 'a', 'b', 'file.json');
    await writeFileAtomic(target, '{"x":1}\n', join(root, 'tmp'));
    expect(readFileSync(target, 'utf8')).toBe('{"x":1}\n');
    expect(readdirSync(join(root, 'tmp'))).toEqual([]);
    // Replaces an existing file whole.
    await writeFileAtomic(target, 'second', join(root, 'tmp'));
    expect(readFileSync(target, 'utf8')).toBe('second');
  });

  it('spoolToTemp writes bytes in memory and streams alike, with their size and sha256, into a directory it creates', async () => {
    const root = scratch();
    const bytes = new TextEncoder().encode('hello spool');
    const a = await spoolToTemp(bytes, join(root, 'tmp'), 1000);
    expect(a).toMatchObject({ size: bytes.length, sha256: sha(bytes) });
    expect(readFileSync(a.path)).toEqual(Buffer.from(bytes));
    const b = await spoolToTemp(Readable.from([Buffer.from('hello '), Buffer.from('spool')]), join(root, 'tmp'), 1000);
    expect(b).toMatchObject({ size: bytes.length, sha256: sha(bytes) });
  });

  it('spoolToTemp refuses more than the limit and leaves no partial file, from memory or a stream', async () => {
    const root = scratch();
    const tmp = join(root, 'tmp');
    await expect(spoolToTemp(new Uint8Array(11), tmp, 10)).rejects.toSatisfy((e) => e instanceof StorageError && e.code === 'too_large');
    await expect(spoolToTemp(Readable.from([Buffer.alloc(6), Buffer.alloc(6)]), tmp, 10)).rejects.toSatisfy(
      (e) => e instanceof StorageError && e.code === 'too_large',
    );
    expect(readdirSync(tmp)).toEqual([]);
  });
});
