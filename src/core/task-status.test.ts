import { describe, expect, it } from 'vitest';
import { TASK_STATUSES, type TaskStatus } from './enums.ts';
import {
  TASK_TRANSITIONS,
  TaskTransitionError,
  assertTransition,
  canCreateTaskIn,
  canTransition,
  isTaskInFlight,
  isTerminalTaskStatus,
  nextTaskStatuses,
} from './task-status.ts';
import { ROUND_TRANSITIONS, TOURNAMENT_TRANSITIONS, TRAINING_TRANSITIONS, assertTransitionIn, canTransitionIn } from './tournament-status.ts';

// The lifecycle of validator.md §4.2 plus the tournament orchestrator's step (tournament.md §3.1, §4.1).
const AUTOMATIC: [TaskStatus, TaskStatus][] = [
  ['pending', 'preparing_data'],
  ['preparing_data', 'looking_for_nodes'],
  ['preparing_data', 'prep_task_failure'],
  ['preparing_data', 'pending'],
  ['looking_for_nodes', 'ready'],
  ['looking_for_nodes', 'delayed'],
  ['looking_for_nodes', 'failure_finding_nodes'],
  ['looking_for_nodes', 'training'],
  ['delayed', 'looking_for_nodes'],
  ['ready', 'training'],
  ['training', 'preevaluation'],
  ['preevaluation', 'evaluating'],
  ['evaluating', 'success'],
  ['evaluating', 'preevaluation'],
  ['evaluating', 'failure'],
];

describe('task status transitions', () => {
  it.each(AUTOMATIC)('%s → %s is allowed', (from, to) => {
    expect(canTransition(from, to)).toBe(true);
    expect(assertTransition(from, to).to).toBe(to);
  });

  it('allows exactly those transitions without operator tools', () => {
    const allowed = TASK_STATUSES.flatMap((from) => TASK_STATUSES.filter((to) => canTransition(from, to)).map((to) => `${from}>${to}`));
    expect(new Set(allowed)).toStrictEqual(new Set(AUTOMATIC.map(([f, t]) => `${f}>${t}`)));
  });

  const FORBIDDEN: [string, string][] = [
    ['pending', 'training'],
    ['pending', 'success'],
    ['preparing_data', 'ready'],
    ['looking_for_nodes', 'preevaluation'],
    ['delayed', 'ready'],
    ['ready', 'preevaluation'],
    ['training', 'evaluating'],
    ['training', 'success'],
    ['preevaluation', 'success'],
    ['success', 'pending'],
    ['failure', 'preevaluation'],
    ['prep_task_failure', 'pending'],
    ['failure_finding_nodes', 'looking_for_nodes'],
    ['evaluating', 'evaluating'],
    ['node_training_failure', 'pending'],
    ['idle', 'pending'],
    ['pending', 'node_training_failure'],
    ['bogus', 'pending'],
  ];
  it.each(FORBIDDEN)('%s → %s is rejected', (from, to) => {
    expect(canTransition(from, to)).toBe(false);
    expect(() => assertTransition(from, to)).toThrow(TaskTransitionError);
    expect(() => assertTransition(from, to)).toThrow(`from "${from}" to "${to}"`);
  });

  it('keeps the terminal statuses terminal except for operator tools', () => {
    for (const status of ['success', 'failure', 'prep_task_failure', 'failure_finding_nodes'] as const) {
      expect(isTerminalTaskStatus(status)).toBe(true);
      expect(nextTaskStatuses(status)).toStrictEqual([]);
    }
    expect(nextTaskStatuses('failure', { operator: true }).sort()).toStrictEqual(['prep_task_failure', 'training']);
  });

  it('allows the manual tools only when asked', () => {
    expect(canTransition('success', 'failure')).toBe(false);
    expect(canTransition('success', 'failure', { operator: true })).toBe(true);
    expect(canTransition('failure', 'training', { operator: true })).toBe(true);
    expect(canTransition('failure', 'failure', { operator: true })).toBe(false);
  });

  it('labels every transition with who makes it', () => {
    for (const tr of TASK_TRANSITIONS) expect(tr.trigger.length).toBeGreaterThan(5);
  });

  it('knows where tasks are born and which are in flight', () => {
    for (const s of ['pending', 'looking_for_nodes', 'success', 'preparing_data']) expect(canCreateTaskIn(s)).toBe(true);
    expect(canCreateTaskIn('training')).toBe(false);
    expect(isTaskInFlight('training')).toBe(true);
    expect(isTaskInFlight('delayed')).toBe(true);
    expect(isTaskInFlight('prep_task_failure')).toBe(false);
    expect(isTaskInFlight('node_training_failure')).toBe(false);
  });
});

describe('tournament-side transitions', () => {
  it('tournaments go pending → active → completed', () => {
    expect(canTransitionIn(TOURNAMENT_TRANSITIONS, 'pending', 'active')).toBe(true);
    expect(canTransitionIn(TOURNAMENT_TRANSITIONS, 'active', 'completed')).toBe(true);
    expect(canTransitionIn(TOURNAMENT_TRANSITIONS, 'pending', 'completed')).toBe(false);
    expect(canTransitionIn(TOURNAMENT_TRANSITIONS, 'completed', 'active')).toBe(false);
    expect(canTransitionIn(TOURNAMENT_TRANSITIONS, 'completed', 'active', { operator: true })).toBe(true);
    expect(() => assertTransitionIn('tournament', TOURNAMENT_TRANSITIONS, 'cancelled', 'active')).toThrow(
      'tournament status cannot change from "cancelled" to "active"',
    );
  });

  it('rounds go pending → active → completed', () => {
    expect(canTransitionIn(ROUND_TRANSITIONS, 'pending', 'active')).toBe(true);
    expect(canTransitionIn(ROUND_TRANSITIONS, 'active', 'completed')).toBe(true);
    expect(canTransitionIn(ROUND_TRANSITIONS, 'active', 'pending')).toBe(false);
  });

  it('trainings retry through pending and end in success or failure', () => {
    for (const [from, to] of [['pending', 'training'], ['training', 'success'], ['training', 'pending'], ['pending', 'failure']]) {
      expect(canTransitionIn(TRAINING_TRANSITIONS, from as string, to as string)).toBe(true);
    }
    expect(canTransitionIn(TRAINING_TRANSITIONS, 'training', 'failure')).toBe(false);
    expect(canTransitionIn(TRAINING_TRANSITIONS, 'success', 'training')).toBe(false);
  });
});
