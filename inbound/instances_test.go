package inbound_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"frontdesk"
	"frontdesk/auth"
	"frontdesk/flow"
	"frontdesk/inbound"
	"frontdesk/intake"
	"frontdesk/mail"
	"frontdesk/store"
	"frontdesk/store/storetest"
)

// Several instances on one PostgreSQL process each stored message once: 60 messages, four
// inboxes working at the same time, 60 tickets (C8).
func TestInstancesProcessEachMessageOnce_C8(t *testing.T) {
	if !storetestHasPostgres() {
		t.Skip(storetest.PostgresURLEnv + " is not set")
	}
	cfg := storetest.Config(t, store.Postgres)
	const n = 4
	boxes := make([]*inbound.Inbox, n)
	var first *store.DB
	for i := range boxes {
		db, err := store.Open(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		if first == nil {
			first = db
		}
		mailer, err := mail.New(db, mail.Config{From: "support@desk.example"})
		if err != nil {
			t.Fatal(err)
		}
		d := intake.New(flow.New(db, mailer, "http://desk.example"))
		d.ClientLimit, d.AddressLimit = auth.NewLimiter(1<<20, time.Millisecond), auth.NewLimiter(1<<20, time.Millisecond)
		boxes[i] = inbound.New(d)
	}
	addr := "support@desk.example"
	mb, err := first.SaveMailbox(sys, 0, frontdesk.MailboxInput{Address: &addr})
	if err != nil {
		t.Fatal(err)
	}
	const messages = 60
	for i := range messages {
		raw := msg(fmt.Sprintf("Sender %d <sender%d@example.net>", i%7, i%7), fmt.Sprintf("Request %d", i), "Please help.")
		if _, _, err := boxes[i%n].Receive(context.Background(), &store.Received{MailboxID: mb.ID, Source: frontdesk.ViaAPI, Raw: raw}); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for _, b := range boxes {
		wg.Go(func() {
			for {
				if _, err := b.ProcessPending(context.Background()); err != nil {
					t.Error(err)
					return
				}
				if n, _, _ := first.InboundBacklog(context.Background()); n == 0 {
					return
				}
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
	wg.Wait()
	tickets, err := first.CountRows(context.Background(), "tickets")
	if err != nil {
		t.Fatal(err)
	}
	people, _ := first.CountRows(context.Background(), "people")
	if tickets != messages || people != 7 {
		t.Fatalf("%d tickets and %d people, want %d and 7", tickets, people, messages)
	}
}

func storetestHasPostgres() bool {
	for _, e := range storetest.Engines() {
		if e == store.Postgres {
			return true
		}
	}
	return false
}
