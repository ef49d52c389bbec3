package inbound

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	netmail "net/mail"
	"net/textproto"
	"strings"
	"time"

	gomail "github.com/emersion/go-message/mail"

	"frontdesk"
	"frontdesk/intake"
	"frontdesk/store"
)

// outcome is what processing made of a message; retry, when set, is a failure that is not
// the message's fault (the database), after which it is tried again.
type outcome struct {
	store.InboundOutcome
	retry error
}

func held(reason string) outcome {
	return outcome{InboundOutcome: store.InboundOutcome{State: frontdesk.InboundHeld, Reason: reason}}
}

func failed(err error) outcome { return outcome{retry: err} }

// process decides what a stored message is and acts on it, inside the caller's
// transaction: a bounce is recorded (X3); an auto-reply is ignored, never answered (C8);
// mail that cannot be read, that loops, or that comes from someone banned is held with the
// reason (X3, L4); a reply joins its ticket (T2); anything else is a request through the
// intake, like every other channel's (C4, C5, C14, X4).
func (in *Inbox) process(ctx context.Context, m *frontdesk.InboundMessage, raw []byte) outcome {
	s, err := in.DB.GetSettings(ctx)
	if err != nil {
		return failed(err)
	}
	mb, err := in.DB.GetMailbox(ctx, m.MailboxID)
	if err != nil {
		return failed(err)
	}
	key, err := in.addressKey(ctx)
	if err != nil {
		return failed(err)
	}
	h, _ := ParseHeader(raw)
	recipients := append([]string{m.EnvelopeTo}, Recipients(raw)...)
	if c, ok := ParseComplaint(raw); ok {
		what, err := RecordComplaint(ctx, in.DB, key, recipients, c)
		if err != nil {
			return failed(err)
		}
		return outcome{InboundOutcome: store.InboundOutcome{State: frontdesk.InboundDone, Kind: frontdesk.InboundComplaint,
			Reason: what, Subject: subjectOf(&h)}}
	}
	if rep, ok := ParseBounce(raw); ok {
		if _, err := RecordBounces(ctx, in.DB, key, m.ID, recipients, rep, s.SoftBounceLimit); err != nil {
			return failed(err)
		}
		return outcome{InboundOutcome: store.InboundOutcome{State: frontdesk.InboundDone, Kind: frontdesk.InboundBounce,
			Subject: subjectOf(&h)}}
	}
	nullSender := m.Source == frontdesk.ViaSMTPListener && (m.EnvelopeFrom == "" || m.EnvelopeFrom == "<>")
	if why := AutoReply(h, nullSender); why != "" {
		return outcome{InboundOutcome: store.InboundOutcome{State: frontdesk.InboundIgnored, Kind: frontdesk.InboundAutoReply,
			Reason: "sent by a machine (" + why + "): never answered", Subject: subjectOf(&h), FromAddress: fromOf(&h)}}
	}
	released := m.Released
	p := Parse(raw, int64(s.MaxAttachmentMB)<<20, released)
	base := store.InboundOutcome{FromAddress: p.From, Subject: p.Subject}
	hold := func(reason string) outcome {
		o := held(reason)
		o.FromAddress, o.Subject = base.FromAddress, base.Subject
		return o
	}
	if p.From == "" {
		return hold(p.Problem())
	}
	if problem := p.Problem(); problem != "" && !released {
		return hold(problem)
	}
	if own, err := in.DB.MailboxByAddress(ctx, p.From); err == nil && own != nil {
		return outcome{InboundOutcome: store.InboundOutcome{State: frontdesk.InboundIgnored, Kind: frontdesk.InboundAutoReply,
			Reason: "sent from " + own.Address + ", a mailbox of this helpdesk: answering it would loop", FromAddress: p.From, Subject: p.Subject}}
	} else if err != nil && frontdesk.ErrorCode(err) != frontdesk.ENotFound {
		return failed(err)
	}
	if !released {
		window := time.Duration(s.LoopWindowMinutes) * time.Minute
		n, err := in.DB.CountInboundFrom(ctx, p.From, in.DB.Now(ctx).Add(-window))
		if err != nil {
			return failed(err)
		}
		if n >= s.LoopLimit {
			return hold(fmt.Sprintf("%s sent more than %d messages in %d minutes: a mail loop or a flood", p.From, s.LoopLimit, s.LoopWindowMinutes))
		}
	}
	sender, err := in.DB.GetPersonByEmail(ctx, p.From)
	if frontdesk.ErrorCode(err) == frontdesk.ENotFound {
		sender, err = nil, nil
	}
	if err != nil {
		return failed(err)
	}
	if sender != nil && (sender.State == frontdesk.StateBanned || sender.State == frontdesk.StateTrashed) && !released {
		return hold(fmt.Sprintf("the sender %s is %s", p.From, sender.State))
	}
	reply, folded := Fold(p.Text)
	ticketID, err := in.thread(ctx, key, p, recipients)
	if err != nil {
		return failed(err)
	}
	if ticketID != 0 {
		o, done := in.addReply(ctx, m, mb, p, sender, ticketID, reply, folded, s)
		if done {
			o.FromAddress, o.Subject = p.From, p.Subject
			return o
		}
	}
	return in.request(ctx, m, mb, p, reply, folded, 0, s)
}

// thread finds the ticket a message answers: by a signed reply address among its
// recipients, else by the Message-IDs it answers (T2). 0 when it answers none.
func (in *Inbox) thread(ctx context.Context, key []byte, p *Parsed, recipients []string) (int64, error) {
	for _, r := range recipients {
		if id, ok := replyTicket(key, r); ok {
			if _, err := in.DB.GetTicket(ctx, id); err == nil {
				return id, nil
			}
		}
	}
	ids := append(append([]string{}, p.References...), p.InReplyTo...)
	return in.DB.TicketByMessageID(ctx, ids)
}

// addReply threads a reply onto its ticket. The requester's reply is a public message and
// reopens the ticket; a reply to a ticket closed more than reopen_days ago, or trashed,
// is a new request that links back (done false, with the link set on the way). A staff
// member's reply by mail is a private note: mail cannot prove what an agent meant to send
// the requester. Anyone else's is held: a reply address in a forwarded mail must not let
// a stranger write into someone's ticket.
func (in *Inbox) addReply(ctx context.Context, m *frontdesk.InboundMessage, mb *frontdesk.Mailbox, p *Parsed, sender *frontdesk.Person,
	ticketID int64, reply, folded string, s frontdesk.Settings) (outcome, bool) {
	t, err := in.DB.GetTicket(ctx, ticketID)
	if err != nil {
		return failed(err), true
	}
	switch {
	case sender == nil:
		return held(fmt.Sprintf("a reply to ticket #%d from %s, whom the helpdesk does not know", t.ID, p.From)), true
	case sender.ID != t.RequesterID && !sender.Role.IsStaff():
		return held(fmt.Sprintf("a reply to ticket #%d from %s, who is not its requester", t.ID, p.From)), true
	}
	reopen := t.Status == frontdesk.TicketClosed
	if t.TrashedAt != nil || t.Spam ||
		(reopen && in.DB.Now(ctx).Sub(t.UpdatedAt) > time.Duration(s.ReopenDays)*24*time.Hour) {
		return in.request(ctx, m, mb, p, reply, folded, t.ID, s), true
	}
	msg := &frontdesk.TicketMessage{TicketID: t.ID, AuthorID: sender.ID, Public: !sender.Role.IsStaff(), Body: orNoText(reply),
		Folded: folded, MessageID: p.MessageID, InboundID: &m.ID, Attachments: p.Attachments}
	if err := in.DB.AddTicketMessage(ctx, msg); err != nil {
		return failed(err), true
	}
	if msg.Public && t.Status != frontdesk.TicketOpen {
		if _, err := in.DB.UpdateTicket(ctx, t.ID, "ticket.reopen", func(t *frontdesk.Ticket) error {
			t.Status = frontdesk.TicketOpen
			return nil
		}); err != nil {
			return failed(err), true
		}
	}
	return outcome{InboundOutcome: store.InboundOutcome{State: frontdesk.InboundDone, Kind: frontdesk.InboundReply,
		TicketID: t.ID, PersonID: sender.ID}}, true
}

// request hands a message to the intake as a new request (C4, C5, C14, X4).
func (in *Inbox) request(ctx context.Context, m *frontdesk.InboundMessage, mb *frontdesk.Mailbox, p *Parsed, reply, folded string,
	followUpOf int64, s frontdesk.Settings) outcome {
	base := store.InboundOutcome{FromAddress: p.From, Subject: p.Subject, Kind: frontdesk.InboundRequest}
	subject := p.Subject
	if subject == "" {
		subject = "(no subject)"
	}
	if len(subject) > frontdesk.MaxSubjectLen {
		subject = strings.ToValidUTF8(subject[:frontdesk.MaxSubjectLen], "")
	}
	mr := &frontdesk.MailRequest{InboundID: m.ID, MessageID: p.MessageID, Folded: folded,
		OrganizationID: mb.OrganizationID, SiteID: mb.SiteID}
	if followUpOf != 0 {
		mr.FollowUpOf = &followUpOf
	}
	req := frontdesk.RequestInput{Email: p.From, Name: nameOf(p), Subject: subject, Body: orNoText(reply),
		Attachments: p.Attachments, Mail: mr}
	src := intake.Source{Channel: frontdesk.TicketViaEmail, NoLimits: true}
	policy := mb.UnknownSenders
	if policy == "" {
		policy = s.UnknownSenders
	}
	if policy == frontdesk.UnknownSendersHold && !m.Released {
		src.HoldStrangers = "mail to " + mb.Address + " from someone the helpdesk does not know waits for review"
	}
	out, err := in.Desk.Submit(ctx, req, src)
	if err != nil {
		var fe *frontdesk.Error
		if errors.As(err, &fe) && (fe.Code == frontdesk.EInvalid || fe.Code == frontdesk.EForbidden) {
			o := held("the message cannot become a request: " + fe.Error())
			o.FromAddress, o.Subject = p.From, p.Subject
			return o
		}
		return failed(err)
	}
	o := outcome{InboundOutcome: base}
	o.State = frontdesk.InboundDone
	switch out.Status {
	case intake.Created:
		o.TicketID, o.PersonID = out.Ticket.ID, out.Ticket.RequesterID
		if followUpOf != 0 {
			o.Reason = fmt.Sprintf("a follow-up of ticket #%d, closed too long ago to reopen", followUpOf)
		}
	case intake.AwaitingConfirmation:
		o.HeldID, o.Reason = out.HeldID, "waiting for the sender to confirm the request by mail"
	case intake.InReview:
		o.HeldID, o.Reason = out.HeldID, "in the review queue"
		if h, err := in.DB.GetHeldRequest(ctx, out.HeldID); err == nil {
			o.Reason += ": " + h.Reason
		}
	}
	return o
}

// nameOf is the sender's display name, unless it is only their address again.
func nameOf(p *Parsed) string {
	n := strings.Trim(p.FromName, ` "'`)
	if n == "" || strings.EqualFold(n, p.From) || strings.Contains(n, "@") {
		return ""
	}
	if len(n) > frontdesk.MaxRequestNameLen {
		return ""
	}
	return n
}

func orNoText(s string) string {
	if strings.TrimSpace(s) == "" {
		return "(no text)"
	}
	return s
}

func subjectOf(h *gomail.Header) string {
	s, _ := h.Subject()
	return s
}

func fromOf(h *gomail.Header) string {
	if l, err := h.AddressList("From"); err == nil && len(l) > 0 {
		return l[0].Address
	}
	return ""
}

// headerMessageID reads the Message-ID header of a raw message, "" when it has none or its
// header cannot be read.
func headerMessageID(raw []byte) string {
	return strings.TrimSpace(rawHeader(raw).Get("Message-Id"))
}

// Recipients returns the addresses a raw message was delivered to, as its headers say, in
// the order an MTA's pipe is best read: Delivered-To, X-Original-To, then To and Cc.
func Recipients(raw []byte) []string {
	h := rawHeader(raw)
	var out []string
	for _, k := range []string{"Delivered-To", "X-Original-To", "To", "Cc"} {
		for _, v := range h.Values(k) {
			list, err := netmail.ParseAddressList(v)
			if err != nil {
				if a, err := netmail.ParseAddress(v); err == nil {
					list = []*netmail.Address{a}
				}
			}
			for _, a := range list {
				out = append(out, a.Address)
			}
		}
	}
	return out
}

// rawHeader reads the header of a raw message as far as it can be read.
func rawHeader(raw []byte) textproto.MIMEHeader {
	head := headerSection(raw)
	h, _ := textproto.NewReader(bufio.NewReader(bytes.NewReader(append(head[:len(head):len(head)], "\r\n\r\n"...)))).ReadMIMEHeader()
	if h == nil {
		h = textproto.MIMEHeader{}
	}
	return h
}
