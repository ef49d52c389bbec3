package store

import (
	"context"
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
// fails whole when any address is taken. People get their ids and timestamps.
func (db *DB) BulkInsertPeople(ctx context.Context, people []*frontdesk.Person) error {
	if len(people) == 0 {
		return nil
	}
	now := db.now().UTC().Truncate(time.Microsecond)
	for _, p := range people {
		p.CreatedAt, p.UpdatedAt = now, now
	}
	if db.engine == Postgres {
		return db.copyPeople(ctx, people)
	}
	return db.inTx(ctx, func(tx *Tx) error { return tx.insertPeople(ctx, people) })
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
	var emails []emailRow
	var phones []phoneRow
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

	peopleCols := "id, " + personWriteColumns
	err := insertChunked(ctx, tx, "people", peopleCols, personWriteCount+1, len(people), func(i int) []any {
		return append([]any{people[i].ID}, personRow(people[i])...)
	})
	if err != nil {
		return err
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

func (db *DB) copyPeople(ctx context.Context, people []*frontdesk.Person) error {
	conn, err := db.write.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		pc := dc.(*stdlib.Conn).Conn()
		tx, err := pc.Begin(ctx)
		if err != nil {
			return err
		}
		defer tx.Rollback(ctx)
		// Reserve the ids first, so that the rows of person_emails can name them.
		rows, err := tx.Query(ctx, `SELECT nextval(pg_get_serial_sequence('people', 'id')) FROM generate_series(1, $1)`, len(people))
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
		_, err = tx.CopyFrom(ctx, pgx.Identifier{"people"}, cols, pgx.CopyFromSlice(len(people), func(i int) ([]any, error) {
			row := personRow(people[i])
			for j, v := range row {
				if s, ok := v.(string); ok && (j >= 8 && j <= 10 || j == 15) { // the JSON columns
					row[j] = json.RawMessage(s)
				}
			}
			return append([]any{people[i].ID}, row...), nil
		}))
		if err != nil {
			return fmt.Errorf("copy people: %w", err)
		}
		var emails, phones [][]any
		for _, p := range people {
			for i, e := range p.Emails {
				emails = append(emails, []any{e.Address, p.ID, i, b2i(e.Primary), b2i(e.Verified)})
			}
			for _, ph := range p.Phones {
				phones = append(phones, []any{ph.Number, p.ID})
			}
		}
		// In key order the unique indexes grow at their right edge instead of splitting pages.
		byFirst := func(a, b []any) int { return strings.Compare(a[0].(string), b[0].(string)) }
		slices.SortFunc(emails, byFirst)
		slices.SortFunc(phones, byFirst)
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"person_emails"}, []string{"address", "person_id", "position", "is_primary", "verified"}, pgx.CopyFromRows(emails)); err != nil {
			if _, dup := uniqueViolation(err); dup {
				return frontdesk.Errorf(frontdesk.EConflict, "an address in the batch is taken: %v", err)
			}
			return fmt.Errorf("copy emails: %w", err)
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"person_phones"}, []string{"number", "person_id"}, pgx.CopyFromRows(phones)); err != nil {
			return fmt.Errorf("copy phones: %w", err)
		}
		return tx.Commit(ctx)
	})
}
