import { describe, expect, it } from 'vitest';
import { isStorageError } from './errors.ts';
import { parseBlobKey, parseRepoFilePath, parseRepoId, parseRevision, resolveInside } from './names.ts';

function rejects(fn: () => unknown): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(isStorageError(caught, 'invalid'), `expected an invalid-name error, got ${String(caught)}`).toBe(true);
}

describe('blob keys', () => {
  it('accepts the keys the validator uses', () => {
    for (const key of ['0123456789abcdef_train_data.json', 'tasks/abc/test.json', 'scores/2025-08-01T00.json', 'a', '_x', 'A+B=c']) {
      expect(parseBlobKey(key)).toBe(key);
    }
  });
  it('refuses traversal, absolute, hidden, empty segments, NUL, encoded and over-long keys', () => {
    for (const key of ['', '../x', 'a/../b', '..', '.', '/etc/passwd', 'a//b', 'a/', '.hidden', 'a/.b', 'a\0b', '%2e%2e/x', 'a%2Fb', 'a\\b', 'a b', 'x'.repeat(513), 'ü']) {
      rejects(() => parseBlobKey(key));
    }
  });
});

describe('repository ids (Hugging Face rule)', () => {
  it('accepts owner/name', () => {
    for (const id of ['alice/qwen-task-123', 'rayonlabs/x', 'a_b/c.d', `o/${'n'.repeat(96)}`, 'A1/B2']) expect(parseRepoId(id)).toBe(id);
  });
  it('refuses malformed ids', () => {
    for (const id of ['noowner', 'a/b/c', '/a', 'a/', '-a/b', 'a/b-', 'a/.b', 'a/b.', 'a/b--c', 'a/b..c', 'a/b.git', `o/${'n'.repeat(97)}`, 'a/b c', 'a/..', '../a', 'a\0/b']) {
      rejects(() => parseRepoId(id));
    }
  });
});

describe('repository file paths', () => {
  it('accepts model files', () => {
    for (const p of ['model.safetensors', 'adapter_config.json', 'checkpoint/last-1.safetensors', 'unet/diffusion_pytorch_model.safetensors', '.gitattributes', 'README.md']) {
      expect(parseRepoFilePath(p)).toBe(p);
    }
  });
  it('refuses traversal and oddities', () => {
    for (const p of ['', '../x', 'a/../b', './a', '/abs', 'a//b', 'a/', '.git/config', 'a\0b', 'a\\b', 'a\nb']) rejects(() => parseRepoFilePath(p));
  });
});

describe('revisions', () => {
  it('is main or a full sha256', () => {
    expect(parseRevision('main')).toBe('main');
    expect(parseRevision('a'.repeat(64))).toBe('a'.repeat(64));
    for (const r of ['dev', 'a'.repeat(40), 'A'.repeat(64), '../main']) rejects(() => parseRevision(r));
  });
});

describe('resolveInside', () => {
  it('keeps paths under the root and refuses everything else', () => {
    expect(resolveInside('/srv/root', 'a/b')).toBe('/srv/root/a/b');
    for (const rel of ['../x', 'a/../../x', '/etc/passwd', '', '.', 'a\0b', 'a/..']) rejects(() => resolveInside('/srv/root', rel));
  });
});
