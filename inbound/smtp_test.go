package inbound_test

// The SMTP listener through a real SMTP client (go-smtp's), on both engines (C8, issue 9
// "Receiving, three ways, one pipeline").

import (
	"bytes"
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"frontdesk"
	"frontdesk/inbound"
)

// listen starts the listener on a free port and returns its address.
func (d *transportDesk) listen(tweak ...func(*inbound.SMTPServer)) string {
	d.t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		d.t.Fatal(err)
	}
	s := inbound.NewSMTPServer(d.inbox, "mx.desk.example")
	for _, f := range tweak {
		f(s)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ln) }()
	d.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		s.Shutdown(ctx)
		<-done
	})
	return ln.Addr().String()
}

func dialSMTP(t *testing.T, addr string) *smtp.Client {
	t.Helper()
	c, err := smtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Hello("sender.example"); err != nil {
		t.Fatal(err)
	}
	return c
}

// send runs one whole transaction and returns the first error with the step it came at.
func send(c *smtp.Client, from string, to []string, raw []byte) (string, error) {
	if err := c.Mail(from, nil); err != nil {
		return "MAIL", err
	}
	for _, r := range to {
		if err := c.Rcpt(r, nil); err != nil {
			return "RCPT", err
		}
	}
	w, err := c.Data()
	if err != nil {
		return "DATA", err
	}
	if _, err := w.Write(raw); err != nil {
		return "DATA", err
	}
	if err := w.Close(); err != nil {
		return "DATA", err
	}
	return "", nil
}

func smtpCode(err error) (int, smtp.EnhancedCode) {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		return se.Code, se.EnhancedCode
	}
	return 0, smtp.EnhancedCode{}
}

// C8: mail only for configured mailboxes; an unknown recipient is refused at RCPT with
// 550 5.1.1 and nothing is stored, while a +tag of a mailbox is that mailbox.
func TestSMTPRefusesUnknownRecipientAtRcpt_C8(t *testing.T) {
	eachTransport(t, func(t *testing.T, d *transportDesk) {
		mb := d.mailbox("support@desk.example", nil)
		c := dialSMTP(t, d.listen())
		if err := c.Mail("alice@customer.example", nil); err != nil {
			t.Fatal(err)
		}
		for _, to := range []string{"sales@desk.example", "support@other.example", "support@desk.example.evil.example"} {
			err := c.Rcpt(to, nil)
			if code, enh := smtpCode(err); code != 550 || enh != (smtp.EnhancedCode{5, 1, 1}) {
				t.Errorf("RCPT %s: %v, want 550 5.1.1", to, err)
			}
		}
		// The mailbox itself, in another letter case and with a +tag, is taken; the message
		// is stored once for the one mailbox.
		for _, to := range []string{"Support@Desk.Example", "support+t12-ab@desk.example"} {
			if err := c.Rcpt(to, nil); err != nil {
				t.Fatalf("RCPT %s: %v", to, err)
			}
		}
		w, err := c.Data()
		if err != nil {
			t.Fatal(err)
		}
		w.Write(message("Alice <alice@customer.example>", "support@desk.example", "Two addresses", "two@customer.example"))
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		got := d.stored(mb.ID)
		if len(got) != 1 || d.count() != 1 {
			t.Fatalf("stored %d for the mailbox, %d in all; want 1", len(got), d.count())
		}
		if got[0].Source != frontdesk.ViaSMTPListener || got[0].EnvelopeFrom != "alice@customer.example" ||
			got[0].EnvelopeTo != "Support@Desk.Example" || got[0].MessageID == "" {
			t.Errorf("stored %+v", got[0])
		}
	})
}

// C8: mail from an internationalized address (SMTPUTF8, RFC 6531) is taken, not bounced.
func TestSMTPTakesInternationalizedSender_C8(t *testing.T) {
	eachTransport(t, func(t *testing.T, d *transportDesk) {
		mb := d.mailbox("support@desk.example", nil)
		c := dialSMTP(t, d.listen())
		if ok, _ := c.Extension("SMTPUTF8"); !ok {
			t.Fatal("SMTPUTF8 is not advertised")
		}
		if err := c.Mail("josé@exämple.com", &smtp.MailOptions{UTF8: true}); err != nil {
			t.Fatal(err)
		}
		if err := c.Rcpt("support@desk.example", nil); err != nil {
			t.Fatal(err)
		}
		w, err := c.Data()
		if err != nil {
			t.Fatal(err)
		}
		w.Write(message("José <josé@exämple.com>", "support@desk.example", "Olá", "ola@exämple.com"))
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if got := d.stored(mb.ID); len(got) != 1 || got[0].EnvelopeFrom != "josé@exämple.com" {
			t.Fatalf("stored %v", got)
		}
	})
}

// C8: the size limit is advertised (SIZE), a MAIL FROM announcing more is refused with
// 552, and DATA past the limit is refused with 552 with nothing stored.
func TestSMTPRefusesOversizeMail_C8(t *testing.T) {
	eachTransport(t, func(t *testing.T, d *transportDesk) {
		d.mailbox("support@desk.example", nil)
		d.inbox.MaxMessageBytes = 64 << 10
		addr := d.listen()
		c := dialSMTP(t, addr)
		if n, ok := c.MaxMessageSize(); !ok || n != 64<<10 {
			t.Errorf("SIZE advertised %d (%v), want %d", n, ok, 64<<10)
		}
		err := c.Mail("big@customer.example", &smtp.MailOptions{Size: 65<<10 + 1})
		if code, _ := smtpCode(err); code != 552 {
			t.Errorf("MAIL FROM SIZE= over the limit: %v, want 552", err)
		}
		c.Reset()
		big := message("big@customer.example", "support@desk.example", "Huge", "huge@customer.example")
		big = append(big, bytes.Repeat([]byte(strings.Repeat("x", 76)+"\r\n"), 1000)...) // 78 KB
		step, err := send(c, "big@customer.example", []string{"support@desk.example"}, big)
		if code, _ := smtpCode(err); step != "DATA" || code != 552 {
			t.Errorf("oversize DATA: %s %v, want DATA 552", step, err)
		}
		if n := d.count(); n != 0 {
			t.Errorf("%d messages stored after 552", n)
		}
		// The session goes on: a message within the limit is taken.
		if step, err := send(c, "small@customer.example", []string{"support@desk.example"},
			message("small@customer.example", "support@desk.example", "Small", "small@customer.example")); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		if n := d.count(); n != 1 {
			t.Errorf("%d messages stored, want 1", n)
		}
	})
}

// C8: after 250 the message is in the database (the answer comes after the commit), and
// the same message sent again is still one row; a message for two mailboxes is one row in
// each.
func TestSMTPStoresBeforeAnswering_C8(t *testing.T) {
	eachTransport(t, func(t *testing.T, d *transportDesk) {
		support := d.mailbox("support@desk.example", nil)
		billing := d.mailbox("billing@desk.example", nil)
		c := dialSMTP(t, d.listen())
		raw := message("Bob <bob@customer.example>", "support@desk.example", "Invoice", "inv-1@customer.example")
		if step, err := send(c, "bob@customer.example", []string{"support@desk.example", "billing@desk.example"}, raw); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		// No waiting: 250 came, so both rows are there now.
		for _, mb := range []*frontdesk.Mailbox{support, billing} {
			got := d.stored(mb.ID)
			if len(got) != 1 {
				t.Fatalf("%s holds %d messages after 250, want 1", mb.Address, len(got))
			}
			back, err := d.db.InboundRaw(context.Background(), got[0].ID)
			if err != nil || !bytes.Equal(back, raw) {
				t.Errorf("%s: the raw message came back changed (%v)", mb.Address, err)
			}
		}
		// Sent again (a sender that lost our 250): nothing new. Without a Message-ID, the
		// same bytes are the same message.
		noID := message("carol@customer.example", "support@desk.example", "No id", "")
		for range 2 {
			for _, m := range [][]byte{raw, noID} {
				if step, err := send(c, "bob@customer.example", []string{"support@desk.example"}, m); err != nil {
					t.Fatalf("%s: %v", step, err)
				}
			}
		}
		if n := d.count(); n != 3 {
			t.Errorf("%d rows after sending two messages twice and one to two mailboxes, want 3", n)
		}
	})
}

// C8: a message the database cannot store is answered 451 4.3.0 (the sender retries), not
// 250. The failure is real: a trigger makes the database refuse the insert.
func TestSMTPAnswers451WhenStoringFails_C8(t *testing.T) {
	eachTransport(t, func(t *testing.T, d *transportDesk) {
		d.mailbox("support@desk.example", nil)
		undo := d.failStores()
		c := dialSMTP(t, d.listen())
		step, err := send(c, "dan@customer.example", []string{"support@desk.example"},
			message("dan@customer.example", "support@desk.example", "Lost?", "lost@customer.example"))
		if code, enh := smtpCode(err); step != "DATA" || code != 451 || enh != (smtp.EnhancedCode{4, 3, 0}) {
			t.Fatalf("store failing: %s %v, want DATA 451 4.3.0", step, err)
		}
		undo()
		// The sender's retry is taken.
		if step, err := send(c, "dan@customer.example", []string{"support@desk.example"},
			message("dan@customer.example", "support@desk.example", "Lost?", "lost@customer.example")); err != nil {
			t.Fatalf("retry: %s %v", step, err)
		}
		if n := d.count(); n != 1 {
			t.Errorf("%d rows, want 1", n)
		}
	})
}

// C8: sessions beyond the connection limit are told 421 and closed; a line longer than the
// limit ends the session; RCPTs past the recipient limit are refused.
func TestSMTPLimits_C8(t *testing.T) {
	eachTransport(t, func(t *testing.T, d *transportDesk) {
		d.mailbox("support@desk.example", nil)
		addr := d.listen(func(s *inbound.SMTPServer) { s.MaxConnections, s.MaxRecipients = 2, 3 })
		c1 := dialSMTP(t, addr)
		dialSMTP(t, addr)
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		line := make([]byte, 512)
		n, _ := conn.Read(line)
		if !strings.HasPrefix(string(line[:n]), "421 ") {
			t.Errorf("third session greeted %q, want 421", line[:n])
		}
		if err := c1.Mail("eve@customer.example", nil); err != nil {
			t.Fatal(err)
		}
		for i := range 4 {
			err := c1.Rcpt("support+"+strings.Repeat("a", i+1)+"@desk.example", nil)
			if code, _ := smtpCode(err); i < 3 && err != nil || i == 3 && code != 452 {
				t.Errorf("RCPT %d: %v", i+1, err)
			}
		}
		c1.Reset()
		err = c1.Mail("eve@customer.example", nil)
		if err == nil {
			err = c1.Rcpt(strings.Repeat("a", 3000)+"@desk.example", nil)
		}
		if err == nil {
			t.Error("a 3000-byte command line was taken")
		}
	})
}

// C8: shutting down lets a message in DATA finish: it is stored and answered 250; then the
// sessions are closed, idle ones too, so that the shutdown does not wait for senders.
func TestSMTPShutdownFinishesMessageInData_C8(t *testing.T) {
	eachTransport(t, func(t *testing.T, d *transportDesk) {
		d.mailbox("support@desk.example", nil)
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		s := inbound.NewSMTPServer(d.inbox, "mx.desk.example")
		served := make(chan error, 1)
		go func() { served <- s.Serve(ln) }()
		busy, idle, probe := dialSMTP(t, ln.Addr().String()), dialSMTP(t, ln.Addr().String()), dialSMTP(t, ln.Addr().String())
		if err := busy.Mail("a@customer.example", nil); err != nil {
			t.Fatal(err)
		}
		if err := busy.Rcpt("support@desk.example", nil); err != nil {
			t.Fatal(err)
		}
		w, err := busy.Data()
		if err != nil {
			t.Fatal(err)
		}
		raw := message("a@customer.example", "support@desk.example", "Mid-shutdown", "mid@customer.example")
		w.Write(raw[:len(raw)/2])
		stopped := make(chan error, 1)
		go func() { stopped <- s.Shutdown(context.Background()) }()
		// Once the shutdown has begun, a new transaction is refused with 421.
		for {
			err := probe.Mail("c@customer.example", nil)
			if err == nil {
				probe.Reset()
				continue
			}
			if code, _ := smtpCode(err); code != 421 {
				t.Fatalf("MAIL during shutdown: %v, want 421", err)
			}
			break
		}
		w.Write(raw[len(raw)/2:])
		if err := w.Close(); err != nil {
			t.Fatalf("the message in DATA during shutdown: %v, want 250", err)
		}
		if err := <-stopped; err != nil {
			t.Fatal(err)
		}
		if err := <-served; err != nil {
			t.Fatal(err)
		}
		if n := d.count(); n != 1 {
			t.Errorf("%d rows, want 1", n)
		}
		// The idle session was closed with the server.
		if err := idle.Noop(); err == nil {
			t.Error("an idle session outlived the shutdown")
		}
	})
}
