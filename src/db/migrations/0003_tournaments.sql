-- Tournaments, trainings on trainer nodes, trainers and their GPUs, benchmarks (tournament spec §1.3).
-- Names as the original; additions: trainers (one row per trainer node), the [HEAD] columns of
-- tournament_task_hotkey_trainings, and work-queue columns on that table.

CREATE TABLE tournaments (
    tournament_id text PRIMARY KEY,               -- tourn_<16 hex>_<YYYYMMDD>
    tournament_type varchar(50) NOT NULL,         -- text | image
    status varchar(20) NOT NULL DEFAULT 'pending',
    base_winner_hotkey text,
    winner_hotkey text,
    winning_performance_difference float8,        -- [HEAD]
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_tournaments_status ON tournaments (status);

CREATE TABLE tournament_rounds (
    round_id text PRIMARY KEY,                    -- <tournament_id>_round_<NNN>
    tournament_id text NOT NULL REFERENCES tournaments (tournament_id) ON DELETE CASCADE,
    round_number integer NOT NULL,
    round_type varchar(20) NOT NULL,              -- group | knockout
    is_final_round boolean NOT NULL DEFAULT false,
    status varchar(20) NOT NULL DEFAULT 'pending',
    started_at timestamptz,
    completed_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_tournament_rounds_tournament_id ON tournament_rounds (tournament_id);
CREATE INDEX idx_tournament_rounds_status ON tournament_rounds (status);

CREATE TABLE tournament_participants (
    tournament_id text NOT NULL REFERENCES tournaments (tournament_id) ON DELETE CASCADE,
    hotkey text NOT NULL,
    eliminated_in_round_id text REFERENCES tournament_rounds (round_id),
    final_position integer,
    training_repo text,
    training_commit_hash text,
    stake_required numeric DEFAULT 0,
    backup_repo text,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tournament_id, hotkey)
);
CREATE INDEX idx_tournament_participants_hotkey ON tournament_participants (hotkey);

CREATE TABLE tournament_groups (
    group_id text PRIMARY KEY,                    -- <round_id>_group_<NNN>
    round_id text NOT NULL REFERENCES tournament_rounds (round_id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_tournament_groups_round_id ON tournament_groups (round_id);

CREATE TABLE tournament_group_members (
    group_id text NOT NULL REFERENCES tournament_groups (group_id) ON DELETE CASCADE,
    hotkey text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (group_id, hotkey)
);
CREATE INDEX idx_tournament_group_members_hotkey ON tournament_group_members (hotkey);

CREATE TABLE tournament_pairs (
    pair_id text PRIMARY KEY,                     -- <round_id>_pair_<NNN>
    round_id text NOT NULL REFERENCES tournament_rounds (round_id) ON DELETE CASCADE,
    hotkey1 text NOT NULL,
    hotkey2 text NOT NULL,
    winner_hotkey text,
    completed_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_tournament_pairs_round_id ON tournament_pairs (round_id);

-- Membership here is what makes a task a tournament task everywhere.
CREATE TABLE tournament_tasks (
    tournament_id text NOT NULL REFERENCES tournaments (tournament_id) ON DELETE CASCADE,
    round_id text NOT NULL REFERENCES tournament_rounds (round_id) ON DELETE CASCADE,
    task_id uuid NOT NULL REFERENCES tasks (task_id) ON DELETE CASCADE,
    group_id text REFERENCES tournament_groups (group_id) ON DELETE CASCADE,
    pair_id text REFERENCES tournament_pairs (pair_id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tournament_id, task_id),
    CHECK ((group_id IS NOT NULL AND pair_id IS NULL) OR (group_id IS NULL AND pair_id IS NOT NULL))
);
CREATE INDEX idx_tournament_tasks_task_id ON tournament_tasks (task_id);
CREATE INDEX idx_tournament_tasks_round_id ON tournament_tasks (round_id);

-- One training of one miner's repo for one task on a trainer node.
CREATE TABLE tournament_task_hotkey_trainings (
    task_id uuid NOT NULL REFERENCES tasks (task_id) ON DELETE CASCADE,
    hotkey text NOT NULL,
    training_status text NOT NULL DEFAULT 'pending',   -- pending | training | success | failure
    n_training_attempts integer NOT NULL DEFAULT 0,
    priority integer NOT NULL DEFAULT 1,
    training_repo text,                                 -- [HEAD] snapshotted per row
    training_commit_hash text,
    trainer_ip text,
    dstack_runname text,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    claimed_by text,
    claimed_until timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (task_id, hotkey)
);
CREATE INDEX idx_tournament_task_hotkey_trainings_claimable
    ON tournament_task_hotkey_trainings (training_status, next_attempt_at);
CREATE INDEX idx_tournament_task_hotkey_trainings_priority ON tournament_task_hotkey_trainings (priority);

CREATE TABLE trainers (
    trainer_ip text PRIMARY KEY,                  -- host, or host:port (port 8001 when absent)
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- A GPU is available when used_until is NULL or in the past.
CREATE TABLE trainers_gpus (
    trainer_ip text NOT NULL REFERENCES trainers (trainer_ip) ON DELETE CASCADE,
    gpu_id integer NOT NULL,
    gpu_type varchar(100) NOT NULL,
    vram_gb integer NOT NULL,
    used_until timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (trainer_ip, gpu_id)
);
CREATE INDEX idx_trainers_gpus_gpu_type ON trainers_gpus (gpu_type);
CREATE INDEX idx_trainers_gpus_used_until ON trainers_gpus (used_until);

CREATE TABLE boss_round_synced_tasks (
    tournament_task_id uuid NOT NULL REFERENCES tasks (task_id) ON DELETE CASCADE,
    general_task_id uuid NOT NULL REFERENCES tasks (task_id) ON DELETE CASCADE,
    PRIMARY KEY (tournament_task_id, general_task_id)
);

CREATE TABLE benchmark_root_tasks (
    task_id uuid PRIMARY KEY REFERENCES tasks (task_id) ON DELETE CASCADE,
    task_type text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_benchmark_root_tasks_task_type ON benchmark_root_tasks (task_type);

-- Unique per (root, hotkey, tournament) as at [HEAD]: the reference's (root, hotkey) key silently dropped a
-- repeat winner's second copy (tournament spec §1.3).
CREATE TABLE benchmark_task_copies (
    copy_task_id uuid PRIMARY KEY REFERENCES tasks (task_id) ON DELETE CASCADE,
    root_task_id uuid NOT NULL REFERENCES benchmark_root_tasks (task_id) ON DELETE CASCADE,
    participant_hotkey text NOT NULL,
    tournament_id text,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (root_task_id, participant_hotkey, tournament_id)
);
CREATE INDEX idx_benchmark_task_copies_participant_hotkey ON benchmark_task_copies (participant_hotkey);
CREATE INDEX idx_benchmark_task_copies_tournament_id ON benchmark_task_copies (tournament_id);
