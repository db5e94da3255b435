-- The tournament lifecycle and orchestrator as work queues (docs/tournament.md). The original runs these loops
-- without locks and relies on "create only what is missing" (tournament spec §0, §10); here every loop claims its
-- row with one statement, and the invariants the loops rely on are constraints.

-- A tournament is claimed by one lifecycle worker at a time (lease = claimed_until = next_attempt_at).
ALTER TABLE tournaments
    ADD COLUMN completed_at timestamptz,              -- the scheduler's interval counts from here
    ADD COLUMN next_attempt_at timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN claimed_by text,
    ADD COLUMN claimed_until timestamptz,
    ADD COLUMN entry_attempts integer NOT NULL DEFAULT 0,
    ADD COLUMN published_at timestamptz,              -- winners' repositories pushed (or nothing to push)
    ADD COLUMN publish_attempts integer NOT NULL DEFAULT 0;
CREATE INDEX idx_tournaments_due ON tournaments (status, next_attempt_at);
-- At most one pending or active tournament per type: two schedulers racing cannot both create one.
CREATE UNIQUE INDEX uq_tournaments_open_per_type ON tournaments (tournament_type) WHERE status IN ('pending', 'active');

CREATE UNIQUE INDEX uq_tournament_rounds_number ON tournament_rounds (tournament_id, round_number);

-- The commit a published copy was pushed at: the next tournament trains the champion at exactly this commit.
ALTER TABLE tournament_participants ADD COLUMN backup_commit_hash text;

-- Explicit positions: the original recomputes group/pair ids from list order while reading without ORDER BY.
ALTER TABLE tournament_groups ADD COLUMN position integer;
ALTER TABLE tournament_pairs ADD COLUMN position integer;

-- The slot a task fills in its group or pair (0-based): a second task for a filled slot cannot be linked, so a
-- round never gets more tasks than its plan however often task creation is retried.
ALTER TABLE tournament_tasks ADD COLUMN slot integer;
CREATE UNIQUE INDEX uq_tournament_tasks_slot ON tournament_tasks (round_id, (COALESCE(group_id, pair_id)), slot)
    WHERE slot IS NOT NULL;

-- Where a training runs and until when; how often its start was refused.
ALTER TABLE tournament_task_hotkey_trainings
    ADD COLUMN gpu_ids integer[],
    ADD COLUMN started_at timestamptz,
    ADD COLUMN deadline_at timestamptz,
    ADD COLUMN start_failures integer NOT NULL DEFAULT 0,
    ADD COLUMN last_error text;

-- Which training holds a GPU, so completion frees exactly its GPUs.
ALTER TABLE trainers_gpus
    ADD COLUMN held_task_id uuid,
    ADD COLUMN held_hotkey text;
