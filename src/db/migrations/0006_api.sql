-- What the customer API adds (docs/api.md): webhooks with their delivery record, the dispatcher's cursor over
-- task_events, and evaluation results in the task event log.

-- A customer's completion webhook. The secret signs each delivery (HMAC-SHA256); it is stored as given because
-- signing needs it (it is a per-endpoint secret, not a login credential).
CREATE TABLE api_webhooks (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    url text NOT NULL,
    secret text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    -- Events with an id above this are delivered: a new webhook is not flooded with old completions.
    after_event_id bigint NOT NULL DEFAULT 0,
    disabled_at timestamptz
);
CREATE INDEX idx_api_webhooks_account_id ON api_webhooks (account_id);

-- One delivery of one event to one webhook, with its attempts. Unique per (webhook, event): a dispatcher that
-- crashes and rescans never queues an event twice.
CREATE TABLE api_webhook_deliveries (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    webhook_id uuid NOT NULL REFERENCES api_webhooks (id) ON DELETE CASCADE,
    event_id bigint NOT NULL,
    task_id uuid NOT NULL,
    payload jsonb NOT NULL,
    status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    last_status_code integer,
    last_error text,
    created_at timestamptz NOT NULL,
    delivered_at timestamptz,
    claimed_until timestamptz,
    UNIQUE (webhook_id, event_id)
);
CREATE INDEX idx_api_webhook_deliveries_due ON api_webhook_deliveries (status, next_attempt_at);

-- Small named cursors (e.g. the last task_events id the webhook dispatcher has scanned).
CREATE TABLE api_cursors (
    name text PRIMARY KEY,
    value bigint NOT NULL
);

-- Evaluation results appear in the task's event log whoever writes them: one `evaluation_result` event per
-- miner each time its score is set or changes. NaN becomes null and ±inf ±1e100, as the auditing views show.
CREATE FUNCTION api_score_value(x float8) RETURNS float8 LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN x IS NULL OR x = 'NaN'::float8 THEN NULL
                WHEN x = 'Infinity'::float8 THEN 1e100
                WHEN x = '-Infinity'::float8 THEN -1e100
                ELSE x END
$$;

CREATE FUNCTION api_task_nodes_result_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.quality_score IS NOT NULL
       AND (TG_OP = 'INSERT' OR OLD.quality_score IS DISTINCT FROM NEW.quality_score
            OR OLD.test_loss IS DISTINCT FROM NEW.test_loss OR OLD.synth_loss IS DISTINCT FROM NEW.synth_loss) THEN
        INSERT INTO task_events (task_id, event_type, actor, detail, created_at)
        VALUES (NEW.task_id, 'evaluation_result', 'evaluation',
                jsonb_build_object(
                    'hotkey', NEW.hotkey,
                    'quality_score', api_score_value(NEW.quality_score),
                    'test_loss', api_score_value(NEW.test_loss),
                    'synth_loss', api_score_value(NEW.synth_loss),
                    'score_reason', NEW.score_reason),
                now());
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER task_nodes_result_event AFTER INSERT OR UPDATE ON task_nodes
    FOR EACH ROW EXECUTE FUNCTION api_task_nodes_result_event();

-- The list views sort by creation time within an account and within a status.
CREATE INDEX idx_tasks_account_created ON tasks (account_id, created_at DESC);
CREATE INDEX idx_tasks_status_created ON tasks (status, created_at DESC);
CREATE INDEX idx_submissions_task_id ON submissions (task_id);
