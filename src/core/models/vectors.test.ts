// Every `request` of vectors/axolotl_config.json: the JSON bodies the validator sends to a miner's
// start-training endpoints, parsed by the original miner with pydantic.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as core from '../index.ts';

interface VectorCase {
  name: string;
  input: { endpoint: string; request: Record<string, unknown> };
  output: { parsed_dataset_type_class?: string | null };
}
const file = JSON.parse(readFileSync(new URL('../../../vectors/axolotl_config.json', import.meta.url), 'utf8')) as {
  cases: VectorCase[];
};

const schemaByEndpoint = {
  [core.MINER_ENDPOINTS.startTraining]: core.trainRequestTextSchema,
  [core.MINER_ENDPOINTS.startTrainingGrpo]: core.trainRequestGrpoSchema,
  [core.MINER_ENDPOINTS.startTrainingImage]: core.trainRequestImageSchema,
} as const;

const cases = file.cases.map((c) => [c.name, c] as const);

describe('axolotl_config vectors: start-training requests', () => {
  it('covers every endpoint', () => {
    expect(new Set(file.cases.map((c) => c.input.endpoint))).toStrictEqual(new Set(Object.keys(schemaByEndpoint)));
  });

  it.each(cases)('%s round-trips losslessly (nulls kept, no keys added)', (_name, c) => {
    const schema = schemaByEndpoint[c.input.endpoint as keyof typeof schemaByEndpoint];
    const parsed = core.parseWire(schema, c.input.request);
    expect(JSON.parse(JSON.stringify(parsed))).toStrictEqual(c.input.request);
  });

  it.each(cases)('%s picks the dataset type the original miner picked', (_name, c) => {
    const expected = c.output.parsed_dataset_type_class ?? null;
    const parsed = core.parseWire(core.trainRequestSchema, c.input.request);
    if (core.isImageTrainRequest(parsed)) {
      expect(expected).toBeNull();
      return;
    }
    expect(core.classifyDatasetType(parsed.dataset_type).kind).toBe(expected);
  });

  it('fills pydantic defaults only when asked (complete)', () => {
    const chat = file.cases.find((c) => c.name === 'chat_template_only_template_given_hf');
    const empty = file.cases.find((c) => c.name === 'union_empty_dataset_type_parses_as_instruct');
    const flux = file.cases.find((c) => c.name === 'image_flux_no_expected_repo_name');
    if (!chat || !empty || !flux) throw new Error('vector cases renamed');
    const chatParsed = core.parseWire(core.trainRequestTextSchema, chat.input.request);
    expect(chatParsed.dataset_type).toStrictEqual({ chat_template: 'llama3' });
    expect(core.completeTrainRequestText(chatParsed).dataset_type).toStrictEqual({
      ...core.chatTemplateDatasetTypeDefaults,
      chat_template: 'llama3',
    });
    const emptyParsed = core.parseWire(core.trainRequestTextSchema, empty.input.request);
    expect(core.completeDatasetType(emptyParsed.dataset_type)).toStrictEqual(core.instructTextDatasetTypeDefaults);
    const fluxParsed = core.parseWire(core.trainRequestImageSchema, flux.input.request);
    expect(core.completeTrainRequestImage(fluxParsed).model_type).toBe('flux');
    const { model_type: _dropped, ...noModelType } = fluxParsed;
    expect(core.completeTrainRequestImage(noModelType).model_type).toBe('sdxl');
  });
});
