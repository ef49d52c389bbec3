package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	_ "modernc.org/sqlite" // the "sqlite" database/sql driver

	"frontdesk"
	"frontdesk/store"
)

// bareColumns are the columns of people the bare program writes: the ones the store writes.
var bareColumns = []string{"role", "state", "first_name", "middle_name", "last_name", "preferred_name", "first_key", "last_key",
	"emails", "phones", "addresses", "timezone", "locale", "external_id", "notes", "custom", "web_access", "machine", "do_not_email",
	"marketing_opt_in", "organization_id", "site_id", "channel", "banned_until", "ban_reason", "last_login_at", "created_at", "updated_at",
	"staff_role_id", "username", "organization_source"}

// bareRow is a person's people row as a minimal program would make it.
func bareRow(p *frontdesk.Person, now int64) []any {
	emails, _ := json.Marshal(p.Emails)
	phones, _ := json.Marshal(p.Phones)
	var ext, org, site any
	if p.ExternalID != "" {
		ext = p.ExternalID
	}
	if p.OrganizationID != nil {
		org = *p.OrganizationID
	}
	if p.SiteID != nil {
		site = *p.SiteID
	}
	first := strings.ToLower(p.FirstName + " " + p.LastName)
	last := strings.ToLower(p.LastName + " " + p.FirstName)
	return []any{string(p.Role), string(p.State), p.FirstName, "", p.LastName, "", first, last,
		string(emails), string(phones), "[]", "", "", ext, "", "{}", string(p.WebAccess), 0, 0,
		0, org, site, string(p.Channel), nil, "", nil, now, now, nil, nil, string(p.OrganizationSource)}
}

// runBare makes a fresh database with the store's schema (store.Open migrates it, and the
// organizations are made through the store), then inserts the people with a minimal program:
// on SQLite one prepared INSERT per row and table, -bare-batch rows per transaction; on
// PostgreSQL COPY of -bare-batch rows into each table per transaction. Only the inserts
// count.
func runBare(ctx context.Context, o options, g gen, d *database) (*result, error) {
	db, err := store.Open(ctx, d.cfg)
	if err != nil {
		return nil, err
	}
	in, err := createOrgs(ctx, db, g)
	if err == nil {
		err = db.Close()
	} else {
		db.Close()
	}
	if err != nil {
		return nil, err
	}
	r := &result{name: "bare", people: o.people}
	if o.engine == "postgres" {
		err = barePostgres(ctx, o, g, in, d, r)
	} else {
		err = bareSQLite(ctx, o, g, in, d, r)
	}
	return r, err
}

func bareSQLite(ctx context.Context, o options, g gen, in ids, d *database, r *result) error {
	// The store's own connection settings (WAL, synchronous NORMAL, foreign keys on, the
	// writer's 32 MiB page cache), so that the figures compare the code, not the settings.
	dsn := "file:" + filepath.Join(d.dir, "frontdesk.db") + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)" +
		"&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)&_pragma=cache_size(-32768)&_pragma=mmap_size(0)&_pragma=temp_store(MEMORY)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	insPerson := `INSERT INTO people (` + strings.Join(bareColumns, ", ") + `) VALUES (` +
		strings.TrimSuffix(strings.Repeat("?, ", len(bareColumns)), ", ") + `)`
	now := time.Now().UnixMicro()
	last := time.Now()
	for from := 0; from < o.people; from += o.bareBatch {
		to := min(from+o.bareBatch, o.people)
		batch := make([]*frontdesk.Person, 0, to-from)
		for k := from; k < to; k++ {
			batch = append(batch, g.person(k, 0, in))
		}
		c0, t0 := cpuTime(), time.Now()
		err := func() error {
			tx, err := db.BeginTx(ctx, nil)
			if err != nil {
				return err
			}
			defer tx.Rollback()
			person, err := tx.Prepare(insPerson)
			if err != nil {
				return err
			}
			email, err := tx.Prepare(`INSERT INTO person_emails (address, person_id, position, is_primary, verified) VALUES (?, ?, ?, ?, ?)`)
			if err != nil {
				return err
			}
			phone, err := tx.Prepare(`INSERT INTO person_phones (number, person_id) VALUES (?, ?)`)
			if err != nil {
				return err
			}
			for _, p := range batch {
				res, err := person.Exec(bareRow(p, now)...)
				if err != nil {
					return err
				}
				id, err := res.LastInsertId()
				if err != nil {
					return err
				}
				for i, e := range p.Emails {
					if _, err := email.Exec(e.Address, id, i, b2i(e.Primary), b2i(e.Verified)); err != nil {
						return err
					}
				}
				for _, ph := range p.Phones {
					if _, err := phone.Exec(ph.Number, id); err != nil {
						return err
					}
				}
			}
			return tx.Commit()
		}()
		if err != nil {
			return err
		}
		r.took += time.Since(t0)
		r.cpu += cpuTime() - c0
		if time.Since(last) > 5*time.Second || to == o.people {
			fmt.Fprintf(os.Stderr, "  bare: %d/%d, %.0f people/s so far\n", to, o.people, float64(to)/r.took.Seconds())
			last = time.Now()
		}
	}
	return nil
}

func barePostgres(ctx context.Context, o options, g gen, in ids, d *database, r *result) error {
	conn, err := pgx.Connect(ctx, d.url)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	before := d.serverCPU(ctx)
	now := time.Now().UnixMicro()
	cols := append([]string{"id"}, bareColumns...)
	var nextID int64
	last := time.Now()
	for from := 0; from < o.people; from += o.bareBatch {
		to := min(from+o.bareBatch, o.people)
		batch := make([]*frontdesk.Person, 0, to-from)
		for k := from; k < to; k++ {
			batch = append(batch, g.person(k, 0, in))
		}
		c0, t0 := cpuTime(), time.Now()
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			first := nextID + 1
			people := make([][]any, len(batch))
			var emails, phones [][]any
			for i, p := range batch {
				id := first + int64(i)
				row := bareRow(p, now)
				for _, j := range []int{8, 9, 10, 15} { // the JSON columns go as JSON
					row[j] = json.RawMessage(row[j].(string))
				}
				people[i] = append([]any{id}, row...)
				for pos, e := range p.Emails {
					emails = append(emails, []any{e.Address, id, pos, b2i(e.Primary), b2i(e.Verified)})
				}
				for _, ph := range p.Phones {
					phones = append(phones, []any{ph.Number, id})
				}
			}
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{"people"}, cols, pgx.CopyFromRows(people)); err != nil {
				return fmt.Errorf("copy people: %w", err)
			}
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{"person_emails"}, []string{"address", "person_id", "position", "is_primary", "verified"}, pgx.CopyFromRows(emails)); err != nil {
				return fmt.Errorf("copy emails: %w", err)
			}
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{"person_phones"}, []string{"number", "person_id"}, pgx.CopyFromRows(phones)); err != nil {
				return fmt.Errorf("copy phones: %w", err)
			}
			nextID += int64(len(batch))
			return nil
		})
		if err != nil {
			return err
		}
		r.took += time.Since(t0)
		r.cpu += cpuTime() - c0
		if time.Since(last) > 5*time.Second || to == o.people {
			fmt.Fprintf(os.Stderr, "  bare: %d/%d, %.0f people/s so far\n", to, o.people, float64(to)/r.took.Seconds())
			last = time.Now()
		}
	}
	r.dbCPU = cpuSince(before, d.serverCPU(ctx))
	// The identity column must move past the ids given here, as any loader must do.
	if _, err := conn.Exec(ctx, `SELECT setval(pg_get_serial_sequence('people', 'id'), $1)`, nextID); err != nil {
		return err
	}
	if nextID != int64(o.people) {
		return errors.New("bare: not every person was copied")
	}
	return nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
