// Command import measures how fast people arrive in bulk, side by side in one run on one
// machine and engine: a bare Go program inserting the people into the same tables with the
// same indexes, store.BulkInsertPeople with the same people, the real CLI importing the same
// people from a CSV file end to end, and updating all of them again (BulkUpdatePeople, and
// the CLI importing a changed file). It prints people/s, the ratio against the bare
// program, the CLI's largest resident memory, and each figure against its target.
//
// It only writes to databases it made (new SQLite folders, new PostgreSQL schemas), removed
// at the end unless -keep is given. See bench/README.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"frontdesk"
	"frontdesk/store"
)

type options struct {
	engine     string
	url        string
	people     int
	batch      int
	bareBatch  int
	orgs       int
	data       string
	keep       bool
	cpuprofile string
	seed       uint64
	phases     string
	binary     string
	cliArgs    string
}

func main() {
	var o options
	fs := flag.NewFlagSet("import", flag.ExitOnError)
	fs.StringVar(&o.engine, "engine", "sqlite", "database engine: sqlite or postgres")
	fs.StringVar(&o.url, "database-url", os.Getenv("FRONTDESK_TEST_POSTGRES_URL"),
		"PostgreSQL server URL for -engine postgres (default $FRONTDESK_TEST_POSTGRES_URL); new schemas are made in it and dropped")
	fs.IntVar(&o.people, "people", 1_000_000, "people in the file")
	fs.IntVar(&o.batch, "batch", 10_000, "people per BulkInsertPeople and BulkUpdatePeople call")
	fs.IntVar(&o.bareBatch, "bare-batch", 10_000, "rows per transaction (SQLite) or COPY (PostgreSQL) of the bare program")
	fs.IntVar(&o.orgs, "orgs", 200, "organizations (with two sites each) made in every database first")
	fs.StringVar(&o.data, "data", "", "folder for the files and SQLite databases of the run (default: a new temporary folder)")
	fs.BoolVar(&o.keep, "keep", false, "keep the files, SQLite folders and PostgreSQL schemas")
	fs.StringVar(&o.cpuprofile, "cpuprofile", "", "write CPU profiles `PREFIX`.bare.pprof, PREFIX.store.pprof, PREFIX.update.pprof, PREFIX.inproc.pprof and PREFIX.inproc-update.pprof")
	fs.Uint64Var(&o.seed, "seed", 1, "seed of the generated people")
	fs.StringVar(&o.phases, "phases", "bare,store,update,cli", "phases to run, comma-separated: bare, store, update (BulkUpdatePeople, and the re-imports), cli (import and re-import through the binary), inproc (the same imports through the importer package inside this process, for -cpuprofile)")
	fs.StringVar(&o.binary, "frontdesk", "", "the frontdesk binary for the cli phase (default: go build ./cmd/frontdesk into the run's folder)")
	fs.StringVar(&o.cliArgs, "cli-args", "import people {db} {file}", "the CLI's arguments; {db} is --data DIR or --database-url URL, {file} the CSV file")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: go run ./bench/import [flags]\n\n")
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
		fmt.Fprintln(os.Stderr, "import:", err)
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
	if o.batch < 1 || o.bareBatch < 1 {
		probs = append(probs, "-batch and -bare-batch must be positive")
	}
	if o.orgs < 0 {
		probs = append(probs, "-orgs must not be negative")
	}
	for _, p := range strings.Split(o.phases, ",") {
		switch strings.TrimSpace(p) {
		case "bare", "store", "update", "cli", "inproc", "":
		default:
			probs = append(probs, fmt.Sprintf("-phases: unknown phase %q", p))
		}
	}
	if len(probs) > 0 {
		return errors.New(strings.Join(probs, "; "))
	}
	return nil
}

func (o options) has(phase string) bool {
	for _, p := range strings.Split(o.phases, ",") {
		if strings.TrimSpace(p) == phase {
			return true
		}
	}
	return false
}

// result is one line of the final table.
type result struct {
	name    string
	people  int
	took    time.Duration
	cpu     time.Duration // this process's CPU (or the child's), 0 when unknown
	dbCPU   time.Duration // the PostgreSQL backends' CPU, 0 when unknown
	maxRSS  int64         // bytes; 0 when not measured
	note    string
	failed  string
	ratioTo *result // the bare figure this one is compared with
	target  func(r *result) (string, bool)
}

func (r *result) rate() float64 {
	if r.took <= 0 {
		return 0
	}
	return float64(r.people) / r.took.Seconds()
}

func run(ctx context.Context, o options, out io.Writer) (err error) {
	if err := o.check(); err != nil {
		return err
	}
	root, made := o.data, false
	if root == "" {
		if root, err = os.MkdirTemp("", "frontdesk-import-bench-"); err != nil {
			return err
		}
		made = true
	} else if err := os.MkdirAll(root, 0o700); err != nil {
		return err
	}
	defer func() {
		if o.keep {
			fmt.Fprintf(os.Stderr, "kept the run's files in %s\n", root)
			return
		}
		if made {
			err = errors.Join(err, os.RemoveAll(root))
		}
	}()
	loadStart := loadAverage()
	info := []string{
		fmt.Sprintf("engine\t%s", o.engine),
		fmt.Sprintf("people\t%d (store batches of %d, bare batches of %d), %d organizations", o.people, o.batch, o.bareBatch, o.orgs),
		fmt.Sprintf("GOMAXPROCS\t%d (NumCPU %d), %s %s/%s", runtime.GOMAXPROCS(0), runtime.NumCPU(), runtime.Version(), runtime.GOOS, runtime.GOARCH),
		fmt.Sprintf("load average\t%s at the start", loadStart),
	}
	for _, l := range info {
		fmt.Fprintln(os.Stderr, strings.ReplaceAll(l, "\t", ": "))
	}

	g := newGen(o.seed, o.orgs)
	file := filepath.Join(root, "people.csv")
	changed := filepath.Join(root, "people-changed.csv")
	t0 := time.Now()
	if err := g.writeFile(file, o.people, 0); err != nil {
		return err
	}
	if o.has("cli") || o.has("inproc") {
		if err := g.writeFile(changed, o.people, 1); err != nil {
			return err
		}
	}
	if st, err := os.Stat(file); err == nil {
		fmt.Fprintf(os.Stderr, "wrote %s (%s) in %s\n", file, fmtBytes(st.Size()), time.Since(t0).Round(time.Millisecond))
	}

	var results []*result
	var bare *result
	if o.has("bare") {
		fmt.Fprintln(os.Stderr, "bare: inserting with plain prepared statements")
		d, err := newDatabase(ctx, o, root, "bare")
		if err != nil {
			return err
		}
		defer func() { err = errors.Join(err, d.drop()) }()
		stopProfile, err := startProfile(o.cpuprofile, "bare")
		if err != nil {
			return err
		}
		bare, err = runBare(ctx, o, g, d)
		stopProfile()
		if err != nil {
			return fmt.Errorf("bare: %w", err)
		}
		results = append(results, bare)
	}
	ratioTarget := 0.8
	if o.engine == "postgres" {
		ratioTarget = 0.6
	}
	againstBare := func(r *result) (string, bool) {
		if bare == nil {
			return "no bare figure", false
		}
		return fmt.Sprintf("≥ %.0f%% of bare", ratioTarget*100), r.rate() >= ratioTarget*bare.rate()
	}
	updateTarget := func(r *result) (string, bool) {
		return "≥ 20,000/s", r.rate() >= 20_000
	}
	rssTarget := func(r *result) (string, bool) {
		return "RSS < 150 MB", r.maxRSS > 0 && r.maxRSS < 150<<20
	}

	if o.has("inproc") {
		fmt.Fprintln(os.Stderr, "inproc: the importer package in this process")
		d, err := newDatabase(ctx, o, root, "inproc")
		if err != nil {
			return err
		}
		defer func() { err = errors.Join(err, d.drop()) }()
		imp, reimp, err := runInProcess(ctx, o, g, d, file, changed)
		if err != nil {
			return fmt.Errorf("inproc: %w", err)
		}
		imp.ratioTo, imp.target = bare, againstBare
		results = append(results, imp)
		if reimp != nil {
			reimp.target = updateTarget
			if o.engine == "postgres" {
				reimp.target = nil
			}
			results = append(results, reimp)
		}
	}

	if o.has("store") {
		fmt.Fprintln(os.Stderr, "store: BulkInsertPeople")
		d, err := newDatabase(ctx, o, root, "store")
		if err != nil {
			return err
		}
		defer func() { err = errors.Join(err, d.drop()) }()
		ins, upd, err := runStore(ctx, o, g, d)
		if err != nil {
			return fmt.Errorf("store: %w", err)
		}
		ins.ratioTo, ins.target = bare, againstBare
		results = append(results, ins)
		if upd != nil {
			upd.target = updateTarget
			if o.engine == "postgres" {
				upd.target = nil // the target is SQLite's
			}
			results = append(results, upd)
		}
	}

	if o.has("cli") {
		fmt.Fprintln(os.Stderr, "cli: frontdesk import people, end to end")
		d, err := newDatabase(ctx, o, root, "cli")
		if err != nil {
			return err
		}
		defer func() { err = errors.Join(err, d.drop()) }()
		imp, reimp, err := runCLI(ctx, o, root, d, file, changed)
		if err != nil {
			return fmt.Errorf("cli: %w", err)
		}
		imp.ratioTo = bare
		imp.target = func(r *result) (string, bool) {
			s, ok := againstBare(r)
			t, ok2 := rssTarget(r)
			return s + ", " + t, ok && ok2
		}
		results = append(results, imp)
		if reimp != nil {
			reimp.target = func(r *result) (string, bool) {
				s, ok := updateTarget(r)
				t, ok2 := rssTarget(r)
				if o.engine == "postgres" {
					return t, ok2
				}
				return s + ", " + t, ok && ok2
			}
			results = append(results, reimp)
		}
	}

	fmt.Fprintf(out, "engine %s, %d people, GOMAXPROCS %d (NumCPU %d), %s\n", o.engine, o.people, runtime.GOMAXPROCS(0), runtime.NumCPU(), runtime.Version())
	fmt.Fprintf(out, "load average: %s at the start, %s at the end\n\n", loadStart, loadAverage())
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "phase\tpeople\ttime\tpeople/s\tvs bare\tCPU/person\tdb CPU/person\tmax RSS\ttarget\t")
	for _, r := range results {
		ratio, cpu, dbCPU, rss := "-", "-", "-", "-"
		if r.ratioTo != nil && r.ratioTo.rate() > 0 {
			ratio = fmt.Sprintf("%.0f%%", 100*r.rate()/r.ratioTo.rate())
		}
		if r.cpu > 0 {
			cpu = (r.cpu / time.Duration(r.people)).String()
		}
		if r.dbCPU > 0 {
			dbCPU = (r.dbCPU / time.Duration(r.people)).String()
		}
		if r.maxRSS > 0 {
			rss = fmtBytes(r.maxRSS)
		}
		verdict := "-"
		if r.failed != "" {
			verdict = "MISS (" + r.failed + ")"
		} else if r.target != nil {
			what, ok := r.target(r)
			verdict = "PASS " + what
			if !ok {
				verdict = "MISS " + what
			}
		}
		fmt.Fprintf(w, "%s\t%d\t%s\t%.0f\t%s\t%s\t%s\t%s\t%s\t\n", r.name, r.people, r.took.Round(time.Millisecond), r.rate(), ratio, cpu, dbCPU, rss, verdict)
	}
	w.Flush()
	for _, r := range results {
		if r.note != "" {
			fmt.Fprintf(out, "%s: %s\n", r.name, r.note)
		}
	}
	return nil
}

// createOrgs makes the run's organizations and their sites in db and returns their ids.
func createOrgs(ctx context.Context, db *store.DB, g gen) (ids, error) {
	in := ids{orgs: map[string]int64{}, sites: map[[2]string]int64{}}
	ctx = frontdesk.WithActor(ctx, frontdesk.System)
	for _, spec := range g.orgs {
		o := &frontdesk.Organization{}
		name, domains := spec.name, []string{spec.domain}
		if err := frontdesk.ApplyOrganization(o, frontdesk.OrganizationInput{Name: &name, Domains: &domains}); err != nil {
			return in, err
		}
		if err := db.CreateOrganization(ctx, o); err != nil {
			return in, err
		}
		in.orgs[spec.name] = o.ID
		for _, sn := range spec.sites {
			s := &frontdesk.Site{}
			if err := frontdesk.ApplySite(s, frontdesk.SiteInput{OrganizationID: &o.ID, Name: &sn}, true); err != nil {
				return in, err
			}
			if err := db.CreateSite(ctx, s); err != nil {
				return in, err
			}
			in.sites[[2]string{spec.name, sn}] = s.ID
		}
	}
	return in, nil
}

// runStore loads the people with BulkInsertPeople, then (phase update) writes all of them
// again, changed, with BulkUpdatePeople. Only the time inside those calls counts.
func runStore(ctx context.Context, o options, g gen, d *database) (ins, upd *result, err error) {
	db, err := store.Open(ctx, d.cfg)
	if err != nil {
		return nil, nil, err
	}
	defer func() { err = errors.Join(err, db.Close()) }()
	in, err := createOrgs(ctx, db, g)
	if err != nil {
		return nil, nil, err
	}
	ctx = frontdesk.WithActor(ctx, frontdesk.System)
	personIDs := make([]int64, o.people)
	ins = &result{name: "store.BulkInsertPeople", people: o.people}
	{
		stopProfile, err := startProfile(o.cpuprofile, "store")
		if err != nil {
			return nil, nil, err
		}
		dbBefore := d.serverCPU(ctx)
		err = inBatches(o.people, o.batch, func(from, to int) ([]*frontdesk.Person, error) {
			batch := make([]*frontdesk.Person, 0, to-from)
			for k := from; k < to; k++ {
				batch = append(batch, g.person(k, 0, in))
			}
			return batch, nil
		}, func(batch []*frontdesk.Person) error {
			return db.BulkInsertPeople(ctx, batch)
		}, func(from int, batch []*frontdesk.Person) {
			for i, p := range batch {
				personIDs[from+i] = p.ID
			}
		}, ins)
		stopProfile()
		if err != nil {
			return nil, nil, err
		}
		ins.dbCPU = cpuSince(dbBefore, d.serverCPU(ctx))
		db.Optimize(ctx)
	}
	if !o.has("update") {
		return ins, nil, nil
	}
	fmt.Fprintln(os.Stderr, "update: BulkUpdatePeople")
	upd = &result{name: "store.BulkUpdatePeople", people: o.people}
	stopProfile, err := startProfile(o.cpuprofile, "update")
	if err != nil {
		return nil, nil, err
	}
	dbBefore := d.serverCPU(ctx)
	err = inBatches(o.people, o.batch, func(from, to int) ([]*frontdesk.Person, error) {
		batch := make([]*frontdesk.Person, 0, to-from)
		for k := from; k < to; k++ {
			p := g.person(k, 1, in)
			p.ID = personIDs[k]
			batch = append(batch, p)
		}
		return batch, nil
	}, func(batch []*frontdesk.Person) error {
		return db.BulkUpdatePeople(ctx, batch)
	}, nil, upd)
	stopProfile()
	if err != nil {
		return nil, nil, err
	}
	upd.dbCPU = cpuSince(dbBefore, d.serverCPU(ctx))
	// The update must have landed: spot-check a person.
	k := o.people / 2
	got, err := db.GetPerson(ctx, personIDs[k])
	if err != nil {
		return nil, nil, err
	}
	if want := g.person(k, 1, in); got.LastName != want.LastName || got.Phones[0].Number != want.Phones[0].Number {
		return nil, nil, fmt.Errorf("person %d after the update: %s %v, want %s %v", k, got.LastName, got.Phones, want.LastName, want.Phones)
	}
	return ins, upd, nil
}

// inBatches makes each batch (untimed), runs do on it (timed, with this process's CPU),
// then after (untimed), and prints progress.
func inBatches(n, size int, makeBatch func(from, to int) ([]*frontdesk.Person, error), do func([]*frontdesk.Person) error,
	after func(from int, batch []*frontdesk.Person), r *result) error {
	last := time.Now()
	for from := 0; from < n; from += size {
		to := min(from+size, n)
		batch, err := makeBatch(from, to)
		if err != nil {
			return err
		}
		c0, t0 := cpuTime(), time.Now()
		if err := do(batch); err != nil {
			return err
		}
		r.took += time.Since(t0)
		r.cpu += cpuTime() - c0
		if after != nil {
			after(from, batch)
		}
		if time.Since(last) > 5*time.Second || to == n {
			fmt.Fprintf(os.Stderr, "  %s: %d/%d, %.0f people/s so far\n", r.name, to, n, float64(to)/r.took.Seconds())
			last = time.Now()
		}
	}
	return nil
}

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

func fmtBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%d KiB", n>>10)
}
