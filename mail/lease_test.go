package mail

import (
	"fmt"
	"testing"
	"time"

	"frontdesk"
	"frontdesk/mail/mailtest"
	"frontdesk/store"
	"frontdesk/store/storetest"
)

// Issue 7, item 22: a worker keeps renewing a short lease while a slow server takes its batch,
// so another worker never starts a message it is still sending, and nothing goes out twice.
func TestLeaseRenewedWhileSending_E6_Issue7(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		sink := mailtest.NewServer(t, mailtest.Options{})
		sink.SetReject(func(mailtest.Message) error { time.Sleep(80 * time.Millisecond); return nil })
		m := mustMailer(t, db)
		const n = 6
		for i := range n {
			p := mustPerson(t, ctx, db, frontdesk.PersonInput{Name: ptr("Slow Sink"), Email: ptr(fmt.Sprintf("slow%d@example.com", i))})
			mustQueue(t, ctx, m, LoginCode, p, Vars{Code: "123456"})
		}
		// The batch takes about 6 × 80 ms, twice the lease.
		const lease = 240 * time.Millisecond
		slow := testWorker(db, sink, "slow", func(c *WorkerConfig) { c.Lease = lease })
		done := make(chan error, 1)
		go func() { _, err := slow.RunOnce(ctx); done <- err }()
		sink.Wait(t, 1, 5*time.Second) // the slow worker holds the batch
		other := testWorker(db, sink, "other", func(c *WorkerConfig) { c.Lease = lease })
		deadline := time.After(5 * time.Second)
		for finished := false; !finished; {
			select {
			case err := <-done:
				if err != nil {
					t.Fatal(err)
				}
				finished = true
			case <-deadline:
				t.Fatal("the slow worker did not finish")
			default:
				if got := mustRunOnce(t, other); got != 0 {
					t.Fatalf("another worker took %d messages the slow worker was still sending", got)
				}
				time.Sleep(10 * time.Millisecond)
			}
		}
		seen := map[string]int{}
		for _, r := range sink.Messages() {
			seen[r.MessageID]++
		}
		if len(seen) != n || len(sink.Messages()) != n {
			t.Fatalf("received %d messages, %d distinct, want %d once each", len(sink.Messages()), len(seen), n)
		}
	})
}

// Issue 7, item 22: a worker that starts again under the name it had when it died queues at
// once what it held then, instead of leaving those messages to wait out their lease.
func TestRestartedWorkerTakesBackItsMessages_E6_Issue7(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		sink := mailtest.NewServer(t, mailtest.Options{})
		m := mustMailer(t, db)
		for i := range 3 {
			p := mustPerson(t, ctx, db, frontdesk.PersonInput{Name: ptr("Held Over"), Email: ptr(fmt.Sprintf("held%d@example.com", i))})
			mustQueue(t, ctx, m, LoginCode, p, Vars{Code: "123456"})
		}
		// The process died holding these under a lease that has an hour to run.
		held, err := db.ClaimMail(ctx, "host@127.0.0.1:8080", 10, time.Hour)
		if err != nil || len(held) != 3 {
			t.Fatalf("claim: %d, %v", len(held), err)
		}
		stop := start(t, testWorker(db, sink, "host@127.0.0.1:8080", func(c *WorkerConfig) { c.Lease = time.Hour }))
		defer stop()
		got := sink.Wait(t, 3, 5*time.Second)
		stop()
		for _, msg := range allMail(t, db) {
			if msg.State != frontdesk.MessageSent {
				t.Errorf("message %d is %s", msg.ID, msg.State)
			}
		}
		if len(got) != 3 {
			t.Fatalf("received %d", len(got))
		}
	})
}
