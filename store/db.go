// Package store keeps Frontdesk's data in an embedded SQLite file or in PostgreSQL. Both
// engines share one contract (the methods of DB) and one test suite; the few places where
// their SQL differs ask the dialect.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"modernc.org/sqlite"

	"frontdesk"
)

//go:embed migrations
var migrations embed.FS

// Engine names a database engine.
type Engine string

// Engines.
const (
	SQLite   Engine = "sqlite"
	Postgres Engine = "postgres"
)

// Config says where the data lives: PostgreSQL when URL is set, else SQLite under DataDir.
type Config struct {
	URL     string
	DataDir string
	Logger  *slog.Logger
	// Now is the clock; tests set it. Nil means time.Now.
	Now func() time.Time
}

// DB is Frontdesk's storage. On SQLite all writes go through one connection (SQLite has a
// single writer; queueing in Go is cheaper than retrying on SQLITE_BUSY) and reads through a
// pool. On PostgreSQL both are the same pool, and several processes can share the database.
type DB struct {
	engine Engine
	write  *sql.DB
	read   *sql.DB
	now    func() time.Time
	log    *slog.Logger
	stop   chan struct{}
	done   chan struct{}
	// checkpointer is SQLite's connection for checkpoints (nil on PostgreSQL).
	checkpointer *sql.DB
	closeOnce    sync.Once
	// stmts caches prepared statements by pool and query text (SQLite only).
	stmts  sync.Map
	nstmts atomic.Int64
	// cached custom field definitions (CustomFieldMap)
	fieldsMu sync.Mutex
	// settings is the cache of GetSettings; settingsGen moves on every change of them.
	settings    atomic.Pointer[settingsCache]
	settingsGen atomic.Uint64
	fields      map[string]*frontdesk.CustomField
	fieldsAt    time.Time
}

// Open opens the database, applies pending migrations and returns it ready.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	db := &DB{now: cfg.Now, log: cfg.Logger, stop: make(chan struct{}), done: make(chan struct{})}
	if db.now == nil {
		db.now = time.Now
	}
	if db.log == nil {
		db.log = slog.New(slog.DiscardHandler)
	}
	var err error
	if cfg.URL != "" {
		err = db.openPostgres(cfg.URL)
	} else {
		err = db.openSQLite(cfg.DataDir)
	}
	if err != nil {
		return nil, err
	}
	if err := db.Migrate(ctx); err != nil {
		db.closeConns()
		return nil, err
	}
	go db.maintain()
	return db, nil
}

func (db *DB) openPostgres(url string) error {
	db.engine = Postgres
	conn, err := sql.Open("pgx", url)
	if err != nil {
		return fmt.Errorf("open postgres: %w", err)
	}
	conn.SetMaxOpenConns(4 * runtime.GOMAXPROCS(0))
	conn.SetMaxIdleConns(4 * runtime.GOMAXPROCS(0))
	conn.SetConnMaxIdleTime(5 * time.Minute)
	db.write, db.read = conn, conn
	return nil
}

func (db *DB) openSQLite(dir string) error {
	db.engine = SQLite
	if dir == "" {
		dir = "data"
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create data folder: %w", err)
	}
	path := filepath.Join(dir, "frontdesk.db")
	// The page cache is per connection: 8 MiB on each of the 1+4 connections keeps memory
	// bounded (at 64 MiB each a long run grew past 300 MiB), and the OS page cache holds the
	// rest of the file. No mmap: mapped pages count towards the process's RSS.
	base := "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)" +
		"&_pragma=foreign_keys(1)&_pragma=cache_size(-8192)&_pragma=mmap_size(0)&_pragma=temp_store(MEMORY)"
	// The checkpointer (maintain) copies the WAL back into the database every checkpointEvery
	// on a connection of its own, so that the copy is not in any writer's commit; the writer
	// checkpoints itself only when the WAL outgrows writerCheckpointPages anyway (a bulk load
	// outruns the checkpointer), which bounds the WAL. The writer keeps a larger cache, since
	// every write goes through it.
	w, err := sql.Open("sqlite", strings.Replace(base, "cache_size(-8192)", "cache_size(-32768)", 1)+
		"&_txlock=immediate&_pragma=wal_autocheckpoint("+strconv.Itoa(writerCheckpointPages)+")")
	if err != nil {
		return fmt.Errorf("open sqlite: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	r, err := sql.Open("sqlite", base+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return fmt.Errorf("open sqlite: %w", err)
	}
	n := min(2*runtime.GOMAXPROCS(0), 8)
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	r.SetConnMaxLifetime(0)
	c, err := sql.Open("sqlite", base)
	if err != nil {
		w.Close()
		r.Close()
		return fmt.Errorf("open sqlite: %w", err)
	}
	c.SetMaxOpenConns(1)
	db.write, db.read, db.checkpointer = w, r, c
	return nil
}

// writerCheckpointPages is the WAL size, in pages, at which the writer checkpoints itself.
const writerCheckpointPages = 20000

// checkpointEvery is how often the checkpointer copies the WAL into the database on SQLite.
const checkpointEvery = 200 * time.Millisecond

// checkpoint copies what it can of the WAL into the database without waiting for readers
// or the writer (PASSIVE), as SQLite's automatic checkpoint would, but outside commits.
func (db *DB) checkpoint() {
	if db.checkpointer == nil {
		return
	}
	if _, err := db.checkpointer.ExecContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)"); err != nil && db.log != nil {
		db.log.Warn("checkpoint failed", "err", err)
	}
}

// Engine returns the engine in use.
func (db *DB) Engine() Engine { return db.engine }

// Migrate applies every pending migration. On PostgreSQL a session lock keeps several
// starting processes from migrating at once.
func (db *DB) Migrate(ctx context.Context) error {
	dialect, dir := goose.DialectSQLite3, "migrations/sqlite"
	// Migrations of work merged side by side may land out of order; each stands alone.
	opts := []goose.ProviderOption{goose.WithAllowOutofOrder(true)}
	if db.engine == Postgres {
		dialect, dir = goose.DialectPostgres, "migrations/postgres"
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	sub, err := fs.Sub(migrations, dir)
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(dialect, db.write, sub, opts...)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	results, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for _, r := range results {
		db.log.Info("migration applied", "version", r.Source.Version, "took", r.Duration.String())
	}
	if len(results) > 0 {
		db.Optimize(ctx)
	}
	return nil
}

// Optimize refreshes the planner's statistics. SQLite picks bad plans without them, and a
// bulk load changes them most.
func (db *DB) Optimize(ctx context.Context) {
	var err error
	if db.engine == SQLite {
		_, err = db.write.ExecContext(ctx, "PRAGMA optimize=0x10002")
	} else {
		_, err = db.write.ExecContext(ctx, "ANALYZE")
	}
	if err != nil {
		db.log.Warn("optimize", "err", err)
	}
}

// optimizeEvery is how often the server refreshes SQLite's statistics. PRAGMA optimize only
// analyzes tables whose size changed a lot since their last analysis, and then only a sample
// of each index, so a run costs milliseconds; often enough that plans follow a table that
// grows from nothing to millions within an hour.
const optimizeEvery = 5 * time.Minute

// maintain keeps statistics fresh while the server runs.
func (db *DB) maintain() {
	defer close(db.done)
	t := time.NewTicker(optimizeEvery)
	defer t.Stop()
	var ckpt <-chan time.Time
	if db.checkpointer != nil {
		c := time.NewTicker(checkpointEvery)
		defer c.Stop()
		ckpt = c.C
	}
	for {
		select {
		case <-db.stop:
			return
		case <-ckpt:
			db.checkpoint()
		case <-t.C:
			if db.engine == SQLite {
				db.Optimize(context.Background())
			}
		}
	}
}

// Ping checks that the database answers (readiness).
func (db *DB) Ping(ctx context.Context) error {
	var one int
	return db.read.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}

// Close stops background work and closes the connections; calling it again does nothing.
func (db *DB) Close() error {
	var err error
	db.closeOnce.Do(func() {
		close(db.stop)
		<-db.done
		if db.engine == SQLite {
			db.write.ExecContext(context.Background(), "PRAGMA optimize")
		}
		err = db.closeConns()
	})
	return err
}

func (db *DB) closeConns() error {
	db.stmts.Range(func(k, v any) bool {
		v.(*sql.Stmt).Close()
		return true
	})
	err := db.write.Close()
	if db.read != db.write {
		err = errors.Join(err, db.read.Close())
	}
	if db.checkpointer != nil {
		db.checkpointer.ExecContext(context.Background(), "PRAGMA wal_checkpoint(TRUNCATE)")
		err = errors.Join(err, db.checkpointer.Close())
	}
	return err
}

// Tx is a write transaction with the time it started, which every row it writes uses.
type Tx struct {
	tx  *sql.Tx
	db  *DB
	now time.Time
	// stmts are the statements prepared in this transaction on SQLite, which parses every
	// statement anew unless prepared: a batch of requests (Batcher) runs the same ones many
	// times. They close with the transaction.
	stmts map[string]*sql.Stmt
	// settingsChanged is set once the transaction wrote the settings: it reads them fresh.
	settingsChanged bool
}

type txKey struct{}

// WithTx runs fn in one write transaction; store methods called with the context fn gets join
// it, so that a flow's steps (a change and the mail it causes) commit or fail together.
func (db *DB) WithTx(ctx context.Context, fn func(ctx context.Context) error) error {
	return db.inTx(ctx, func(tx *Tx) error {
		return fn(context.WithValue(ctx, txKey{}, tx))
	})
}

type txGuardKey struct{}

type txGuard struct {
	db *DB
	fn func(ctx context.Context) error
}

// WithTxGuard returns a context whose every new write transaction on db first runs guard in
// that transaction, and is rolled back when guard fails. A job's runner checks and renews its
// lease this way, so that a handler whose lease another instance took over can commit
// nothing more (see jobs.Runner).
func (db *DB) WithTxGuard(ctx context.Context, guard func(ctx context.Context) error) context.Context {
	return context.WithValue(ctx, txGuardKey{}, txGuard{db: db, fn: guard})
}

// inTx runs fn in the transaction of ctx when there is one, else in a new one.
func (db *DB) inTx(ctx context.Context, fn func(tx *Tx) error) error {
	if tx, ok := ctx.Value(txKey{}).(*Tx); ok && tx.db == db {
		return fn(tx)
	}
	sqlTx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	tx := &Tx{tx: sqlTx, db: db, now: db.now().UTC().Truncate(time.Microsecond)}
	defer sqlTx.Rollback()
	if g, ok := ctx.Value(txGuardKey{}).(txGuard); ok && g.db == db {
		if err := g.fn(context.WithValue(ctx, txKey{}, tx)); err != nil {
			return err
		}
	}
	if err := fn(tx); err != nil {
		// Explain a conflict only once the transaction is over: PostgreSQL refuses every
		// statement after an error, and a second connection taken while this one is held
		// could wait forever for a pool that concurrent requests have exhausted.
		sqlTx.Rollback()
		return db.explainConflict(ctx, err)
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// reader returns what to read with: the enclosing transaction, so a flow sees its own writes,
// or the read pool.
func (db *DB) reader(ctx context.Context) querier {
	if tx, ok := ctx.Value(txKey{}).(*Tx); ok && tx.db == db {
		return tx
	}
	return dbQuerier{db}
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

type dbQuerier struct{ db *DB }

func (q dbQuerier) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := q.db.prepared(ctx, q.db.read, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return q.db.read.QueryContext(ctx, q.db.rebind(query), args...)
}

func (q dbQuerier) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := q.db.prepared(ctx, q.db.read, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return q.db.read.QueryRowContext(ctx, q.db.rebind(query), args...)
}

// ExecContext runs a statement in the transaction, with ? placeholders.
func (tx *Tx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := tx.prepared(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return tx.tx.ExecContext(ctx, tx.db.rebind(query), args...)
}

// QueryContext runs a query in the transaction, with ? placeholders.
func (tx *Tx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := tx.prepared(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return tx.tx.QueryContext(ctx, tx.db.rebind(query), args...)
}

// QueryRowContext runs a one-row query in the transaction, with ? placeholders.
func (tx *Tx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := tx.prepared(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return tx.tx.QueryRowContext(ctx, tx.db.rebind(query), args...)
}

// maxTxPrepared bounds the statements one transaction keeps prepared.
const maxTxPrepared = 256

// prepared returns the statement for query prepared in this transaction on SQLite, or nil.
// Savepoint statements are not kept: they are cheap and name nothing to reuse.
func (tx *Tx) prepared(ctx context.Context, query string) *sql.Stmt {
	if tx.db.engine != SQLite || strings.HasPrefix(query, "SAVEPOINT") || strings.HasPrefix(query, "RELEASE") || strings.HasPrefix(query, "ROLLBACK") {
		return nil
	}
	if st, ok := tx.stmts[query]; ok {
		return st
	}
	if len(tx.stmts) >= maxTxPrepared {
		return nil
	}
	if pooled, ok := tx.db.stmts.Load(stmtKey{tx.db.write, query}); ok {
		// Prepared on the write connection already (Batcher.warm): no parsing at all.
		st := tx.tx.StmtContext(ctx, pooled.(*sql.Stmt))
		if tx.stmts == nil {
			tx.stmts = map[string]*sql.Stmt{}
		}
		tx.stmts[query] = st
		return st
	}
	st, err := tx.tx.PrepareContext(ctx, query)
	if err != nil {
		return nil // the plain statement reports the error
	}
	if tx.stmts == nil {
		tx.stmts = map[string]*sql.Stmt{}
	}
	tx.stmts[query] = st
	return st
}

// maxPrepared bounds the statement cache; queries past it run unprepared.
const maxPrepared = 512

type stmtKey struct {
	pool  *sql.DB
	query string
}

// prepared returns a cached prepared statement for query on pool, or nil when statements are
// not cached. SQLite parses every statement anew unless prepared, which costs more than the
// lookup itself; pgx already caches statements on PostgreSQL, so only SQLite uses this. Only
// the read pool uses it: preparing on the single write connection while a transaction holds
// it would wait forever.
func (db *DB) prepared(ctx context.Context, pool *sql.DB, query string) *sql.Stmt {
	if db.engine != SQLite {
		return nil
	}
	key := stmtKey{pool, query}
	if st, ok := db.stmts.Load(key); ok {
		return st.(*sql.Stmt)
	}
	if db.nstmts.Load() >= maxPrepared {
		return nil
	}
	st, err := pool.PrepareContext(context.WithoutCancel(ctx), query)
	if err != nil {
		return nil // the plain query reports the error
	}
	if prev, loaded := db.stmts.LoadOrStore(key, st); loaded {
		st.Close()
		return prev.(*sql.Stmt)
	}
	db.nstmts.Add(1)
	return st
}

// insert runs an INSERT ... RETURNING id and returns the id.
func (tx *Tx) insert(ctx context.Context, query string, args ...any) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, query+" RETURNING id", args...).Scan(&id)
	return id, err
}

// rebind turns ? placeholders into PostgreSQL's $n. Queries here never hold a literal ?.
func (db *DB) rebind(q string) string {
	if db.engine != Postgres || !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

// uniqueViolation reports whether err broke a unique index and names the index or column,
// as each engine words it.
func uniqueViolation(err error) (string, bool) {
	var se *sqlite.Error
	if errors.As(err, &se) {
		// SQLITE_CONSTRAINT_UNIQUE and SQLITE_CONSTRAINT_PRIMARYKEY
		if se.Code() == 2067 || se.Code() == 1555 {
			return se.Error(), true
		}
		return "", false
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" {
		return pe.ConstraintName + " " + pe.Message, true
	}
	return "", false
}

func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(v int64) time.Time { return time.UnixMicro(v).UTC() }

func nullMicros(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixMicro()
}

func fromNullMicros(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMicros(v.Int64)
	return &t
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func nullID(id *int64) any {
	if id == nil {
		return nil
	}
	return *id
}

func fromNullID(v sql.NullInt64) *int64 {
	if !v.Valid {
		return nil
	}
	id := v.Int64
	return &id
}

func notFound(what string, id any) error {
	return frontdesk.Errorf(frontdesk.ENotFound, "%s %v was not found", what, id)
}

func splitComma(s string) []string {
	parts := strings.Split(s, ",")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return parts
}

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

// countable are the tables CountRows counts.
var countable = map[string]bool{"people": true, "tickets": true, "ticket_messages": true, "held_requests": true,
	"ticket_links": true, "person_identities": true, "outbox": true, "inbound_messages": true}

// CountRows counts the rows of one of the main tables, for benchmarks and tests that check
// that nothing was made (or made twice).
func (db *DB) CountRows(ctx context.Context, table string) (int, error) {
	if !countable[table] {
		return 0, fmt.Errorf("store: CountRows does not count %q", table)
	}
	var n int
	err := db.reader(ctx).QueryRowContext(ctx, `SELECT count(*) FROM `+table).Scan(&n)
	return n, err
}
