package store_test

import (
	"strings"
	"testing"
	"time"

	"frontdesk"
	"frontdesk/store"
	"frontdesk/store/storetest"
)

// T2: the outbox keeps the ticket a message is about, and a reply quoting the message's
// Message-ID finds the ticket through it.
func TestOutboxKeepsTicket_T2(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ticket := int64(42)
		about := mustEnqueue(t, db, &frontdesk.Message{To: "zoe@example.com", TicketID: &ticket})
		plain := mustEnqueue(t, db, &frontdesk.Message{To: "zoe@example.com"})
		if got := mustGetMail(t, db, about.ID); got.TicketID == nil || *got.TicketID != 42 {
			t.Fatalf("stored ticket %v, want 42", got.TicketID)
		}
		if got := mustGetMail(t, db, plain.ID); got.TicketID != nil {
			t.Fatalf("stored ticket %d for a message about none", *got.TicketID)
		}
		claimed := mustClaim(t, db, "w", 10, time.Minute)
		if len(claimed) != 2 || claimed[0].TicketID == nil || *claimed[0].TicketID != 42 || claimed[1].TicketID != nil {
			t.Fatalf("claimed %+v", claimed)
		}
		id, err := db.TicketByMessageID(ctx, []string{"<unknown@example.com>", about.MessageID})
		if err != nil || id != 42 {
			t.Fatalf("ticket by Message-ID: %d, %v", id, err)
		}
	})
}

// X3, E5: an address on the suppression list gets nothing, named by the message's address
// in any letter case or by the person it belongs to; the row says why, with the diagnostic.
// A second suppression keeps the first reason; off the list, mail goes again.
func TestEnqueueMailHonoursSuppressionList_X3_E5(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		sctx := frontdesk.WithActor(ctx, frontdesk.System)
		added, err := db.Suppress(sctx, &frontdesk.Suppression{Address: "Gone@Example.org", Reason: frontdesk.SuppressedHardBounce,
			Diagnostic: "5.1.1 550 user unknown"})
		if err != nil || !added {
			t.Fatalf("suppress: %v %v", added, err)
		}
		if added, err := db.Suppress(sctx, &frontdesk.Suppression{Address: "gone@example.org", Reason: frontdesk.SuppressedByStaff}); err != nil || added {
			t.Fatalf("suppress again: %v %v", added, err)
		}
		p, err := createPersonCtx(ctx, db, frontdesk.PersonInput{Name: ptr("Gone Away"), Email: ptr("gone@example.org")})
		if err != nil {
			t.Fatal(err)
		}
		want := "address suppressed: hard_bounce (5.1.1 550 user unknown)"
		for _, m := range []*frontdesk.Message{
			{To: "GONE@example.ORG"},
			{To: "gone@example.org", PersonID: &p.ID},
		} {
			mustEnqueue(t, db, m)
			got := mustGetMail(t, db, m.ID)
			if got.State != frontdesk.MessageSuppressed || got.SuppressedReason != want {
				t.Errorf("to %s: %s %q, want suppressed %q", m.To, got.State, got.SuppressedReason, want)
			}
		}
		if m := mustEnqueue(t, db, &frontdesk.Message{To: "here@example.org"}); m.State != frontdesk.MessageQueued {
			t.Fatalf("an address off the list: %s %q", m.State, m.SuppressedReason)
		}
		list, next, err := db.Suppressions(ctx, "", 10)
		if err != nil || len(list) != 1 || next != "" || list[0].Address != "gone@example.org" || list[0].Reason != frontdesk.SuppressedHardBounce {
			t.Fatalf("suppressions %+v %q %v", list, next, err)
		}
		if err := db.Unsuppress(sctx, "GONE@example.org"); err != nil {
			t.Fatal(err)
		}
		if m := mustEnqueue(t, db, &frontdesk.Message{To: "gone@example.org"}); m.State != frontdesk.MessageQueued ||
			strings.Contains(m.SuppressedReason, "suppressed") {
			t.Fatalf("after unsuppress: %s %q", m.State, m.SuppressedReason)
		}
	})
}
