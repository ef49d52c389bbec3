package store

import (
	"context"
	"encoding/json"
	"fmt"
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
	return db.inTx(ctx, func(tx *Tx) error {
		ins, err := tx.tx.PrepareContext(ctx, `INSERT INTO people (`+personWriteColumns+`) VALUES (`+placeholders(personWriteCount)+`) RETURNING id`)
		if err != nil {
			return err
		}
		defer ins.Close()
		insEmail, err := tx.tx.PrepareContext(ctx, `INSERT INTO person_emails (address, person_id, position, is_primary, verified) VALUES (?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer insEmail.Close()
		insPhone, err := tx.tx.PrepareContext(ctx, `INSERT INTO person_phones (number, person_id) VALUES (?, ?)`)
		if err != nil {
			return err
		}
		defer insPhone.Close()
		for _, p := range people {
			if err := ins.QueryRowContext(ctx, personRow(p)...).Scan(&p.ID); err != nil {
				return err
			}
			for i, e := range p.Emails {
				if _, err := insEmail.ExecContext(ctx, e.Address, p.ID, i, b2i(e.Primary), b2i(e.Verified)); err != nil {
					if _, dup := uniqueViolation(err); dup {
						return frontdesk.Errorf(frontdesk.EConflict, "the address %s is taken", e.Address)
					}
					return err
				}
			}
			for _, ph := range p.Phones {
				if _, err := insPhone.ExecContext(ctx, ph.Number, p.ID); err != nil {
					return err
				}
			}
		}
		return nil
	})
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
