package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"frontdesk"
)

// BulkInsertPeople stores many new people in one transaction through each engine's fastest
// way in: prepared inserts in one large transaction on SQLite, COPY on PostgreSQL. It is the
// path of loads and imports; it does not audit per person (the caller records the batch) and
// fails whole (EConflict) when any address is taken. People get their ids and timestamps.
// It joins the transaction of ctx when there is one (WithTx), so that an import can commit
// its checkpoint with the rows.
func (db *DB) BulkInsertPeople(ctx context.Context, people []*frontdesk.Person) error {
	if len(people) == 0 {
		return nil
	}
	now := db.now().UTC().Truncate(time.Microsecond)
	for _, p := range people {
		p.CreatedAt, p.UpdatedAt = now, now
	}
	return db.inTx(ctx, func(tx *Tx) error {
		if db.engine == Postgres {
			return tx.copyPeople(ctx, people)
		}
		return tx.insertPeople(ctx, people)
	})
}

// bulkRows is how many people one multi-row INSERT carries on SQLite.
const bulkRows = 100

// insertPeople is SQLite's bulk path: ids are given here (the single writer holds the write
// lock, so max(id) cannot move under us), rows go in by the hundred per statement, and the
// address and phone rows are sorted by key so that the index pages fill in order.
func (tx *Tx) insertPeople(ctx context.Context, people []*frontdesk.Person) error {
	// Statements here do not watch ctx: a cancellable context costs two goroutines per
	// statement in the driver, and the transaction is rolled back on error anyway.
	ctx = context.WithoutCancel(ctx)
	var maxID int64
	if err := tx.tx.QueryRowContext(ctx, `SELECT COALESCE(max(id), 0) FROM people`).Scan(&maxID); err != nil {
		return err
	}
	for i, p := range people {
		p.ID = maxID + int64(i) + 1
	}
	emails, phones := identityRows(people)

	peopleCols := "id, " + personWriteColumns
	err := insertChunked(ctx, tx, "people", peopleCols, personWriteCount+1, len(people), func(i int) []any {
		return append([]any{people[i].ID}, personRow(people[i])...)
	})
	if err != nil {
		return bulkConflict(err)
	}
	err = insertChunked(ctx, tx, "person_emails", "address, person_id, position, is_primary, verified", 5, len(emails), func(i int) []any {
		e := emails[i]
		return []any{e.address, e.person, e.position, b2i(e.primary), b2i(e.verified)}
	})
	if what, dup := uniqueViolation(err); dup {
		return frontdesk.Errorf(frontdesk.EConflict, "an address in the batch is taken or listed twice (%s)", what)
	}
	if err != nil {
		return err
	}
	return insertChunked(ctx, tx, "person_phones", "number, person_id", 2, len(phones), func(i int) []any {
		return []any{phones[i].number, phones[i].person}
	})
}

// insertChunked inserts n rows of width columns, bulkRows to a statement; the full-size
// statement is prepared once.
func insertChunked(ctx context.Context, tx *Tx, table, columns string, width, n int, row func(i int) []any) error {
	one := "(" + placeholders(width) + ")"
	stmtFor := func(rows int) string {
		return "INSERT INTO " + table + " (" + columns + ") VALUES " + strings.TrimSuffix(strings.Repeat(one+", ", rows), ", ")
	}
	full, err := tx.tx.PrepareContext(ctx, stmtFor(bulkRows))
	if err != nil {
		return err
	}
	defer full.Close()
	args := make([]any, 0, bulkRows*width)
	for start := 0; start < n; start += bulkRows {
		end := min(start+bulkRows, n)
		args = args[:0]
		for i := start; i < end; i++ {
			args = append(args, row(i)...)
		}
		if end-start == bulkRows {
			_, err = full.ExecContext(ctx, args...)
		} else {
			_, err = tx.tx.ExecContext(ctx, stmtFor(end-start), args...)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// BulkUpdatePeople writes many existing people whole, by id: every column CreatePerson writes
// except created_at, and their person_emails and person_phones rows are replaced by their
// Emails and Phones. Like BulkInsertPeople it does not audit, joins the transaction of ctx
// when there is one, and fails whole: EConflict when an address belongs to someone outside
// the batch (or twice inside it), ENotFound when an id is not there, EInvalid when an id is
// missing or repeated. Addresses may move between people of one batch. People get their
// UpdatedAt; organization and site ids are not checked beyond the foreign keys.
func (db *DB) BulkUpdatePeople(ctx context.Context, people []*frontdesk.Person) error {
	if len(people) == 0 {
		return nil
	}
	seen := make(map[int64]struct{}, len(people))
	for _, p := range people {
		if p.ID <= 0 {
			return frontdesk.Errorf(frontdesk.EInvalid, "a person of the batch has no id")
		}
		if _, dup := seen[p.ID]; dup {
			return frontdesk.Errorf(frontdesk.EInvalid, "person %d is in the batch twice", p.ID)
		}
		seen[p.ID] = struct{}{}
	}
	now := db.now().UTC().Truncate(time.Microsecond)
	for _, p := range people {
		p.UpdatedAt = now
	}
	err := db.inTx(ctx, func(tx *Tx) error {
		if db.engine == Postgres {
			return tx.copyUpdatePeople(ctx, people)
		}
		return tx.updatePeople(ctx, people)
	})
	return err
}

// updateColumns are the columns BulkUpdatePeople sets: personWriteColumns but created_at.
var updateColumns, updateSkip = func() ([]string, int) {
	var cols []string
	skip := -1
	for i, c := range splitComma(personWriteColumns) {
		if c == "created_at" {
			skip = i
			continue
		}
		cols = append(cols, c)
	}
	return cols, skip
}()

// updateRow is personRow without created_at, in updateColumns order.
func updateRow(p *frontdesk.Person) []any {
	row := personRow(p)
	return append(row[:updateSkip], row[updateSkip+1:]...)
}

// updatePeople is SQLite's bulk update: a hundred people per UPDATE ... FROM (VALUES ...),
// then their address and phone rows deleted and inserted again in key order.
func (tx *Tx) updatePeople(ctx context.Context, people []*frontdesk.Person) error {
	ctx = context.WithoutCancel(ctx) // as in insertPeople
	width := len(updateColumns) + 1
	sets := make([]string, len(updateColumns))
	for i, c := range updateColumns {
		sets[i] = fmt.Sprintf("%s = v.column%d", c, i+2)
	}
	one := "(" + placeholders(width) + ")"
	stmtFor := func(rows int) string {
		return "UPDATE people SET " + strings.Join(sets, ", ") + " FROM (VALUES " +
			strings.TrimSuffix(strings.Repeat(one+", ", rows), ", ") + ") AS v WHERE people.id = v.column1"
	}
	idsFor := func(table string, rows int) string {
		return "DELETE FROM " + table + " WHERE person_id IN (" + placeholders(rows) + ")"
	}
	type prepared struct{ update, emails, phones *sql.Stmt }
	var full prepared
	var err error
	for _, p := range []struct {
		st **sql.Stmt
		q  string
	}{{&full.update, stmtFor(bulkRows)}, {&full.emails, idsFor("person_emails", bulkRows)}, {&full.phones, idsFor("person_phones", bulkRows)}} {
		if *p.st, err = tx.tx.PrepareContext(ctx, p.q); err != nil {
			return err
		}
		defer (*p.st).Close()
	}
	args := make([]any, 0, bulkRows*width)
	ids := make([]any, 0, bulkRows)
	for start := 0; start < len(people); start += bulkRows {
		end := min(start+bulkRows, len(people))
		args, ids = args[:0], ids[:0]
		for _, p := range people[start:end] {
			args = append(append(args, p.ID), updateRow(p)...)
			ids = append(ids, p.ID)
		}
		var res sql.Result
		if end-start == bulkRows {
			res, err = full.update.ExecContext(ctx, args...)
		} else {
			res, err = tx.tx.ExecContext(ctx, stmtFor(end-start), args...)
		}
		if err != nil {
			return bulkConflict(err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n != int64(end-start) {
			return tx.missingPeople(ctx, people[start:end])
		}
		for _, t := range []struct {
			st    *sql.Stmt
			table string
		}{{full.emails, "person_emails"}, {full.phones, "person_phones"}} {
			if end-start == bulkRows {
				_, err = t.st.ExecContext(ctx, ids...)
			} else {
				_, err = tx.tx.ExecContext(ctx, idsFor(t.table, end-start), ids...)
			}
			if err != nil {
				return err
			}
		}
	}
	emails, phones := identityRows(people)
	err = insertChunked(ctx, tx, "person_emails", "address, person_id, position, is_primary, verified", 5, len(emails), func(i int) []any {
		e := emails[i]
		return []any{e.address, e.person, e.position, b2i(e.primary), b2i(e.verified)}
	})
	if what, dup := uniqueViolation(err); dup {
		return frontdesk.Errorf(frontdesk.EConflict, "an address in the batch belongs to another person or is listed twice (%s)", what)
	}
	if err != nil {
		return err
	}
	return insertChunked(ctx, tx, "person_phones", "number, person_id", 2, len(phones), func(i int) []any {
		return []any{phones[i].number, phones[i].person}
	})
}

// missingPeople names the first person of the batch whose id is not in people.
func (tx *Tx) missingPeople(ctx context.Context, batch []*frontdesk.Person) error {
	for _, p := range batch {
		var one int
		err := tx.tx.QueryRowContext(ctx, tx.db.rebind(`SELECT 1 FROM people WHERE id = ?`), p.ID).Scan(&one)
		if isNoRows(err) {
			return notFound("person", p.ID)
		}
		if err != nil {
			return err
		}
	}
	return notFound("person", "of the batch")
}

type emailRow struct {
	address  string
	person   int64
	position int
	primary  bool
	verified bool
}

type phoneRow struct {
	number string
	person int64
}

// identityRows returns the address and phone rows of people, sorted by key so that the
// unique indexes fill in order.
func identityRows(people []*frontdesk.Person) ([]emailRow, []phoneRow) {
	emails := make([]emailRow, 0, len(people))
	phones := make([]phoneRow, 0, len(people))
	for _, p := range people {
		for i, e := range p.Emails {
			emails = append(emails, emailRow{e.Address, p.ID, i, e.Primary, e.Verified})
		}
		for _, ph := range p.Phones {
			phones = append(phones, phoneRow{ph.Number, p.ID})
		}
	}
	slices.SortFunc(emails, func(a, b emailRow) int { return strings.Compare(a.address, b.address) })
	slices.SortFunc(phones, func(a, b phoneRow) int { return strings.Compare(a.number, b.number) })
	return emails, phones
}

// pgx runs fn on the pgx connection under the transaction (PostgreSQL only), for COPY.
func (tx *Tx) pgx(fn func(pc *pgx.Conn) error) error {
	if tx.conn == nil {
		return fmt.Errorf("store: no connection under the transaction")
	}
	return tx.conn.Raw(func(dc any) error { return fn(dc.(*stdlib.Conn).Conn()) })
}

// jsonColumns marks the JSON columns of personWriteColumns: COPY must send them as JSON, not
// as text.
var jsonColumns = func() []bool {
	cols := splitComma(personWriteColumns)
	out := make([]bool, len(cols))
	for i, c := range cols {
		out[i] = c == "emails" || c == "phones" || c == "addresses" || c == "custom"
	}
	return out
}()

// copyRow is personRow with the id first and the JSON columns as JSON, for COPY; skip drops
// one column (-1: none).
func copyRow(p *frontdesk.Person, skip int) []any {
	row := personRow(p)
	out := make([]any, 0, len(row)+1)
	out = append(out, p.ID)
	for j, v := range row {
		if j == skip {
			continue
		}
		if s, ok := v.(string); ok && jsonColumns[j] {
			v = json.RawMessage(s)
		}
		out = append(out, v)
	}
	return out
}

// copyPeople is PostgreSQL's bulk insert: ids reserved first, then COPY into the three tables.
func (tx *Tx) copyPeople(ctx context.Context, people []*frontdesk.Person) error {
	return tx.pgx(func(pc *pgx.Conn) error {
		// Reserve the ids first, so that the rows of person_emails can name them.
		rows, err := pc.Query(ctx, `SELECT nextval(pg_get_serial_sequence('people', 'id')) FROM generate_series(1, $1)`, len(people))
		if err != nil {
			return err
		}
		i := 0
		for rows.Next() {
			if err := rows.Scan(&people[i].ID); err != nil {
				rows.Close()
				return err
			}
			i++
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		cols := append([]string{"id"}, splitComma(personWriteColumns)...)
		_, err = pc.CopyFrom(ctx, pgx.Identifier{"people"}, cols, pgx.CopyFromSlice(len(people), func(i int) ([]any, error) {
			return copyRow(people[i], -1), nil
		}))
		if err != nil {
			return bulkConflict(fmt.Errorf("copy people: %w", err))
		}
		return copyIdentities(ctx, pc, people)
	})
}

// copyIdentities copies the address and phone rows of people, in key order: the unique
// indexes then grow at their right edge instead of splitting pages.
func copyIdentities(ctx context.Context, pc *pgx.Conn, people []*frontdesk.Person) error {
	emails, phones := identityRows(people)
	_, err := pc.CopyFrom(ctx, pgx.Identifier{"person_emails"}, []string{"address", "person_id", "position", "is_primary", "verified"},
		pgx.CopyFromSlice(len(emails), func(i int) ([]any, error) {
			e := emails[i]
			return []any{e.address, e.person, e.position, b2i(e.primary), b2i(e.verified)}, nil
		}))
	if err != nil {
		if _, dup := uniqueViolation(err); dup {
			return frontdesk.Errorf(frontdesk.EConflict, "an address in the batch is taken or listed twice: %v", err)
		}
		return fmt.Errorf("copy emails: %w", err)
	}
	_, err = pc.CopyFrom(ctx, pgx.Identifier{"person_phones"}, []string{"number", "person_id"},
		pgx.CopyFromSlice(len(phones), func(i int) ([]any, error) {
			return []any{phones[i].number, phones[i].person}, nil
		}))
	if err != nil {
		return fmt.Errorf("copy phones: %w", err)
	}
	return nil
}

// copyUpdatePeople is PostgreSQL's bulk update: COPY into a temporary table, one UPDATE ...
// FROM it, then the address and phone rows deleted and copied again.
func (tx *Tx) copyUpdatePeople(ctx context.Context, people []*frontdesk.Person) error {
	return tx.pgx(func(pc *pgx.Conn) error {
		cols := append([]string{"id"}, updateColumns...)
		// Made from people itself, so its columns have people's types and no constraints.
		if _, err := pc.Exec(ctx, `CREATE TEMPORARY TABLE bulk_people ON COMMIT DROP AS SELECT `+strings.Join(cols, ", ")+
			` FROM people WITH NO DATA`); err != nil {
			return err
		}
		_, err := pc.CopyFrom(ctx, pgx.Identifier{"bulk_people"}, cols, pgx.CopyFromSlice(len(people), func(i int) ([]any, error) {
			return copyRow(people[i], updateSkip), nil
		}))
		if err != nil {
			return fmt.Errorf("copy people: %w", err)
		}
		sets := make([]string, len(updateColumns))
		for i, c := range updateColumns {
			sets[i] = c + " = b." + c
		}
		tag, err := pc.Exec(ctx, `UPDATE people SET `+strings.Join(sets, ", ")+` FROM bulk_people b WHERE people.id = b.id`)
		if err != nil {
			return bulkConflict(err)
		}
		if tag.RowsAffected() != int64(len(people)) {
			var missing int64
			if err := pc.QueryRow(ctx, `SELECT b.id FROM bulk_people b WHERE NOT EXISTS (SELECT 1 FROM people p WHERE p.id = b.id) LIMIT 1`).Scan(&missing); err != nil {
				return err
			}
			return notFound("person", missing)
		}
		for _, table := range []string{"person_emails", "person_phones"} {
			if _, err := pc.Exec(ctx, `DELETE FROM `+table+` WHERE person_id IN (SELECT id FROM bulk_people)`); err != nil {
				return err
			}
		}
		if _, err := pc.Exec(ctx, `DROP TABLE bulk_people`); err != nil {
			return err
		}
		return copyIdentities(ctx, pc, people)
	})
}

// bulkConflict turns a unique violation on people (an external id, a second owner) into an
// EConflict error; other errors pass.
func bulkConflict(err error) error {
	if what, dup := uniqueViolation(err); dup {
		return frontdesk.Errorf(frontdesk.EConflict, "a person of the batch conflicts with another (%s)", what)
	}
	return err
}
