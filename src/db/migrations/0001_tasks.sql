-- Tasks and their per-type tables (validator spec §2, §9). Table and column names follow the original
-- (rayonlabs/G.O.D a7e666d7, after all of its migrations), with these deliberate differences:
--   * work-queue columns on tasks (next_attempt_at, claimed_by, claimed_until, claim_count) so any process
--     can claim a task with one statement (FOR UPDATE SKIP LOCKED) and die at any line;
--   * no pg_trgm GIN index on result_model_name_lower (the extension is not in every Postgres and needs a
--     separate PGlite extension bundle); a btree on the lowered name serves equality and prefix search;
--   * every timestamp is timestamptz, so both drivers return the same instant.

CREATE TYPE tasktype AS ENUM ('InstructTextTask', 'ImageTask', 'DpoTask', 'GrpoTask', 'ChatTask');
CREATE TYPE model_type_enum AS ENUM ('sdxl', 'flux');

CREATE TABLE tasks (
    task_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    model_id text NOT NULL,
    ds text NOT NULL,
    status text NOT NULL,                         -- free text on purpose: old rows may hold legacy values
    test_data text,
    training_data text,
    miner_scores float8[],                        -- legacy, unused
    hours_to_complete integer,
    termination_at timestamptz,
    account_id uuid NOT NULL,                     -- no FK: synthetic tasks use the nil uuid
    created_at timestamptz NOT NULL DEFAULT now(),
    next_delay_at timestamptz DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    started_at timestamptz,
    completed_at timestamptz,
    is_organic boolean NOT NULL DEFAULT false,
    times_delayed integer NOT NULL DEFAULT 0,
    trained_model_repository text,                -- legacy column; queries compute the winning repo
    training_repo_backup text,
    n_eval_attempts integer NOT NULL DEFAULT 0,
    task_type tasktype NOT NULL,
    result_model_name text,
    result_model_name_lower text GENERATED ALWAYS AS (lower(result_model_name)) STORED,
    model_params_count bigint DEFAULT 0,
    backend text,                                 -- [HEAD] oblivus | runpod
    yarn_factor integer CHECK (yarn_factor IS NULL OR yarn_factor IN (2, 4, 8, 16, 32)),
    -- work queue: a row is claimable when its status is one a worker handles and next_attempt_at <= now.
    -- Claiming sets claimed_until = next_attempt_at = now + lease, so a claimed row leaves the claimable
    -- range by itself and comes back when the lease runs out (the claimer died) without any sweeper.
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    claimed_by text,
    claimed_until timestamptz,
    claim_count integer NOT NULL DEFAULT 0
);
CREATE INDEX idx_tasks_account_id ON tasks (account_id);
CREATE INDEX idx_tasks_claimable ON tasks (status, next_attempt_at);
CREATE INDEX idx_tasks_created_at ON tasks (created_at);
CREATE INDEX idx_tasks_result_model_name_lower ON tasks (result_model_name_lower text_pattern_ops);
CREATE INDEX idx_tasks_backend ON tasks (backend);

CREATE TABLE instruct_text_tasks (
    task_id uuid PRIMARY KEY REFERENCES tasks (task_id) ON DELETE CASCADE,
    field_system text,
    field_instruction text,
    field_input text,
    field_output text,
    synthetic_data text,
    format text,
    no_input_format text,
    system_format text,
    file_format text NOT NULL DEFAULT 'hf'
);

CREATE TABLE dpo_tasks (
    task_id uuid PRIMARY KEY REFERENCES tasks (task_id) ON DELETE CASCADE,
    field_prompt text,
    field_system text,
    field_chosen text,
    field_rejected text,
    prompt_format text,
    chosen_format text,
    rejected_format text,
    synthetic_data text,
    file_format text NOT NULL DEFAULT 'hf'
);

CREATE TABLE grpo_tasks (
    task_id uuid PRIMARY KEY REFERENCES tasks (task_id) ON DELETE CASCADE,
    field_prompt text NOT NULL,
    synthetic_data text,
    file_format text NOT NULL DEFAULT 'hf',
    extra_column text
);

CREATE TABLE chat_tasks (
    task_id uuid PRIMARY KEY REFERENCES tasks (task_id) ON DELETE CASCADE,
    chat_template text,
    chat_column text,
    chat_role_field text,
    chat_content_field text,
    chat_user_reference text,
    chat_assistant_reference text,
    synthetic_data text,
    file_format text NOT NULL DEFAULT 'hf'
);

CREATE TABLE image_tasks (
    task_id uuid PRIMARY KEY REFERENCES tasks (task_id) ON DELETE CASCADE,
    model_type model_type_enum NOT NULL DEFAULT 'sdxl'
);

CREATE TABLE image_text_pairs (
    id serial PRIMARY KEY,                        -- pairs are read back in id order
    task_id uuid NOT NULL REFERENCES tasks (task_id) ON DELETE CASCADE,
    image_url text NOT NULL,
    text_url text NOT NULL,
    created_at timestamptz DEFAULT now()
);
CREATE INDEX idx_image_text_pairs_task_id ON image_text_pairs (task_id);

CREATE TABLE reward_functions (
    reward_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    reward_func text NOT NULL,
    func_hash char(64) NOT NULL UNIQUE,           -- sha256 hex of reward_func; one row per distinct code
    is_generic boolean NOT NULL DEFAULT false,
    is_manual boolean NOT NULL DEFAULT false,
    created_at timestamptz DEFAULT now()
);

CREATE TABLE grpo_task_functions (
    task_id uuid NOT NULL REFERENCES grpo_tasks (task_id) ON DELETE CASCADE,
    reward_id uuid NOT NULL REFERENCES reward_functions (reward_id) ON DELETE RESTRICT,
    reward_weight float8 NOT NULL CHECK (reward_weight >= 0),
    position integer NOT NULL DEFAULT 0,          -- order given at creation; it names reward_func_<i>
    created_at timestamptz DEFAULT now(),
    PRIMARY KEY (task_id, reward_id)
);

-- Append-only history of what happened to a task (status changes, claims, notes). No FK to tasks, so the
-- history outlives a deleted task; a trigger refuses UPDATE and DELETE.
CREATE TABLE task_events (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    task_id uuid NOT NULL,
    event_type text NOT NULL,
    from_status text,
    to_status text,
    actor text,
    detail jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_task_events_task_id ON task_events (task_id, id);

CREATE FUNCTION task_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'task_events is append-only (% refused)', TG_OP;
END
$$;
CREATE TRIGGER task_events_no_update BEFORE UPDATE OR DELETE ON task_events
    FOR EACH ROW EXECUTE FUNCTION task_events_append_only();
