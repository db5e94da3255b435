/**
 * The auditor (miner-protocol-chain.md §9): recomputes a validator's weights from the scores file it publishes
 * and compares them, u16 for u16, with what its uid holds on the chain. See docs/auditor.md.
 */
export { auditOnce, checkTask, type AuditChain, type AuditOptions, type AuditReport, type TaskProblem } from './audit.ts';
export { compareWeights, denseOf, pairsToSparse, REASON_TEXT, type Comparison, type DifferenceReason, type SparseWeights, type WeightDifference } from './compare.ts';
export { AUDIT_ERROR_CODES, AuditError, getJson, redactUrl, type AuditErrorCode } from './http.ts';
export { auditLoop, type AuditLoopOptions, type LoopOutcome } from './loop.ts';
export { RecomputeError, recomputeWeights, taskResultsOf, type Recomputed, type RecomputeInput } from './recompute.ts';
export { formatReport } from './report.ts';
export * from './schema.ts';
