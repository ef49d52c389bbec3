-- +goose Up
-- Directory sync (B5). A source is an LDAP directory people are synced from; config holds
-- its connection, mapping and rules as JSON (the rules are an ordered list), bind_password
-- is kept apart so that nothing that shows the config can show it.
CREATE TABLE directory_sources (
    id            INTEGER PRIMARY KEY,
    name          TEXT    NOT NULL UNIQUE,
    config        TEXT    NOT NULL,
    bind_password TEXT    NOT NULL DEFAULT '',
    next_run_at   INTEGER,
    last_run_at   INTEGER,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);

-- Every run: a preview (what would change, stored so that applying it applies exactly that),
-- then applied, stale (the directory changed before it was confirmed) or failed.
CREATE TABLE directory_runs (
    id          INTEGER PRIMARY KEY,
    source_id   INTEGER NOT NULL REFERENCES directory_sources (id) ON DELETE CASCADE,
    state       TEXT    NOT NULL,
    origin      TEXT    NOT NULL,
    actor_name  TEXT    NOT NULL DEFAULT '',
    digest      TEXT    NOT NULL DEFAULT '',
    changes     TEXT    NOT NULL DEFAULT '[]',
    created     INTEGER NOT NULL DEFAULT 0,
    updated     INTEGER NOT NULL DEFAULT 0,
    disabled    INTEGER NOT NULL DEFAULT 0,
    enabled     INTEGER NOT NULL DEFAULT 0,
    unchanged   INTEGER NOT NULL DEFAULT 0,
    failed      INTEGER NOT NULL DEFAULT 0,
    error       TEXT    NOT NULL DEFAULT '',
    started_at  INTEGER NOT NULL,
    finished_at INTEGER,
    applied_at  INTEGER
);
CREATE INDEX directory_runs_source ON directory_runs (source_id, id);

-- Which people a source created or matched, by the directory's own key for them: those it
-- no longer returns are disabled (never deleted), and re-enabled when they come back only
-- when this source disabled them.
CREATE TABLE directory_links (
    source_id   INTEGER NOT NULL REFERENCES directory_sources (id) ON DELETE CASCADE,
    person_id   INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    dir_key     TEXT    NOT NULL,
    dn          TEXT    NOT NULL DEFAULT '',
    disabled_by_sync INTEGER NOT NULL DEFAULT 0,
    seen_at     INTEGER NOT NULL,
    PRIMARY KEY (source_id, dir_key)
);
CREATE UNIQUE INDEX directory_links_person ON directory_links (source_id, person_id);

-- +goose Down
DROP TABLE directory_links;
DROP TABLE directory_runs;
DROP TABLE directory_sources;
