-- Metagraph nodes, miner assignments and results (validator spec §9, miner-protocol-chain spec §6.3).

CREATE TABLE nodes (
    hotkey text NOT NULL,
    netuid integer NOT NULL,
    node_id integer NOT NULL,                     -- the uid
    coldkey text NOT NULL,
    ip text NOT NULL,
    ip_type integer NOT NULL,
    port integer NOT NULL,
    symmetric_key text,
    symmetric_key_uuid text,
    trust float8,
    vtrust float8,
    stake float8 NOT NULL,
    incentive float8 DEFAULT 0,
    last_updated float8,
    protocol integer DEFAULT 4,
    our_validator boolean DEFAULT false,
    created_timestamp timestamptz DEFAULT now(),
    updated_timestamp timestamptz DEFAULT now(),
    alpha_stake float8 NOT NULL,
    tao_stake float8 NOT NULL,
    PRIMARY KEY (hotkey, netuid)
);
CREATE INDEX idx_nodes_netuid ON nodes (netuid);

CREATE TABLE nodes_history (
    id serial NOT NULL,
    hotkey text NOT NULL,
    netuid integer NOT NULL,
    coldkey text NOT NULL,
    node_id integer NOT NULL,
    incentive float8 NOT NULL,
    stake float8 NOT NULL,
    trust float8 NOT NULL,
    vtrust float8 NOT NULL,
    last_updated float8,
    ip text NOT NULL,
    ip_type integer NOT NULL,
    port integer NOT NULL,
    protocol integer NOT NULL DEFAULT 4,
    our_validator boolean NOT NULL DEFAULT false,
    expired_at timestamptz DEFAULT now(),
    alpha_stake float8,
    tao_stake float8,
    PRIMARY KEY (id, hotkey, netuid)
);

-- A miner's assignment to a task and its evaluation result. No FK to tasks, as in the original.
CREATE TABLE task_nodes (
    task_id uuid NOT NULL,
    hotkey text NOT NULL,
    netuid integer NOT NULL,
    quality_score float8,
    test_loss float8,
    synth_loss float8,
    expected_repo_name varchar(255),
    score_reason text,
    PRIMARY KEY (task_id, hotkey, netuid)
);
CREATE INDEX idx_task_nodes_quality_score ON task_nodes (quality_score);
CREATE INDEX idx_task_nodes_hotkey ON task_nodes (hotkey, netuid);

CREATE TABLE submissions (
    submission_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    task_id uuid NOT NULL REFERENCES tasks (task_id) ON DELETE CASCADE,
    hotkey text NOT NULL,
    netuid integer NOT NULL,
    repo text NOT NULL,
    model_hash text,                              -- the miner-reported hash of the submitted weights
    created_on timestamptz DEFAULT now(),
    updated_on timestamptz DEFAULT now(),
    CONSTRAINT unique_submission_per_miner_task UNIQUE (task_id, hotkey, netuid)
);
CREATE INDEX idx_submissions_hotkey_created ON submissions (hotkey, created_on DESC);

-- One row per offer sent (the miner's answer as it came).
CREATE TABLE offer_responses (
    id serial PRIMARY KEY,
    task_id uuid NOT NULL,
    hotkey varchar(66) NOT NULL,
    offer_response jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_offer_responses_taskid_hotkey ON offer_responses (task_id, hotkey);

-- Audit trail of the scores file behind each weight set.
CREATE TABLE latest_scores_url (
    id serial PRIMARY KEY,
    url text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expired_at timestamptz
);
