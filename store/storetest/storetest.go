// Package storetest opens real databases for tests: a fresh SQLite file, and a fresh schema
// on the PostgreSQL server named by FRONTDESK_TEST_POSTGRES_URL. Every storage test runs on
// both, so the two engines keep one contract.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"frontdesk/store"
)

// PostgresURLEnv names the PostgreSQL server tests use; without it they run on SQLite only.
const PostgresURLEnv = "FRONTDESK_TEST_POSTGRES_URL"

// Engines returns the engines to test on.
func Engines() []store.Engine {
	if os.Getenv(PostgresURLEnv) != "" {
		return []store.Engine{store.SQLite, store.Postgres}
	}
	return []store.Engine{store.SQLite}
}

// Each runs fn once per engine as a subtest, with a fresh database.
func Each(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	for _, e := range Engines() {
		t.Run(string(e), func(t *testing.T) {
			fn(t, Open(t, e))
		})
	}
}

// Open returns a fresh, migrated database of the engine, closed when the test ends.
func Open(t testing.TB, e store.Engine, opts ...func(*store.Config)) *store.DB {
	t.Helper()
	cfg := Config(t, e)
	for _, o := range opts {
		o(&cfg)
	}
	db, err := store.Open(context.Background(), cfg)
	if err != nil {
		t.Fatalf("open %s: %v", e, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// Config returns the configuration of a fresh database of the engine: a new temporary folder
// for SQLite, a new schema for PostgreSQL, both removed when the test ends.
func Config(t testing.TB, e store.Engine) store.Config {
	t.Helper()
	if e == store.SQLite {
		return store.Config{DataDir: t.TempDir()}
	}
	base := os.Getenv(PostgresURLEnv)
	if base == "" {
		t.Fatalf("%s is not set", PostgresURLEnv)
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 6)
	rand.Read(buf)
	schema := "t_" + hex.EncodeToString(buf)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		admin.Exec("DROP SCHEMA " + schema + " CASCADE")
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return store.Config{URL: u.String()}
}
