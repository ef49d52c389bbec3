package store_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sync"
	"testing"
	"time"

	"frontdesk"
	"frontdesk/store"
	"frontdesk/store/storetest"
)

func mustEnqueue(t *testing.T, db *store.DB, m *frontdesk.Message) *frontdesk.Message {
	t.Helper()
	if m.From == "" {
		m.From = "Help <help@example.com>"
	}
	if m.Subject == "" {
		m.Subject, m.Text = "Hello", "Hello there"
	}
	if err := db.EnqueueMail(ctx, m); err != nil {
		t.Fatalf("enqueue: %v", err)
	}
	return m
}

func createPersonCtx(ctx context.Context, db *store.DB, in frontdesk.PersonInput) (*frontdesk.Person, error) {
	p := frontdesk.NewPerson(frontdesk.ChannelAPI)
	if err := frontdesk.ApplyPerson(p, in, frontdesk.Rules{PhoneRegion: "US"}); err != nil {
		return nil, err
	}
	p.State = frontdesk.InitialState(p)
	return p, db.CreatePerson(ctx, p)
}

func mustClaim(t *testing.T, db *store.DB, worker string, n int, lease time.Duration) []*frontdesk.Message {
	t.Helper()
	msgs, err := db.ClaimMail(ctx, worker, n, lease)
	if err != nil {
		t.Fatalf("claim: %v", err)
	}
	return msgs
}

func mustGetMail(t *testing.T, db *store.DB, id int64) *frontdesk.Message {
	t.Helper()
	m, err := db.GetMail(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// E6: mail queued in a transaction that rolls back is gone with the change that caused it;
// in one that commits it is there once, with a Message-ID fixed at enqueue.
func TestEnqueueMailJoinsTransaction_E6(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		boom := errors.New("boom")
		err := db.WithTx(ctx, func(ctx context.Context) error {
			p, err := createPersonCtx(ctx, db, frontdesk.PersonInput{Name: ptr("Rolled Back"), Email: ptr("rb@example.com")})
			if err != nil {
				return err
			}
			if err := db.EnqueueMail(ctx, &frontdesk.Message{PersonID: &p.ID, To: "rb@example.com", From: "help@example.com", Subject: "s", Text: "t"}); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("want boom, got %v", err)
		}
		if msgs, _, err := db.ListMail(ctx, frontdesk.MailFilter{}, frontdesk.Page{}); err != nil || len(msgs) != 0 {
			t.Fatalf("rolled back mail is in the outbox: %v %v", msgs, err)
		}

		var queued *frontdesk.Message
		err = db.WithTx(ctx, func(ctx context.Context) error {
			p, err := createPersonCtx(ctx, db, frontdesk.PersonInput{Name: ptr("Committed"), Email: ptr("c@example.com")})
			if err != nil {
				return err
			}
			queued = &frontdesk.Message{PersonID: &p.ID, To: "c@example.com", ToName: "Committed", From: "Help <help@example.com>",
				Template: "welcome", Subject: "Welcome", Text: "Hi", HTML: "<p>Hi</p>"}
			return db.EnqueueMail(ctx, queued)
		})
		if err != nil {
			t.Fatal(err)
		}
		msgs, _, err := db.ListMail(ctx, frontdesk.MailFilter{}, frontdesk.Page{})
		if err != nil || len(msgs) != 1 {
			t.Fatalf("want one message, got %v %v", msgs, err)
		}
		m := msgs[0]
		if m.State != frontdesk.MessageQueued || m.Attempts != 0 || m.To != "c@example.com" || m.HTML != "<p>Hi</p>" || m.Template != "welcome" {
			t.Fatalf("stored message: %+v", m)
		}
		if !regexp.MustCompile(fmt.Sprintf(`^<outbox-%d\.[0-9a-f]{24}@example\.com>$`, m.ID)).MatchString(m.MessageID) || m.MessageID != queued.MessageID {
			t.Fatalf("message id %q (returned %q)", m.MessageID, queued.MessageID)
		}
	})
}

// E5, P6, P7: mail to a machine contact or a do-not-email contact is stored suppressed with
// the reason, whether the caller names the person or only their address, and never claimed.
func TestEnqueueMailSuppressed_E5_P6_P7(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		machine := mustCreatePerson(t, db, frontdesk.PersonInput{Name: ptr("Fax Machine"), Email: ptr("fax@example.com"), Machine: ptr(true)})
		dne := mustCreatePerson(t, db, frontdesk.PersonInput{Name: ptr("Quiet One"), Email: ptr("quiet@example.com"), DoNotEmail: ptr(true)})
		ok := mustCreatePerson(t, db, frontdesk.PersonInput{Name: ptr("Happy One"), Email: ptr("happy@example.com")})
		cases := []struct {
			name   string
			msg    *frontdesk.Message
			state  frontdesk.MessageState
			reason string
		}{
			{"machine by id", &frontdesk.Message{PersonID: &machine.ID, To: "fax@example.com"}, frontdesk.MessageSuppressed, "machine contact"},
			{"do-not-email by id", &frontdesk.Message{PersonID: &dne.ID, To: "quiet@example.com"}, frontdesk.MessageSuppressed, "do not email"},
			{"do-not-email by address only", &frontdesk.Message{To: " Quiet@Example.com "}, frontdesk.MessageSuppressed, "do not email"},
			{"no address", &frontdesk.Message{PersonID: &ok.ID}, frontdesk.MessageSuppressed, "no email address"},
			{"allowed", &frontdesk.Message{PersonID: &ok.ID, To: "happy@example.com"}, frontdesk.MessageQueued, ""},
		}
		for _, c := range cases {
			m := mustEnqueue(t, db, c.msg)
			got := mustGetMail(t, db, m.ID)
			if got.State != c.state || got.SuppressedReason != c.reason {
				t.Errorf("%s: state %s reason %q, want %s %q", c.name, got.State, got.SuppressedReason, c.state, c.reason)
			}
		}
		claimed := mustClaim(t, db, "w", 100, time.Minute)
		if len(claimed) != 1 || claimed[0].To != "happy@example.com" {
			t.Fatalf("claimed %d messages, want only the allowed one", len(claimed))
		}
		suppressed, _, err := db.ListMail(ctx, frontdesk.MailFilter{State: frontdesk.MessageSuppressed}, frontdesk.Page{})
		if err != nil || len(suppressed) != 4 {
			t.Fatalf("want 4 suppressions recorded, got %d %v", len(suppressed), err)
		}
		if _, err := db.GetMail(ctx, 999999); frontdesk.ErrorCode(err) != frontdesk.ENotFound {
			t.Fatalf("missing message: %v", err)
		}
		missing := int64(999999)
		wantCode(t, db.EnqueueMail(ctx, &frontdesk.Message{PersonID: &missing, To: "x@example.com", From: "a@example.com", Subject: "s"}), frontdesk.ENotFound)
		wantCode(t, db.EnqueueMail(ctx, &frontdesk.Message{To: "x@example.com", From: "a@example.com", Subject: "s\r\nBcc: y@example.com"}), frontdesk.EInvalid)
	})
}

// E6: claiming takes due messages under a lease; a failure queues a message again for its
// retry time or abandons it; only the holder may mark a failure; an expired lease hands the
// message to another worker; marking sent is idempotent; release and retry put messages back.
func TestClaimMailLifecycle_E6(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		var ids []int64
		for i := range 5 {
			ids = append(ids, mustEnqueue(t, db, &frontdesk.Message{To: fmt.Sprintf("u%d@example.com", i)}).ID)
		}
		a := mustClaim(t, db, "a", 3, time.Minute)
		b := mustClaim(t, db, "b", 3, time.Minute)
		if len(a) != 3 || len(b) != 2 || len(mustClaim(t, db, "c", 3, time.Minute)) != 0 {
			t.Fatalf("claims: %d %d", len(a), len(b))
		}
		if a[0].ID != ids[0] || a[0].State != frontdesk.MessageSending || a[0].Attempts != 1 || a[0].Worker != "a" || a[0].LeaseUntil == nil {
			t.Fatalf("claimed: %+v", a[0])
		}

		// Only the holder marks a failure.
		if err := db.MarkMailFailed(ctx, a[0].ID, "b", "nope", time.Now()); err != nil {
			t.Fatal(err)
		}
		if m := mustGetMail(t, db, a[0].ID); m.State != frontdesk.MessageSending {
			t.Fatalf("a non-holder changed the message: %s", m.State)
		}
		// Retry later: not due yet. Retry now: due.
		if err := db.MarkMailFailed(ctx, a[0].ID, "a", "451 busy", time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := db.MarkMailFailed(ctx, a[1].ID, "a", "451 busy", time.Now().Add(-time.Second)); err != nil {
			t.Fatal(err)
		}
		if m := mustGetMail(t, db, a[0].ID); m.State != frontdesk.MessageQueued || m.LastError != "451 busy" || m.Worker != "" {
			t.Fatalf("failed message: %+v", m)
		}
		again := mustClaim(t, db, "c", 10, time.Minute)
		if len(again) != 1 || again[0].ID != a[1].ID || again[0].Attempts != 2 {
			t.Fatalf("reclaimed: %v", again)
		}
		// Abandon.
		if err := db.MarkMailFailed(ctx, again[0].ID, "c", "550 no such user", time.Time{}); err != nil {
			t.Fatal(err)
		}
		if m := mustGetMail(t, db, again[0].ID); m.State != frontdesk.MessageAbandoned {
			t.Fatalf("want abandoned, got %s", m.State)
		}
		if err := db.RetryMail(ctx, again[0].ID); err != nil {
			t.Fatal(err)
		}
		if m := mustGetMail(t, db, again[0].ID); m.State != frontdesk.MessageQueued || m.Attempts != 0 {
			t.Fatalf("retried: %+v", m)
		}
		wantCode(t, db.RetryMail(ctx, again[0].ID), frontdesk.EConflict)

		// Sent, twice.
		for range 2 {
			if err := db.MarkMailSent(ctx, a[2].ID, frontdesk.ViaSMTP); err != nil {
				t.Fatal(err)
			}
		}
		if m := mustGetMail(t, db, a[2].ID); m.State != frontdesk.MessageSent || m.SentAt == nil || m.Via != frontdesk.ViaSMTP || m.Worker != "" {
			t.Fatalf("sent: %+v", m)
		}
		wantCode(t, db.MarkMailSent(ctx, 999999, frontdesk.ViaSMTP), frontdesk.ENotFound)

		// Release hands b's messages back without counting an attempt.
		if err := db.ReleaseMail(ctx, "b", []int64{b[0].ID}); err != nil {
			t.Fatal(err)
		}
		if m := mustGetMail(t, db, b[0].ID); m.State != frontdesk.MessageQueued || m.Attempts != 0 {
			t.Fatalf("released: %+v", m)
		}

		// A lease that ran out goes to the next worker, with one more attempt; the first
		// worker can no longer mark it failed.
		short := mustClaim(t, db, "d", 10, time.Millisecond)
		if len(short) != 2 { // the retried one and the released one; b still holds b[1]
			t.Fatalf("claimed %d, want 2", len(short))
		}
		time.Sleep(10 * time.Millisecond)
		taken := mustClaim(t, db, "e", 10, time.Minute)
		if len(taken) != 2 {
			t.Fatalf("expired leases: re-taken %d, want 2", len(taken))
		}
		for i, m := range taken {
			if m.Worker != "e" || m.ID != short[i].ID || m.Attempts != short[i].Attempts+1 {
				t.Fatalf("re-taken: %+v after %+v", m, short[i])
			}
		}
		if err := db.MarkMailFailed(ctx, short[0].ID, "d", "late", time.Now()); err != nil {
			t.Fatal(err)
		}
		if m := mustGetMail(t, db, short[0].ID); m.Worker != "e" || m.State != frontdesk.MessageSending {
			t.Fatalf("a worker whose lease ran out changed the message: %+v", m)
		}

		counts, err := db.CountMail(ctx)
		if err != nil || counts[frontdesk.MessageSent] != 1 {
			t.Fatalf("counts: %v %v", counts, err)
		}
	})
}

// E6, I1: workers claiming at once, over one pool and, on PostgreSQL, over several
// instances, never take one message twice and leave none behind.
func TestClaimMailConcurrent_E6_I1(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) { claimConcurrently(t, engine) })
	}
}

func claimConcurrently(t *testing.T, engine store.Engine) {
	cfg := storetest.Config(t, engine)
	var dbs []*store.DB
	instances := 1
	if engine == store.Postgres {
		instances = 3 // several instances on one database (I1)
	}
	for range instances {
		db, err := store.Open(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		dbs = append(dbs, db)
	}
	{
		db := dbs[0]
		const total = 300
		for i := range total {
			mustEnqueue(t, db, &frontdesk.Message{To: fmt.Sprintf("c%d@example.com", i)})
		}
		var mu sync.Mutex
		seen := map[int64]string{}
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for w := range 8 {
			wg.Go(func() {
				name := fmt.Sprint("w", w)
				for {
					msgs, err := dbs[w%len(dbs)].ClaimMail(ctx, name, 7, time.Minute)
					if err != nil {
						errs <- err
						return
					}
					if len(msgs) == 0 {
						return
					}
					mu.Lock()
					for _, m := range msgs {
						if prev, dup := seen[m.ID]; dup {
							errs <- fmt.Errorf("message %d claimed by %s and %s", m.ID, prev, name)
						}
						seen[m.ID] = name
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if len(seen) != total {
			t.Fatalf("claimed %d of %d", len(seen), total)
		}
	}
}

// I4, E6: the local mailbox lists newest first, page by page, and filters by state.
func TestListMail_I4(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		for i := range 7 {
			mustEnqueue(t, db, &frontdesk.Message{To: fmt.Sprintf("l%d@example.com", i)})
		}
		var got []int64
		page := frontdesk.Page{Limit: 3}
		for {
			msgs, next, err := db.ListMail(ctx, frontdesk.MailFilter{}, page)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range msgs {
				got = append(got, m.ID)
			}
			if next == 0 {
				break
			}
			page.After = next
		}
		if len(got) != 7 || got[0] < got[6] {
			t.Fatalf("pages: %v", got)
		}
		msgs, _, err := db.ListMail(ctx, frontdesk.MailFilter{To: "L3@example.com"}, frontdesk.Page{})
		if err != nil || len(msgs) != 1 {
			t.Fatalf("filter by address: %v %v", msgs, err)
		}
	})
}

// E4, L6: admins' template versions are saved, replaced, listed and removed, each audited.
func TestMailTemplates_E4_L6(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		wantCode(t, func() error { _, err := db.GetMailTemplate(ctx, "welcome"); return err }(), frontdesk.ENotFound)
		tpl := &frontdesk.MailTemplate{Name: "welcome", Subject: "Hi {{.first_name}}", Text: "t", HTML: "<p>h</p>"}
		if err := db.SaveMailTemplate(ctx, tpl); err != nil {
			t.Fatal(err)
		}
		tpl.Subject = "Hello {{.first_name}}"
		if err := db.SaveMailTemplate(ctx, tpl); err != nil {
			t.Fatal(err)
		}
		got, err := db.GetMailTemplate(ctx, "welcome")
		if err != nil || got.Subject != "Hello {{.first_name}}" || !got.Custom || got.UpdatedAt == nil {
			t.Fatalf("got %+v %v", got, err)
		}
		list, err := db.ListMailTemplates(ctx)
		if err != nil || len(list) != 1 {
			t.Fatalf("list: %v %v", list, err)
		}
		if err := db.DeleteMailTemplate(ctx, "welcome"); err != nil {
			t.Fatal(err)
		}
		wantCode(t, db.DeleteMailTemplate(ctx, "welcome"), frontdesk.ENotFound)
		entries, _, err := db.ListAudit(ctx, frontdesk.AuditFilter{SubjectType: "mail_template"})
		if err != nil || len(entries) != 3 || entries[0].Action != "mail_template.delete" || entries[2].Before != nil {
			t.Fatalf("audit: %+v %v", entries, err)
		}
	})
}
