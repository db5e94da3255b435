-- The miner's persistent job queue (docs/miner.md). One row per validator task the miner was asked to train;
-- the row survives restarts, so a queued job is trained after a crash and a finished one is still reported.
-- Jobs are claimed with a single UPDATE … RETURNING (src/db/queries/miner-jobs.ts).

CREATE TABLE miner_jobs (
    task_id text PRIMARY KEY,
    -- 'text' (instruct, DPO, chat), 'grpo' or 'image': which start_training endpoint created the job.
    endpoint text NOT NULL CHECK (endpoint IN ('text', 'grpo', 'image')),
    task_type text NOT NULL,
    model text NOT NULL,
    expected_repo_name text,
    hours_to_complete double precision NOT NULL,
    -- The job as the backend needs it: the training request with the dataset already local.
    job jsonb NOT NULL,
    status text NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'failed')),
    attempts integer NOT NULL DEFAULT 0,
    enqueued_at timestamptz NOT NULL,
    deadline_at timestamptz NOT NULL,
    claimed_at timestamptz,
    -- Which worker process holds a running job; a restarted process re-queues the jobs of its predecessors.
    claimed_by text,
    finished_at timestamptz,
    error text,
    -- Latest training progress reported by the backend ({step, total_steps, loss, ...}).
    progress jsonb,
    backend text,
    -- Set when the job completed: the repo the output was uploaded to and its calculate_model_hash.
    submission_repo text,
    model_hash text
);

CREATE INDEX idx_miner_jobs_status_enqueued ON miner_jobs (status, enqueued_at, task_id);
