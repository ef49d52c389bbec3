package inbound_test

import (
	"context"
	"fmt"
	"strings"
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

// BenchmarkProcess measures the processing job alone: stored messages of a few KB from
// new senders, each becoming a contact and a ticket, on SQLite. bench/inbound measures the
// whole way from SMTP's DATA over a million people.
func BenchmarkProcess(b *testing.B) {
	db := storetest.Open(b, store.SQLite)
	mailer, err := mail.New(db, mail.Config{From: "support@desk.example"})
	if err != nil {
		b.Fatal(err)
	}
	d := intake.New(flow.New(db, mailer, "http://desk.example"))
	d.ClientLimit, d.AddressLimit = auth.NewLimiter(1<<20, time.Millisecond), auth.NewLimiter(1<<20, time.Millisecond)
	in := inbound.New(d)
	defer in.Close()
	addr := "support@desk.example"
	mb, err := db.SaveMailbox(sys, 0, frontdesk.MailboxInput{Address: &addr})
	if err != nil {
		b.Fatal(err)
	}
	text := strings.Repeat("The printer on the third floor prints every page twice. ", 60)
	for i := 0; i < b.N; i++ {
		raw := msg(fmt.Sprintf("Sender %d <sender%d@example.net>", i, i), fmt.Sprintf("Request %d", i), text)
		if _, _, err := in.Receive(context.Background(), &store.Received{MailboxID: mb.ID, Source: frontdesk.ViaAPI, Raw: raw}); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	n, err := in.ProcessPending(context.Background())
	if err != nil || n != b.N {
		b.Fatalf("processed %d of %d: %v", n, b.N, err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}
