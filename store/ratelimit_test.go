package store_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"frontdesk/auth"
	"frontdesk/store"
	"frontdesk/store/storetest"
)

// Issue 7 item 10: the in-memory and the stored limiter keep one contract: a burst per key,
// then one per interval; a refused call takes nothing from its other keys; Undo gives one
// back, Reset fills the bucket; full buckets are swept from the table.
func TestLimiterContract_Issue7_10(t *testing.T) {
	rate := auth.Rate{Burst: 2, Every: time.Minute}
	limiters := map[string]func(t *testing.T, c *clock) (auth.Limiter, *store.DB){
		"memory": func(t *testing.T, c *clock) (auth.Limiter, *store.DB) {
			l := auth.NewLimiter(rate.Burst, rate.Every)
			l.Now = c.Now
			return l, nil
		},
	}
	for _, e := range storetest.Engines() {
		limiters["store-"+string(e)] = func(t *testing.T, c *clock) (auth.Limiter, *store.DB) {
			db := storetest.Open(t, e, func(cfg *store.Config) { cfg.Now = c.Now })
			return db.Limiter("test", rate), db
		}
	}
	for name, open := range limiters {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			c := &clock{now: time.Unix(1_700_000_000, 0)}
			l, db := open(t, c)
			allow := func(want bool, keys ...string) time.Duration {
				t.Helper()
				ok, wait, err := l.Allow(ctx, keys...)
				if err != nil || ok != want {
					t.Fatalf("Allow(%v) = %v, %v, %v; want %v", keys, ok, wait, err, want)
				}
				return wait
			}
			allow(true, "ip:1", "addr:a")
			allow(true, "ip:1", "addr:a")
			if wait := allow(false, "ip:1", "addr:a"); wait <= 0 || wait > time.Minute {
				t.Fatalf("wait %v", wait)
			}
			// Refused for addr:a, so ip:2 keeps both its attempts.
			allow(false, "ip:2", "addr:a")
			allow(true, "ip:2", "addr:b")
			allow(true, "ip:2")
			allow(false, "ip:2")
			c.Add(time.Minute)
			allow(true, "ip:1", "addr:a")
			allow(false, "ip:1", "addr:a")
			if err := l.Undo(ctx, "addr:a"); err != nil {
				t.Fatal(err)
			}
			allow(false, "ip:1", "addr:a") // ip:1 is still spent
			allow(true, "addr:a")
			if err := l.Reset(ctx, "addr:a"); err != nil {
				t.Fatal(err)
			}
			allow(true, "addr:a")
			allow(true, "addr:a")
			allow(false, "addr:a")
			if db == nil {
				return
			}
			// Long after, every bucket is full again and the next call sweeps them all.
			c.Add(time.Hour)
			allow(true, "addr:z")
			if n, err := db.CountRateLimits(ctx); err != nil || n != 1 {
				t.Fatalf("after the sweep %d buckets are left (%v); want only the new one", n, err)
			}
		})
	}
}

// Issue 7 item 10: two instances on one PostgreSQL share one limit, and concurrent attempts
// from both get exactly the burst between them.
func TestLimiterSharedAcrossInstances_Issue7_10(t *testing.T) {
	if !hasPostgres() {
		t.Skip(storetest.PostgresURLEnv + " is not set")
	}
	ctx := context.Background()
	cfg := storetest.Config(t, store.Postgres)
	rate := auth.Rate{Burst: 5, Every: time.Hour}
	var ls [2]auth.Limiter
	for i := range ls {
		db, err := store.Open(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		ls[i] = db.Limiter("login", rate)
	}
	for i := range 5 {
		if ok, _, err := ls[i%2].Allow(ctx, "ip:1"); !ok || err != nil {
			t.Fatalf("attempt %d: %v %v", i, ok, err)
		}
	}
	if ok, _, _ := ls[0].Allow(ctx, "ip:1"); ok {
		t.Fatal("the second instance's attempts did not count in the first")
	}
	var allowed atomic.Int32
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Go(func() {
			ok, _, err := ls[i%2].Allow(ctx, "ip:2", "addr:shared")
			if err != nil {
				t.Error(err)
			}
			if ok {
				allowed.Add(1)
			}
		})
	}
	wg.Wait()
	if n := allowed.Load(); n != int32(rate.Burst) {
		t.Fatalf("%d of 40 concurrent attempts allowed; want exactly %d", n, rate.Burst)
	}
}
