package store

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"
)

// Helpers of the plan tests: a database as a fresh install has it, with no statistics, so
// that a statement's plan shows what the indexes alone give.

// freshSQLite opens a new SQLite database and forgets the statistics Open recorded.
func freshSQLite(t *testing.T) *DB {
	t.Helper()
	db, err := Open(context.Background(), Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	for _, table := range []string{"sqlite_stat1", "sqlite_stat4"} {
		if _, err := db.write.Exec("DROP TABLE IF EXISTS " + table); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

// postgresPlanConn opens a new PostgreSQL schema with the migrations applied and returns a
// connection to it with sequential scans off: with few rows and no statistics PostgreSQL
// rightly prefers reading the table, and what the check must show is that an index matches.
func postgresPlanConn(t *testing.T) (*DB, *sql.Conn) {
	t.Helper()
	base := os.Getenv("FRONTDESK_TEST_POSTGRES_URL")
	if base == "" {
		t.Skip("FRONTDESK_TEST_POSTGRES_URL is not set")
	}
	ctx := context.Background()
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	schema := fmt.Sprintf("plan_%d", time.Now().UnixNano())
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE") })
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	db, err := Open(ctx, Config{URL: u.String()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	conn, err := db.write.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if _, err := conn.ExecContext(ctx, "SET enable_seqscan = off"); err != nil {
		t.Fatal(err)
	}
	return db, conn
}

// sqlitePlan returns the lines of SQLite's EXPLAIN QUERY PLAN for query.
func sqlitePlan(t *testing.T, db *DB, what, query string, args ...any) []string {
	t.Helper()
	rows, err := db.write.Query("EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatalf("%s: %v\n%s", what, err, query)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	return plan
}

// postgresPlan returns PostgreSQL's EXPLAIN of query, one line a node, on conn.
func postgresPlan(t *testing.T, db *DB, conn *sql.Conn, what, query string, args ...any) string {
	t.Helper()
	rows, err := conn.QueryContext(context.Background(), "EXPLAIN "+db.rebind(query), args...)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, line)
	}
	return strings.Join(plan, "\n")
}
