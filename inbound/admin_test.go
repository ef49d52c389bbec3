package inbound_test

import (
	"context"
	"testing"

	"frontdesk"
)

// C8, X3, R2: changing mailboxes and the suppression list needs settings.manage, and
// reading a received message as it came needs tickets.answer, inside the one path the API
// and the console share: an agent changes neither, a contact reads nothing, and a refused
// change changes nothing.
func TestMailAdminNeedsItsPermission_C8_X3(t *testing.T) {
	each(t, func(t *testing.T, b *box) {
		agent := frontdesk.WithActor(context.Background(), frontdesk.Actor{ID: 7, Role: frontdesk.RoleAgent})
		contact := frontdesk.WithActor(context.Background(), frontdesk.Actor{ID: 8, Role: frontdesk.RoleContact})
		other := "sales@desk.example"
		if _, err := b.SaveMailbox(agent, 0, frontdesk.MailboxInput{Address: &other}); frontdesk.ErrorCode(err) != frontdesk.EForbidden {
			t.Fatalf("agent creates a mailbox: %v", err)
		}
		hold := frontdesk.UnknownSendersHold
		if _, err := b.SaveMailbox(agent, b.mb.ID, frontdesk.MailboxInput{UnknownSenders: &hold}); frontdesk.ErrorCode(err) != frontdesk.EForbidden {
			t.Fatalf("agent changes a mailbox: %v", err)
		}
		if err := b.DeleteMailbox(agent, b.mb.ID); frontdesk.ErrorCode(err) != frontdesk.EForbidden {
			t.Fatalf("agent deletes a mailbox: %v", err)
		}
		if list, _ := b.db.Mailboxes(context.Background()); len(list) != 1 || list[0].UnknownSenders != "" {
			t.Fatalf("a refused change changed the mailboxes: %+v", list)
		}
		if _, _, err := b.Suppress(agent, frontdesk.SuppressionInput{Address: "x@example.net"}); frontdesk.ErrorCode(err) != frontdesk.EForbidden {
			t.Fatalf("agent suppresses: %v", err)
		}
		if _, err := b.db.GetSuppression(context.Background(), "x@example.net"); frontdesk.ErrorCode(err) != frontdesk.ENotFound {
			t.Fatalf("a refused suppression was stored: %v", err)
		}
		sup, added, err := b.Suppress(sys, frontdesk.SuppressionInput{Address: "X@Example.net", Diagnostic: "asked us to"})
		if err != nil || !added || sup.Address != "x@example.net" || sup.Reason != frontdesk.SuppressedByStaff {
			t.Fatalf("suppress: %+v %v %v", sup, added, err)
		}
		if again, added, err := b.Suppress(sys, frontdesk.SuppressionInput{Address: "x@example.net"}); err != nil || added || again.Diagnostic != "asked us to" {
			t.Fatalf("suppress again: %+v %v %v", again, added, err)
		}
		if err := b.Unsuppress(agent, "x@example.net"); frontdesk.ErrorCode(err) != frontdesk.EForbidden {
			t.Fatalf("agent lifts a suppression: %v", err)
		}
		if err := b.Unsuppress(sys, "x@example.net"); err != nil {
			t.Fatal(err)
		}
		m := b.deliver(msg("Rae <rae@example.net>", "Raw", "Private words."))
		if _, err := b.Raw(contact, m.ID); frontdesk.ErrorCode(err) != frontdesk.EForbidden {
			t.Fatalf("contact reads raw mail: %v", err)
		}
		if raw, err := b.Raw(agent, m.ID); err != nil || len(raw) == 0 {
			t.Fatalf("agent reads raw mail: %v", err)
		}
	})
}
