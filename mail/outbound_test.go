package mail

import (
	"mime"
	netmail "net/mail"
	"strings"
	"testing"
	"time"

	"frontdesk"
	"frontdesk/mail/mailtest"
	"frontdesk/store"
	"frontdesk/store/storetest"
)

func mustKey(t testing.TB, db *store.DB) []byte {
	t.Helper()
	k, err := AddressKey(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustSuppress(t testing.TB, db *store.DB, address, reason, diagnostic string) {
	t.Helper()
	if _, err := db.Suppress(ctx, &frontdesk.Suppression{Address: address, Reason: reason, Diagnostic: diagnostic}); err != nil {
		t.Fatal(err)
	}
}

// T2, X3: a message about a ticket goes out with the envelope sender its own signed bounce
// address (VERP) and Reply-To the ticket's signed reply address; the outbox row keeps the
// ticket. The SMTP server is real, so MAIL FROM is what it saw.
func TestDeliveryCarriesSignedAddresses_T2_X3(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		sink := mailtest.NewServer(t, mailtest.Options{})
		m := mustMailer(t, db)
		p := mustPerson(t, ctx, db, frontdesk.PersonInput{Name: ptr("Zoë Ünal"), Email: ptr("zoe@example.com")})
		about := mustQueue(t, ctx, m, RequestReceived, p, Vars{TicketID: 42, TicketSubject: "Printer", TicketLink: "https://x"})
		plain := mustQueue(t, ctx, m, Welcome, p, Vars{Link: "https://x"})
		if got := mustGetMail(t, db, about.ID); got.TicketID == nil || *got.TicketID != 42 {
			t.Fatalf("stored ticket of the message: %v", got.TicketID)
		}
		if got := mustGetMail(t, db, plain.ID); got.TicketID != nil {
			t.Fatalf("a message about no ticket stored ticket %d", *got.TicketID)
		}
		mustRunOnce(t, testWorker(db, sink, "w"))
		got := sink.Messages()
		if len(got) != 2 {
			t.Fatalf("want 2 messages, got %d", len(got))
		}
		key := mustKey(t, db)
		for _, g := range got {
			want := about
			if g.MessageID == plain.MessageID {
				want = plain
			}
			if id, ok := ParseBounceAddress(key, g.From); !ok || id != want.ID || g.From != BounceAddress(key, "help@example.com", want.ID) {
				t.Errorf("MAIL FROM %q: names message %d (%v), want %d", g.From, id, ok, want.ID)
			}
			rt := g.Header.Get("Reply-To")
			if want == plain {
				if rt != "" {
					t.Errorf("Reply-To %q on mail about no ticket", rt)
				}
				continue
			}
			a, err := (&mime.WordDecoder{}).DecodeHeader(rt)
			addr, err2 := netmail.ParseAddress(a)
			if err != nil || err2 != nil {
				t.Fatalf("Reply-To %q: %v %v", rt, err, err2)
			}
			if id, ok := ParseReplyAddress(key, addr.Address); !ok || id != 42 || addr.Name != "Help Désk" {
				t.Errorf("Reply-To %q names ticket %d (%v), want 42", rt, id, ok)
			}
		}
	})
}

// T2, C8: automatic mail says so (RFC 3834) so that responders do not answer it; an agent's
// reply to a ticket is a person's answer and does not. Both compose to the same bytes every
// time, Reply-To included.
func TestComposeAutoSubmittedAndReplyTo_T2_C8(t *testing.T) {
	ticket := int64(9)
	base := frontdesk.Message{ID: 3, To: "zoe@example.com", From: "Help <help@example.com>", Subject: "Re: Printer",
		Text: "Fixed.", MessageID: "<outbox-3.x@example.com>", TicketID: &ticket, CreatedAt: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}
	for tmpl, automatic := range map[string]bool{TicketReply: false, RequestReceived: true, Welcome: true, ConfirmRequest: true} {
		msg := base
		msg.Template = tmpl
		raw := Compose(&msg, testKey)
		if string(raw) != string(Compose(&msg, testKey)) {
			t.Fatalf("%s: composing twice gives different bytes", tmpl)
		}
		parsed, err := netmail.ReadMessage(strings.NewReader(string(raw)))
		if err != nil {
			t.Fatal(err)
		}
		h := parsed.Header
		if got := h.Get("Auto-Submitted") == "auto-generated"; got != automatic {
			t.Errorf("%s: Auto-Submitted %q, want automatic %v", tmpl, h.Get("Auto-Submitted"), automatic)
		}
		if strings.Contains(h.Get("X-Auto-Response-Suppress"), "All") {
			t.Errorf("%s: X-Auto-Response-Suppress %q would suppress the bounces X3 needs", tmpl, h.Get("X-Auto-Response-Suppress"))
		}
		if want := `"Help" <` + ReplyAddress(testKey, "help@example.com", 9) + ">"; h.Get("Reply-To") != want {
			t.Errorf("%s: Reply-To %q, want %q", tmpl, h.Get("Reply-To"), want)
		}
	}
}

// X3, E5: an address on the suppression list gets no mail by any outbound path, in any
// letter case; each message is stored suppressed with the reason and the diagnostic, and the
// worker sends nothing. An address off the list still gets its mail.
func TestSuppressionListHonoured_X3_E5(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		sink := mailtest.NewServer(t, mailtest.Options{})
		m := mustMailer(t, db)
		mustSuppress(t, db, "Gone@Example.com", frontdesk.SuppressedHardBounce, "550 5.1.1 user unknown")
		gone := mustPerson(t, ctx, db, frontdesk.PersonInput{Name: ptr("Gone Away"), Email: ptr("gone@example.com")})
		fine := mustPerson(t, ctx, db, frontdesk.PersonInput{Name: ptr("Still Here"), Email: ptr("here@example.com")})
		a := mustQueue(t, ctx, m, TicketReply, gone, Vars{TicketID: 1, ReplyBody: "hi"})
		b, err := m.QueueAddress(ctx, ConfirmRequest, "GONE@example.com", "Gone", Vars{Link: "https://x"})
		if err != nil {
			t.Fatal(err)
		}
		c := mustQueue(t, ctx, m, Welcome, fine, Vars{Link: "https://x"})
		mustRunOnce(t, testWorker(db, sink, "w"))
		want := "address suppressed: hard_bounce (550 5.1.1 user unknown)"
		for _, msg := range []*frontdesk.Message{a, b} {
			got := mustGetMail(t, db, msg.ID)
			if got.State != frontdesk.MessageSuppressed || got.SuppressedReason != want || msg.State != frontdesk.MessageSuppressed {
				t.Errorf("message %d to %s: %s %q, want suppressed %q", got.ID, got.To, got.State, got.SuppressedReason, want)
			}
		}
		if got := sink.Messages(); len(got) != 1 || got[0].MessageID != c.MessageID {
			t.Fatalf("want only the mail to here@example.com, got %d messages", len(got))
		}
		// Off the list, mail goes again.
		if err := db.Unsuppress(ctx, "gone@example.com"); err != nil {
			t.Fatal(err)
		}
		if d := mustQueue(t, ctx, m, Welcome, gone, Vars{Link: "https://x"}); d.State != frontdesk.MessageQueued {
			t.Fatalf("after unsuppress: %s %q", d.State, d.SuppressedReason)
		}
	})
}
