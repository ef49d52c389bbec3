// Package jobs runs durable jobs: imports, scheduled directory syncs and other long work that
// must survive restarts and run on exactly one instance at a time.
//
// A job is a row (store.EnqueueJob), written in the caller's transaction so that it commits
// with the rows that ask for it. A Runner in every instance claims due jobs of the kinds it
// has handlers for under a lease (the instance's name and a time), renews the lease while
// the handler works, and records the outcome: succeeded; retried later with a growing delay
// after an error, up to the job's attempts; failed with the error after the last one;
// cancelled when asked. An instance that dies (SIGKILL, power) stops renewing, and when the
// lease runs out another instance, or the same one started again, claims the job and runs it
// again; handlers are therefore written to resume, by checkpoints kept with their data.
//
// Exactly one holder: every claim gets a fresh token, and every write of a runner about its
// job names it. The handler's context carries a transaction guard: each write transaction the
// handler opens through the store first renews the lease under that token, in the same
// transaction, and fails when the job is no longer the handler's. A handler that hung past
// its lease while another instance took the job over therefore commits nothing more, and its
// context is cancelled. Checkpoints written in the transaction of the data they describe
// land with that data or not at all.
//
// Shutdown cancels the handlers' contexts; a job whose handler stops for it is given back
// untried (due at once, the attempt not counted), so that the next instance resumes it.
//
// Why not River: see "Durable jobs" in README.md.
package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"os"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"frontdesk"
	"frontdesk/store"
)

// Defaults of Options and Config.
const (
	DefaultMaxAttempts   = 10
	DefaultLease         = 30 * time.Second
	DefaultPoll          = time.Second
	DefaultConcurrency   = 2
	DefaultShutdownGrace = 10 * time.Second
)

// Options tune one job.
type Options struct {
	// RunAt is when the job is due; zero means now.
	RunAt time.Time
	// UniqueKey, when set, keeps a second unfinished job of the same key from being enqueued:
	// Enqueue returns the one there is.
	UniqueKey string
	// MaxAttempts is how many runs the job gets before it fails (DefaultMaxAttempts). A run
	// cut by the instance's death counts; one given back at shutdown does not.
	MaxAttempts int
}

// Enqueue stores a job of kind with payload (marshalled to JSON; a json.RawMessage is taken
// as it is), in the transaction of ctx when there is one (store.DB.WithTx), so that callers
// enqueue atomically with their own rows. With opts.UniqueKey held by an unfinished job, that
// job is returned and nothing is stored.
func Enqueue(ctx context.Context, db *store.DB, kind string, payload any, opts Options) (*frontdesk.Job, error) {
	j, err := newJob(kind, payload, opts)
	if err != nil {
		return nil, err
	}
	if _, err := db.EnqueueJob(ctx, j); err != nil {
		return nil, err
	}
	return j, nil
}

// Schedule makes sure one run of kind under uniqueKey is pending at at: a queued one is moved
// there (with payload), a running one is left to its recurrence, and else one is enqueued.
// Together with a handler registered with Recurring, it keeps a periodic job going: call it
// when the schedule is set up or changed (at start, when a setting changes); each run then
// enqueues the next when it finishes. Cancelling the queued run stops the schedule.
func Schedule(ctx context.Context, db *store.DB, kind, uniqueKey string, at time.Time, payload any) (*frontdesk.Job, error) {
	if uniqueKey == "" {
		return nil, errors.New("jobs: Schedule needs a unique key")
	}
	j, err := newJob(kind, payload, Options{RunAt: at, UniqueKey: uniqueKey})
	if err != nil {
		return nil, err
	}
	if err := db.ScheduleJob(ctx, j); err != nil {
		return nil, err
	}
	return j, nil
}

// Cancel cancels the job of id: a queued job at once; a running one at its runner's next
// heartbeat, when its handler's context is cancelled. A finished job is left as it is.
func Cancel(ctx context.Context, db *store.DB, id int64) (*frontdesk.Job, error) {
	return db.CancelJob(ctx, id)
}

func newJob(kind string, payload any, opts Options) (*frontdesk.Job, error) {
	if kind == "" {
		return nil, errors.New("jobs: a job needs a kind")
	}
	var raw json.RawMessage
	switch p := payload.(type) {
	case nil:
		raw = json.RawMessage("{}")
	case json.RawMessage:
		raw = p
	default:
		b, err := json.Marshal(payload)
		if err != nil {
			return nil, fmt.Errorf("jobs: payload: %w", err)
		}
		raw = b
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = DefaultMaxAttempts
	}
	return &frontdesk.Job{Kind: kind, Payload: raw, UniqueKey: opts.UniqueKey, MaxAttempts: opts.MaxAttempts, RunAt: opts.RunAt}, nil
}

// Every returns a recurrence that runs a job every d after its previous due time.
func Every(d time.Duration) func(prev time.Time) time.Time {
	return func(prev time.Time) time.Time { return prev.Add(d) }
}

// Daily returns a recurrence that runs a job once a day at hour:minute in loc (UTC when nil),
// the first such time after the previous due time. Across a change of daylight saving time
// the wall-clock time holds.
func Daily(hour, minute int, loc *time.Location) func(prev time.Time) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	return func(prev time.Time) time.Time {
		p := prev.In(loc)
		t := time.Date(p.Year(), p.Month(), p.Day(), hour, minute, 0, 0, loc)
		for !t.After(prev) {
			p = p.AddDate(0, 0, 1)
			t = time.Date(p.Year(), p.Month(), p.Day(), hour, minute, 0, 0, loc)
		}
		return t
	}
}

// Handler does the work of a job. It must return soon after ctx is cancelled (shutdown, a
// cancellation, a lost lease), and write through the store with ctx (or contexts made from
// it), so that its transactions carry the lease guard. A job may run again after a crash:
// handlers resume from what they committed.
type Handler func(ctx context.Context, job *frontdesk.Job) error

// Permanent marks err as one that no retry can mend: the job fails at once.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanentError{err}
}

type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// Causes of a handler's cancelled context, from context.Cause.
var (
	// ErrShutdown: the instance is stopping; the job will be given back untried.
	ErrShutdown = errors.New("jobs: the instance is shutting down")
	// ErrCancelled: somebody cancelled the job.
	ErrCancelled = errors.New("jobs: the job was cancelled")
	// ErrLeaseLost is store.ErrLeaseLost: another runner holds the job now.
	ErrLeaseLost = store.ErrLeaseLost
)

// HandleOption tunes the registration of a handler.
type HandleOption func(*registration)

// Recurring makes every job of the kind enqueue its next run, at next(its due time), when it
// finishes (succeeded, failed or cancelled while running), in the transaction that records
// the end: same kind, unique key, payload and attempts. A next time already past is replaced
// by next(now), so that an instance that was down runs a missed job once, not once per missed
// period. A zero time ends the recurrence.
func Recurring(next func(prev time.Time) time.Time) HandleOption {
	return func(r *registration) { r.next = next }
}

type registration struct {
	handler Handler
	next    func(time.Time) time.Time
}

// Config tunes a Runner. Zero values take the defaults.
type Config struct {
	// Name identifies the runner in locked_by. A name that stays the same across restarts and
	// that no other live runner uses (the server gives its host and listening address) lets
	// Run take back at once what the runner held when it died; empty means host, process and
	// a random part, and a dead runner's jobs wait for their leases to run out.
	Name string
	// Concurrency is how many jobs run at once (DefaultConcurrency).
	Concurrency int
	// Lease is how long a claim holds without renewal (DefaultLease); the runner renews every
	// third of it, and stops a handler it could not renew for two thirds of it, before
	// another runner may take the job.
	Lease time.Duration
	// Poll is the pause between looks for due jobs when there is nothing to do (DefaultPoll).
	Poll time.Duration
	// Backoff is the delay before the next try after the attempt-th failed; nil means 10
	// seconds doubled per attempt, up to an hour, give or take a tenth.
	Backoff func(attempt int) time.Duration
	// ShutdownGrace bounds how long Run waits at shutdown for handlers to return
	// (DefaultShutdownGrace); a handler still running after it keeps its job until its
	// lease runs out.
	ShutdownGrace time.Duration
	Logger        *slog.Logger
}

// DefaultBackoff is 10 seconds after the first failure, doubled after each next one, up to an
// hour, with a tenth of jitter so that jobs that failed together do not retry together.
func DefaultBackoff(attempt int) time.Duration {
	d := 10 * time.Second
	for i := 1; i < attempt && d < time.Hour; i++ {
		d *= 2
	}
	d = min(d, time.Hour)
	return d + time.Duration((mrand.Float64()*0.2-0.1)*float64(d))
}

// Runner claims and runs jobs of the kinds registered with Handle.
type Runner struct {
	db  *store.DB
	cfg Config
	log *slog.Logger

	mu       sync.Mutex
	handlers map[string]registration
	wake     chan struct{}
}

// NewRunner returns a runner; register handlers with Handle, then call Run.
func NewRunner(db *store.DB, cfg Config) *Runner {
	if cfg.Name == "" {
		host, _ := os.Hostname()
		b := make([]byte, 4)
		rand.Read(b)
		cfg.Name = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b))
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = DefaultConcurrency
	}
	if cfg.Lease <= 0 {
		cfg.Lease = DefaultLease
	}
	if cfg.Poll <= 0 {
		cfg.Poll = DefaultPoll
	}
	if cfg.Backoff == nil {
		cfg.Backoff = DefaultBackoff
	}
	if cfg.ShutdownGrace <= 0 {
		cfg.ShutdownGrace = DefaultShutdownGrace
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Runner{db: db, cfg: cfg, log: log.With("component", "jobs"), handlers: map[string]registration{},
		wake: make(chan struct{}, 1)}
}

// SetName names the runner (Config.Name); call it before Run.
func (r *Runner) SetName(name string) {
	if name != "" {
		r.cfg.Name = name
	}
}

// Name is the runner's name, the locked_by of the jobs it holds.
func (r *Runner) Name() string { return r.cfg.Name }

// Handle registers the handler of kind; the runner claims jobs of the kind from then on.
func (r *Runner) Handle(kind string, h Handler, opts ...HandleOption) {
	reg := registration{handler: h}
	for _, o := range opts {
		o(&reg)
	}
	r.mu.Lock()
	r.handlers[kind] = reg
	r.mu.Unlock()
}

// kinds are the kinds with a handler, which the runner claims.
func (r *Runner) kinds() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	kinds := make([]string, 0, len(r.handlers))
	for k := range r.handlers {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	return kinds
}

// Wake makes the runner look for due jobs now rather than at its next poll; call it after
// enqueueing a job this instance can run.
func (r *Runner) Wake() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Run claims and runs jobs until ctx is cancelled, then cancels the running handlers, gives
// their jobs back and returns once they returned (or ShutdownGrace passed).
func (r *Runner) Run(ctx context.Context) error {
	if n, err := r.db.ReleaseWorkerJobs(ctx, r.cfg.Name); err != nil {
		r.log.Warn("taking back jobs held before a restart", "err", err)
	} else if n > 0 {
		r.log.Info("jobs held before a restart given back", "jobs", n)
	}
	// Handlers outlive ctx by the time they take to stop: their context is cancelled with
	// the cause ErrShutdown, which the outcome reads.
	base, stop := context.WithCancelCause(context.WithoutCancel(ctx))
	defer stop(nil)
	var wg sync.WaitGroup
	slots := make(chan struct{}, r.cfg.Concurrency)
	timer := time.NewTimer(0)
	defer timer.Stop()
	failures := 0
	for {
		select {
		case <-ctx.Done():
			stop(ErrShutdown)
			done := make(chan struct{})
			go func() { wg.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(r.cfg.ShutdownGrace):
				r.log.Warn("handlers still running at shutdown; their jobs wait for their leases")
			}
			return nil
		case <-timer.C:
		case <-r.wake:
		}
		free := cap(slots) - len(slots)
		wait := r.cfg.Poll
		kinds := r.kinds()
		if free > 0 && len(kinds) > 0 {
			claimed, err := r.db.ClaimJobs(ctx, r.cfg.Name, kinds, free, r.cfg.Lease)
			switch {
			case err != nil && ctx.Err() == nil:
				failures++
				r.log.Error("claiming jobs", "err", err)
				wait = min(r.cfg.Poll<<min(failures, 6), time.Minute)
			case err == nil:
				failures = 0
				for _, j := range claimed {
					slots <- struct{}{}
					wg.Go(func() {
						defer func() {
							<-slots
							r.Wake()
						}()
						r.run(base, j)
					})
				}
				if len(claimed) == free {
					// More may be due: look again as soon as a slot frees (Wake).
					wait = r.cfg.Poll
				}
			}
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		timer.Reset(wait)
	}
}

// run runs one claimed job and records how it ended.
func (r *Runner) run(base context.Context, j *frontdesk.Job) {
	r.mu.Lock()
	reg, ok := r.handlers[j.Kind]
	r.mu.Unlock()
	log := r.log.With("job", j.ID, "kind", j.Kind, "attempt", j.Attempts)
	ctx, cancel := context.WithCancelCause(base)
	defer cancel(nil)
	lease := r.cfg.Lease
	// Every write transaction of the handler first renews the lease under this claim's
	// token, in that transaction: it commits only while the job is still the handler's.
	guarded := r.db.WithTxGuard(ctx, func(tctx context.Context) error {
		c, err := r.db.RenewJobLease(tctx, j.ID, j.LeaseToken, lease)
		if errors.Is(err, store.ErrLeaseLost) {
			cancel(ErrLeaseLost)
		} else if err == nil && c {
			cancel(ErrCancelled)
		}
		return err
	})
	hbDone := make(chan struct{})
	hbStop := make(chan struct{})
	go func() {
		defer close(hbDone)
		r.heartbeat(ctx, cancel, j, hbStop, log)
	}()
	start := time.Now()
	var err error
	if !ok {
		err = Permanent(fmt.Errorf("no handler for job kind %q", j.Kind))
	} else {
		err = call(guarded, reg.handler, j)
	}
	close(hbStop)
	<-hbDone
	cause := context.Cause(ctx)
	o := store.JobOutcome{}
	var perm permanentError
	switch {
	case errors.Is(cause, ErrLeaseLost) || errors.Is(err, store.ErrLeaseLost):
		log.Warn("job lost its lease; another runner has it", "err", err)
		return
	case err == nil:
		o.State = frontdesk.JobSucceeded
	case errors.Is(cause, ErrShutdown):
		o.Release = true
	case errors.Is(cause, ErrCancelled) || errors.Is(err, ErrCancelled):
		o.State, o.Error = frontdesk.JobCancelled, "cancelled while running: "+err.Error()
	case errors.As(err, &perm) || j.Attempts >= j.MaxAttempts:
		o.State, o.Error = frontdesk.JobFailed, err.Error()
	default:
		o.State, o.Error = frontdesk.JobQueued, err.Error()
		o.RetryAt = time.Now().Add(r.cfg.Backoff(j.Attempts))
	}
	if reg.next != nil && o.State.Finished() {
		o.Next = reg.next(j.RunAt)
		if now := time.Now(); !o.Next.IsZero() && !o.Next.After(now) {
			o.Next = reg.next(now)
		}
	}
	// The outcome is written even at shutdown: the database closes after Run returns.
	fctx, fcancel := context.WithTimeout(context.WithoutCancel(base), time.Minute)
	defer fcancel()
	if ferr := r.db.FinishJob(fctx, j.ID, j.LeaseToken, o); ferr != nil {
		log.Error("recording the end of a job", "err", ferr, "outcome", string(o.State))
		return
	}
	took := time.Since(start)
	switch {
	case o.Release:
		log.Info("job given back at shutdown", "took", took)
	case o.State == frontdesk.JobSucceeded:
		log.Info("job succeeded", "took", took)
	case o.State == frontdesk.JobQueued:
		log.Warn("job failed; will retry", "err", err, "retry_at", o.RetryAt)
	default:
		log.Error("job ended", "state", string(o.State), "err", err)
	}
}

// heartbeat renews the job's lease every third of it until stop, and cancels the handler's
// context when the job was cancelled, when another runner took it, or when the lease could
// not be renewed for two thirds of it (the database is unreachable): the handler then stops
// before anyone else may start the job.
func (r *Runner) heartbeat(ctx context.Context, cancel context.CancelCauseFunc, j *frontdesk.Job, stop <-chan struct{}, log *slog.Logger) {
	lease := r.cfg.Lease
	t := time.NewTicker(lease / 3)
	defer t.Stop()
	renewed := time.Now()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		// Renewals go on while a shutting-down handler finishes its work; one may take until
		// the point where the handler is stopped anyway (a new connection can be slow).
		rctx, rcancel := context.WithDeadline(context.WithoutCancel(ctx), renewed.Add(lease*2/3))
		c, err := r.db.RenewJobLease(rctx, j.ID, j.LeaseToken, lease)
		rcancel()
		switch {
		case errors.Is(err, store.ErrLeaseLost):
			cancel(ErrLeaseLost)
			return
		case err != nil:
			log.Warn("renewing a job's lease", "err", err)
			if time.Since(renewed) > lease*2/3 {
				cancel(ErrLeaseLost)
				return
			}
		default:
			renewed = time.Now()
			if c {
				cancel(ErrCancelled)
			}
		}
	}
}

// call runs h, turning a panic into an error.
func call(ctx context.Context, h Handler, j *frontdesk.Job) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("panic: %v\n%s", v, debug.Stack())
		}
	}()
	return h(ctx, j)
}
