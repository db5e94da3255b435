/**
 * Every adapter the conformance runner knows. Each area that reproduces the original's functions exports
 * `adapters` from its `vectors.ts`; registering an area is one import and one spread below.
 */
import type { VectorAdapter } from './types.ts';
import { adapters as taskAdapters } from '../scoring/task/vectors.ts';
import { adapters as tournamentAdapters } from '../scoring/tournament/vectors.ts';
import { adapters as weightAdapters } from '../scoring/weights/vectors.ts';
import { adapters as minerAdapters } from '../miner/vectors.ts';

export const registeredAdapters: readonly VectorAdapter[] = [...taskAdapters, ...weightAdapters, ...tournamentAdapters, ...minerAdapters];
