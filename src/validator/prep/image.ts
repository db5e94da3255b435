/**
 * Image task prep (`prepare_image_task`, validator.md §5.4): download each pair, keep the png/jpg/jpeg images
 * that have a caption, split ceil(10 %) into test, zip each split into one folder, upload with signed URLs.
 */
import type { ImageRawTask } from '../../core/models/tasks.ts';
import type { ValidatorContext } from '../context.ts';
import { hex16, shuffled } from '../rng.ts';
import { PrepError } from './columns.ts';
import type { PrepOutcome } from './text.ts';
import { zipStore, type ZipEntry } from './zip.ts';

const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg'];

/** The extension of a URL's path, case kept (the original's suffix match is case-sensitive). */
export function urlExtension(url: string): string {
  let path = url.split(/[?#]/)[0] ?? '';
  if (/^https?:\/\//i.test(url)) {
    try {
      path = new URL(url).pathname;
    } catch {
      // keep the raw text
    }
  }
  const last = path.split('/').pop() ?? '';
  const dot = last.lastIndexOf('.');
  return dot >= 0 ? last.slice(dot) : '';
}

export async function prepareImageTask(task: ImageRawTask, ctx: ValidatorContext): Promise<PrepOutcome> {
  const rules = ctx.config.prep;
  const pairs = task.image_text_pairs ?? [];
  const kept: { image: Uint8Array; ext: string; caption: Uint8Array }[] = [];
  for (const [i, pair] of pairs.entries()) {
    const ext = urlExtension(pair.image_url);
    if (!IMAGE_EXTENSIONS.includes(ext)) continue;
    try {
      const caption = await ctx.fetch(pair.text_url, { maxBytes: rules.maxDownloadBytes });
      const image = await ctx.fetch(pair.image_url, { maxBytes: rules.maxDownloadBytes });
      kept.push({ image, ext, caption });
    } catch (err) {
      ctx.log.warn({ task_id: task.task_id, pair: i, err: err instanceof Error ? err.message : String(err) }, 'skipping an image pair that could not be downloaded');
    }
  }
  if (kept.length === 0) throw new PrepError('no usable image/caption pair');
  const order = shuffled(ctx.random, kept);
  const testN = Math.ceil(order.length * rules.imageTestFraction);
  const entries = (folder: string, items: typeof kept): ZipEntry[] =>
    items.flatMap((p, i) => [
      { name: `${folder}/${i}${p.ext}`, data: p.image },
      { name: `${folder}/${i}.txt`, data: p.caption },
    ]);
  const prefix = hex16(ctx.random);
  const keys = [`${prefix}_test_data.zip`, `${prefix}_train_data.zip`];
  const testZip = zipStore(entries('test_data', order.slice(0, testN)));
  const trainZip = zipStore(entries('train_data', order.slice(testN)));
  await ctx.blobs.put(keys[0]!, testZip, 'application/zip');
  await ctx.blobs.put(keys[1]!, trainZip, 'application/zip');
  return {
    testData: await ctx.blobs.signedUrl(keys[0]!, rules.presignedUrlSeconds),
    trainingData: await ctx.blobs.signedUrl(keys[1]!, rules.presignedUrlSeconds),
    syntheticData: null,
    subtype: {},
    droppedRewardIds: [],
    keys,
    trainRows: order.length - testN,
    testRows: testN,
    synthRows: 0,
  };
}
