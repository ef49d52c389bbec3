-- +goose Up
-- Durable jobs: imports, scheduled syncs and other long work. A job is queued until run_at,
-- then claimed by one instance under a lease (locked_by, lease_until, lease_token) that its
-- runner renews while the handler works; when the instance dies the lease runs out and
-- another takes the job. lease_token changes on every claim, so that a runner that lost its
-- lease can no longer write as the job's holder. States: queued, running, succeeded, failed,
-- cancelled.
CREATE TABLE jobs (
    id               INTEGER PRIMARY KEY,
    kind             TEXT    NOT NULL,
    payload          TEXT    NOT NULL DEFAULT '{}',
    state            TEXT    NOT NULL,
    unique_key       TEXT,
    attempts         INTEGER NOT NULL DEFAULT 0,
    max_attempts     INTEGER NOT NULL,
    run_at           INTEGER NOT NULL,
    locked_by        TEXT,
    lease_until      INTEGER,
    lease_token      TEXT,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT    NOT NULL DEFAULT '',
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    started_at       INTEGER,
    finished_at      INTEGER
);
-- One unfinished job per unique key; a finished one frees the key for the next run.
CREATE UNIQUE INDEX jobs_unique_open ON jobs (unique_key) WHERE unique_key IS NOT NULL AND state IN ('queued', 'running');
-- The claim queries: due queued jobs in order, and running jobs whose lease ran out.
CREATE INDEX jobs_due ON jobs (run_at, id) WHERE state = 'queued';
CREATE INDEX jobs_lease ON jobs (lease_until) WHERE state = 'running';
CREATE INDEX jobs_kind ON jobs (kind, id);

-- +goose Down
DROP TABLE jobs;
