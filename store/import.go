package store

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"frontdesk"
)

// Storage of spreadsheet imports (B1-B4): the import's row with its checkpoint, the uploaded
// file in chunks, the rejected rows, and the lookups an import batch makes in one query each.
// The importer package decides everything; this file only reads and writes.

// ImportRecord is an import as stored. Options, Counts and UnknownHeaders are JSON, which
// the importer reads; the store does not look inside.
type ImportRecord struct {
	ID             int64
	Kind           string
	State          string
	FileName       string
	LocalPath      string // a file on the machine of the command line; empty for uploads
	Size           int64
	SHA256         string
	Format         string
	Options        string
	RowsDone       int
	BytesDone      int64
	Counts         string
	UnknownHeaders string
	Header         string // JSON array of the file's header row
	Error          string
	CreatedBy      *int64
	CreatedAt      time.Time
	UpdatedAt      time.Time
	FinishedAt     *time.Time
}

// ImportRejection is one row of an import that did not land.
type ImportRejection struct {
	Line   int
	Column string
	Reason string
	Cells  string // JSON array of the row's cells
}

// ImportChunkSize is the size of the pieces an uploaded file is stored in.
const ImportChunkSize = 1 << 20

const importColumns = `id, kind, state, file_name, local_path, size, sha256, format, options, rows_done, bytes_done,
	counts, unknown_headers, header, error, created_by, created_at, updated_at, finished_at`

func scanImport(r rowScanner) (*ImportRecord, error) {
	var im ImportRecord
	var createdBy, finished sql.NullInt64
	var created, updated int64
	err := r.Scan(&im.ID, &im.Kind, &im.State, &im.FileName, &im.LocalPath, &im.Size, &im.SHA256, &im.Format, &im.Options,
		&im.RowsDone, &im.BytesDone, &im.Counts, &im.UnknownHeaders, &im.Header, &im.Error, &createdBy, &created, &updated, &finished)
	if err != nil {
		return nil, err
	}
	im.CreatedBy, im.FinishedAt = fromNullID(createdBy), fromNullMicros(finished)
	im.CreatedAt, im.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &im, nil
}

// CreateImport stores a new import and audits it; the actor in ctx is its creator.
func (db *DB) CreateImport(ctx context.Context, im *ImportRecord) error {
	return db.inTx(ctx, func(tx *Tx) error {
		actor := frontdesk.ActorFrom(ctx)
		if actor.ID != 0 {
			im.CreatedBy = &actor.ID
		}
		im.CreatedAt, im.UpdatedAt = tx.now, tx.now
		for _, s := range []*string{&im.Options, &im.Counts} {
			if *s == "" {
				*s = "{}"
			}
		}
		if im.UnknownHeaders == "" {
			im.UnknownHeaders = "[]"
		}
		id, err := tx.insert(ctx, `INSERT INTO imports (kind, state, file_name, local_path, size, sha256, format, options, rows_done,
			bytes_done, counts, unknown_headers, error, created_by, created_at, updated_at) VALUES (`+placeholders(16)+`)`,
			im.Kind, im.State, im.FileName, im.LocalPath, im.Size, im.SHA256, im.Format, im.Options, im.RowsDone, im.BytesDone,
			im.Counts, im.UnknownHeaders, im.Error, nullID(im.CreatedBy), micros(tx.now), micros(tx.now))
		if err != nil {
			return err
		}
		im.ID = id
		return tx.audit(ctx, "import.create", "import", id, nil, map[string]any{"kind": im.Kind, "file_name": im.FileName, "options": rawJSON(im.Options)})
	})
}

// rawJSON lets a JSON text be audited as itself rather than as a string.
type rawJSON string

func (r rawJSON) MarshalJSON() ([]byte, error) { return []byte(r), nil }

// AppendImportChunk stores piece seq of an import's uploaded file, in a transaction of its
// own, so that an upload never holds the single writer of SQLite while the network is slow.
func (db *DB) AppendImportChunk(ctx context.Context, id int64, seq int, data []byte) error {
	return db.inTx(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO import_chunks (import_id, seq, data) VALUES (?, ?, ?)`, id, seq, data)
		return err
	})
}

// FinishImportUpload records the size, hash and format of a stored file and queues the import.
func (db *DB) FinishImportUpload(ctx context.Context, id int64, size int64, sha, format string) error {
	return db.inTx(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE imports SET size = ?, sha256 = ?, format = ?, state = 'queued', updated_at = ? WHERE id = ?`,
			size, sha, format, micros(tx.now), id)
		return err
	})
}

// DeleteImport removes an import with its file and rejections (an upload that failed).
func (db *DB) DeleteImport(ctx context.Context, id int64) error {
	return db.inTx(ctx, func(tx *Tx) error {
		for _, q := range []string{`DELETE FROM import_chunks WHERE import_id = ?`, `DELETE FROM import_rejections WHERE import_id = ?`,
			`DELETE FROM imports WHERE id = ?`} {
			if _, err := tx.ExecContext(ctx, q, id); err != nil {
				return err
			}
		}
		return nil
	})
}

// GetImport returns one import.
func (db *DB) GetImport(ctx context.Context, id int64) (*ImportRecord, error) {
	im, err := scanImport(db.reader(ctx).QueryRowContext(ctx, `SELECT `+importColumns+` FROM imports WHERE id = ?`, id))
	if isNoRows(err) {
		return nil, notFound("import", id)
	}
	return im, err
}

// ListImports returns imports newest first; page.After is the id the previous page ended at.
func (db *DB) ListImports(ctx context.Context, page frontdesk.Page) ([]*ImportRecord, int64, error) {
	limit := pageLimit(page)
	after := page.After
	if after <= 0 {
		after = 1<<63 - 1
	}
	rows, err := db.reader(ctx).QueryContext(ctx, `SELECT `+importColumns+` FROM imports WHERE id < ? ORDER BY id DESC LIMIT `+strconv.Itoa(limit+1), after)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []*ImportRecord{}
	for rows.Next() {
		im, err := scanImport(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, im)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	return trimPage(out, limit, func(im *ImportRecord) int64 { return im.ID })
}

// SetImportHeader records the header row of an import's file (JSON) and the columns nobody
// knows in it, once read.
func (db *DB) SetImportHeader(ctx context.Context, id int64, header, unknown string) error {
	return db.inTx(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE imports SET header = ?, unknown_headers = ?, updated_at = ? WHERE id = ?`, header, unknown, micros(tx.now), id)
		return err
	})
}

// SetImportState changes the state of an import, with its error message and unknown headers
// (JSON); a final state (done, failed) records when it finished and is audited.
func (db *DB) SetImportState(ctx context.Context, id int64, state, errMsg, unknownHeaders string, final bool) error {
	return db.inTx(ctx, func(tx *Tx) error {
		var finished any
		if final {
			finished = micros(tx.now)
		}
		if unknownHeaders == "" {
			unknownHeaders = "[]"
		}
		_, err := tx.ExecContext(ctx, `UPDATE imports SET state = ?, error = ?, unknown_headers = ?, updated_at = ?, finished_at = ? WHERE id = ?`,
			state, errMsg, unknownHeaders, micros(tx.now), finished, id)
		if err != nil || !final {
			return err
		}
		return tx.audit(ctx, "import."+state, "import", id, nil, map[string]any{"error": errMsg})
	})
}

// ImportCheckpoint records that an import has committed rowsDone rows of its file, with its
// counts (JSON) and the rejections of the batch, and audits the batch. Called in the
// transaction that wrote the batch's people, it makes the batch land whole or not at all.
func (db *DB) ImportCheckpoint(ctx context.Context, id int64, rowsDone int, bytesDone int64, counts string, rejections []ImportRejection, batch any) error {
	return db.inTx(ctx, func(tx *Tx) error {
		for _, r := range rejections {
			if r.Cells == "" {
				r.Cells = "[]"
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO import_rejections (import_id, line, col, reason, cells) VALUES (?, ?, ?, ?, ?)`,
				id, r.Line, r.Column, r.Reason, r.Cells); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `UPDATE imports SET rows_done = ?, bytes_done = ?, counts = ?, updated_at = ? WHERE id = ?`,
			rowsDone, bytesDone, counts, micros(tx.now), id)
		if err != nil {
			return err
		}
		if batch == nil {
			return nil
		}
		return tx.audit(ctx, "import.batch", "import", id, nil, batch)
	})
}

// EachImportRejection calls fn with the rejections of an import in line order, reading them
// a page at a time so that a large report streams.
func (db *DB) EachImportRejection(ctx context.Context, id int64, fn func(ImportRejection) error) error {
	const page = 1000
	lastLine, lastID := -1, int64(0)
	for {
		rows, err := db.reader(ctx).QueryContext(ctx, `SELECT id, line, col, reason, cells FROM import_rejections
			WHERE import_id = ? AND (line > ? OR line = ? AND id > ?) ORDER BY line, id LIMIT `+strconv.Itoa(page), id, lastLine, lastLine, lastID)
		if err != nil {
			return err
		}
		var batch []ImportRejection
		for rows.Next() {
			var r ImportRejection
			if err := rows.Scan(&lastID, &r.Line, &r.Column, &r.Reason, &r.Cells); err != nil {
				rows.Close()
				return err
			}
			lastLine = r.Line
			batch = append(batch, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, r := range batch {
			if err := fn(r); err != nil {
				return err
			}
		}
		if len(batch) < page {
			return nil
		}
	}
}

// ImportLineRejected reports whether line of an import was rejected.
func (db *DB) ImportLineRejected(ctx context.Context, id int64, line int) (bool, error) {
	var one int
	err := db.reader(ctx).QueryRowContext(ctx, `SELECT 1 FROM import_rejections WHERE import_id = ? AND line = ? LIMIT 1`, id, line).Scan(&one)
	if isNoRows(err) {
		return false, nil
	}
	return err == nil, err
}

// ImportFile returns a reader over the stored file of an import, which reads one chunk at a
// time from the database.
func (db *DB) ImportFile(ctx context.Context, id int64) io.Reader {
	return &chunkReader{db: db, ctx: ctx, id: id}
}

type chunkReader struct {
	db   *DB
	ctx  context.Context
	id   int64
	seq  int
	buf  []byte
	done bool
}

func (c *chunkReader) Read(p []byte) (int, error) {
	for len(c.buf) == 0 {
		if c.done {
			return 0, io.EOF
		}
		var data []byte
		err := c.db.reader(c.ctx).QueryRowContext(c.ctx, `SELECT data FROM import_chunks WHERE import_id = ? AND seq = ?`, c.id, c.seq).Scan(&data)
		if isNoRows(err) {
			c.done = true
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("read the stored file of import %d: %w", c.id, err)
		}
		c.seq++
		c.buf = data
	}
	n := copy(p, c.buf)
	c.buf = c.buf[n:]
	return n, nil
}

// lookupChunk bounds the values one IN list carries.
const lookupChunk = 1000

// eachChunk runs fn over values in pieces of at most lookupChunk, with the placeholders.
func eachChunk(values []string, fn func(part []string, ph string) error) error {
	for start := 0; start < len(values); start += lookupChunk {
		part := values[start:min(start+lookupChunk, len(values))]
		if err := fn(part, placeholders(len(part))); err != nil {
			return err
		}
	}
	return nil
}

// importKeyQueries are the ways an import finds the person a row is about.
var importKeyQueries = map[string]string{
	"email":       `SELECT address, person_id FROM person_emails WHERE address IN (%s)`,
	"external_id": `SELECT external_id, id FROM people WHERE external_id IN (%s)`,
	"username":    `SELECT username, id FROM people WHERE username IN (%s)`,
}

// PersonOwners maps each of values to the id of the person who holds it as key (email: any
// address of theirs; external_id; username), in one query per thousand values. Values must be in their
// stored form (normalized).
func (db *DB) PersonOwners(ctx context.Context, key string, values []string) (map[string]int64, error) {
	q, ok := importKeyQueries[key]
	if !ok {
		return nil, fmt.Errorf("store: unknown person key %q", key)
	}
	out := make(map[string]int64, len(values))
	err := eachChunk(values, func(part []string, ph string) error {
		rows, err := db.reader(ctx).QueryContext(ctx, fmt.Sprintf(q, ph), anys(part)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var v string
			var id int64
			if err := rows.Scan(&v, &id); err != nil {
				return err
			}
			out[v] = id
		}
		return rows.Err()
	})
	return out, err
}

// PeopleByID returns the people with the given ids, in one query per thousand.
func (db *DB) PeopleByID(ctx context.Context, ids []int64) (map[int64]*frontdesk.Person, error) {
	out := make(map[int64]*frontdesk.Person, len(ids))
	strs := make([]string, len(ids))
	for i, id := range ids {
		strs[i] = strconv.FormatInt(id, 10)
	}
	err := eachChunk(strs, func(part []string, ph string) error {
		args := make([]any, len(part))
		for i, s := range part {
			args[i], _ = strconv.ParseInt(s, 10, 64)
		}
		rows, err := db.reader(ctx).QueryContext(ctx, `SELECT `+personColumns+` FROM people WHERE id IN (`+ph+`)`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			p, err := scanPerson(rows)
			if err != nil {
				return err
			}
			out[p.ID] = p
		}
		return rows.Err()
	})
	return out, err
}

// OrganizationIDsByName maps each of names, as given, to the id of the organization of that
// name, compared case-insensitively by the database's lower(), as the unique index does.
func (db *DB) OrganizationIDsByName(ctx context.Context, names []string) (map[string]int64, error) {
	return db.idsByName(ctx, `organizations o ON lower(o.name) = lower(v.n)`, nil, names)
}

// SiteIDsByName maps each of names, as given, to the id of the site of that name in an
// organization, compared case-insensitively.
func (db *DB) SiteIDsByName(ctx context.Context, org int64, names []string) (map[string]int64, error) {
	return db.idsByName(ctx, `sites o ON lower(o.name) = lower(v.n) AND o.organization_id = ?`, []any{org}, names)
}

func (db *DB) idsByName(ctx context.Context, join string, extra []any, names []string) (map[string]int64, error) {
	out := map[string]int64{}
	err := eachChunk(names, func(part []string, ph string) error {
		values := strings.TrimSuffix(strings.Repeat("(?), ", len(part)), ", ")
		rows, err := db.reader(ctx).QueryContext(ctx, `WITH v(n) AS (VALUES `+values+`) SELECT v.n, o.id FROM v JOIN `+join,
			append(anys(part), extra...)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var n string
			var id int64
			if err := rows.Scan(&n, &id); err != nil {
				return err
			}
			out[n] = id
		}
		return rows.Err()
	})
	return out, err
}

// GetOrganizationByName returns the organization of that name, compared case-insensitively.
func (db *DB) GetOrganizationByName(ctx context.Context, name string) (*frontdesk.Organization, error) {
	var id int64
	err := db.reader(ctx).QueryRowContext(ctx, `SELECT id FROM organizations WHERE lower(name) = lower(?)`, name).Scan(&id)
	if isNoRows(err) {
		return nil, frontdesk.Errorf(frontdesk.ENotFound, "there is no organization named %q", name)
	}
	if err != nil {
		return nil, err
	}
	return db.GetOrganization(ctx, id)
}

// GetSiteByName returns the site of that name in an organization, compared case-insensitively.
func (db *DB) GetSiteByName(ctx context.Context, org int64, name string) (*frontdesk.Site, error) {
	var id int64
	err := db.reader(ctx).QueryRowContext(ctx, `SELECT id FROM sites WHERE organization_id = ? AND lower(name) = lower(?)`, org, name).Scan(&id)
	if isNoRows(err) {
		return nil, frontdesk.Errorf(frontdesk.ENotFound, "organization %d has no site named %q", org, name)
	}
	if err != nil {
		return nil, err
	}
	return db.GetSite(ctx, id)
}

// FindResumableImport returns the newest unfinished import of a local file with this hash,
// kind and options, which the command line resumes instead of starting over.
func (db *DB) FindResumableImport(ctx context.Context, localPath, sha, kind, options string) (*ImportRecord, error) {
	im, err := scanImport(db.reader(ctx).QueryRowContext(ctx, `SELECT `+importColumns+` FROM imports
		WHERE local_path = ? AND sha256 = ? AND kind = ? AND options = ? AND state IN ('queued', 'running', 'failed')
		ORDER BY id DESC LIMIT 1`, localPath, sha, kind, options))
	if isNoRows(err) {
		return nil, notFound("import of", localPath)
	}
	return im, err
}
