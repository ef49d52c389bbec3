package lifecycle_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"frontdesk"
	"frontdesk/lifecycle"
	"frontdesk/store"
	"frontdesk/store/storetest"
)

var ctx = context.Background()

// mustBanned creates an active contact and bans them until until (nil: for good).
func mustBanned(t *testing.T, db *store.DB, i int, until *time.Time) *frontdesk.Person {
	t.Helper()
	p := frontdesk.NewPerson(frontdesk.ChannelAPI)
	name, email := fmt.Sprintf("Banned %d", i), fmt.Sprintf("banned%d@example.com", i)
	if err := frontdesk.ApplyPerson(p, frontdesk.PersonInput{Name: &name, Email: &email}, frontdesk.Rules{PhoneRegion: "US"}); err != nil {
		t.Fatal(err)
	}
	p.State = frontdesk.StateActive
	if err := db.CreatePerson(ctx, p); err != nil {
		t.Fatal(err)
	}
	p, err := db.SetState(ctx, p.ID, store.StateChange{To: frontdesk.StateBanned, BanReason: "spam", BannedUntil: until})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// expiredEntries returns the person.ban_expired entries of a person.
func expiredEntries(t *testing.T, db *store.DB, id int64) []frontdesk.AuditEntry {
	t.Helper()
	entries, _, err := db.ListAudit(ctx, frontdesk.AuditFilter{SubjectType: "person", SubjectID: id, Action: "person.ban_expired"})
	if err != nil {
		t.Fatal(err)
	}
	return entries
}

// L4, L1, L6: a temporary ban ends by itself at its time through the transition table, and the
// end is recorded once, by the system; bans still running and bans for good stay; running the
// job again changes nothing.
func TestBanExpirerEndsBansOnTime_L4_L6(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		start := time.Now()
		soon, later := start.Add(time.Hour), start.Add(48*time.Hour)
		due := mustBanned(t, db, 1, &soon)
		running := mustBanned(t, db, 2, &later)
		forGood := mustBanned(t, db, 3, nil)
		job := lifecycle.NewBanExpirer(db, nil)

		if ids, err := job.RunOnce(ctx, start); err != nil || len(ids) != 0 {
			t.Fatalf("before any ban ended: %v %v", ids, err)
		}
		ids, err := job.RunOnce(ctx, soon) // at the very time the ban ends
		if err != nil || len(ids) != 1 || ids[0] != due.ID {
			t.Fatalf("at the end of the ban: %v %v", ids, err)
		}
		p, _ := db.GetPerson(ctx, due.ID)
		if p.State != frontdesk.StateActive || p.BannedUntil != nil || p.BanReason != "" {
			t.Fatalf("after the ban: %+v", p)
		}
		for _, q := range []*frontdesk.Person{running, forGood} {
			if p, _ := db.GetPerson(ctx, q.ID); p.State != frontdesk.StateBanned {
				t.Errorf("person %d left the ban early: %s", q.ID, p.State)
			}
		}
		entries := expiredEntries(t, db, due.ID)
		if len(entries) != 1 || entries[0].ActorID != nil || entries[0].ActorName != frontdesk.System.Name {
			t.Fatalf("want one entry by the system: %+v", entries)
		}
		var before, after frontdesk.Person
		mustUnmarshal(t, entries[0].Before, &before)
		mustUnmarshal(t, entries[0].After, &after)
		if before.State != frontdesk.StateBanned || before.BannedUntil == nil || after.State != frontdesk.StateActive || after.BannedUntil != nil {
			t.Fatalf("the entry lacks before and after: %s / %s", entries[0].Before, entries[0].After)
		}
		// Idempotent: again at the same time, and later for the others.
		if ids, err := job.RunOnce(ctx, soon); err != nil || len(ids) != 0 {
			t.Fatalf("second run: %v %v", ids, err)
		}
		if ids, err := job.RunOnce(ctx, later.Add(time.Second)); err != nil || len(ids) != 1 || ids[0] != running.ID {
			t.Fatalf("the later ban: %v %v", ids, err)
		}
		if p, _ := db.GetPerson(ctx, forGood.ID); p.State != frontdesk.StateBanned {
			t.Fatalf("a ban for good ended: %s", p.State)
		}
		if n := len(expiredEntries(t, db, due.ID)); n != 1 {
			t.Fatalf("want one entry after running again, got %d", n)
		}
	})
}

// L4: Run ticks on its own and stops with its context.
func TestBanExpirerRunTicks_L4(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		until := time.Now().Add(200 * time.Millisecond)
		p := mustBanned(t, db, 1, &until)
		runCtx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			lifecycle.NewBanExpirer(db, nil).WithInterval(20 * time.Millisecond).Run(runCtx)
			close(done)
		}()
		deadline := time.Now().Add(10 * time.Second)
		for {
			got, err := db.GetPerson(ctx, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.State == frontdesk.StateActive {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the ban did not end by itself")
			}
			time.Sleep(20 * time.Millisecond)
		}
		cancel()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("Run did not stop with its context")
		}
	})
}

// L4, I1: several instances end bans at once, on one SQLite file and on one PostgreSQL
// database, and every ban ends once with one audit entry.
func TestBanExpirerManyInstancesAtOnce_L4_I1(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			cfg := storetest.Config(t, e)
			const instances = 4
			dbs := make([]*store.DB, instances)
			for i := range dbs {
				db, err := store.Open(ctx, cfg)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				dbs[i] = db
			}
			until := time.Now().Add(time.Hour)
			const people = 250 // more than one batch of 200
			var banned []*frontdesk.Person
			for i := range people {
				banned = append(banned, mustBanned(t, dbs[0], i, &until))
			}
			var wg sync.WaitGroup
			counts := make([]int, instances*3)
			for i := range counts {
				wg.Go(func() {
					ids, err := lifecycle.NewBanExpirer(dbs[i%instances], nil).RunOnce(ctx, until.Add(time.Minute))
					if err != nil {
						t.Errorf("instance %d: %v", i, err)
					}
					counts[i] = len(ids)
				})
			}
			wg.Wait()
			total := 0
			for _, n := range counts {
				total += n
			}
			if total != people {
				t.Errorf("want %d bans ended across instances, got %d (%v)", people, total, counts)
			}
			entries, _, err := dbs[0].ListAudit(ctx, frontdesk.AuditFilter{Action: "person.ban_expired", Limit: frontdesk.MaxPageSize})
			if err != nil {
				t.Fatal(err)
			}
			seen := map[int64]int{}
			for _, e := range entries {
				seen[e.SubjectID]++
			}
			for _, p := range banned {
				if seen[p.ID] != 1 {
					t.Errorf("person %d: %d ban_expired entries, want 1", p.ID, seen[p.ID])
				}
				if got, _ := dbs[1].GetPerson(ctx, p.ID); got.State != frontdesk.StateActive {
					t.Errorf("person %d is still %s", p.ID, got.State)
				}
			}
		})
	}
}

func mustUnmarshal(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}
