// Command people measures Frontdesk's people paths at scale: it loads N realistic people
// into a fresh store through store.BulkInsertPeople, then drives the real API over loopback
// TCP with concurrent keep-alive clients, and prints throughput and exact latency
// percentiles for creating people, finding a person by address and autosuggest.
//
// It only ever writes to a database it made: a new temporary folder (or an empty one given
// with -data) for SQLite, a new schema for PostgreSQL; both are removed at the end unless
// -keep is given. See bench/README.md.
package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver, for the schema

	"frontdesk"
	"frontdesk/api"
	"frontdesk/store"
)

type options struct {
	engine      string
	url         string
	people      int
	batch       int
	duration    time.Duration
	warmup      time.Duration
	clients     int
	loadWorkers int
	dataDir     string
	keep        bool
	cpuprofile  string
	seed        uint64
	soak        time.Duration
	soakEvery   time.Duration
	directory   bool
}

func main() {
	var o options
	fs := flag.NewFlagSet("people", flag.ExitOnError)
	fs.StringVar(&o.engine, "engine", "sqlite", "database engine: sqlite or postgres")
	fs.StringVar(&o.url, "database-url", os.Getenv("FRONTDESK_TEST_POSTGRES_URL"),
		"PostgreSQL server URL for -engine postgres (default $FRONTDESK_TEST_POSTGRES_URL); a new schema is made in it and dropped")
	fs.IntVar(&o.people, "people", 1_000_000, "people to load before the HTTP phases")
	fs.IntVar(&o.batch, "batch", 10_000, "people per BulkInsertPeople call")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "measured time of each HTTP phase")
	fs.DurationVar(&o.warmup, "warmup", time.Second, "unmeasured time before each HTTP phase")
	fs.IntVar(&o.clients, "clients", 8, "concurrent HTTP clients")
	fs.IntVar(&o.loadWorkers, "load-workers", 1, "concurrent BulkInsertPeople calls while loading (SQLite has one writer, so more only help PostgreSQL)")
	fs.StringVar(&o.dataDir, "data", "", "SQLite folder; must not hold a database yet (default: a new temporary folder)")
	fs.BoolVar(&o.keep, "keep", false, "keep the SQLite files or the PostgreSQL schema at the end")
	fs.StringVar(&o.cpuprofile, "cpuprofile", "", "write CPU profiles of each phase to `PREFIX`.load.pprof, .create.pprof, .get.pprof, .suggest.pprof and .request.pprof")
	fs.Uint64Var(&o.seed, "seed", 1, "seed of the generated people and of the clients' random choices")
	fs.DurationVar(&o.soak, "soak", 0, "instead of the phases, run the whole server (API, flows, mail worker to an SMTP sink) on a fresh database and create people from -clients clients for this long, printing rate, p99, mail backlog and RSS every -soak-every")
	fs.BoolVar(&o.directory, "directory", false, "instead of the API phases, measure the console's people directory (a staff session's first page with a filter, a search, both)")
	fs.DurationVar(&o.soakEvery, "soak-every", time.Minute, "interval of the soak's lines")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: go run ./bench/people [flags]\n\n")
		fs.PrintDefaults()
	}
	fs.Parse(os.Args[1:])
	if fs.NArg() > 0 {
		fs.Usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, o, os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "people:", err)
		os.Exit(1)
	}
}

func (o options) check() error {
	var probs []string
	switch o.engine {
	case "sqlite":
	case "postgres":
		if o.url == "" {
			probs = append(probs, "-engine postgres needs -database-url")
		}
	default:
		probs = append(probs, fmt.Sprintf("-engine %q is not sqlite or postgres", o.engine))
	}
	if o.people < 1 || o.people > 1<<31 {
		probs = append(probs, "-people must be from 1 to 2^31")
	}
	if o.batch < 1 {
		probs = append(probs, "-batch must be positive")
	}
	if o.clients < 1 || o.loadWorkers < 1 {
		probs = append(probs, "-clients and -load-workers must be positive")
	}
	if o.soak < 0 || o.soakEvery <= 0 {
		probs = append(probs, "-soak must not be negative and -soak-every must be positive")
	}
	if o.duration <= 0 || o.warmup < 0 {
		probs = append(probs, "-duration must be positive and -warmup not negative")
	}
	if len(probs) > 0 {
		return errors.New(strings.Join(probs, "; "))
	}
	return nil
}

// loadResult is what loading the people measured.
type loadResult struct {
	people     int
	rows       int // people, addresses and phones
	insert     time.Duration
	wall       time.Duration
	cpu        time.Duration   // CPU time of this process while loading, making the people included
	dbCPU      time.Duration   // CPU time of the PostgreSQL server's processes, when seen
	batches    []time.Duration // sorted
	firstRate  float64         // people/s over the first tenth of the batches
	lastRate   float64         // and over the last tenth
	optimize   time.Duration
	size       int64
	sizeDetail string
}

func (l *loadResult) rate() float64 { return float64(l.people) / l.insert.Seconds() }

func run(ctx context.Context, o options, out io.Writer) (err error) {
	if err := o.check(); err != nil {
		return err
	}
	logger := slog.New(&limitHandler{Handler: slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}), left: 20})
	g := gen{seed: mix64(o.seed)}
	if o.soak > 0 {
		return runSoak(ctx, o, out, logger, g)
	}

	target, err := prepare(ctx, o)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, target.cleanup()) }()
	target.cfg.Logger = logger
	db, err := store.Open(ctx, target.cfg)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, db.Close()) }()

	info := []string{
		fmt.Sprintf("engine\t%s", o.engine),
		fmt.Sprintf("people\t%d (batches of %d, %d loading at once)", o.people, o.batch, o.loadWorkers),
		fmt.Sprintf("clients\t%d, %s per HTTP phase after %s warm-up", o.clients, o.duration, o.warmup),
		fmt.Sprintf("GOMAXPROCS\t%d (NumCPU %d), %s %s/%s", runtime.GOMAXPROCS(0), runtime.NumCPU(), runtime.Version(), runtime.GOOS, runtime.GOARCH),
		fmt.Sprintf("load average\t%s at the start", loadAverage()),
	}
	if v := target.version(ctx, db); v != "" {
		info = append(info, "server\t"+v)
	}
	for _, l := range info {
		fmt.Fprintln(os.Stderr, strings.ReplaceAll(l, "\t", ": "))
	}

	if err := checkSample(g); err != nil {
		return err
	}

	if o.directory {
		if g.mix, err = newDirectoryMix(ctx, db); err != nil {
			return err
		}
	}

	// 1. Bulk load.
	stopProfile, err := startProfile(o.cpuprofile, "load")
	if err != nil {
		return err
	}
	snap := target.snapshot(ctx)
	load, err := loadPeople(ctx, db, g, o)
	stopProfile()
	if err != nil {
		return fmt.Errorf("load: %w", err)
	}
	load.dbCPU = target.since(ctx, snap)
	t0 := time.Now()
	db.Optimize(ctx)
	load.optimize = time.Since(t0)
	load.size, load.sizeDetail = target.size(ctx)
	fmt.Fprintf(os.Stderr, "loaded %d people in %s (%.0f people/s); optimize took %s\n",
		load.people, load.insert.Round(time.Millisecond), load.rate(), load.optimize.Round(time.Millisecond))

	// 2. An owner with a token, and the real API on a loopback port.
	token, err := ownerToken(ctx, db)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	var handler http.Handler = api.New(db, api.Config{PhoneRegion: "US", Logger: logger, TrustedProxies: benchProxies})
	var cookie string
	if o.directory {
		if handler, cookie, err = directoryHandler(ctx, db, "http://"+ln.Addr().String()); err != nil {
			return err
		}
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	go srv.Serve(ln)
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	c := newClient("http://"+ln.Addr().String(), token, o.clients)
	defer c.close()
	guests := newClient("http://"+ln.Addr().String(), "", o.clients)
	defer guests.close()

	// 3. The HTTP phases.
	next := &atomic.Int64{}
	next.Store(int64(o.people) + 1) // beyond every loaded person
	var suggested atomic.Int64
	phases := []phase{
		{"create-person", "create", createPerson(c, g, next)},
		{"get-by-email", "get", getByEmail(c, g, o.people)},
		{"autosuggest", "suggest", suggest(c, g, o.people, &suggested)},
		{"guest-request", "request", guestRequest(guests, g, next)},
	}
	if o.directory {
		c.cookie = cookie
		phases = directoryPhases(c, g, o.people)
	}
	var results []*result
	for i, p := range phases {
		seed := o.seed*1000 + uint64(i)*10
		if o.warmup > 0 {
			runPhase(ctx, p.name, o.clients, o.warmup, seed, p.fn)
		}
		suggested.Store(0)
		stopProfile, err := startProfile(o.cpuprofile, p.profile)
		if err != nil {
			return err
		}
		snap := target.snapshot(ctx)
		r := runPhase(ctx, p.name, o.clients, o.duration, seed+1, p.fn)
		stopProfile()
		r.dbCPU = target.since(ctx, snap)
		if err := ctx.Err(); err != nil {
			return err
		}
		if p.profile == "suggest" && r.ok > 0 {
			r.extra = fmt.Sprintf("%.1f people per answer", float64(suggested.Load())/float64(r.ok))
		}
		fmt.Fprintf(os.Stderr, "%s: %d requests, %.0f/s, p50 %s, p99 %s, %d errors\n",
			r.name, r.ok, r.rate(), fmtDur(r.pct(50)), fmtDur(r.pct(99)), r.errors)
		results = append(results, r)
	}

	info = append(info, fmt.Sprintf("load average\t%s at the end", loadAverage()))
	report(out, o, info, load, results)
	return nil
}

// phase is one measured kind of request.
type phase struct {
	name, profile string
	fn            op
}

// loadPeople makes the people batch by batch and stores each batch with BulkInsertPeople,
// from -load-workers goroutines at once. With one worker only the store's time counts
// towards the rate; with several, the wall time of the whole load does.
func loadPeople(ctx context.Context, db *store.DB, g gen, o options) (*loadResult, error) {
	l := &loadResult{people: o.people, rows: 3 * o.people} // one person, address and phone each
	nb := (o.people + o.batch - 1) / o.batch
	l.batches = make([]time.Duration, nb)
	start, cpu0 := time.Now(), cpuTime()
	var next, done atomic.Int64
	var reportMu sync.Mutex
	lastReport := start
	errs := make([]error, o.loadWorkers)
	var wg sync.WaitGroup
	for w := range o.loadWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				b := int(next.Add(1) - 1)
				if b >= nb || ctx.Err() != nil {
					return
				}
				from := b * o.batch
				batch := make([]*frontdesk.Person, min(o.batch, o.people-from))
				for i := range batch {
					batch[i] = g.person(from + i)
				}
				t0 := time.Now()
				if err := db.BulkInsertPeople(ctx, batch); err != nil {
					errs[w] = err
					return
				}
				l.batches[b] = time.Since(t0)
				n := done.Add(int64(len(batch)))
				reportMu.Lock()
				if time.Since(lastReport) > 10*time.Second {
					lastReport = time.Now()
					fmt.Fprintf(os.Stderr, "  %d/%d people, %.0f people/s so far\n", n, o.people, float64(n)/time.Since(start).Seconds())
				}
				reportMu.Unlock()
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	l.wall, l.cpu = time.Since(start), cpuTime()-cpu0
	for _, d := range l.batches {
		l.insert += d
	}
	if o.loadWorkers > 1 {
		l.insert = l.wall
	}
	// The rate over the first and last tenth of the batches shows how the growing indexes
	// slow the load down. With several workers, their batches overlap by about that many.
	tenth := max(1, nb/10)
	rateOf := func(bs []time.Duration, people int) float64 {
		var sum time.Duration
		for _, b := range bs {
			sum += b
		}
		return float64(people) / (sum.Seconds() / float64(o.loadWorkers))
	}
	l.firstRate = rateOf(l.batches[:tenth], min(tenth*o.batch, o.people))
	l.lastRate = rateOf(l.batches[nb-tenth:], o.people-(nb-tenth)*o.batch)
	slices.Sort(l.batches)
	return l, nil
}

// checkSample makes sure that generated people are what the API itself would store: their
// addresses and phones come back unchanged from the domain's normalization.
func checkSample(g gen) error {
	for k := range 20_000 {
		a, p := g.address(k), g.phone(k)
		if n, err := frontdesk.NormalizeEmail(a); err != nil || n != a {
			return fmt.Errorf("generated address %q is not normalized: %v", a, err)
		}
		if n, err := frontdesk.NormalizePhone(p, "US"); err != nil || n != p {
			return fmt.Errorf("generated phone %q is not a valid E.164 number: %v", p, err)
		}
	}
	return nil
}

// ownerToken creates the owner and an API token straight in the store, as an operator does
// with frontdesk owner create and frontdesk token create.
func ownerToken(ctx context.Context, db *store.DB) (string, error) {
	p := frontdesk.NewPerson(frontdesk.ChannelCLI)
	name, role, email := "Bench Owner", frontdesk.RoleOwner, "owner@frontdesk-bench.example"
	if err := frontdesk.ApplyPerson(p, frontdesk.PersonInput{Name: &name, Role: &role, Email: &email}, frontdesk.Rules{PhoneRegion: "US"}); err != nil {
		return "", err
	}
	p.State = frontdesk.StateActive
	if err := db.CreatePerson(ctx, p); err != nil {
		return "", fmt.Errorf("create owner: %w", err)
	}
	return db.CreateAPIToken(ctx, p.ID, "bench")
}

// target is the fresh database the run uses and how to remove it.
type target struct {
	cfg     store.Config
	cleanup func() error
	version func(ctx context.Context, db *store.DB) string
	size    func(ctx context.Context) (int64, string)
	// serverCPU snapshots the CPU time used so far by each of the database server's
	// processes that serve this run; nil when it cannot be seen (SQLite runs in-process).
	serverCPU func(ctx context.Context) map[int]time.Duration
}

func (t *target) snapshot(ctx context.Context) map[int]time.Duration {
	if t.serverCPU == nil {
		return nil
	}
	return t.serverCPU(ctx)
}

func (t *target) since(ctx context.Context, before map[int]time.Duration) time.Duration {
	if t.serverCPU == nil {
		return 0
	}
	return cpuSince(before, t.serverCPU(ctx))
}

// cpuSince returns the CPU time the server's processes used between two snapshots; a
// process that started in between counts whole.
func cpuSince(before, after map[int]time.Duration) time.Duration {
	var d time.Duration
	for pid, t := range after {
		d += t - before[pid]
	}
	return d
}

func prepare(ctx context.Context, o options) (*target, error) {
	if o.engine == "postgres" {
		return preparePostgres(ctx, o)
	}
	return prepareSQLite(o)
}

// prepareSQLite makes a new folder, or takes an empty one, for the database.
func prepareSQLite(o options) (*target, error) {
	dir, made := o.dataDir, false
	if dir == "" {
		d, err := os.MkdirTemp("", "frontdesk-bench-")
		if err != nil {
			return nil, err
		}
		dir, made = d, true
	} else if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, err
		}
		made = true
	}
	file := filepath.Join(dir, "frontdesk.db")
	if _, err := os.Stat(file); err == nil {
		return nil, fmt.Errorf("%s already holds a database; give an empty folder", dir)
	}
	t := &target{cfg: store.Config{DataDir: dir}}
	t.cleanup = func() error {
		if o.keep {
			fmt.Fprintf(os.Stderr, "kept the SQLite database in %s\n", dir)
			return nil
		}
		if made {
			return os.RemoveAll(dir)
		}
		var errs []error
		for _, f := range []string{file, file + "-wal", file + "-shm"} {
			if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
				errs = append(errs, err)
			}
		}
		return errors.Join(errs...)
	}
	t.version = func(context.Context, *store.DB) string { return "" }
	t.size = func(context.Context) (int64, string) {
		var total int64
		var parts []string
		for _, f := range []string{file, file + "-wal"} {
			if st, err := os.Stat(f); err == nil {
				total += st.Size()
				parts = append(parts, fmt.Sprintf("%s %s", filepath.Base(f), fmtBytes(st.Size())))
			}
		}
		return total, strings.Join(parts, ", ")
	}
	return t, nil
}

// preparePostgres makes a new schema on the server, as storetest does, and points the store
// at it through search_path; the run never touches another schema.
func preparePostgres(ctx context.Context, o options) (*target, error) {
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
	buf := make([]byte, 6)
	rand.Read(buf)
	schema := "bench_" + hex.EncodeToString(buf)
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
	t := &target{cfg: store.Config{URL: u.String()}}
	t.cleanup = func() error {
		defer admin.Close()
		if o.keep {
			fmt.Fprintf(os.Stderr, "kept the PostgreSQL schema %s\n", schema)
			return nil
		}
		dctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		_, err := admin.ExecContext(dctx, "DROP SCHEMA "+schema+" CASCADE")
		return err
	}
	t.version = func(ctx context.Context, _ *store.DB) string {
		var v string
		admin.QueryRowContext(ctx, "SHOW server_version").Scan(&v)
		return "PostgreSQL " + v + ", schema " + schema
	}
	local := u.Hostname() == "127.0.0.1" || u.Hostname() == "localhost" || u.Hostname() == "::1"
	if _, err := os.Stat("/proc/self/stat"); err == nil && local {
		t.serverCPU = func(ctx context.Context) map[int]time.Duration {
			m := map[int]time.Duration{}
			rows, err := admin.QueryContext(ctx, "SELECT pid FROM pg_stat_activity WHERE application_name = $1", app)
			if err != nil {
				return m
			}
			defer rows.Close()
			for rows.Next() {
				var pid int
				if rows.Scan(&pid) == nil {
					if d, ok := procCPU(pid); ok {
						m[pid] = d
					}
				}
			}
			return m
		}
	}
	t.size = func(ctx context.Context) (int64, string) {
		var total, heap int64
		err := admin.QueryRowContext(ctx, `SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0), coalesce(sum(pg_table_size(c.oid)), 0)
			FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'r'`, schema).Scan(&total, &heap)
		if err != nil {
			return 0, err.Error()
		}
		return total, fmt.Sprintf("tables %s, indexes %s", fmtBytes(heap), fmtBytes(total-heap))
	}
	return t, nil
}

// procCPU reads the user and system time of a process from /proc (in USER_HZ ticks, 100 a
// second on Linux).
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

// startProfile starts a CPU profile of one phase when -cpuprofile is set.
func startProfile(prefix, phase string) (func(), error) {
	if prefix == "" {
		return func() {}, nil
	}
	f, err := os.Create(prefix + "." + phase + ".pprof")
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// report prints the figures and how they compare with the targets.
func report(out io.Writer, o options, info []string, l *loadResult, rs []*result) {
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "Frontdesk people benchmark")
	for _, s := range info {
		fmt.Fprintln(w, s)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "bulk load (store.BulkInsertPeople)\t")
	what := "time in BulkInsertPeople"
	if o.loadWorkers > 1 {
		what = "wall time of the concurrent load"
	}
	fmt.Fprintf(w, "  insert time\t%s\t%.0f people/s, %.0f rows/s (%d rows: people, addresses, phones), %s\n",
		l.insert.Round(time.Millisecond), l.rate(), float64(l.rows)/l.insert.Seconds(), l.rows, what)
	fmt.Fprintf(w, "  wall time\t%s\tincluding making the people in Go\n", l.wall.Round(time.Millisecond))
	fmt.Fprintf(w, "  CPU time\t%s\tof this process, %s per person%s\n", l.cpu.Round(time.Millisecond),
		fmtDur(l.cpu/time.Duration(l.people)), notOnServer(o))
	if l.dbCPU > 0 {
		fmt.Fprintf(w, "  server CPU time\t%s\tof the PostgreSQL backends of this run, %s per person\n", l.dbCPU.Round(time.Millisecond),
			fmtDur(l.dbCPU/time.Duration(l.people)))
	}
	fmt.Fprintf(w, "  first/last 10%%\t%.0f / %.0f people/s\t\n", l.firstRate, l.lastRate)
	fmt.Fprintf(w, "  batch time\tp50 %s, p99 %s, max %s\t%d batches\n", fmtDur(percentile(l.batches, 50)),
		fmtDur(percentile(l.batches, 99)), fmtDur(l.batches[len(l.batches)-1]), len(l.batches))
	fmt.Fprintf(w, "  optimize\t%s\t\n", l.optimize.Round(time.Millisecond))
	fmt.Fprintf(w, "  size\t%s\t%s\n", fmtBytes(l.size), l.sizeDetail)
	w.Flush()

	fmt.Fprintln(out)
	w = tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	dbCol := slices.ContainsFunc(rs, func(r *result) bool { return r.dbCPU > 0 })
	head := "HTTP phase\trequests\treq/s\tmean\tp50\tp90\tp99\tmax\terrors\tCPU/req\t"
	if dbCol {
		head += "DB CPU/req\t"
	}
	fmt.Fprintln(w, head)
	for _, r := range rs {
		var maxLat time.Duration
		if len(r.lat) > 0 {
			maxLat = r.lat[len(r.lat)-1]
		}
		fmt.Fprintf(w, "%s\t%d\t%.0f\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t", r.name, r.ok, r.rate(), fmtDur(mean(r.lat)),
			fmtDur(r.pct(50)), fmtDur(r.pct(90)), fmtDur(r.pct(99)), fmtDur(maxLat), r.errors, fmtDur(r.cpuPer()))
		if dbCol {
			fmt.Fprintf(w, "%s\t", fmtDur(r.dbCPU/time.Duration(max(1, r.ok))))
		}
		fmt.Fprintln(w)
	}
	w.Flush()
	fmt.Fprintf(out, "CPU/req: CPU time of this process (API server, driver and HTTP client together) per successful request%s.\n", notOnServer(o))
	if dbCol {
		fmt.Fprintln(out, "DB CPU/req: CPU time of the PostgreSQL backends serving this run per successful request.")
	}
	for _, r := range rs {
		if r.extra != "" {
			fmt.Fprintf(out, "%s: %s\n", r.name, r.extra)
		}
		if r.firstErr != "" {
			fmt.Fprintf(out, "%s: first error: %s\n", r.name, r.firstErr)
		}
	}

	fmt.Fprintln(out)
	w = tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "target\tmeasured\tresult")
	check := func(name string, measured string, ok bool) {
		verdict := "FAIL"
		if ok {
			verdict = "ok"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\n", name, measured, verdict)
	}
	byName := map[string]*result{}
	for _, r := range rs {
		byName[r.name] = r
	}
	if o.engine == "sqlite" {
		check("bulk load >= 60,000 people/s (SQLite)", fmt.Sprintf("%.0f/s", l.rate()), l.rate() >= 60_000)
		if r := byName["create-person"]; r != nil {
			check("create-person >= 3,000 req/s (SQLite)", fmt.Sprintf("%.0f/s", r.rate()), r.rate() >= 3_000 && r.errors == 0)
		}
		// Issue 8: a guest's request, at a million people.
		if r := byName["guest-request"]; r != nil {
			check("guest-request >= 1,500 req/s (SQLite)", fmt.Sprintf("%.0f/s", r.rate()), r.rate() >= 1_500 && r.errors == 0)
			check("guest-request p99 < 25 ms (SQLite)", fmtDur(r.pct(99)), r.pct(99) < 25*time.Millisecond && r.errors == 0)
		}
	} else {
		check("bulk load >= 150,000 people/s (PostgreSQL)", fmt.Sprintf("%.0f/s", l.rate()), l.rate() >= 150_000)
	}
	if r := byName["get-by-email"]; r != nil {
		check("get-by-email >= 10,000 req/s", fmt.Sprintf("%.0f/s", r.rate()), r.rate() >= 10_000 && r.errors == 0)
		check("get-by-email p99 <= 2 ms", fmtDur(r.pct(99)), r.pct(99) <= 2*time.Millisecond)
	}
	if r := byName["autosuggest"]; r != nil {
		name := "autosuggest p99 <= 5 ms"
		if o.people < 1_000_000 {
			name += " (stated at 1M people)"
		}
		check(name, fmtDur(r.pct(99)), r.pct(99) <= 5*time.Millisecond && r.errors == 0)
	}
	// Issue 8: the directory's first page with a filter.
	for _, r := range rs {
		if n := r.name; strings.HasPrefix(n, "directory-") && n != "directory-search" {
			name := n + " p99 < 20 ms"
			if o.people < 1_000_000 {
				name += " (stated at 1M people)"
			}
			check(name, fmtDur(r.pct(99)), r.pct(99) < 20*time.Millisecond && r.errors == 0)
		}
	}
	w.Flush()
}

func notOnServer(o options) string {
	if o.engine == "postgres" {
		return " (not the PostgreSQL server's)"
	}
	return ""
}

// loadAverage returns the machine's load averages, where the system tells them.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func fmtDur(d time.Duration) string {
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.2fs", d.Seconds())
	case d >= time.Millisecond:
		return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%dµs", d.Microseconds())
}

func fmtBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%d KiB", n>>10)
}

// limitHandler passes on only the first few records, so that a failing phase does not
// flood the terminal.
type limitHandler struct {
	slog.Handler
	left int64
}

func (h *limitHandler) Handle(ctx context.Context, r slog.Record) error {
	if atomic.AddInt64(&h.left, -1) < 0 {
		return nil
	}
	return h.Handler.Handle(ctx, r)
}

func (h *limitHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &limitHandler{Handler: h.Handler.WithAttrs(as), left: atomic.LoadInt64(&h.left)}
}

func (h *limitHandler) WithGroup(name string) slog.Handler {
	return &limitHandler{Handler: h.Handler.WithGroup(name), left: atomic.LoadInt64(&h.left)}
}
