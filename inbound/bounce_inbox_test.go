package inbound_test

import (
	"context"
	netmail "net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"frontdesk"
	"frontdesk/mail"
)

// X3, C8: a hard bounce of the acknowledgement Frontdesk sent a stranger, coming back to the
// message's signed bounce address, is a bounce: no person, no ticket; the address is
// suppressed and the next mail to it, an agent's reply, is stored suppressed (E5).
func TestBounceThroughInbox_X3_C8_E5(t *testing.T) {
	each(t, func(t *testing.T, b *box) {
		first := b.deliver(msg("Gone Away <gone@example.org>", "Printer", "It is on fire."))
		if first.TicketID == nil {
			t.Fatalf("first mail: %+v", first)
		}
		sent := b.outbox("gone@example.org")
		if len(sent) != 1 {
			t.Fatalf("outbox to the stranger: %d messages", len(sent))
		}
		key, err := mail.AddressKey(context.Background(), b.db)
		if err != nil {
			t.Fatal(err)
		}
		people, tickets := b.count("people"), b.count("tickets")
		raw, err := os.ReadFile(filepath.Join("testdata", "bounces", "postfix-dsn-hard.eml"))
		if err != nil {
			t.Fatal(err)
		}
		bounce := strings.ReplaceAll(string(raw), "%BOUNCE_TO%", mail.BounceAddress(key, "support@desk.example", sent[0].ID))
		bounce = strings.ReplaceAll(bounce, "%MESSAGE_ID%", "<not-quoted@example.org>")
		got := b.deliver([]byte(strings.ReplaceAll(bounce, "\n", "\r\n")))
		if got.Kind != frontdesk.InboundBounce || got.State != frontdesk.InboundDone || got.TicketID != nil {
			t.Fatalf("bounce processed as %+v", got)
		}
		if b.count("people") != people || b.count("tickets") != tickets {
			t.Fatal("a bounce made a person or a ticket")
		}
		if s, err := b.db.GetSuppression(context.Background(), "gone@example.org"); err != nil || s.Reason != frontdesk.SuppressedHardBounce {
			t.Fatalf("suppression %+v, %v", s, err)
		}
		agent := b.person("Ada Agent", frontdesk.RoleAgent, "ada@desk.example")
		asAgent := frontdesk.WithActor(context.Background(), frontdesk.Actor{ID: agent.ID, Role: frontdesk.RoleAgent})
		pub := true
		if _, err := b.flows.AddMessage(asAgent, *first.TicketID, frontdesk.MessageInput{Body: "On our way.", Public: &pub}); err != nil {
			t.Fatal(err)
		}
		if out := b.outbox("gone@example.org"); len(out) != 2 || out[0].State != frontdesk.MessageSuppressed {
			t.Fatalf("the reply after the bounce: %+v", out[0])
		}
	})
}

// T2: an answer written to the Reply-To of Frontdesk's mail, with no In-Reply-To or
// References, threads onto the ticket; the same tag with a forged signature does not.
func TestReplyAddressThreads_T2(t *testing.T) {
	each(t, func(t *testing.T, b *box) {
		first := b.deliver(msg("Cy <cy@example.net>", "Broken screen", "My screen is broken."))
		ticket := *first.TicketID
		sent := b.outbox("cy@example.net")
		key, err := mail.AddressKey(context.Background(), b.db)
		if err != nil {
			t.Fatal(err)
		}
		parsed, err := netmail.ReadMessage(strings.NewReader(string(mail.Compose(sent[0], key))))
		if err != nil {
			t.Fatal(err)
		}
		replyTo, err := netmail.ParseAddress(parsed.Header.Get("Reply-To"))
		if err != nil {
			t.Fatalf("Reply-To %q: %v", parsed.Header.Get("Reply-To"), err)
		}
		reply := b.deliver(msg("Cy <cy@example.net>", "my screen", "Still broken.", "To: "+replyTo.Address))
		if reply.Kind != frontdesk.InboundReply || reply.TicketID == nil || *reply.TicketID != ticket {
			t.Fatalf("reply to the reply address: %+v", reply)
		}
		forged := strings.Replace(replyTo.Address, "-", "x-", 1) // t<id>x-<sig>: not a tag
		other := mail.ReplyAddress([]byte("another key entirely, not ours.."), "support@desk.example", ticket)
		for _, to := range []string{forged, other} {
			got := b.deliver(msg("Cy <cy@example.net>", "Another question "+to[:12], "Hello?", "To: "+to))
			if got.TicketID != nil && *got.TicketID == ticket {
				t.Fatalf("mail to %s joined ticket %d", to, ticket)
			}
		}
	})
}
