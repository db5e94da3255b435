// The domain model: enums, wire schemas, state machines and the boundary parser.
// Append-friendly: one `export *` per module; keep each on its own line.
export * from './enums.ts';
export * from './parse.ts';
export * from './task-status.ts';
export * from './tournament-status.ts';
export * from './models/common.ts';
export * from './models/reward-functions.ts';
export * from './models/datasets.ts';
export * from './models/payloads.ts';
export * from './models/trainer.ts';
export * from './models/tasks.ts';
export * from './models/tournament.ts';
export * from './models/evaluation.ts';
export * from './rules/index.ts';
