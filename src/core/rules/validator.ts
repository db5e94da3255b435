import { count, days, flag, num, seconds, valuesOf, type ValuesOf } from './define.ts';

/**
 * The validator's task cycle: loop intervals, per-pass caps, delays, the offer market and the API's database
 * pool (validator.md §4, §7, §10). Names are camelCase forms of the original's `vcst.*` constants where one exists.
 */
export const validatorDefs = {
  // process_pending_tasks (validator.md §4.3)
  maxConcurrentTaskPreps: count(3, 'validator.md §4.3 MAX_CONCURRENT_TASK_PREPS', 'pending tasks prepped per pass; bounds dataset downloads and LLM calls running at once', 1),
  maxConcurrentMinerAssignments: count(5, 'validator.md §4.3 MAX_CONCURRENT_MINER_ASSIGNMENTS', 'offer rounds run per pass; each round can take 3 s × eligible nodes', 1),
  maxConcurrentTrainings: count(10, 'validator.md §4.3 MAX_CONCURRENT_TRAININGS', 'ready tasks started per pass', 1),
  pendingLoopIdleSeconds: seconds(30, 'validator.md §4.3 step 4', 'sleep after a pass that found no ready task, so an idle cycle does not spin on the database'),
  pendingLoopErrorSeconds: seconds(30, 'validator.md §4.3 step 5', 'back-off after an exception in the pending loop, so a persistent fault does not spin'),
  preevaluationPollSeconds: seconds(60, 'validator.md §4.3 move_tasks_to_preevaluation_loop', 'how often expired training tasks move to preevaluation (a miner may overrun its deadline by up to this)'),
  // work claiming (ours: every loop claims a task row with a lease instead of the original's in-memory sets)
  claimLeaseSeconds: seconds(300, 'validator.md §4.1 restart recovery; docs/validator.md', 'how long a loop\'s claim on a task holds without renewal (renewed every third of it while the work runs); a validator that died mid-task loses its claims after this'),
  recoverClaimsOnStart: flag(true, 'validator.md §4.1 restart recovery', 'at start-up release every claim at once (the original\'s start-up recovery); turn off only when several validator processes share one database'),
  // HTTP timeouts of the validator's calls to miners (miner-protocol-chain.md §3)
  offerTimeoutSeconds: seconds(3, 'miner-protocol-chain.md §3 /task_offer/', 'a miner that does not answer an offer in time counts as declining'),
  startTrainingTimeoutSeconds: seconds(10, 'miner-protocol-chain.md §3 /start_training/', 'limit on a start-training call (its reply is ignored)'),
  submissionTimeoutSeconds: seconds(10, 'miner-protocol-chain.md §3 /get_latest_model_submission/', 'limit on asking a miner for its repo; a slow miner gets "Invalid/No repo submitted"'),
  // delays and the miner pool (validator.md §4.2, §7)
  minimumMinerPool: count(1, 'validator.md §4.2 MINIMUM_MINER_POOL', 'acceptances needed before a task is ready; fewer sends it to delay/failure', 1),
  maxDelayTimes: count(6, 'validator.md §4.2 MAX_DELAY_TIMES', 'times an organic task is re-offered before failure_finding_nodes (~90 min in all)'),
  taskDelaySeconds: seconds(900, 'validator.md §4.2 TASK_TIME_DELAY', 'added to next_delay_at (from its previous value, not now) when no miner accepts'),
  offerTargetTextMin: count(8, 'validator.md §7.3', 'lower bound of the random acceptance target for text tasks (the loop stops early at the target)', 1),
  offerTargetTextMax: count(15, 'validator.md §7.3', 'upper bound of the random acceptance target for text tasks', 1),
  offerTargetImageMin: count(15, 'validator.md §7.3', 'lower bound of the random acceptance target for image tasks', 1),
  offerTargetImageMax: count(25, 'validator.md §7.3', 'upper bound of the random acceptance target for image tasks', 1),
  offerShuffleTopWeight: num(3, 'validator.md §7.2', 'positional weight of the best-ranked node in the weighted shuffle (weights fall linearly from here)', { min: 0 }),
  offerShuffleWeightSpan: num(2, 'validator.md §7.2', 'how far positional weights fall from first to last (weights = top − i·span/n)', { min: 0 }),
  offerScoreNotParticipated: num(2.0, 'validator.md §7.2', 'shuffle score of a node that has no scored task today (favours newcomers)'),
  offerScoreFloor: num(0.01, 'validator.md §7.2', 'lowest shuffle score of a node that did participate today, so none gets zero weight', { min: 0 }),
  eligibleLookbackDays: days(7, 'validator.md §7.1 get_eligible_nodes', 'window in which a scored node needs a positive score to keep receiving offers (mainnet only)'),
  offerLeastFavouredFirst: flag(false, 'validator.md §7.2 quirk, §13.1; docs/deviations.md D-validator-1', 'true = offer from the end of the shuffled list as the original does (least favoured first); default false offers the most favoured first, as the original intended'),
  fakeTextDatasetSize: count(100_000, 'validator.md §5.5 get_fake_text_dataset_size', 'ds_size sent in every text offer (the original never sends the real size)'),
  maxConcurrentJobs: count(60, 'validator.md §4.3 MAX_CONCURRENT_JOBS', 'training tasks at which /v1/network/status reports job_can_be_made=false (creation is never refused)'),
  // API (validator.md §10)
  reuseLookbackDays: days(7, 'validator.md §10.2', 'age limit of a finished instruct task whose result a new identical request reuses'),
  apiDefaultPageLimit: count(100, 'validator.md §10.1', 'default `limit` of paged list endpoints', 1),
  dbPoolMin: count(10, 'validator.md §10 validator/db/constants.py', 'connections the API keeps open'),
  dbPoolMax: count(90, 'validator.md §10 validator/db/constants.py', 'upper bound on API connections, so a burst cannot exhaust Postgres', 1),
  dbCommandTimeoutSeconds: seconds(20, 'validator.md §10 validator/db/constants.py', 'per-statement timeout, so one slow query cannot hold a connection'),
  dbAcquireTimeoutSeconds: seconds(10, 'validator.md §10 validator/db/constants.py', 'wait for a free pooled connection before the request fails'),
  dbMaxQueriesPerConnection: count(1000, 'validator.md §10 validator/db/constants.py', 'queries after which a pooled connection is recycled', 1),
  // node refresh (validator.md §4.3, miner-protocol-chain.md §6.3)
  nodeRefreshIntervalSeconds: seconds(900, 'validator.md §4.3 refresh_nodes_periodically', 'how often the metagraph is copied into `nodes`'),
  nodeRefreshTimeoutSeconds: seconds(300, 'validator.md §4.3', 'limit on one metagraph fetch, so a hung chain connection does not stop refreshes'),
  nodeRefreshRetrySeconds: seconds(60, 'validator.md §4.3', 'wait after a timed-out refresh before retrying'),
  nodeRefreshRecentSeconds: seconds(1800, 'validator.md §4.3 _is_recent_update', '"refreshed recently" window; the original computes it and ignores it'),
  // model cache eviction (validator.md §4.3)
  cacheCleanupIntervalSeconds: seconds(28_800, 'validator.md §4.3 CACHE_CLEANUP_INTERVAL', 'how often the evaluation model cache is trimmed'),
  cacheTauDays: days(10, 'validator.md §4.3, §9.1 model cache stats', 'decay constant τ of time-weighted model usage'),
  cacheLookbackDays: days(30, 'validator.md §4.3', 'usage history considered when ranking cached models'),
  cacheCapGibMainnet: num(1000, 'validator.md §4.3', 'model cache size cap on mainnet (GiB)', { min: 0 }),
  cacheCapGibTestnet: num(500, 'validator.md §4.3', 'model cache size cap elsewhere (GiB)', { min: 0 }),
} as const;

export type ValidatorRules = ValuesOf<typeof validatorDefs>;
export const validatorRules: ValidatorRules = valuesOf(validatorDefs);
