-- +goose Up
-- Spreadsheet imports (B1-B4). An import is a row that survives restarts: its file (stored
-- in import_chunks when it was uploaded, or a local path for the command line), its options,
-- its state and its checkpoint: rows_done data rows of the file are committed, together with
-- the people they wrote, the counts and the rejections, in one transaction per batch.
CREATE TABLE imports (
    id              INTEGER PRIMARY KEY,
    kind            TEXT    NOT NULL,
    state           TEXT    NOT NULL,
    file_name       TEXT    NOT NULL,
    local_path      TEXT    NOT NULL DEFAULT '',
    size            INTEGER NOT NULL DEFAULT 0,
    sha256          TEXT    NOT NULL DEFAULT '',
    format          TEXT    NOT NULL DEFAULT '',
    options         TEXT    NOT NULL DEFAULT '{}',
    rows_done       INTEGER NOT NULL DEFAULT 0,
    bytes_done      INTEGER NOT NULL DEFAULT 0,
    counts          TEXT    NOT NULL DEFAULT '{}',
    unknown_headers TEXT    NOT NULL DEFAULT '[]',
    header          TEXT    NOT NULL DEFAULT '[]', -- the file's header row, for the report
    error           TEXT    NOT NULL DEFAULT '',
    created_by      INTEGER REFERENCES people (id),
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    finished_at     INTEGER
);

-- An uploaded file in pieces of at most 1 MiB, so that it streams in and out.
CREATE TABLE import_chunks (
    import_id INTEGER NOT NULL REFERENCES imports (id),
    seq       INTEGER NOT NULL,
    data      BLOB    NOT NULL,
    PRIMARY KEY (import_id, seq)
);

-- Rows that did not land, with the line of the file, the column and the reason, and the
-- row's cells as a JSON array of strings (empty for a row superseded in an earlier batch).
CREATE TABLE import_rejections (
    id        INTEGER PRIMARY KEY,
    import_id INTEGER NOT NULL REFERENCES imports (id),
    line      INTEGER NOT NULL,
    col       TEXT    NOT NULL DEFAULT '',
    reason    TEXT    NOT NULL,
    cells     TEXT    NOT NULL DEFAULT '[]'
);
CREATE INDEX import_rejections_import ON import_rejections (import_id, line, id);

-- +goose Down
DROP TABLE import_rejections;
DROP TABLE import_chunks;
DROP TABLE imports;
