import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import * as core from '../index.ts';

interface Fixture {
  schema: string;
  body: Record<string, unknown>;
}
interface Probe {
  input: Record<string, unknown>;
  class: string;
  dump: Record<string, unknown>;
}

const raw = JSON.parse(readFileSync(new URL('./fixtures/original-bodies.json', import.meta.url), 'utf8')) as Record<
  string,
  unknown
>;
const probes = raw._smart_union_probes as Probe[];
const fixtures = Object.entries(raw).filter(([k]) => !k.startsWith('_')) as [string, Fixture][];

function schemaFor(name: string): z.ZodType {
  const schema = (core as Record<string, unknown>)[`${name}Schema`];
  if (schema === undefined) throw new Error(`no schema ${name}Schema exported from src/core`);
  return schema as z.ZodType;
}

/** What a TS peer would send back: the parsed value serialised as JSON. */
const wire = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

describe('bodies built by the original models (model_dump_json at a7e666d7)', () => {
  it('has a fixture for each kind of payload', () => {
    expect(fixtures.length).toBeGreaterThan(50);
  });

  it.each(fixtures)('%s parses and round-trips losslessly', (_name, { schema, body }) => {
    const parsed = core.parseWire(schemaFor(schema), body);
    expect(wire(parsed)).toStrictEqual(body);
  });

  // The original's bodies are complete (model_dump emits every key), so completing a parsed body is a no-op.
  const completers: Record<string, (v: never) => unknown> = {
    minerTaskOffer: (v: core.MinerTaskOffer) => core.complete(v, core.minerTaskOfferDefaults),
    trainRequestText: core.completeTrainRequestText,
    trainRequestGrpo: core.completeTrainRequestGrpo,
    trainRequestImage: core.completeTrainRequestImage,
    trainerTaskLog: core.completeTrainerTaskLog,
    gpuInfo: (v: core.GpuInfo) => core.complete(v, core.gpuInfoDefaults),
  };
  const completable = fixtures.filter(([, f]) => f.schema in completers);
  it.each(completable)('%s: complete() of the parsed body gives the same body', (_name, { schema, body }) => {
    const completer = completers[schema];
    if (!completer) throw new Error('unreachable');
    expect(wire(completer(core.parseWire(schemaFor(schema), body) as never))).toStrictEqual(body);
  });

  it('tells the dataset types of TrainRequestText bodies apart as the original built them', () => {
    const expected: Record<string, core.DatasetTypeName> = {
      train_request_text_instruct: 'InstructTextDatasetType',
      train_request_text_dpo: 'DpoDatasetType',
      train_request_text_dpo_defaults: 'DpoDatasetType',
      train_request_text_chat: 'ChatTemplateDatasetType',
      train_request_text_chat_nulls: 'ChatTemplateDatasetType',
    };
    for (const [name, kind] of Object.entries(expected)) {
      const fixture = raw[name] as Fixture;
      const parsed = core.parseWire(core.trainRequestTextSchema, fixture.body);
      expect(core.classifyDatasetType(parsed.dataset_type).kind, name).toBe(kind);
    }
  });

  it('reads a trainer request as text or image by its keys', () => {
    const grpo = core.parseWire(core.trainerProxyRequestSchema, (raw.trainer_proxy_text_grpo as Fixture).body);
    const image = core.parseWire(core.trainerProxyRequestSchema, (raw.trainer_proxy_image as Fixture).body);
    expect(core.isImageTrainRequest(grpo.training_data)).toBe(false);
    expect(core.isImageTrainRequest(image.training_data)).toBe(true);
    if (!core.isImageTrainRequest(grpo.training_data)) {
      expect(core.classifyDatasetType(grpo.training_data.dataset_type).kind).toBe('GrpoDatasetType');
    }
  });
});

describe("pydantic's smart union over TextDatasetType", () => {
  it.each(probes.map((p) => [JSON.stringify(p.input), p] as const))('%s', (_label, probe) => {
    const parsed = core.parseWire(core.textDatasetTypeSchema, probe.input);
    expect(core.classifyDatasetType(parsed).kind).toBe(probe.class);
    // Unknown keys are dropped, as pydantic drops them; completing gives pydantic's model_dump.
    expect(wire(core.completeDatasetType(parsed))).toStrictEqual(probe.dump);
  });
});
