package inbound_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
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

var sys = frontdesk.WithActor(context.Background(), frontdesk.System)

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// box is an inbox over a real database, with one mailbox: support@desk.example.
type box struct {
	*inbound.Inbox
	t     *testing.T
	db    *store.DB
	flows *flow.Flows
	desk  *intake.Desk
	mb    *frontdesk.Mailbox
	now   *clock
}

func each(t *testing.T, fn func(t *testing.T, b *box)) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			c := &clock{now: time.Now().UTC()}
			db := storetest.Open(t, e, func(cfg *store.Config) { cfg.Now = c.Now })
			mailer, err := mail.New(db, mail.Config{From: "Desk <support@desk.example>"})
			if err != nil {
				t.Fatal(err)
			}
			f := flow.New(db, mailer, "http://desk.example")
			d := intake.New(f)
			d.ClientLimit, d.AddressLimit = auth.NewLimiter(1<<20, time.Millisecond), auth.NewLimiter(1<<20, time.Millisecond)
			in := inbound.New(d)
			t.Cleanup(func() { in.Close(); d.Close() })
			addr := "support@desk.example"
			mb, err := db.SaveMailbox(sys, 0, frontdesk.MailboxInput{Address: &addr})
			if err != nil {
				t.Fatal(err)
			}
			fn(t, &box{Inbox: in, t: t, db: db, flows: f, desk: d, mb: mb, now: c})
		})
	}
}

// msg is a message as a mail client would send it; headers override the defaults.
func msg(from, subject, body string, headers ...string) []byte {
	h := map[string]string{"From": from, "To": "support@desk.example", "Subject": subject,
		"Message-ID": fmt.Sprintf("<%d.%s@client.example>", time.Now().UnixNano(), strings.ReplaceAll(subject, " ", "")),
		"Date":       "Tue, 01 Dec 2026 10:00:00 +0000", "MIME-Version": "1.0", "Content-Type": "text/plain; charset=utf-8"}
	order := []string{"From", "To", "Subject", "Message-ID", "Date", "MIME-Version", "Content-Type"}
	for _, kv := range headers {
		k, v, _ := strings.Cut(kv, ": ")
		if _, ok := h[k]; !ok {
			order = append(order, k)
		}
		h[k] = v
	}
	var b strings.Builder
	for _, k := range order {
		if v := h[k]; v != "-" {
			b.WriteString(k + ": " + v + "\r\n")
		}
	}
	b.WriteString("\r\n" + strings.ReplaceAll(strings.ReplaceAll(body, "\r\n", "\n"), "\n", "\r\n"))
	return []byte(b.String())
}

// deliver stores raw and processes everything due; it returns the stored message as
// processing left it.
func (b *box) deliver(raw []byte) *frontdesk.InboundMessage {
	b.t.Helper()
	id, _, err := b.Receive(context.Background(), &store.Received{MailboxID: b.mb.ID, Source: frontdesk.ViaAPI, Raw: raw})
	if err != nil {
		b.t.Fatal(err)
	}
	if _, err := b.ProcessPending(context.Background()); err != nil {
		b.t.Fatal(err)
	}
	m, err := b.db.GetInbound(context.Background(), id)
	if err != nil {
		b.t.Fatal(err)
	}
	return m
}

func (b *box) count(table string) int {
	b.t.Helper()
	n, err := b.db.CountRows(context.Background(), table)
	if err != nil {
		b.t.Fatal(err)
	}
	return n
}

func (b *box) thread(ticketID int64) (*frontdesk.Ticket, []*frontdesk.TicketMessage) {
	b.t.Helper()
	t, th, err := b.flows.GetTicket(sys, ticketID)
	if err != nil {
		b.t.Fatal(err)
	}
	return t, th
}

// person stores an active person with the given addresses and role.
func (b *box) person(name string, role frontdesk.Role, addresses ...string) *frontdesk.Person {
	b.t.Helper()
	p := frontdesk.NewPerson(frontdesk.ChannelConsole)
	var emails []frontdesk.Email
	for _, a := range addresses {
		emails = append(emails, frontdesk.Email{Address: a})
	}
	if err := frontdesk.ApplyPerson(p, frontdesk.PersonInput{Name: &name, Emails: &emails, Role: &role}, frontdesk.Rules{PhoneRegion: "US"}); err != nil {
		b.t.Fatal(err)
	}
	p.State = frontdesk.StateActive
	for i := range p.Emails {
		p.Emails[i].Verified = true
	}
	if err := b.db.CreatePerson(sys, p); err != nil {
		b.t.Fatal(err)
	}
	return p
}

func (b *box) settings(in frontdesk.SettingsInput) {
	b.t.Helper()
	if _, err := b.db.UpdateSettings(sys, in); err != nil {
		b.t.Fatal(err)
	}
}

func (b *box) outbox(to string) []*frontdesk.Message {
	b.t.Helper()
	msgs, _, err := b.db.ListMail(context.Background(), frontdesk.MailFilter{To: to}, frontdesk.Page{Limit: 100})
	if err != nil {
		b.t.Fatal(err)
	}
	return msgs
}

// A stranger's first mail makes a contact named from the display name and a ticket, with
// the text decoded from its charset and transfer encoding and the subject from its encoded
// words (C8, C4, T2).
func TestMailFromStrangerMakesContactAndTicket_C8(t *testing.T) {
	each(t, func(t *testing.T, b *box) {
		raw := msg(`"Ann Exempel" <Ann.Exempel@Example.COM>`, "=?UTF-8?B?"+base64.StdEncoding.EncodeToString([]byte("Drucker größer"))+"?=",
			"Gr=FC=DFe aus K=F6ln,\nthe printer is broken.",
			"Content-Type: text/plain; charset=iso-8859-1", "Content-Transfer-Encoding: quoted-printable")
		m := b.deliver(raw)
		if m.State != frontdesk.InboundDone || m.Kind != frontdesk.InboundRequest || m.TicketID == nil {
			t.Fatalf("message = %+v", m)
		}
		tk, th := b.thread(*m.TicketID)
		if tk.Subject != "Drucker größer" || tk.Channel != frontdesk.TicketViaEmail {
			t.Fatalf("ticket = %+v", tk)
		}
		if len(th) != 1 || !strings.HasPrefix(th[0].Body, "Grüße aus Köln,") || th[0].MessageID == "" || th[0].InboundID == nil {
			t.Fatalf("thread = %+v", th[0])
		}
		p, err := b.db.GetPerson(context.Background(), tk.RequesterID)
		if err != nil {
			t.Fatal(err)
		}
		if p.FirstName != "Ann" || p.LastName != "Exempel" || p.PrimaryEmail() != "ann.exempel@example.com" || p.Channel != frontdesk.ChannelEmail {
			t.Fatalf("person = %+v", p)
		}
		if got := b.outbox("ann.exempel@example.com"); len(got) != 1 || got[0].Template != mail.RequestReceived {
			t.Fatalf("mail to the sender = %+v", got)
		}
	})
}

// A sender known by any of their addresses, in any letter case, is that person (C14).
func TestMailFromKnownAddressAnyCase_C14(t *testing.T) {
	each(t, func(t *testing.T, b *box) {
		p := b.person("Bo Known", frontdesk.RoleContact, "bo@example.com", "bo.private@example.org")
		people := b.count("people")
		m := b.deliver(msg("Someone Else <BO.Private@EXAMPLE.org>", "Hello", "It is me."))
		if m.TicketID == nil || m.PersonID == nil || *m.PersonID != p.ID {
			t.Fatalf("message = %+v, want person %d", m, p.ID)
		}
		if b.count("people") != people {
			t.Fatal("a known sender made a new person")
		}
	})
}

// A mailbox that holds strangers' mail puts it in the review queue; nothing is created
// until staff release it (C8, X4). A known sender's mail passes.
func TestMailboxHoldsUnknownSenders_C8_X4(t *testing.T) {
	each(t, func(t *testing.T, b *box) {
		hold := frontdesk.UnknownSendersHold
		if _, err := b.db.SaveMailbox(sys, b.mb.ID, frontdesk.MailboxInput{UnknownSenders: &hold}); err != nil {
			t.Fatal(err)
		}
		people, tickets := b.count("people"), b.count("tickets")
		m := b.deliver(msg("Stranger <stranger@example.net>", "Let me in", "Please."))
		if m.HeldID == nil || m.TicketID != nil || !strings.Contains(m.Reason, "review") {
			t.Fatalf("message = %+v", m)
		}
		if b.count("people") != people || b.count("tickets") != tickets {
			t.Fatal("a held stranger's mail created something")
		}
		out, err := b.desk.Release(sys, *m.HeldID)
		if err != nil || out.Ticket == nil {
			t.Fatalf("release = %+v, %v", out, err)
		}
		_, th := b.thread(out.Ticket.ID)
		if th[0].InboundID == nil || *th[0].InboundID != m.ID || th[0].MessageID == "" {
			t.Fatalf("released thread = %+v", th[0])
		}
		if m, _ = b.db.GetInbound(context.Background(), m.ID); m.TicketID == nil || *m.TicketID != out.Ticket.ID {
			t.Fatalf("the log does not name the released ticket: %+v", m)
		}
		// The global setting says create, the mailbox says hold: the mailbox wins; a
		// mailbox following the setting creates.
		none := frontdesk.UnknownSenderPolicy("")
		if _, err := b.db.SaveMailbox(sys, b.mb.ID, frontdesk.MailboxInput{UnknownSenders: &none}); err != nil {
			t.Fatal(err)
		}
		if m := b.deliver(msg("Other <other@example.net>", "Hi", "Hello.")); m.TicketID == nil {
			t.Fatalf("following the setting (create): %+v", m)
		}
	})
}

// With guest requests needing confirmation, a stranger's mail makes nothing but a
// confirmation mail; confirming makes contact and ticket, with the mail's files (C5).
func TestMailFromStrangerNeedsConfirmation_C5(t *testing.T) {
	each(t, func(t *testing.T, b *box) {
		mode := frontdesk.GuestRequestsConfirm
		b.settings(frontdesk.SettingsInput{GuestRequests: &mode})
		people := b.count("people")
		raw := multipartMsg("Gil <gil@example.net>", "Invoice", "See the file.", "invoice.pdf", "application/pdf", []byte("%PDF-1.4 fake"))
		m := b.deliver(raw)
		if m.HeldID == nil || m.TicketID != nil || b.count("people") != people {
			t.Fatalf("message = %+v", m)
		}
		sent := b.outbox("gil@example.net")
		if len(sent) != 1 || sent[0].Template != mail.ConfirmRequest {
			t.Fatalf("mail = %+v", sent)
		}
		token := tokenIn(t, sent[0].Text)
		c, err := b.desk.Confirm(context.Background(), token)
		if err != nil {
			t.Fatal(err)
		}
		_, th := b.thread(c.Ticket.ID)
		if len(th[0].Attachments) != 1 || th[0].Attachments[0].Filename != "invoice.pdf" {
			t.Fatalf("confirmed ticket's files = %+v", th[0].Attachments)
		}
	})
}

func tokenIn(t *testing.T, text string) string {
	t.Helper()
	i := strings.Index(text, "token=")
	if i < 0 {
		t.Fatalf("no token in %q", text)
	}
	tok := text[i+len("token="):]
	if j := strings.IndexAny(tok, " \r\n\"<>"); j >= 0 {
		tok = tok[:j]
	}
	return tok
}

func multipartMsg(from, subject, text, filename, typ string, content []byte, headers ...string) []byte {
	body := "--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + text + "\r\n" +
		"--b1\r\nContent-Type: " + typ + "\r\nContent-Disposition: attachment; filename=\"" + filename + "\"\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\n" + wrap(base64.StdEncoding.EncodeToString(content)) + "\r\n--b1--\r\n"
	return msg(from, subject, body, append([]string{"Content-Type: multipart/mixed; boundary=b1"}, headers...)...)
}

func wrap(s string) string {
	var b strings.Builder
	for len(s) > 76 {
		b.WriteString(s[:76] + "\r\n")
		s = s[76:]
	}
	b.WriteString(s)
	return b.String()
}

// Auto-replies never make people or tickets and are never answered (C8, X3).
func TestAutoRepliesAreIgnored_C8_X3(t *testing.T) {
	cases := [][]string{
		{"Auto-Submitted: auto-replied"},
		{"Auto-Submitted: auto-generated"},
		{"X-Autoreply: yes"},
		{"X-Autorespond: Out of office"},
		{"Precedence: bulk"},
		{"Precedence: junk"},
		{"Precedence: list"},
		{"List-Id: <news.example.com>"},
		{"Return-Path: <>"},
		{"X-Auto-Response-Suppress: OOF", "Subject: Automatic reply: your ticket"},
		{"X-FC-MachineGenerated: true"},
	}
	each(t, func(t *testing.T, b *box) {
		people, tickets := b.count("people"), b.count("tickets")
		for i, h := range cases {
			m := b.deliver(msg(fmt.Sprintf("Robot <robot%d@example.net>", i), fmt.Sprintf("Away %d", i), "I am out of the office.", h...))
			if m.State != frontdesk.InboundIgnored || m.Kind != frontdesk.InboundAutoReply {
				t.Errorf("%v: state %s kind %s", h, m.State, m.Kind)
			}
			if got := b.outbox(fmt.Sprintf("robot%d@example.net", i)); len(got) != 0 {
				t.Errorf("%v: answered a robot: %+v", h, got)
			}
		}
		if b.count("people") != people || b.count("tickets") != tickets {
			t.Fatal("an auto-reply created a person or a ticket")
		}
		// Auto-Submitted: no is a person's mail.
		if m := b.deliver(msg("Human <human@example.net>", "Hi", "Hello.", "Auto-Submitted: no")); m.TicketID == nil {
			t.Fatalf("Auto-Submitted: no was ignored: %+v", m)
		}
	})
}

// Mail from a banned person is held, not turned into a ticket (L4).
func TestMailFromBannedPersonIsHeld_L4(t *testing.T) {
	each(t, func(t *testing.T, b *box) {
		p := b.person("Bad Actor", frontdesk.RoleContact, "bad@example.net")
		if _, err := b.db.SetState(sys, p.ID, store.StateChange{To: frontdesk.StateBanned}); err != nil {
			t.Fatal(err)
		}
		tickets := b.count("tickets")
		m := b.deliver(msg("Bad <BAD@example.net>", "Again", "Spam."))
		if m.State != frontdesk.InboundHeld || !strings.Contains(m.Reason, "banned") || b.count("tickets") != tickets {
			t.Fatalf("message = %+v", m)
		}
	})
}

// A reply threads onto its ticket by In-Reply-To/References against the Message-IDs
// Frontdesk sent; quoted history is folded away; a reply to a closed ticket reopens it
// within reopen_days, and later opens a new ticket that links back (T2).
func TestRepliesThread_T2(t *testing.T) {
	each(t, func(t *testing.T, b *box) {
		first := b.deliver(msg("Cy <cy@example.net>", "Broken screen", "My screen is broken."))
		ticket := *first.TicketID
		pub := true
		agent := b.person("Ada Agent", frontdesk.RoleAgent, "ada@desk.example")
		asAgent := frontdesk.WithActor(context.Background(), frontdesk.Actor{ID: agent.ID, Role: frontdesk.RoleAgent})
		sentReply, err := b.flows.AddMessage(asAgent, ticket, frontdesk.MessageInput{Body: "Have you tried turning it off?", Public: &pub})
		if err != nil || sentReply.MessageID == "" {
			t.Fatalf("agent reply = %+v, %v", sentReply, err)
		}
		reply := b.deliver(msg("Cy <cy@example.net>", "Re: Broken screen",
			"Yes, twice.\n\nOn Tue, 1 Dec 2026 at 10:00, Ada Agent <support@desk.example> wrote:\n> Have you tried turning it off?",
			"In-Reply-To: "+sentReply.MessageID, "References: "+first.MessageID+" "+sentReply.MessageID))
		if reply.Kind != frontdesk.InboundReply || reply.TicketID == nil || *reply.TicketID != ticket {
			t.Fatalf("reply = %+v", reply)
		}
		_, th := b.thread(ticket)
		last := th[len(th)-1]
		if last.Body != "Yes, twice." || !strings.Contains(last.Folded, "> Have you tried") || !last.Public {
			t.Fatalf("threaded reply = %q / folded %q", last.Body, last.Folded)
		}
		// Closed, then answered within the window: reopened.
		closed := frontdesk.TicketClosed
		if _, err := b.flows.UpdateTicket(asAgent, ticket, frontdesk.TicketUpdate{Status: &closed}); err != nil {
			t.Fatal(err)
		}
		again := b.deliver(msg("Cy <cy@example.net>", "Re: Broken screen", "It broke again.", "In-Reply-To: "+sentReply.MessageID))
		if tk, _ := b.thread(ticket); *again.TicketID != ticket || tk.Status != frontdesk.TicketOpen {
			t.Fatalf("reply to a closed ticket: %+v, status %s", again, tk.Status)
		}
		// Closed longer than reopen_days: a new ticket that links back.
		if _, err := b.flows.UpdateTicket(asAgent, ticket, frontdesk.TicketUpdate{Status: &closed}); err != nil {
			t.Fatal(err)
		}
		b.now.Add(15 * 24 * time.Hour)
		late := b.deliver(msg("Cy <cy@example.net>", "Re: Broken screen", "Broken once more.", "In-Reply-To: "+sentReply.MessageID))
		if late.TicketID == nil || *late.TicketID == ticket {
			t.Fatalf("a late reply joined the old ticket: %+v", late)
		}
		nt, _ := b.thread(*late.TicketID)
		if nt.FollowUpOf == nil || *nt.FollowUpOf != ticket {
			t.Fatalf("follow-up = %+v", nt)
		}
		if old, _ := b.thread(ticket); old.Status != frontdesk.TicketClosed {
			t.Fatalf("the old ticket was reopened: %s", old.Status)
		}
	})
}

// A reply on a ticket's thread from someone who is not its requester (a forwarded mail,
// a guessed Message-ID) does not write into the ticket: it is held (T2).
func TestReplyFromStrangerIsHeld_T2(t *testing.T) {
	each(t, func(t *testing.T, b *box) {
		first := b.deliver(msg("Di <di@example.net>", "Account", "Please help."))
		_, before := b.thread(*first.TicketID)
		m := b.deliver(msg("Eve <eve@example.net>", "Re: Account", "Send me the password.", "In-Reply-To: "+first.MessageID))
		if m.State != frontdesk.InboundHeld || !strings.Contains(m.Reason, "reply to ticket") {
			t.Fatalf("stranger's reply = %+v", m)
		}
		if _, after := b.thread(*first.TicketID); len(after) != len(before) {
			t.Fatal("a stranger wrote into the ticket")
		}
	})
}

// Storing the same message again, by any way, keeps one row, and processing runs once: one
// ticket (C8).
func TestSameMessageTwiceIsOneTicket_C8(t *testing.T) {
	each(t, func(t *testing.T, b *box) {
		raw := msg("Flo <flo@example.net>", "Once", "Only once.")
		tickets := b.count("tickets")
		var ids []int64
		for _, src := range []string{frontdesk.ViaSMTPListener, frontdesk.ViaIMAP, frontdesk.ViaAPI} {
			id, _, err := b.Receive(context.Background(), &store.Received{MailboxID: b.mb.ID, Source: src, EnvelopeFrom: "flo@example.net", Raw: raw})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
			if _, err := b.ProcessPending(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		if ids[0] != ids[1] || ids[1] != ids[2] {
			t.Fatalf("ids = %v", ids)
		}
		// Without a Message-ID the bytes decide.
		noID := msg("Flo <flo@example.net>", "No id", "Same bytes.", "Message-ID: -")
		a, _, _ := b.Receive(context.Background(), &store.Received{MailboxID: b.mb.ID, Source: frontdesk.ViaAPI, Raw: noID})
		c, isNew, _ := b.Receive(context.Background(), &store.Received{MailboxID: b.mb.ID, Source: frontdesk.ViaIMAP, Raw: noID})
		if a != c || isNew {
			t.Fatalf("without Message-ID: %d, %d new=%v", a, c, isNew)
		}
		if _, err := b.ProcessPending(context.Background()); err != nil {
			t.Fatal(err)
		}
		if got := b.count("tickets") - tickets; got != 2 {
			m, _ := b.db.GetInbound(context.Background(), a)
			t.Fatalf("%d tickets, want 2; the one without Message-ID: %+v", got, m)
		}
	})
}

// Malformed mail is held with a clear reason, and the messages behind it go on (X3, C8).
func TestMalformedMailIsHeldWithReason_C8(t *testing.T) {
	each(t, func(t *testing.T, b *box) {
		one := 1
		b.settings(frontdesk.SettingsInput{MaxAttachmentMB: &one})
		big := make([]byte, 3<<20)
		cases := []struct {
			name, want string
			raw        []byte
		}{
			{"broken boundary", "MIME structure is broken", msg("A <a@example.net>", "Broken", "--nope\r\nContent-Type: text/plain\r\n\r\nhi",
				"Content-Type: multipart/mixed; boundary=missing")},
			{"unknown charset", "charset", msg("B <b@example.net>", "Charset", "h\xe9llo", "Content-Type: text/plain; charset=x-klingon-42")},
			{"8-bit header", "8-bit", msg("C <c@example.net>", "Caf\xe9 bill", "Hello.")},
			{"attachment over the limit", "MB limit", multipartMsg("D <d@example.net>", "Big", "See attached.", "big.bin", "application/octet-stream", big)},
			{"no From", "no From", msg("-", "Nobody", "Who am I?")},
			{"From with no address", "From", msg("Undisclosed sender", "Nameless", "Hello.")},
		}
		tickets := b.count("tickets")
		for _, c := range cases {
			m := b.deliver(c.raw)
			if m.State != frontdesk.InboundHeld || !strings.Contains(m.Reason, c.want) {
				t.Errorf("%s: state %s reason %q, want held with %q", c.name, m.State, m.Reason, c.want)
			}
		}
		if b.count("tickets") != tickets {
			t.Fatal("malformed mail made a ticket")
		}
		if m := b.deliver(msg("Good <good@example.net>", "Fine", "A normal message.")); m.TicketID == nil {
			t.Fatalf("the message behind malformed ones: %+v", m)
		}
		// Released by staff, the message with the big attachment becomes a ticket without
		// the file, and says so.
		list, _, err := b.db.ListInbound(context.Background(), frontdesk.InboundFilter{State: frontdesk.InboundHeld}, frontdesk.Page{})
		if err != nil {
			t.Fatal(err)
		}
		var bigID int64
		for _, m := range list {
			if m.Subject == "Big" {
				bigID = m.ID
			}
		}
		if err := b.Release(sys, bigID); err != nil {
			t.Fatal(err)
		}
		if _, err := b.ProcessPending(context.Background()); err != nil {
			t.Fatal(err)
		}
		m, _ := b.db.GetInbound(context.Background(), bigID)
		if m.TicketID == nil {
			t.Fatalf("released big message = %+v", m)
		}
		_, th := b.thread(*m.TicketID)
		if len(th[0].Attachments) != 0 || !strings.Contains(th[0].Body, "over the 1 MB limit") {
			t.Fatalf("released thread = %+v", th[0])
		}
	})
}

// Release and discard need tickets.answer; a contact cannot release held mail.
func TestReleaseNeedsPermission_X4(t *testing.T) {
	each(t, func(t *testing.T, b *box) {
		m := b.deliver(msg("-", "Nobody", "Who am I?"))
		contact := frontdesk.WithActor(context.Background(), frontdesk.Actor{ID: 99, Role: frontdesk.RoleContact})
		if err := b.Release(contact, m.ID); frontdesk.ErrorCode(err) != frontdesk.EForbidden {
			t.Fatalf("contact release: %v", err)
		}
		if err := b.Discard(contact, m.ID); frontdesk.ErrorCode(err) != frontdesk.EForbidden {
			t.Fatalf("contact discard: %v", err)
		}
		if err := b.Discard(sys, m.ID); err != nil {
			t.Fatal(err)
		}
		if got, _ := b.db.GetInbound(context.Background(), m.ID); got.State != frontdesk.InboundDiscarded {
			t.Fatalf("state %s", got.State)
		}
	})
}

// An HTML-only message is kept as text: no markup, nothing of scripts or styles (C8).
func TestHTMLOnlyMailBecomesText_C8(t *testing.T) {
	each(t, func(t *testing.T, b *box) {
		html := `<html><head><style>p{color:red}</style><script>alert(1)</script></head><body><p>Hello <b>team</b>,</p>` +
			`<p>see <a href="https://example.com/x">the page</a>.<br>Thanks</p><img src="cid:x" onerror="alert(2)"></body></html>`
		m := b.deliver(msg("Hal <hal@example.net>", "HTML", html, "Content-Type: text/html; charset=utf-8"))
		_, th := b.thread(*m.TicketID)
		body := th[0].Body
		for _, bad := range []string{"<", "alert", "color:red"} {
			if strings.Contains(body, bad) {
				t.Fatalf("body keeps %q: %q", bad, body)
			}
		}
		if !strings.Contains(body, "Hello team,") || !strings.Contains(body, "the page (https://example.com/x)") || !strings.Contains(body, "\nThanks") {
			t.Fatalf("body = %q", body)
		}
	})
}

// A sender who writes more than loop_limit messages in the window is held (X3).
func TestLoopGuardHoldsFloodingSender_X3(t *testing.T) {
	each(t, func(t *testing.T, b *box) {
		limit := 3
		b.settings(frontdesk.SettingsInput{LoopLimit: &limit})
		for i := 0; i < 3; i++ {
			if m := b.deliver(msg("Loop <loop@example.net>", fmt.Sprintf("Msg %d", i), "Again.")); m.State != frontdesk.InboundDone {
				t.Fatalf("message %d = %+v", i, m)
			}
		}
		m := b.deliver(msg("Loop <loop@example.net>", "Msg 3", "Again."))
		if m.State != frontdesk.InboundHeld || !strings.Contains(m.Reason, "loop") {
			t.Fatalf("fourth = %+v", m)
		}
		// Another sender is not held; after the window the sender passes again.
		if m := b.deliver(msg("Calm <calm@example.net>", "Hi", "Once.")); m.State != frontdesk.InboundDone {
			t.Fatalf("other sender = %+v", m)
		}
		b.now.Add(11 * time.Minute)
		if m := b.deliver(msg("Loop <loop@example.net>", "Later", "Again.")); m.State != frontdesk.InboundDone {
			t.Fatalf("after the window = %+v", m)
		}
	})
}

// Mail that claims to come from one of the helpdesk's own mailboxes is never answered: it
// would start a loop (X3).
func TestMailFromOwnMailboxIsIgnored_X3(t *testing.T) {
	each(t, func(t *testing.T, b *box) {
		m := b.deliver(msg("Desk <support@desk.example>", "Your request", "We got it."))
		if m.State != frontdesk.InboundIgnored || len(b.outbox("support@desk.example")) != 0 {
			t.Fatalf("message = %+v", m)
		}
	})
}

// Attachments and inline images are stored with the message (T2).
func TestAttachmentsAreStored_T2(t *testing.T) {
	each(t, func(t *testing.T, b *box) {
		pdf := []byte("%PDF-1.4\n" + strings.Repeat("x", 5000))
		m := b.deliver(multipartMsg("Ivy <ivy@example.net>", "Contract", "Attached.", "../../etc/contract\x01.pdf", "application/pdf", pdf))
		_, th := b.thread(*m.TicketID)
		if len(th[0].Attachments) != 1 {
			t.Fatalf("attachments = %+v", th[0].Attachments)
		}
		a, err := b.db.GetAttachment(context.Background(), th[0].Attachments[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		if a.Filename != "contract.pdf" || string(a.Content) != string(pdf) || a.ContentType != "application/pdf" || *a.TicketID != *m.TicketID {
			t.Fatalf("attachment = %+v (%d bytes)", a, len(a.Content))
		}
	})
}

// X3: a sender that says it reads no mail (noreply@ and the like) may raise a ticket, but
// no automatic mail answers it: the acknowledgement is stored suppressed with the reason.
func TestNoReplySenderIsNeverAnswered_X3(t *testing.T) {
	each(t, func(t *testing.T, b *box) {
		m := b.deliver(msg("Shop <no-reply@shop.example>", "Order 1234 shipped", "Your parcel is on its way."))
		if m.TicketID == nil {
			t.Fatalf("message = %+v", m)
		}
		sent := b.outbox("no-reply@shop.example")
		if len(sent) != 1 || sent[0].State != frontdesk.MessageSuppressed || !strings.Contains(sent[0].SuppressedReason, "no-reply") {
			t.Fatalf("mail to the no-reply sender = %+v", sent)
		}
		// A person's address is answered.
		b.deliver(msg("Norah <norah@example.net>", "Hi", "Hello."))
		if sent := b.outbox("norah@example.net"); len(sent) != 1 || sent[0].State != frontdesk.MessageQueued {
			t.Fatalf("mail to a person = %+v", sent)
		}
	})
}

// X3: a spam complaint (RFC 5965) about a message we sent to that address suppresses it; a
// complaint that matches nothing we sent suppresses nobody.
func TestSpamComplaintSuppresses_X3(t *testing.T) {
	each(t, func(t *testing.T, b *box) {
		first := b.deliver(msg("Quinn <quinn@example.net>", "Help", "Please."))
		sent := b.outbox("quinn@example.net")
		if first.TicketID == nil || len(sent) != 1 {
			t.Fatalf("setup: %+v %+v", first, sent)
		}
		arf := func(rcpt, messageID string) []byte {
			body := "--arf\r\nContent-Type: text/plain\r\n\r\nThis is an abuse report.\r\n" +
				"--arf\r\nContent-Type: message/feedback-report\r\n\r\nFeedback-Type: abuse\r\nUser-Agent: ISP-FBL/1.0\r\nVersion: 1\r\nOriginal-Rcpt-To: " + rcpt + "\r\n" +
				"--arf\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: support@desk.example\r\nTo: " + rcpt + "\r\nMessage-ID: " + messageID + "\r\nSubject: Your request\r\n" +
				"--arf--\r\n"
			return msg("FBL <fbl@isp.example>", "Complaint about message", body,
				"Content-Type: multipart/report; report-type=feedback-report; boundary=arf")
		}
		forged := b.deliver(arf("quinn@example.net", "<never-sent@desk.example>"))
		if forged.Kind != frontdesk.InboundComplaint || !strings.Contains(forged.Reason, "nobody suppressed") {
			t.Fatalf("forged complaint = %+v", forged)
		}
		if _, err := b.db.GetSuppression(context.Background(), "quinn@example.net"); frontdesk.ErrorCode(err) != frontdesk.ENotFound {
			t.Fatalf("a forged complaint suppressed: %v", err)
		}
		real := b.deliver(arf("quinn@example.net", sent[0].MessageID))
		s, err := b.db.GetSuppression(context.Background(), "quinn@example.net")
		if err != nil || s.Reason != frontdesk.SuppressedComplaint || real.TicketID != nil {
			t.Fatalf("complaint: %+v, suppression %+v, %v", real, s, err)
		}
		if b.count("people") != 1 {
			t.Fatal("a complaint made a person")
		}
	})
}
