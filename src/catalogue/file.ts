/**
 * A catalogue file: the models and datasets the synthetic scheduler may draw, listed by the operator instead of
 * asked from the content service (docs/synthetic.md). JSON, or YAML for `.yaml`/`.yml`; field names follow the
 * content service's answers, so a saved answer pastes in. Checked strictly at load (a typo in a key is an error
 * naming its path), so a bad file stops the validator at start rather than failing tasks later.
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { z } from 'zod';
import type { ColumnSuggestion, ContentDataset, ContentModel, ContentService } from '../validator/ports.ts';
import { imageModelType } from './wire.ts';

const hfId = z.string().regex(/^[A-Za-z0-9][\w.-]*(\/[\w.-]+)?$/, 'expected a Hugging Face id such as org/name');

const modelEntry = z.strictObject({
  model_id: hfId,
  params: z.number().int().positive(),
});

const datasetEntry = z
  .strictObject({
    dataset_id: hfId,
    num_rows: z.number().int().positive(),
    num_bytes_parquet_files: z.number().int().nonnegative().nullable().optional(),
    /** Instruct/GRPO/Chat use: the column suggestion the content service would give. */
    columns: z
      .strictObject({
        field_instruction: z.string().min(1),
        field_input: z.string().min(1).nullable().optional(),
        field_output: z.string().min(1).nullable().optional(),
      })
      .optional(),
    dpo_prompt_column: z.string().min(1).optional(),
    dpo_accepted_column: z.string().min(1).optional(),
    dpo_rejected_column: z.string().min(1).optional(),
  })
  .superRefine((d, ctx) => {
    const dpo = [d.dpo_prompt_column, d.dpo_accepted_column, d.dpo_rejected_column].filter((c) => c !== undefined).length;
    if (dpo !== 0 && dpo !== 3) ctx.addIssue({ code: 'custom', message: 'DPO datasets need all of dpo_prompt_column, dpo_accepted_column, dpo_rejected_column' });
    if (dpo === 0 && !d.columns) ctx.addIssue({ code: 'custom', message: 'a dataset needs columns (instruct use) or the three dpo_* columns' });
  });

export const catalogueFileSchema = z
  .strictObject({
    models: z.array(modelEntry).default([]),
    datasets: z.array(datasetEntry).default([]),
    image_models: z.array(z.strictObject({ model_id: hfId, model_type: imageModelType })).default([]),
  })
  .superRefine((c, ctx) => {
    for (const [key, list] of [
      ['models', c.models.map((m) => m.model_id)],
      ['datasets', c.datasets.map((d) => d.dataset_id)],
      ['image_models', c.image_models.map((m) => m.model_id)],
    ] as const) {
      const seen = new Set<string>();
      list.forEach((id, i) => {
        if (seen.has(id)) ctx.addIssue({ code: 'custom', path: [key, i], message: `duplicate id ${id}` });
        seen.add(id);
      });
    }
  });

export type CatalogueFile = z.infer<typeof catalogueFileSchema>;

export class CatalogueError extends Error {
  override readonly name = 'CatalogueError';
}

/** Parses and validates catalogue text; `source` names it in errors. */
export async function parseCatalogue(text: string, format: 'json' | 'yaml', source: string): Promise<CatalogueFile> {
  let raw: unknown;
  try {
    // js-yaml is loaded only for YAML files.
    raw = format === 'yaml' ? (await import('js-yaml')).load(text) : JSON.parse(text);
  } catch (err) {
    throw new CatalogueError(`${source}: not valid ${format.toUpperCase()}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
  }
  const parsed = catalogueFileSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const lines = parsed.error.issues.slice(0, 5).map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
    throw new CatalogueError(`${source}: ${lines.join('; ')}`);
  }
  return parsed.data;
}

export async function loadCatalogueFile(path: string): Promise<CatalogueFile> {
  const ext = extname(path).toLowerCase();
  const format = ext === '.yaml' || ext === '.yml' ? 'yaml' : 'json';
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new CatalogueError(`cannot read catalogue ${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return parseCatalogue(text, format, path);
}

/** The content-service port over a catalogue file. */
export class FileCatalogue implements ContentService {
  constructor(private readonly catalogue: CatalogueFile) {}

  static async open(path: string): Promise<FileCatalogue> {
    return new FileCatalogue(await loadCatalogueFile(path));
  }

  /** Models whose parameter count lies in [min, max]; none in range is an empty list, as the service answers. */
  async randomModels(minParams: number, maxParams: number): Promise<ContentModel[]> {
    return this.catalogue.models.filter((m) => m.params >= minParams && m.params <= maxParams).map((m) => ({ model_id: m.model_id, params: m.params }));
  }

  async randomDatasets(dpo: boolean): Promise<ContentDataset[]> {
    return this.catalogue.datasets
      .filter((d) => (dpo ? d.dpo_prompt_column !== undefined : d.columns !== undefined))
      .map((d) => ({
        dataset_id: d.dataset_id,
        num_rows: d.num_rows,
        num_bytes_parquet_files: d.num_bytes_parquet_files ?? null,
        dpo_available: d.dpo_prompt_column !== undefined,
        dpo_prompt_column: d.dpo_prompt_column ?? null,
        dpo_accepted_column: d.dpo_accepted_column ?? null,
        dpo_rejected_column: d.dpo_rejected_column ?? null,
      }));
  }

  async suggestColumns(datasetId: string): Promise<ColumnSuggestion | null> {
    const c = this.catalogue.datasets.find((d) => d.dataset_id === datasetId)?.columns;
    return c ? { field_instruction: c.field_instruction, field_input: c.field_input ?? null, field_output: c.field_output ?? null } : null;
  }

  async imageModels(): Promise<{ model_id: string; model_type: 'sdxl' | 'flux' }[]> {
    return this.catalogue.image_models.map((m) => ({ ...m }));
  }
}
