package inbound

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"frontdesk"
	"frontdesk/mail"
	"frontdesk/store"
	"frontdesk/store/storetest"
)

var bctx = frontdesk.WithActor(context.Background(), frontdesk.System)

// bounceSample reads a sample bounce with the original's Message-ID and the address it
// came back to filled in.
func bounceSample(t testing.TB, name, messageID, bounceTo string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "bounces", name))
	if err != nil {
		t.Fatal(err)
	}
	s := strings.ReplaceAll(string(raw), "\r\n", "\n")
	s = strings.ReplaceAll(s, "\n", "\r\n")
	s = strings.ReplaceAll(s, "%MESSAGE_ID%", messageID)
	return []byte(strings.ReplaceAll(s, "%BOUNCE_TO%", bounceTo))
}

// C8, X3: each sample is read as what it is: the failed recipients with hard or soft
// status, what the bounce quotes of the original; a delay warning and a broken report are
// bounces that report no failure; an auto-reply, a read receipt and a customer's mail about an
// "undeliverable" parcel are not bounces.
func TestParseBounce_C8_X3(t *testing.T) {
	const mid, to = "<outbox-7.abc123@example.com>", "support+b7-abcdefghij@example.com"
	type want struct {
		addr, status string
		hard         bool
		diag         string
	}
	cases := []struct {
		file       string
		bounce     bool
		recipients []want
		origTo     string
	}{
		{"postfix-dsn-hard.eml", true, []want{{"gone@example.org", "5.1.1", true, "550 5.1.1 <gone@example.org>: Recipient address rejected: User unknown in virtual mailbox table"}}, "gone@example.org"},
		{"gmail-dsn-soft.eml", true, []want{{"full@example.org", "4.2.2", false, "452 4.2.2 The email account that you tried to reach is over quota."}}, "full@example.org"},
		{"dsn-delayed.eml", true, nil, "slow@example.org"},
		{"exim-plain.eml", true, []want{{"nobody@example.org", "5.1.1", true, "550 5.1.1 <nobody@example.org>: Recipient address rejected: User unknown"}}, "nobody@example.org"},
		{"qmail.eml", true, []want{{"old.staff@example.org", "5.1.1", true, "Sorry, no mailbox here by that name. (#5.1.1)"}}, "old.staff@example.org"},
		{"exchange-dsn-base64.eml", true, []want{{"andre.martin@contoso.example", "5.1.10", true, "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup"}}, "andre.martin@contoso.example"},
		{"sendmail-plain-soft.eml", true, []want{{"busy@example.org", "4.2.2", false, "(reason: 452 4.2.2 Mailbox full, réessayez plus tard)"}}, "busy@example.org"},
		{"broken-report.eml", true, nil, ""},
		{"autoreply-not-bounce.eml", false, nil, ""},
		{"customer-not-bounce.eml", false, nil, ""},
		{"read-receipt-not-bounce.eml", false, nil, ""},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			rep, ok := ParseBounce(bounceSample(t, c.file, mid, to))
			if ok != c.bounce {
				t.Fatalf("bounce %v, want %v (%+v)", ok, c.bounce, rep)
			}
			if !ok {
				return
			}
			if len(rep.Recipients) != len(c.recipients) {
				t.Fatalf("recipients %+v, want %+v", rep.Recipients, c.recipients)
			}
			for i, w := range c.recipients {
				r := rep.Recipients[i]
				if r.Address != w.addr || r.Status != w.status || r.Hard != w.hard || r.Diagnostic != w.diag {
					t.Errorf("recipient %+v, want %+v", r, w)
				}
			}
			if c.origTo != "" && (rep.OriginalMessageID != mid || rep.OriginalTo != c.origTo) {
				t.Errorf("original %q to %q, want %q to %q", rep.OriginalMessageID, rep.OriginalTo, mid, c.origTo)
			}
		})
	}
}

// C8: no input makes ParseBounce panic, however broken.
func FuzzParseBounce(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "bounces", "*.eml"))
	for _, name := range files {
		raw, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	f.Add([]byte("Content-Type: multipart/report; boundary=x\r\n\r\n--x\r\nContent-Type: message/delivery-status\r\n\r\nFinal-Recipient: ;\r\nAction: failed\r\nStatus: 5\r\n"))
	// strings.ToLower makes Ⱥ longer: positions found in a lower-cased copy would be off.
	f.Add([]byte("From: MAILER-DAEMON@x.example\r\nSubject: Undelivered Mail\r\n\r\n" + strings.Repeat("\u023a", 200) +
		"\r\nA@X.example: 550 5.1.1 no\r\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		rep, ok := ParseBounce(raw)
		if ok && rep == nil {
			t.Fatal("a bounce with no report")
		}
	})
}

// bounceDesk is a database with a mailbox, a mailer sending as support@example.com, and the
// address key.
type bounceDesk struct {
	db      *store.DB
	mailer  *mail.Mailer
	key     []byte
	mailbox int64
	n       int
}

func newBounceDesk(t *testing.T, db *store.DB) *bounceDesk {
	t.Helper()
	m, err := mail.New(db, mail.Config{From: "Support <support@example.com>"})
	if err != nil {
		t.Fatal(err)
	}
	mb, err := db.SaveMailbox(bctx, 0, frontdesk.MailboxInput{Address: ptr("support@example.com")})
	if err != nil {
		t.Fatal(err)
	}
	key, err := mail.AddressKey(bctx, db)
	if err != nil {
		t.Fatal(err)
	}
	return &bounceDesk{db: db, mailer: m, key: key, mailbox: mb.ID}
}

func ptr[T any](v T) *T { return &v }

// send queues a mail to address as the helpdesk would.
func (d *bounceDesk) send(t *testing.T, address string) *frontdesk.Message {
	t.Helper()
	msg, err := d.mailer.QueueAddress(bctx, mail.ConfirmRequest, address, "", mail.Vars{Link: "https://x"})
	if err != nil {
		t.Fatal(err)
	}
	return msg
}

// receive stores a bounce as received and records it; it returns the inbound id, how many
// recipients matched, and the report.
func (d *bounceDesk) receive(t *testing.T, raw []byte, envelopeTo string, softLimit int) (int64, int) {
	t.Helper()
	d.n++
	id, _, err := d.db.StoreInbound(bctx, &store.Received{MailboxID: d.mailbox, Source: frontdesk.ViaAPI,
		EnvelopeTo: envelopeTo, MessageID: fmt.Sprintf("<bounce-%d@mx.example.net>", d.n), Raw: raw})
	if err != nil {
		t.Fatal(err)
	}
	return id, d.record(t, id, raw, envelopeTo, softLimit)
}

func (d *bounceDesk) record(t *testing.T, inboundID int64, raw []byte, envelopeTo string, softLimit int) int {
	t.Helper()
	rep, ok := ParseBounce(raw)
	if !ok {
		t.Fatal("not read as a bounce")
	}
	matched, err := RecordBounces(bctx, d.db, d.key, inboundID, []string{envelopeTo}, rep, softLimit)
	if err != nil {
		t.Fatal(err)
	}
	return matched
}

func (d *bounceDesk) suppression(t *testing.T, address string) *frontdesk.Suppression {
	t.Helper()
	s, err := d.db.GetSuppression(bctx, address)
	if frontdesk.ErrorCode(err) == frontdesk.ENotFound {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (d *bounceDesk) bounces(t *testing.T, address string) []*frontdesk.Bounce {
	t.Helper()
	b, err := d.db.Bounces(bctx, address, 100)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// X3: a hard bounce matched to our message by its signed bounce address (VERP) suppresses
// the address with the diagnostic, even when it quotes nothing of the original; the next
// mail to the address is stored suppressed (E5).
func TestHardBounceByVERPSuppresses_X3_E5(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		d := newBounceDesk(t, db)
		msg := d.send(t, "Gone@Example.org")
		verp := mail.BounceAddress(d.key, "support@example.com", msg.ID)
		// The quoted Message-ID is not ours: only the VERP address can match.
		raw := bounceSample(t, "postfix-dsn-hard.eml", "<unrelated@elsewhere.example>", verp)
		if _, n := d.receive(t, raw, strings.ToLower(verp), 3); n != 1 {
			t.Fatalf("matched %d, want 1", n)
		}
		s := d.suppression(t, "gone@example.org")
		if s == nil || s.Reason != frontdesk.SuppressedHardBounce || !strings.Contains(s.Diagnostic, "5.1.1") ||
			!strings.Contains(s.Diagnostic, "User unknown in virtual mailbox table") || s.BounceID == nil {
			t.Fatalf("suppression %+v", s)
		}
		b := d.bounces(t, "gone@example.org")
		if len(b) != 1 || b[0].OutboxID == nil || *b[0].OutboxID != msg.ID || !b[0].Hard {
			t.Fatalf("bounces %+v", b)
		}
		next := d.send(t, "gone@example.org")
		if next.State != frontdesk.MessageSuppressed || !strings.HasPrefix(next.SuppressedReason, "address suppressed: hard_bounce (5.1.1 550 5.1.1") {
			t.Fatalf("next mail: %s %q", next.State, next.SuppressedReason)
		}
	})
}

// X3: a bounce that came back to the plain address is matched by the original's
// Message-ID it quotes, for each kind of bounce; a hard one suppresses.
func TestHardBounceByMessageIDSuppresses_X3(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		d := newBounceDesk(t, db)
		for _, c := range []struct{ file, address string }{
			{"postfix-dsn-hard.eml", "gone@example.org"},
			{"exim-plain.eml", "nobody@example.org"},
			{"qmail.eml", "old.staff@example.org"},
			{"exchange-dsn-base64.eml", "andre.martin@contoso.example"},
		} {
			msg := d.send(t, c.address)
			raw := bounceSample(t, c.file, msg.MessageID, "support@example.com")
			if _, n := d.receive(t, raw, "support@example.com", 3); n != 1 {
				t.Errorf("%s: matched %d, want 1", c.file, n)
			}
			if s := d.suppression(t, c.address); s == nil || s.Reason != frontdesk.SuppressedHardBounce {
				t.Errorf("%s: suppression %+v", c.file, s)
			}
		}
	})
}

// X3: anyone can write a bounce. One that names no message we sent to the address (an
// unknown Message-ID, a message of ours to someone else, a bounce address with a bad
// signature or of a message to someone else) is recorded for staff and suppresses nobody.
func TestForgedBounceSuppressesNobody_X3(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		d := newBounceDesk(t, db)
		toGone := d.send(t, "gone@example.org")
		toOther := d.send(t, "other@example.org")
		good := mail.BounceAddress(d.key, "support@example.com", toGone.ID)
		badSig := good[:strings.IndexByte(good, '-')+1] + strings.Repeat("a", 10) + "@example.com"
		if badSig == good {
			badSig = strings.Replace(badSig, "aaaaaaaaaa", "bbbbbbbbbb", 1)
		}
		cases := []struct {
			name, messageID, envelope string
		}{
			{"unknown Message-ID", "<made-up@attacker.example>", "support@example.com"},
			{"our Message-ID, to someone else", toOther.MessageID, "support@example.com"},
			{"bounce address with a bad signature", "<made-up@attacker.example>", badSig},
			{"bounce address of a message to someone else", "<made-up@attacker.example>", mail.BounceAddress(d.key, "support@example.com", toOther.ID)},
			{"bounce address of no message", "<made-up@attacker.example>", mail.BounceAddress(d.key, "support@example.com", 999999)},
		}
		for i, c := range cases {
			raw := bounceSample(t, "postfix-dsn-hard.eml", c.messageID, c.envelope)
			if _, n := d.receive(t, raw, c.envelope, 3); n != 0 {
				t.Errorf("%s: matched %d", c.name, n)
			}
			if s := d.suppression(t, "gone@example.org"); s != nil {
				t.Fatalf("%s: suppressed %+v", c.name, s)
			}
			if b := d.bounces(t, "gone@example.org"); len(b) != i+1 || b[0].OutboxID != nil || !b[0].Hard {
				t.Fatalf("%s: bounces %+v", c.name, b)
			}
		}
		if next := d.send(t, "gone@example.org"); next.State != frontdesk.MessageQueued {
			t.Fatalf("mail after forged bounces: %s %q", next.State, next.SuppressedReason)
		}
	})
}

// X3: soft bounces count: with a limit of three, two matched soft bounces suppress nobody,
// the third does, with its reason.
func TestSoftBouncesSuppressAtTheLimit_X3(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		d := newBounceDesk(t, db)
		for i := 1; i <= 3; i++ {
			msg := d.send(t, "full@example.org")
			file := "gmail-dsn-soft.eml"
			if i == 2 {
				file = "sendmail-plain-soft.eml" // another MTA's words, the same soft failure
			}
			raw := bounceSample(t, file, msg.MessageID, mail.BounceAddress(d.key, "support@example.com", msg.ID))
			if file == "sendmail-plain-soft.eml" {
				raw = []byte(strings.ReplaceAll(string(raw), "busy@example.org", "full@example.org"))
			}
			if _, n := d.receive(t, raw, mail.BounceAddress(d.key, "support@example.com", msg.ID), 3); n != 1 {
				t.Fatalf("soft bounce %d: matched %d", i, n)
			}
			s := d.suppression(t, "full@example.org")
			if i < 3 && s != nil {
				t.Fatalf("suppressed after %d soft bounces: %+v", i, s)
			}
			if i == 3 && (s == nil || s.Reason != frontdesk.SuppressedSoftBounces || !strings.Contains(s.Diagnostic, "4.2.2")) {
				t.Fatalf("not suppressed after 3 soft bounces: %+v", s)
			}
		}
		if next := d.send(t, "full@example.org"); next.State != frontdesk.MessageSuppressed ||
			!strings.HasPrefix(next.SuppressedReason, "address suppressed: soft_bounces") {
			t.Fatalf("next mail: %s %q", next.State, next.SuppressedReason)
		}
	})
}

// X3, convention 14: processing one bounce twice records it once, and a soft bounce counted
// twice would suppress too early: with a limit of two, one soft bounce run twice does not.
func TestBounceRecordedOnce_X3(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		d := newBounceDesk(t, db)
		msg := d.send(t, "full@example.org")
		verp := mail.BounceAddress(d.key, "support@example.com", msg.ID)
		raw := bounceSample(t, "gmail-dsn-soft.eml", msg.MessageID, verp)
		id, _ := d.receive(t, raw, verp, 2)
		if n := d.record(t, id, raw, verp, 2); n != 1 {
			t.Fatalf("second run matched %d", n)
		}
		if b := d.bounces(t, "full@example.org"); len(b) != 1 {
			t.Fatalf("bounces after two runs: %d", len(b))
		}
		if s := d.suppression(t, "full@example.org"); s != nil {
			t.Fatalf("one soft bounce run twice suppressed: %+v", s)
		}
	})
}

// X3: a delay warning reports nothing failed and records nothing.
func TestDelayWarningRecordsNothing_X3(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		d := newBounceDesk(t, db)
		msg := d.send(t, "slow@example.org")
		verp := mail.BounceAddress(d.key, "support@example.com", msg.ID)
		d.receive(t, bounceSample(t, "dsn-delayed.eml", msg.MessageID, verp), verp, 1)
		if b := d.bounces(t, ""); len(b) != 0 {
			t.Fatalf("a delay was recorded: %+v", b)
		}
	})
}
