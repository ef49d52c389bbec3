package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver, for the schemas

	"frontdesk/store"
)

// database is one fresh database of the run: a new SQLite folder or a new PostgreSQL schema,
// migrated by store.Open so that its tables and indexes are the store's.
type database struct {
	cfg store.Config
	// dir is the SQLite folder; url the PostgreSQL URL with the schema as search_path.
	dir, url string
	app      string
	admin    *sql.DB
	drop     func() error
}

func newDatabase(ctx context.Context, o options, root, name string) (*database, error) {
	if o.engine == "sqlite" {
		dir := filepath.Join(root, name)
		if _, err := os.Stat(filepath.Join(dir, "frontdesk.db")); err == nil {
			return nil, fmt.Errorf("%s already holds a database; give an empty -data folder", dir)
		}
		d := &database{cfg: store.Config{DataDir: dir}, dir: dir}
		d.drop = func() error {
			if o.keep {
				return nil
			}
			return os.RemoveAll(dir)
		}
		return d, nil
	}
	if !strings.HasPrefix(o.url, "postgres://") && !strings.HasPrefix(o.url, "postgresql://") {
		return nil, errors.New("-database-url must start with postgres:// or postgresql://")
	}
	u, err := url.Parse(o.url)
	if err != nil {
		return nil, fmt.Errorf("-database-url: %w", err)
	}
	admin, err := sql.Open("pgx", o.url)
	if err != nil {
		return nil, err
	}
	buf := make([]byte, 5)
	rand.Read(buf)
	schema := "bench_import_" + name + "_" + hex.EncodeToString(buf)
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if _, err := admin.ExecContext(cctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		return nil, fmt.Errorf("create schema: %w", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	app := "frontdesk-bench-" + schema
	q.Set("application_name", app)
	u.RawQuery = q.Encode()
	d := &database{cfg: store.Config{URL: u.String()}, url: u.String(), app: app, admin: admin}
	d.drop = func() error {
		defer admin.Close()
		if o.keep {
			fmt.Fprintf(os.Stderr, "kept the PostgreSQL schema %s\n", schema)
			return nil
		}
		dctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		_, err := admin.ExecContext(dctx, "DROP SCHEMA "+schema+" CASCADE")
		return err
	}
	return d, nil
}

// cliFlag is how the CLI is pointed at the database.
func (d *database) cliFlag() []string {
	if d.url != "" {
		return []string{"--database-url", d.url}
	}
	return []string{"--data", d.dir}
}

// serverCPU snapshots the CPU time of the PostgreSQL backends serving this database, when
// the server runs on this machine; nil otherwise.
func (d *database) serverCPU(ctx context.Context) map[int]time.Duration {
	if d.admin == nil {
		return nil
	}
	m := map[int]time.Duration{}
	rows, err := d.admin.QueryContext(ctx, "SELECT pid FROM pg_stat_activity WHERE application_name = $1", d.app)
	if err != nil {
		return m
	}
	defer rows.Close()
	for rows.Next() {
		var pid int
		if rows.Scan(&pid) == nil {
			if c, ok := procCPU(pid); ok {
				m[pid] = c
			}
		}
	}
	return m
}

func cpuSince(before, after map[int]time.Duration) time.Duration {
	var d time.Duration
	for pid, a := range after {
		d += a - before[pid]
	}
	return d
}

// procCPU reads a process's CPU time (user and system) from /proc.
func procCPU(pid int) (time.Duration, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false
	}
	// The command name, in parentheses, may hold spaces; the fields after it are fixed.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, false
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return time.Duration(ut+st) * 10 * time.Millisecond, true
}

// procRSS reads a process's resident memory from /proc, in bytes.
func procRSS(pid int) (int64, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest)
			if len(f) >= 1 {
				kb, err := strconv.ParseInt(f[0], 10, 64)
				return kb << 10, err == nil
			}
		}
	}
	return 0, false
}
