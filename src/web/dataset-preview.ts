/**
 * The first rows of a named dataset for the create form. Only the built-in datasets (`god-local/*`) are read: they
 * are generated locally, so a preview makes no network request on the customer's behalf (a URL or Hugging Face id
 * would turn the API server into a fetcher of arbitrary addresses).
 */
import { loadBuiltinDataset } from '../ml/data/builtin.ts';
import { parseBuiltinRef } from '../validator/adapters/builtin.ts';

export interface DatasetPreview {
  dataset: string;
  columns: string[];
  rows: Record<string, unknown>[];
}

export function previewNamedDataset(ref: string, rows: number): DatasetPreview | null {
  const builtin = parseBuiltinRef(ref.trim());
  if (!builtin) return null;
  let data: Record<string, unknown>[];
  try {
    // The same generator and seed as the validator's prep, so these are the dataset's own first rows.
    data = loadBuiltinDataset(builtin.id, builtin.rows === undefined ? {} : { rows: builtin.rows }).slice(0, rows);
  } catch {
    return null; // the image dataset, or a row count outside the dataset's range
  }
  const columns = [...new Set(data.flatMap((r) => Object.keys(r)))];
  return { dataset: ref.trim(), columns, rows: data };
}
