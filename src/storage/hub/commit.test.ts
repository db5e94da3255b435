import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isStorageError } from '../errors.ts';
import { nextTree, revisionSha } from './commit.ts';

const h = (s: string) => createHash('sha256').update(s).digest('hex');
const entry = (path: string, content = path) => ({ path, size: content.length, sha256: h(content) });

describe('revisionSha', () => {
  it('is sha256 over the parent line and the sorted "sha path" lines', () => {
    expect(revisionSha(null, [])).toBe(h('parent \n'));
    const files = [entry('b'), entry('a')];
    expect(revisionSha('p'.repeat(64), files)).toBe(h(`parent ${'p'.repeat(64)}\n${h('a')} a\n${h('b')} b\n`));
  });
  it('changes with the parent, a rename or a content change, not with input order', () => {
    const base = revisionSha(null, [entry('a'), entry('b')]);
    expect(revisionSha(null, [entry('b'), entry('a')])).toBe(base);
    expect(revisionSha(h('x'), [entry('a'), entry('b')])).not.toBe(base);
    expect(revisionSha(null, [entry('a'), { ...entry('b'), path: 'c' }])).not.toBe(base);
    expect(revisionSha(null, [entry('a'), entry('b', 'other')])).not.toBe(base);
  });
});

describe('nextTree', () => {
  const parent = [entry('a'), entry('dir/b')];
  it('merges by default, replaces on request, deletes what is named', () => {
    expect(nextTree(parent, [entry('a', 'new')]).map((f) => f.sha256)).toEqual([h('new'), h('dir/b')]);
    expect(nextTree(parent, [entry('c')], { mode: 'replace' }).map((f) => f.path)).toEqual(['c']);
    expect(nextTree(parent, [], { deletePaths: ['dir/b'] }).map((f) => f.path)).toEqual(['a']);
  });
  it('refuses a missing delete, a duplicate, a file that is also a directory, and bad paths', () => {
    for (const run of [
      () => nextTree(parent, [], { deletePaths: ['nope'] }),
      () => nextTree(parent, [entry('x'), entry('x')]),
      () => nextTree(parent, [entry('dir')]),
      () => nextTree(parent, [entry('a/x')]),
      () => nextTree(parent, [entry('../x')]),
    ]) {
      expect(run).toThrow();
      try {
        run();
      } catch (err) {
        expect(isStorageError(err, 'invalid')).toBe(true);
      }
    }
  });
});
