import { linkSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { taskTypeOf, trainingArgs } from './args.ts';
import { LineSplitter, lastErrorLine } from './executor.ts';
import { busyGpuIds, checkGpuRequest, gpuAvailability, parseGpuList, parseNvidiaSmi } from './gpus.ts';
import { collectOutputs } from './outputs.ts';
import { JobStore } from './store.ts';
import { RequestRefused, modelFolderName, parseBranch, parseCommit, parseRepoUrl } from './validate.ts';

const tmp = mkdtempSync(join(tmpdir(), 'god-trainer-unit-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('repo and commit validation', () => {
  const policy = { allowedHosts: ['github.com'], allowLocal: false, localRoots: [] };
  it('accepts github https repos and normalises them', () => {
    expect(parseRepoUrl('https://github.com/rayonlabs/G.O.D', policy)).toEqual({ kind: 'remote', url: 'https://github.com/rayonlabs/G.O.D.git', host: 'github.com' });
    expect(parseRepoUrl('https://GitHub.com/a/b.git/', policy).url).toBe('https://github.com/a/b.git');
  });
  it.each([
    ['git@github.com:a/b.git', 'not a URL'],
    ['ssh://github.com/a/b', 'only https'],
    ['https://user:pw@github.com/a/b', 'credentials'],
    ['https://github.com/a/b/c', '<owner>/<repo>'],
    ['https://github.com/a/b?x=1', 'query'],
    ['https://gitlab.com/a/b', 'not allowed'],
    ['--upload-pack=touch', 'cannot start with "-"'],
    ['file:///srv/repo', 'local repositories are not allowed'],
    ['/srv/repo', 'local repositories are not allowed'],
  ])('refuses %s', (url, message) => {
    expect(() => parseRepoUrl(url, policy)).toThrow(message);
  });
  it('local repos only where allowed and inside the roots', () => {
    const local = { ...policy, allowLocal: true, localRoots: ['/srv/repos'] };
    expect(parseRepoUrl('file:///srv/repos/a', local)).toEqual({ kind: 'local', path: '/srv/repos/a', url: 'file:///srv/repos/a' });
    expect(() => parseRepoUrl('/srv/repos-evil/a', local)).toThrow('outside');
    expect(() => parseRepoUrl('file://host/srv/repos/a', local)).toThrow('no host');
  });
  it('commits are full shas; branches are safe names; model ids map to the cache folder', () => {
    expect(parseCommit('A'.repeat(40))).toBe('a'.repeat(40));
    expect(() => parseCommit('abc1234')).toThrow(RequestRefused);
    expect(parseBranch('feature/x')).toBe('feature/x');
    expect(() => parseBranch('--upload-pack=x')).toThrow();
    expect(() => parseBranch('a..b')).toThrow();
    expect(modelFolderName('unsloth/Llama-3.2-1B')).toBe('unsloth--Llama-3.2-1B');
    expect(() => modelFolderName('../etc')).toThrow();
  });
});

describe('GPUs', () => {
  it('parses virtual GPU lists and nvidia-smi output (unknown types left out, as the original)', () => {
    expect(parseGpuList('2xH100,A100:40')).toEqual([
      { id: 0, type: 'H100', vramGb: 80 },
      { id: 1, type: 'H100', vramGb: 80 },
      { id: 2, type: 'A100', vramGb: 40 },
    ]);
    expect(() => parseGpuList('2xH200')).toThrow('H200');
    expect(parseNvidiaSmi('0, NVIDIA H100 80GB HBM3, 81559\n1, NVIDIA H200, 143771\n')).toEqual({ gpus: [{ id: 0, type: 'H100', vramGb: 79 }], skipped: ['1: NVIDIA H200'] });
  });
  it('refuses unknown, duplicate and busy ids', () => {
    const gpus = parseGpuList('2xH100');
    const busy = busyGpuIds([{ gpuIds: [1] }]);
    expect(checkGpuRequest([0], gpus, busy)).toBeNull();
    expect(checkGpuRequest([1], gpus, busy)).toEqual({ kind: 'busy', message: 'GPUs 1 are in use by a running job', busy: [1] });
    expect(checkGpuRequest([0, 0], gpus, busy)?.kind).toBe('invalid');
    expect(checkGpuRequest([5], gpus, busy)?.message).toBe('unknown GPU ids: 5');
    expect(checkGpuRequest([], gpus, busy)?.kind).toBe('invalid');
    expect(gpuAvailability(gpus, busy).map((g) => g.available)).toEqual([true, false]);
  });
});

describe('contract arguments', () => {
  it('text args in the original order, hours truncated, dataset type as Python json.dumps', () => {
    const training = { model: 'm/x', task_id: 't1', hours_to_complete: 2.7, expected_repo_name: 'r', dataset: 'https://s3/x.json', dataset_type: { field_prompt: 'p', field_chosen: 'c', field_rejected: 'r' }, file_format: 's3' as const };
    expect(taskTypeOf(training)).toBe('DpoTask');
    const args = trainingArgs(training, 'r');
    expect(args.filter((_, i) => i % 2 === 0)).toEqual(['--task-id', '--model', '--dataset', '--dataset-type', '--task-type', '--file-format', '--expected-repo-name', '--hours-to-complete']);
    expect(args.at(-1)).toBe('2');
    expect(args[7]).toMatch(/^\{"field_prompt": "p", /);
  });
  it('image args', () => {
    expect(trainingArgs({ model: 'm/x', task_id: 't1', hours_to_complete: 1, dataset_zip: 'https://s3/z.zip' }, 'r')).toEqual(['--task-id', 't1', '--model', 'm/x', '--dataset-zip', 'https://s3/z.zip', '--model-type', 'sdxl', '--expected-repo-name', 'r', '--hours-to-complete', '1']);
  });
});

describe('output collection refuses what untrusted code could use against the trainer', () => {
  it('reads regular files only', async () => {
    const dir = join(tmp, 'out1');
    mkdirSync(join(dir, 'sub'), { recursive: true });
    writeFileSync(join(dir, 'a.bin'), 'x');
    writeFileSync(join(dir, 'sub', 'b.json'), '{}');
    expect((await collectOutputs(dir, { maxBytes: 100, maxFiles: 10 })).map((f) => f.path).sort()).toEqual(['a.bin', 'sub/b.json']);
    symlinkSync('/etc/hostname', join(dir, 'stolen'));
    await expect(collectOutputs(dir, { maxBytes: 100, maxFiles: 10 })).rejects.toThrow('not a regular file');
  });
  it('refuses hard links, odd names, too many or too large files, and empty folders', async () => {
    const dir = join(tmp, 'out2');
    mkdirSync(dir);
    writeFileSync(join(tmp, 'secret'), 's');
    linkSync(join(tmp, 'secret'), join(dir, 'linked'));
    await expect(collectOutputs(dir, { maxBytes: 100, maxFiles: 10 })).rejects.toThrow('hard link');
    rmSync(join(dir, 'linked'));
    writeFileSync(join(dir, 'bad name'), 'x');
    await expect(collectOutputs(dir, { maxBytes: 100, maxFiles: 10 })).rejects.toThrow('name the hub does not accept');
    rmSync(join(dir, 'bad name'));
    await expect(collectOutputs(dir, { maxBytes: 100, maxFiles: 10 })).rejects.toThrow('empty');
    writeFileSync(join(dir, 'big'), Buffer.alloc(200));
    await expect(collectOutputs(dir, { maxBytes: 100, maxFiles: 10 })).rejects.toThrow('exceed');
    await expect(collectOutputs(join(tmp, 'missing'), { maxBytes: 100, maxFiles: 10 })).rejects.toThrow('no output folder');
  });
});

describe('job history file', () => {
  it('moves an unreadable state file aside instead of crashing or silently dropping it', async () => {
    const path = join(tmp, 'state', 'state.json');
    mkdirSync(join(tmp, 'state'), { recursive: true });
    writeFileSync(path, '{"version":1,"jobs":[{"nope":1}]}');
    const { store, corruptMovedTo } = await JobStore.open(path);
    expect(corruptMovedTo).toMatch(/state\.json\.corrupt-\d+$/);
    expect(store.all()).toEqual([]);
  });
});

describe('log handling', () => {
  it('caps line length and unterminated output; finds the last error line as the original does', () => {
    const lines: string[] = [];
    const s = new LineSplitter(10, (l) => lines.push(l));
    s.push('short\nthis line is too long\r\n');
    s.push('x'.repeat(25));
    s.end();
    expect(lines).toEqual(['short', 'this line …[truncated]', 'xxxxxxxxxx…[truncated]']);
    expect(lastErrorLine(['ok', 'ValueError: bad', 'Traceback', 'done'])).toBe('ValueError: bad');
    expect(lastErrorLine(['no errors here'])).toBeNull();
  });
});
