package inbound

import (
	"context"
	"errors"
	"testing"
	"time"

	"frontdesk"
	"frontdesk/auth"
	"frontdesk/flow"
	"frontdesk/intake"
	"frontdesk/mail"
	"frontdesk/store"
	"frontdesk/store/storetest"
)

// A crash in the middle of processing (here: the transaction fails after the ticket was
// made) leaves the message waiting and nothing made; the next run makes exactly one ticket
// (C8).
func TestProcessingCrashLosesAndDuplicatesNothing_C8(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			db := storetest.Open(t, e)
			mailer, err := mail.New(db, mail.Config{From: "support@desk.example"})
			if err != nil {
				t.Fatal(err)
			}
			d := intake.New(flow.New(db, mailer, "http://desk.example"))
			d.ClientLimit, d.AddressLimit = auth.NewLimiter(1<<20, time.Millisecond), auth.NewLimiter(1<<20, time.Millisecond)
			in := New(d)
			defer in.Close()
			sys := frontdesk.WithActor(context.Background(), frontdesk.System)
			addr := "support@desk.example"
			mb, err := db.SaveMailbox(sys, 0, frontdesk.MailboxInput{Address: &addr})
			if err != nil {
				t.Fatal(err)
			}
			raw := []byte("From: Kay <kay@example.net>\r\nTo: support@desk.example\r\nSubject: Crash\r\nMessage-ID: <crash@example.net>\r\n\r\nHello.\r\n")
			id, _, err := in.Receive(context.Background(), &store.Received{MailboxID: mb.ID, Source: frontdesk.ViaAPI, Raw: raw})
			if err != nil {
				t.Fatal(err)
			}
			crash := errors.New("power cut")
			err = db.WithTx(context.Background(), func(ctx context.Context) error {
				m, raw, err := db.ClaimInbound(ctx, id)
				if err != nil || m == nil {
					t.Fatalf("claim: %v %v", m, err)
				}
				if out := in.process(ctx, m, raw); out.retry != nil || out.TicketID == 0 {
					t.Fatalf("process: %+v", out)
				}
				return crash
			})
			if !errors.Is(err, crash) {
				t.Fatal(err)
			}
			if n, _ := db.CountRows(context.Background(), "tickets"); n != 0 {
				t.Fatalf("%d tickets after the crash", n)
			}
			if n, err := in.ProcessPending(context.Background()); err != nil || n != 1 {
				t.Fatalf("processed %d, %v", n, err)
			}
			if n, err := in.ProcessPending(context.Background()); err != nil || n != 0 {
				t.Fatalf("processed again %d, %v", n, err)
			}
			if n, _ := db.CountRows(context.Background(), "tickets"); n != 1 {
				t.Fatalf("%d tickets, want 1", n)
			}
		})
	}
}
