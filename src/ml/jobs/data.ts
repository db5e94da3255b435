// Resolving a job's dataset reference into rows (text) or captioned images.
import { builtinDatasetInfo, builtinImagePairs, loadBuiltinDataset } from '../data/builtin.ts';
import type { DataRow } from '../data/builtin.ts';
import { readDatasetFile } from '../data/readers.ts';
import type { TestImage } from '../image/evaluate.ts';
import { readImagePairs } from '../image/folder.ts';
import { decodePng } from '../image/png.ts';
import type { DatasetRef } from './spec.ts';

/** Text rows, plus the built-in dataset's own dataset-type fields (merged under the job's). */
export async function loadTextRows(ref: DatasetRef): Promise<{ rows: DataRow[]; datasetType: Record<string, unknown> }> {
  if ('builtin' in ref) {
    return {
      rows: loadBuiltinDataset(ref.builtin, { ...(ref.seed === undefined ? {} : { seed: ref.seed }), ...(ref.rows === undefined ? {} : { rows: ref.rows }) }),
      datasetType: builtinDatasetInfo(ref.builtin).datasetType,
    };
  }
  if ('path' in ref) return { rows: await readDatasetFile(ref.path, ref.format), datasetType: {} };
  if ('rows' in ref) return { rows: ref.rows, datasetType: {} };
  throw new Error('dataset: an image folder is not a text dataset');
}

export async function loadImages(ref: DatasetRef): Promise<TestImage[]> {
  if ('builtin' in ref) {
    return builtinImagePairs(ref.builtin, { ...(ref.seed === undefined ? {} : { seed: ref.seed }), ...(ref.rows === undefined ? {} : { rows: ref.rows }) })
      .map((p) => ({ image: decodePng(p.image), caption: p.caption }));
  }
  if ('imageDir' in ref) return readImagePairs(ref.imageDir);
  throw new Error('dataset: image tasks need { builtin } or { imageDir } (a folder or zip of .png + .txt pairs)');
}
