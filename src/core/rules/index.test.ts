import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { RuleDefs } from './define.ts';
import { defaultRules, ruleDefs, ruleInvariants, type Rules } from './index.ts';

/**
 * Spot checks: each row names a rule, the value the spec gives, the spec file, and a phrase copied verbatim from
 * that spec line. The phrase must contain the number, so the expected value cannot silently drift from the quote;
 * where the spec folder is present (this workspace), the phrase is also found in the spec file itself.
 */
const spotChecks: ReadonlyArray<readonly [path: string, value: unknown, spec: string, quote: string]> = [
  ['validator.maxConcurrentTaskPreps', 3, 'validator.md', '`MAX_CONCURRENT_TASK_PREPS` = 3'],
  ['validator.maxConcurrentMinerAssignments', 5, 'validator.md', '`MAX_CONCURRENT_MINER_ASSIGNMENTS` = 5'],
  ['validator.maxConcurrentTrainings', 10, 'validator.md', '`MAX_CONCURRENT_TRAININGS` = 10'],
  ['validator.maxDelayTimes', 6, 'validator.md', '`times_delayed < MAX_DELAY_TIMES` (6)'],
  ['validator.maxConcurrentJobs', 60, 'validator.md', '`MAX_CONCURRENT_JOBS = 60`'],
  ['validator.offerTimeoutSeconds', 3, 'miner-protocol-chain.md', '| `POST /task_offer/` | `MinerTaskOffer` | `MinerTaskResponse` | 3 s |'],
  ['prep.maxTestDataPoints', 1000, 'validator.md', 'MAX_TEST_DATA_POINTS=1000'],
  ['prep.minimumDatasetRows', 2000, 'validator.md', 'MINIMUM_DATASET_ROWS (2000)'],
  ['prep.syntheticTotalSize', 1200, 'validator.md', 'It stops at 1200 (`SYNTHETIC_TOTAL_SIZE`)'],
  ['synth.maxConcurrentSyntheticJobs', 10, 'validator.md', 'MAX_CONCURRENT_SYNTHETIC_JOBS (10)'],
  ['synth.bigModelProbability', 0.05, 'validator.md', 'with p=0.05 (PROBABILITY_OF_A_BIG_TEXT_MODEL)'],
  ['synth.imageTaskProbability', 0.25, 'validator.md', 'Instruct 0.35, Image 0.25, DPO 0.15, GRPO 0.25'],
  ['synth.imageMaxHours', 2, 'validator.md', 'uniform int in [1, 2] (`MIN/MAX_IMAGE_COMPETITION_HOURS`)'],
  ['tournament.topNByStake', 16, 'tournament.md', 'TOURNAMENT_TOP_N_BY_STAKE 16'],
  ['tournament.minMinersForTournament', 8, 'tournament.md', 'MIN_MINERS_FOR_TOURN 8'],
  ['tournament.maxMinersForKnockout', 14, 'tournament.md', 'MAX_NUMBER_OF_MINERS_FOR_KNOCKOUT_ROUND 14'],
  ['tournament.maxTrainingAttempts', 2, 'tournament.md', 'MAX_TRAINING_ATTEMPTS 2'],
  ['tournament.trainerHttpTimeoutSeconds', 30, 'tournament.md', 'TRAINER_HTTP_TIMEOUT 30 s'],
  ['trainer.memoryPerGpuGb', 110, 'tournament.md', 'MEMORY_PER_GPU_GB 110'],
  ['trainer.cpusPerGpu', 24, 'tournament.md', 'CPUS_PER_GPU 24'],
  ['protocol.nonceWindowSeconds', 120, 'miner-protocol-chain.md', 'Window: ±120 s'],
  ['protocol.minStakeThreshold', 1000, 'miner-protocol-chain.md', 'default **1000**'],
  ['protocol.validatorPort', 9001, 'miner-protocol-chain.md', '(default 9001)'],
  ['protocol.minerPort', 7999, 'miner-protocol-chain.md', '--port 7999'],
  ['protocol.netuid', 56, 'scoring.md', '`NETUID` defaults to 56'],
  ['protocol.callTimeoutSeconds', 10, 'miner-protocol-chain.md', '| `GET /training_repo/{task_type}` (`text`/`image`) | — | `TrainingRepoResponse` | 10 s |'],
  ['evaluation.grpoRepoTimeoutSeconds', 18_000, 'evaluation.md', '18 000 s (5 h) per attempt'],
  ['evaluation.grpoInitialBatchSize', 16, 'evaluation.md', '`GRPO_INITIAL_BATCH_SIZE = 16`'],
  ['evaluation.betaDpo', 0.1, 'evaluation.md', '`BETA_DPO = 0.1`'],
  ['evaluation.oneGpuMaxParamsB', 35, 'evaluation.md', '| < 35e9 | < 30e9 | 1 |'],
  ['scoring.maxEvalAttempts', 4, 'scoring.md', '| MAX_EVAL_ATTEMPTS | 4 | 4 |'],
  ['scoring.betaGrpo', 0.04, 'scoring.md', '| BETA_GRPO | 0.04 |'],
  ['scoring.versionKey', 61_000, 'scoring.md', '`VERSION_KEY = 61_000`'],
  ['weights.auditCosineThreshold', 0.98, 'miner-protocol-chain.md', 'Cosine similarity; > 0.98'],
];

function get(rules: Rules, path: string): unknown {
  const [group, key] = path.split('.') as [string, string];
  return (rules as unknown as Record<string, Record<string, unknown>>)[group]?.[key];
}

const specDir = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../shared/spec');

describe('reference rules', () => {
  it.each(spotChecks)('%s = %s as the spec says', (path, value, _spec, quote) => {
    expect(get(defaultRules, path)).toBe(value);
    // The quote must carry the number (allowing the spec's digit separators and "e9" spellings).
    const digits = quote.replace(/[_\s]/g, '');
    expect(digits).toContain(String(value));
  });

  it.runIf(existsSync(specDir))('every spot-check quote appears verbatim in its spec file', () => {
    const missing = spotChecks
      .filter(([, , spec, quote]) => !readFileSync(resolve(specDir, spec), 'utf8').includes(quote))
      .map(([path, , spec, quote]) => `${path}: ${spec} lacks ${quote}`);
    expect(missing).toEqual([]);
  });

  it('gives every rule a spec source, a meaning, and a default its own schema accepts', () => {
    for (const [group, defs] of Object.entries(ruleDefs as Record<string, RuleDefs>)) {
      for (const [key, def] of Object.entries(defs)) {
        expect(def.spec, `${group}.${key}`).toMatch(/\.(md|ts)/);
        expect(def.doc.length, `${group}.${key}`).toBeGreaterThan(5);
        expect(def.schema.safeParse(def.value).success, `${group}.${key}`).toBe(true);
        expect(get(defaultRules, `${group}.${key}`)).toEqual(def.value);
      }
    }
  });

  it('takes scoring values from the lead rule set unchanged', () => {
    expect(defaultRules.scoring.grpoTaskScoreWeight).toBe(1 - 0.35 - 0.2 - 0.15);
    expect(defaultRules.scoring.name).toBe('ref-2025-08');
  });

  it('satisfies every cross-rule invariant with its defaults', () => {
    const lookup = (path: string): unknown => get(defaultRules, path);
    for (const inv of ruleInvariants) {
      for (const key of inv.keys) expect(lookup(key), key).not.toBeUndefined();
      expect(inv.holds(lookup), inv.expected).toBe(true);
    }
  });

  it('rejects values outside a rule\'s range', () => {
    expect(ruleDefs.validator.maxConcurrentTaskPreps.schema.safeParse(0).success).toBe(false);
    expect(ruleDefs.validator.maxConcurrentTaskPreps.schema.safeParse(2.5).success).toBe(false);
    expect(ruleDefs.synth.bigModelProbability.schema.safeParse(1.5).success).toBe(false);
    expect(ruleDefs.protocol.validatorPort.schema.safeParse(70_000).success).toBe(false);
    expect(ruleDefs.synth.textHoursBins.schema.safeParse([{ minRows: 5, maxRows: 1, minHours: 1, maxHours: 2 }]).success).toBe(false);
    expect(ruleDefs.api.bodyLimitBytes.schema.safeParse(0).success).toBe(false);
    expect(ruleDefs.api.eventPollMs.schema.safeParse(-1).success).toBe(false);
    expect(ruleDefs.tournament.imageGpuTypes.schema.safeParse(['A100']).success).toBe(true);
    expect(ruleDefs.tournament.imageGpuTypes.schema.safeParse(['B200']).success).toBe(false);
    expect(ruleDefs.tournament.textGpuTypes.schema.safeParse([]).success).toBe(false);
    expect(ruleDefs.protocol.maxNonceEntries.schema.safeParse(0).success).toBe(false);
  });

  it('is frozen, so no caller can change the shared defaults', () => {
    expect(Object.isFrozen(defaultRules)).toBe(true);
    expect(Object.isFrozen(defaultRules.validator)).toBe(true);
    // Types are widened (number, not the literal 3), so overrides type-check.
    const override: Rules['validator']['maxConcurrentTaskPreps'] = 7;
    expect(override).toBe(7);
  });
});
