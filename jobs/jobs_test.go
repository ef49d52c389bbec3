package jobs_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	_ "time/tzdata"

	"frontdesk"
	"frontdesk/jobs"
	"frontdesk/store"
	"frontdesk/store/storetest"
)

type tlog struct{ t *testing.T }

func (w tlog) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }

// clock is a settable clock shared by every instance of a test, so that a lease can run out
// without waiting for it.
type clock struct {
	mu   sync.Mutex
	skew time.Duration
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.skew)
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.skew += d
	c.mu.Unlock()
}

// instances runs fn once per engine with n handles on one database: on SQLite one DB (one
// process per file), on PostgreSQL n DBs, as n instances of the server would have.
func instances(t *testing.T, n int, fn func(t *testing.T, dbs []*store.DB, clk *clock)) {
	t.Helper()
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			clk := &clock{}
			cfg := storetest.Config(t, e)
			cfg.Now = clk.Now
			dbs := make([]*store.DB, n)
			for i := range n {
				if e == store.SQLite && i > 0 {
					dbs[i] = dbs[0]
					continue
				}
				db, err := store.Open(context.Background(), cfg)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				dbs[i] = db
			}
			fn(t, dbs, clk)
		})
	}
}

func each(t *testing.T, fn func(t *testing.T, db *store.DB, clk *clock)) {
	instances(t, 1, func(t *testing.T, dbs []*store.DB, clk *clock) { fn(t, dbs[0], clk) })
}

// start runs r until the test ends (or stop is called) and returns the stop function, which
// waits for Run to return.
func start(t *testing.T, r *jobs.Runner) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := r.Run(ctx); err != nil {
			t.Errorf("run: %v", err)
		}
	}()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return stop
}

// eventually waits for cond, failing the test when it does not hold within a generous time:
// a liveness bound, not a measure of speed.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting: %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func getJob(t *testing.T, db *store.DB, id int64) *frontdesk.Job {
	t.Helper()
	j, err := db.GetJob(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func stateIs(t *testing.T, db *store.DB, id int64, want frontdesk.JobState) func() bool {
	return func() bool { return getJob(t, db, id).State == want }
}

func fast(name string) jobs.Config {
	return jobs.Config{Name: name, Lease: 300 * time.Millisecond, Poll: 20 * time.Millisecond,
		Backoff: func(int) time.Duration { return time.Millisecond }}
}

// B4: a job is enqueued in the caller's transaction: it lands with the caller's rows or not
// at all.
func TestEnqueueJoinsTheCallersTransaction_B4(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB, _ *clock) {
		ctx := context.Background()
		var id int64
		boom := errors.New("boom")
		err := db.WithTx(ctx, func(ctx context.Context) error {
			j, err := jobs.Enqueue(ctx, db, "import", map[string]int{"import_id": 7}, jobs.Options{})
			if err != nil {
				return err
			}
			id = j.ID
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("got %v", err)
		}
		if _, err := db.GetJob(ctx, id); frontdesk.ErrorCode(err) != frontdesk.ENotFound {
			t.Fatalf("a rolled back transaction kept its job: %v", err)
		}
		var j *frontdesk.Job
		err = db.WithTx(ctx, func(ctx context.Context) error {
			j, err = jobs.Enqueue(ctx, db, "import", map[string]int{"import_id": 7}, jobs.Options{})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		got := getJob(t, db, j.ID)
		if got.State != frontdesk.JobQueued || got.MaxAttempts != jobs.DefaultMaxAttempts || string(got.Payload) != `{"import_id":7}` {
			t.Fatalf("got %+v", got)
		}
	})
}

// B4: a unique key allows one unfinished job: a second Enqueue returns the first, from any
// instance at once; once the first finished, the key is free again.
func TestUniqueKey_B4(t *testing.T) {
	instances(t, 3, func(t *testing.T, dbs []*store.DB, _ *clock) {
		ctx := context.Background()
		ids := make([]int64, 30)
		var wg sync.WaitGroup
		for i := range ids {
			wg.Go(func() {
				j, err := jobs.Enqueue(ctx, dbs[i%len(dbs)], "sync", nil, jobs.Options{UniqueKey: "ldap:daily"})
				if err != nil {
					t.Errorf("enqueue: %v", err)
					return
				}
				ids[i] = j.ID
			})
		}
		wg.Wait()
		for _, id := range ids {
			if id != ids[0] {
				t.Fatalf("one key, several jobs: %v", ids)
			}
		}
		other, err := jobs.Enqueue(ctx, dbs[0], "sync", nil, jobs.Options{UniqueKey: "ldap:other"})
		if err != nil || other.ID == ids[0] {
			t.Fatalf("another key: %v %v", other, err)
		}
		db := dbs[0]
		r := jobs.NewRunner(db, fast("a"))
		r.Handle("sync", func(ctx context.Context, j *frontdesk.Job) error { return nil })
		stop := start(t, r)
		eventually(t, "first job done", stateIs(t, db, ids[0], frontdesk.JobSucceeded))
		stop()
		again, err := jobs.Enqueue(ctx, db, "sync", nil, jobs.Options{UniqueKey: "ldap:daily"})
		if err != nil || again.ID == ids[0] || again.State != frontdesk.JobQueued {
			t.Fatalf("after the first finished: %+v %v", again, err)
		}
	})
}

// B4: several runners on one database (several instances on one PostgreSQL; several runners
// in the one process of a SQLite file) run every job exactly once, never two at a time; the
// work each handler commits through its guarded transactions lands once.
func TestExactlyOneInstance_B4(t *testing.T) {
	instances(t, 4, func(t *testing.T, dbs []*store.DB, _ *clock) {
		ctx := context.Background()
		const n = 120
		ids := map[int64]bool{}
		for i := range n {
			j, err := jobs.Enqueue(ctx, dbs[i%len(dbs)], "work", map[string]int{"i": i}, jobs.Options{})
			if err != nil {
				t.Fatal(err)
			}
			ids[j.ID] = true
		}
		var mu sync.Mutex
		runs := map[int64]int{}
		inFlight := map[int64]bool{}
		var overlaps atomic.Int32
		for i, db := range dbs {
			cfg := fast(fmt.Sprintf("runner-%d", i))
			cfg.Concurrency = 3
			// Leases long enough that a loaded machine renews them in time: this test is
			// about claims, the next ones about leases that run out.
			cfg.Lease = 10 * time.Second
			cfg.Logger = slog.New(slog.NewTextHandler(tlog{t}, nil))
			r := jobs.NewRunner(db, cfg)
			r.Handle("work", func(ctx context.Context, j *frontdesk.Job) error {
				mu.Lock()
				if inFlight[j.ID] {
					overlaps.Add(1)
				}
				inFlight[j.ID] = true
				runs[j.ID]++
				mu.Unlock()
				defer func() {
					mu.Lock()
					delete(inFlight, j.ID)
					mu.Unlock()
				}()
				time.Sleep(2 * time.Millisecond)
				// The job's work: a row written in a transaction carrying the lease guard.
				return db.WithTx(ctx, func(ctx context.Context) error {
					_, err := jobs.Enqueue(ctx, db, "done", json.RawMessage(fmt.Sprintf(`{"of":%d}`, j.ID)),
						jobs.Options{RunAt: time.Now().Add(time.Hour)})
					return err
				})
			})
			start(t, r)
		}
		eventually(t, "every job done", func() bool {
			list, err := dbs[0].ListJobs(ctx, "work", 0, 500)
			if err != nil {
				t.Fatal(err)
			}
			for _, j := range list {
				if j.State != frontdesk.JobSucceeded {
					return false
				}
			}
			return len(list) == n
		})
		mu.Lock()
		defer mu.Unlock()
		for id := range ids {
			if runs[id] != 1 {
				t.Errorf("job %d ran %d times", id, runs[id])
			}
		}
		if overlaps.Load() > 0 {
			t.Errorf("%d jobs ran on two runners at once", overlaps.Load())
		}
		done, err := dbs[0].ListJobs(ctx, "done", 0, 500)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, d := range done {
			if seen[string(d.Payload)] {
				t.Errorf("work of %s committed twice", d.Payload)
			}
			seen[string(d.Payload)] = true
		}
		if len(done) != n {
			t.Errorf("%d works committed, want %d", len(done), n)
		}
	})
}

// B4: an instance that dies (SIGKILL) holding a job stops renewing its lease; when the lease
// runs out another instance takes the job and runs it again, and the dead claim can write
// nothing more.
func TestLeaseExpiryTakesOverACrashedJob_B4(t *testing.T) {
	instances(t, 2, func(t *testing.T, dbs []*store.DB, clk *clock) {
		ctx := context.Background()
		j, err := jobs.Enqueue(ctx, dbs[0], "import", nil, jobs.Options{})
		if err != nil {
			t.Fatal(err)
		}
		// The dead instance: it claimed the job, then vanished without a word.
		dead, err := dbs[0].ClaimJobs(ctx, "dead", []string{"import"}, 1, time.Hour)
		if err != nil || len(dead) != 1 || dead[0].ID != j.ID {
			t.Fatalf("claim: %v %v", dead, err)
		}
		var attempts atomic.Int32
		r := jobs.NewRunner(dbs[1], fast("alive"))
		r.Handle("import", func(ctx context.Context, j *frontdesk.Job) error {
			attempts.Store(int32(j.Attempts))
			return nil
		})
		start(t, r)
		// Nothing happens while the dead instance's lease holds.
		time.Sleep(100 * time.Millisecond)
		if got := getJob(t, dbs[0], j.ID); got.State != frontdesk.JobRunning || got.LockedBy != "dead" {
			t.Fatalf("taken over before the lease ran out: %+v", got)
		}
		clk.Advance(time.Hour + time.Second)
		eventually(t, "taken over", stateIs(t, dbs[0], j.ID, frontdesk.JobSucceeded))
		if attempts.Load() != 2 {
			t.Fatalf("the run after the crash is attempt %d, want 2", attempts.Load())
		}
		// The dead claim's token is worthless now: no outcome, no guarded transaction.
		if err := dbs[0].FinishJob(ctx, j.ID, dead[0].LeaseToken, store.JobOutcome{State: frontdesk.JobFailed}); !errors.Is(err, store.ErrLeaseLost) {
			t.Fatalf("finish by the dead claim: %v", err)
		}
		if got := getJob(t, dbs[0], j.ID); got.State != frontdesk.JobSucceeded {
			t.Fatalf("the dead claim changed the job: %+v", got)
		}
	})
}

// B4: a handler that hangs past its lease while another instance takes its job over commits
// nothing more: its guarded transaction fails, and its context is cancelled.
func TestLostLeaseCommitsNothing_B4(t *testing.T) {
	instances(t, 2, func(t *testing.T, dbs []*store.DB, clk *clock) {
		ctx := context.Background()
		j, err := jobs.Enqueue(ctx, dbs[0], "import", nil, jobs.Options{})
		if err != nil {
			t.Fatal(err)
		}
		entered := make(chan struct{})
		proceed := make(chan struct{})
		hung := make(chan error, 1)
		cfgA := fast("a")
		cfgA.Lease = time.Hour // the heartbeat stays quiet: the handler hangs, the clock moves
		cfgA.Concurrency = 1   // a takes nothing more while it hangs
		a := jobs.NewRunner(dbs[0], cfgA)
		a.Handle("import", func(hctx context.Context, job *frontdesk.Job) error {
			close(entered)
			<-proceed
			err := dbs[0].WithTx(hctx, func(tctx context.Context) error {
				_, err := jobs.Enqueue(tctx, dbs[0], "late-write", nil, jobs.Options{})
				return err
			})
			hung <- errors.Join(err, context.Cause(hctx))
			return err
		})
		start(t, a)
		<-entered
		clk.Advance(2 * time.Hour)
		var bRuns atomic.Int32
		b := jobs.NewRunner(dbs[1], fast("b"))
		b.Handle("import", func(ctx context.Context, job *frontdesk.Job) error { bRuns.Add(1); return nil })
		start(t, b)
		eventually(t, "b took the job", stateIs(t, dbs[0], j.ID, frontdesk.JobSucceeded))
		close(proceed)
		err = <-hung
		if !errors.Is(err, store.ErrLeaseLost) {
			t.Fatalf("the hung handler's write: %v", err)
		}
		late, _ := dbs[0].ListJobs(ctx, "late-write", 0, 10)
		if len(late) != 0 {
			t.Fatalf("the hung handler committed after losing its lease")
		}
		if bRuns.Load() != 1 {
			t.Fatalf("b ran %d times", bRuns.Load())
		}
		if got := getJob(t, dbs[0], j.ID); got.State != frontdesk.JobSucceeded || got.LockedBy != "" {
			t.Fatalf("after both: %+v", got)
		}
	})
}

// B4: a runner started again under the name it had takes back at once what it held when it
// died, without waiting for the lease.
func TestRestartTakesBackItsJobs_B4(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB, _ *clock) {
		ctx := context.Background()
		j, _ := jobs.Enqueue(ctx, db, "import", nil, jobs.Options{})
		if _, err := db.ClaimJobs(ctx, "host@127.0.0.1:8080", []string{"import"}, 1, 24*time.Hour); err != nil {
			t.Fatal(err)
		}
		r := jobs.NewRunner(db, fast("host@127.0.0.1:8080"))
		r.Handle("import", func(ctx context.Context, j *frontdesk.Job) error { return nil })
		start(t, r)
		eventually(t, "taken back", stateIs(t, db, j.ID, frontdesk.JobSucceeded))
		if got := getJob(t, db, j.ID); got.Attempts != 2 {
			t.Fatalf("attempts %d, want 2 (the dead run counts)", got.Attempts)
		}
	})
}

// B4: a failed run is retried after the backoff, up to MaxAttempts; then the job fails with
// the error recorded. A permanent error fails at once; a panic is an error.
func TestRetriesAndBackoff_B4(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB, _ *clock) {
		ctx := context.Background()
		var mu sync.Mutex
		var delays []int
		cfg := fast("r")
		cfg.Backoff = func(attempt int) time.Duration {
			mu.Lock()
			delays = append(delays, attempt)
			mu.Unlock()
			if attempt >= 5 {
				return time.Hour
			}
			return time.Millisecond
		}
		r := jobs.NewRunner(db, cfg)
		calls := map[string]int{}
		r.Handle("flaky", func(ctx context.Context, j *frontdesk.Job) error {
			mu.Lock()
			defer mu.Unlock()
			calls["flaky"]++
			if j.Attempts < 3 {
				return fmt.Errorf("try %d failed", j.Attempts)
			}
			return nil
		})
		r.Handle("broken", func(ctx context.Context, j *frontdesk.Job) error {
			mu.Lock()
			calls["broken"]++
			mu.Unlock()
			return errors.New("the directory refused the bind")
		})
		r.Handle("bad", func(ctx context.Context, j *frontdesk.Job) error {
			mu.Lock()
			calls["bad"]++
			mu.Unlock()
			return jobs.Permanent(errors.New("the file is not CSV"))
		})
		r.Handle("panics", func(ctx context.Context, j *frontdesk.Job) error {
			var m map[string]int
			m["x"] = 1
			return nil
		})
		r.Handle("slow-retry", func(ctx context.Context, j *frontdesk.Job) error { return errors.New("down") })
		flaky, _ := jobs.Enqueue(ctx, db, "flaky", nil, jobs.Options{MaxAttempts: 5})
		broken, _ := jobs.Enqueue(ctx, db, "broken", nil, jobs.Options{MaxAttempts: 3})
		bad, _ := jobs.Enqueue(ctx, db, "bad", nil, jobs.Options{MaxAttempts: 3})
		panics, _ := jobs.Enqueue(ctx, db, "panics", nil, jobs.Options{MaxAttempts: 1})
		start(t, r)
		eventually(t, "flaky succeeds", stateIs(t, db, flaky.ID, frontdesk.JobSucceeded))
		eventually(t, "broken fails", stateIs(t, db, broken.ID, frontdesk.JobFailed))
		eventually(t, "bad fails", stateIs(t, db, bad.ID, frontdesk.JobFailed))
		eventually(t, "panics fails", stateIs(t, db, panics.ID, frontdesk.JobFailed))
		if got := getJob(t, db, flaky.ID); got.Attempts != 3 || got.LastError != "" {
			t.Fatalf("flaky: %+v", got)
		}
		if got := getJob(t, db, broken.ID); got.Attempts != 3 || got.LastError != "the directory refused the bind" || got.FinishedAt == nil {
			t.Fatalf("broken: %+v", got)
		}
		if got := getJob(t, db, bad.ID); got.Attempts != 1 || got.LastError != "the file is not CSV" {
			t.Fatalf("bad: %+v", got)
		}
		if got := getJob(t, db, panics.ID); got.LastError == "" || got.LastError[:6] != "panic:" {
			t.Fatalf("panics: %+v", got)
		}
		mu.Lock()
		if calls["flaky"] != 3 || calls["broken"] != 3 || calls["bad"] != 1 {
			t.Fatalf("calls %v", calls)
		}
		mu.Unlock()
		// The delay grows with the attempt: after the fifth failure the next try waits an hour.
		slow, _ := jobs.Enqueue(ctx, db, "slow-retry", nil, jobs.Options{MaxAttempts: 9})
		eventually(t, "five tries", func() bool { return getJob(t, db, slow.ID).Attempts == 5 })
		eventually(t, "queued for later", stateIs(t, db, slow.ID, frontdesk.JobQueued))
		if got := getJob(t, db, slow.ID); got.RunAt.Before(time.Now().Add(59 * time.Minute)) {
			t.Fatalf("retry due at %v, want an hour on", got.RunAt)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(delays) < 5 || delays[0] != 1 {
			t.Fatalf("backoff asked for %v", delays)
		}
	})
}

func TestDefaultBackoffGrows(t *testing.T) {
	prev := time.Duration(0)
	for a := 1; a <= 12; a++ {
		d := jobs.DefaultBackoff(a)
		if d < prev*3/2 && d < 54*time.Minute {
			t.Fatalf("attempt %d: %v after %v", a, d, prev)
		}
		if d > 66*time.Minute {
			t.Fatalf("attempt %d: %v past the cap", a, d)
		}
		prev = d
	}
}

// B4: at shutdown the handler's context is cancelled with ErrShutdown and its job is given
// back untried, due at once, its attempt not counted; the next instance resumes it.
func TestShutdownReleasesTheJob_B4(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB, _ *clock) {
		ctx := context.Background()
		j, _ := jobs.Enqueue(ctx, db, "import", nil, jobs.Options{MaxAttempts: 1})
		entered := make(chan struct{})
		var cause error
		r := jobs.NewRunner(db, fast("a"))
		r.Handle("import", func(ctx context.Context, j *frontdesk.Job) error {
			close(entered)
			<-ctx.Done()
			cause = context.Cause(ctx)
			return ctx.Err()
		})
		stop := start(t, r)
		<-entered
		stop()
		if !errors.Is(cause, jobs.ErrShutdown) {
			t.Fatalf("cause %v", cause)
		}
		got := getJob(t, db, j.ID)
		if got.State != frontdesk.JobQueued || got.Attempts != 0 || got.LockedBy != "" || got.RunAt.After(time.Now()) {
			t.Fatalf("after shutdown: %+v", got)
		}
		// With one attempt allowed, it still runs: the shutdown did not count.
		r2 := jobs.NewRunner(db, fast("b"))
		r2.Handle("import", func(ctx context.Context, j *frontdesk.Job) error { return nil })
		start(t, r2)
		eventually(t, "resumed", stateIs(t, db, j.ID, frontdesk.JobSucceeded))
	})
}

// B4: cancelling a queued job ends it before it runs; cancelling a running one cancels its
// handler's context at the next heartbeat.
func TestCancel_B4(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB, _ *clock) {
		ctx := context.Background()
		later, _ := jobs.Enqueue(ctx, db, "import", nil, jobs.Options{RunAt: time.Now().Add(time.Hour)})
		if got, err := jobs.Cancel(ctx, db, later.ID); err != nil || got.State != frontdesk.JobCancelled {
			t.Fatalf("cancel queued: %+v %v", got, err)
		}
		j, _ := jobs.Enqueue(ctx, db, "import", nil, jobs.Options{})
		entered := make(chan struct{})
		causes := make(chan error, 1)
		r := jobs.NewRunner(db, fast("a"))
		r.Handle("import", func(ctx context.Context, job *frontdesk.Job) error {
			close(entered)
			<-ctx.Done()
			causes <- context.Cause(ctx)
			return ctx.Err()
		})
		start(t, r)
		<-entered
		if got, err := jobs.Cancel(ctx, db, j.ID); err != nil || got.State != frontdesk.JobRunning || !got.CancelRequested {
			t.Fatalf("cancel running: %+v %v", got, err)
		}
		if c := <-causes; !errors.Is(c, jobs.ErrCancelled) {
			t.Fatalf("cause %v", c)
		}
		eventually(t, "cancelled", stateIs(t, db, j.ID, frontdesk.JobCancelled))
		if _, err := jobs.Cancel(ctx, db, 999999); frontdesk.ErrorCode(err) != frontdesk.ENotFound {
			t.Fatalf("cancel of nothing: %v", err)
		}
	})
}

// B5: a recurring job (the daily directory sync) enqueues its next run when it ends, under
// the same key; Schedule moves a pending run and never makes a second one.
func TestRecurringSchedule_B5(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB, _ *clock) {
		ctx := context.Background()
		var runs atomic.Int32
		r := jobs.NewRunner(db, fast("a"))
		r.Handle("tick", func(ctx context.Context, j *frontdesk.Job) error {
			if runs.Add(1) == 2 {
				return jobs.Permanent(errors.New("a failed run keeps the schedule"))
			}
			return nil
		}, jobs.Recurring(jobs.Every(30*time.Millisecond)))
		first, err := jobs.Schedule(ctx, db, "tick", "tick:every", time.Now().Add(time.Hour), map[string]string{"v": "1"})
		if err != nil {
			t.Fatal(err)
		}
		// Scheduling again moves the pending run; it does not add one.
		again, err := jobs.Schedule(ctx, db, "tick", "tick:every", time.Now(), map[string]string{"v": "2"})
		if err != nil || again.ID != first.ID || again.RunAt.After(time.Now()) || string(again.Payload) != `{"v":"2"}` {
			t.Fatalf("schedule again: %+v %v", again, err)
		}
		start(t, r)
		eventually(t, "three runs", func() bool { return runs.Load() >= 3 })
		list, err := db.ListJobs(ctx, "tick", 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		open := 0
		for _, j := range list {
			if !j.State.Finished() {
				open++
			}
			if j.UniqueKey != "tick:every" || string(j.Payload) != `{"v":"2"}` {
				t.Fatalf("next run differs: %+v", j)
			}
		}
		if open != 1 {
			t.Fatalf("%d pending runs, want 1", open)
		}
	})
}

func TestDaily(t *testing.T) {
	next := jobs.Daily(3, 0, nil)
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	cases := map[string]string{
		"2026-12-02T10:00:00Z": "2026-12-03T03:00:00Z",
		"2026-12-02T02:59:00Z": "2026-12-02T03:00:00Z",
		"2026-12-02T03:00:00Z": "2026-12-03T03:00:00Z",
		"2026-12-31T23:00:00Z": "2027-01-01T03:00:00Z",
	}
	for in, want := range cases {
		if got := next(at(in)); !got.Equal(at(want)) {
			t.Errorf("after %s: %s, want %s", in, got, want)
		}
	}
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	// Across the change to summer time, 03:00 stays 03:00 on the wall.
	got := jobs.Daily(3, 0, paris)(at("2026-03-28T02:00:00Z"))
	if got.In(paris).Hour() != 3 || got.In(paris).Day() != 29 {
		t.Fatalf("got %s", got.In(paris))
	}
}
