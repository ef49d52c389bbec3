// Package intake is the one door every channel brings requests through: the help-center
// form, the embeddable form, the public and staff API, and (next) email and phone. The rules
// are decided here once, for every channel (C6):
//
//   - who the requester is: the signed-in person, or whoever already owns the address,
//     phone or handle the request gives (C14), or a new contact made from the request's
//     details (C9, C13);
//   - whether the request passes the intake policy (X4), else it waits for review;
//   - whether a guest's request becomes a ticket at once (C4) or only once the guest
//     confirms it by mail (C5);
//   - what the requester is told: a stranger who types someone else's address gains
//     nothing, the owner of the address hears of it by mail (C14).
package intake

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"time"

	"frontdesk"
	"frontdesk/auth"
	"frontdesk/flow"
	"frontdesk/mail"
	"frontdesk/store"
)

// Desk takes requests.
type Desk struct {
	DB    *store.DB
	Mail  *mail.Mailer
	Flows *flow.Flows
	// BaseURL is where the help center is reached, for links in mail.
	BaseURL     string
	PhoneRegion string
	// ClientLimit counts requests per client address, AddressLimit per address, phone or
	// handle a request names; both hold across instances on PostgreSQL.
	ClientLimit  auth.Limiter
	AddressLimit auth.Limiter
	Log          *slog.Logger
	// PurgeEvery is how often Run purges expired requests.
	PurgeEvery time.Duration
	// batch commits requests that arrive together in one transaction (SQLite's group
	// commit); nil runs each in its own.
	batch *store.Batcher
}

// New returns a desk over the flows' store and mail, with the default limits: 10 requests
// per client, then one every 30 seconds; 5 per address, then one every 10 minutes.
func New(f *flow.Flows) *Desk {
	limit := func(name string, burst int, every time.Duration) auth.Limiter {
		if f.DB.Engine() == store.Postgres {
			return f.DB.Limiter(name, auth.Rate{Burst: burst, Every: every})
		}
		return auth.NewLimiter(burst, every)
	}
	d := &Desk{DB: f.DB, Mail: f.Mail, Flows: f, BaseURL: f.BaseURL, PhoneRegion: f.PhoneRegion,
		ClientLimit:  limit("request", 10, 30*time.Second),
		AddressLimit: limit("request-address", 5, 10*time.Minute),
		Log:          f.Log, PurgeEvery: time.Minute}
	if f.DB.Engine() == store.SQLite {
		// One writer: requests that arrive together share a commit. PostgreSQL runs
		// transactions side by side and groups commits itself.
		d.batch = f.DB.NewBatcher()
	}
	return d
}

// Close stops the desk's group commit; requests already taken finish first.
func (d *Desk) Close() {
	if d.batch != nil {
		d.batch.Close()
	}
}

// Source says where a request came from.
type Source struct {
	Channel  frontdesk.TicketChannel
	ClientIP string
	// Self is set when the signed-in actor of ctx raises the request as themselves (the
	// help-center form, a contact's API token); otherwise the actor, if any, is staff or an
	// integration acting for the person the request names.
	Self bool
	// NoLimits skips the per-client and per-address limits: email has its own loop guard
	// (X3), and a mail server's retries must not lose mail.
	NoLimits bool
	// HoldStrangers, when set, is why a request from someone nobody knows waits for review:
	// a mailbox that holds mail from unknown senders (C8).
	HoldStrangers string
}

// Status says what became of a request.
type Status string

// Statuses.
const (
	Created              Status = "created"              // a ticket exists
	AwaitingConfirmation Status = "pending_confirmation" // the guest was mailed a link (C5)
	InReview             Status = "in_review"            // staff release or discard it (X4)
)

// Outcome is what became of a request. Ticket is set when one exists; it is for the
// channel's own records and for staff, never shown to a guest beyond its number.
type Outcome struct {
	Status Status
	Ticket *frontdesk.Ticket
	HeldID int64
}

// Submit takes a request through the door.
func (d *Desk) Submit(ctx context.Context, in frontdesk.RequestInput, src Source) (*Outcome, error) {
	actor := frontdesk.ActorFrom(ctx)
	trusted := !src.Self && actor.Can(frontdesk.PermTicketsAnswer)
	if src.Self && actor.ID == 0 {
		return nil, frontdesk.Errorf(frontdesk.EUnauthorized, "sign in to raise a request as yourself")
	}
	if !src.Self && actor.ID != 0 && !trusted {
		// A contact's token raises requests as the contact, never for someone else.
		src.Self = true
	}
	rules := frontdesk.RequestRules{PhoneRegion: d.PhoneRegion, SignedIn: src.Self}
	if in.Type != "" {
		t, err := d.DB.TicketTypeByKey(ctx, in.Type)
		switch {
		case frontdesk.ErrorCode(err) == frontdesk.ENotFound:
			rules.UnknownType = in.Type
		case err != nil:
			return nil, err
		}
		rules.Type = t
	}
	r, err := frontdesk.CheckRequest(in, rules)
	if err := d.checkCustomValues(ctx, in, rules.Type, err); err != nil {
		return nil, err
	}
	if !trusted && !src.NoLimits {
		if err := d.takeLimits(ctx, r, src); err != nil {
			return nil, err
		}
	}
	s, err := d.DB.GetSettings(ctx)
	if err != nil {
		return nil, err
	}
	if src.Self {
		return d.create(ctx, r, src.Channel, actor.ID, created{})
	}
	held := &frontdesk.HeldRequest{Channel: r.TicketChannelFor(src.Channel), Request: *r, ClientIP: src.ClientIP}
	how := created{}
	if !trusted {
		match, err := d.match(ctx, r)
		if err != nil {
			return nil, err
		}
		how.nobodyMatched = match == nil
		reason := policyHold(s, r, match)
		if reason == "" && match == nil && src.HoldStrangers != "" {
			reason = src.HoldStrangers
		}
		if reason != "" {
			held.State, held.Reason = frontdesk.HeldForReview, reason
			return d.hold(ctx, held, s)
		}
		if s.GuestRequests == frontdesk.GuestRequestsConfirm {
			if r.Email == "" {
				held.State, held.Reason = frontdesk.HeldForReview, "no address to confirm the request at"
			} else {
				held.State = frontdesk.HeldForConfirmation
			}
			return d.hold(ctx, held, s)
		}
	}
	return d.create(ctx, r, held.Channel, 0, how)
}

// checkCustomValues adds to checkErr, the request's other problems, what is wrong with the
// values of the custom person fields the type asks for, so that a form hears of every
// problem at once (C9).
func (d *Desk) checkCustomValues(ctx context.Context, in frontdesk.RequestInput, t *frontdesk.TicketType, checkErr error) error {
	asked := map[string]any{}
	for k, v := range in.Custom {
		if t != nil && slices.Contains(t.PersonFields, k) {
			asked[k] = v
		}
	}
	if len(asked) == 0 {
		return checkErr
	}
	fields, err := d.DB.CustomFieldMap(ctx)
	if err != nil {
		return err
	}
	scratch := frontdesk.NewPerson(frontdesk.ChannelRequest)
	name := "scratch"
	err = frontdesk.ApplyPerson(scratch, frontdesk.PersonInput{Name: &name, Custom: asked}, frontdesk.Rules{PhoneRegion: d.PhoneRegion, CustomFields: fields})
	var all frontdesk.Problems
	for _, e := range []error{checkErr, err} {
		var fe *frontdesk.Error
		if errors.As(e, &fe) && fe.Code == frontdesk.EInvalid {
			all = append(all, fe.Fields...)
		} else if e != nil {
			return e
		}
	}
	return all.Err()
}

func (d *Desk) takeLimits(ctx context.Context, r *frontdesk.Request, src Source) error {
	keys := []string{"ip:" + src.ClientIP}
	for _, k := range []string{r.Email, r.Phone, r.Identity} {
		if k != "" {
			if err := flow.TakeLimit(ctx, d.AddressLimit, "to:"+k); err != nil {
				return err
			}
		}
	}
	return flow.TakeLimit(ctx, d.ClientLimit, keys...)
}

// policyHold says why a request must wait for review under the intake policy (X4), or "".
// match is the person the request names, nil for a stranger.
func policyHold(s frontdesk.Settings, r *frontdesk.Request, match *frontdesk.Person) string {
	domain := ""
	if at := strings.LastIndexByte(r.Email, '@'); at >= 0 {
		domain = r.Email[at+1:]
	}
	inList := func(list []string) bool {
		for _, d := range list {
			if domain == d || strings.HasSuffix(domain, "."+d) {
				return true
			}
		}
		return false
	}
	switch {
	case match != nil && (match.State == frontdesk.StateBanned || match.State == frontdesk.StateTrashed):
		return "the requester is " + string(match.State)
	case domain != "" && inList(s.BlockedDomains):
		return "the address's domain " + domain + " is blocked"
	case len(s.AllowedDomains) > 0 && (domain == "" || !inList(s.AllowedDomains)):
		return "only requests from the allowed domains pass without review"
	case s.IntakePolicy == frontdesk.IntakeClosed:
		return "every request is reviewed before it becomes a ticket"
	case s.IntakePolicy == frontdesk.IntakeRegistered && match == nil:
		return "only people known to the helpdesk may raise requests"
	}
	return ""
}

// match returns the person who owns the address, phone or handle of r, nil when nobody does
// (C14). The address decides first, then the handle, then the phone.
func (d *Desk) match(ctx context.Context, r *frontdesk.Request) (*frontdesk.Person, error) {
	found := func(p *frontdesk.Person, err error) (*frontdesk.Person, bool, error) {
		if frontdesk.ErrorCode(err) == frontdesk.ENotFound {
			return nil, false, nil
		}
		return p, err == nil, err
	}
	if r.Email != "" {
		if p, ok, err := found(d.DB.GetPersonByEmail(ctx, r.Email)); ok || err != nil {
			return p, err
		}
	}
	if r.Identity != "" {
		if p, ok, err := found(d.DB.PersonByIdentity(ctx, r.IdentityKind, r.Identity)); ok || err != nil {
			return p, err
		}
	}
	if r.Phone != "" {
		if p, ok, err := found(d.DB.PersonByIdentity(ctx, frontdesk.IdentityPhone, r.Phone)); ok || err != nil {
			return p, err
		}
		// A number staff typed on people: the first holder, as a call matches it (C12).
		holders, err := d.DB.PeopleByPhone(ctx, r.Phone)
		if err != nil || len(holders) > 0 {
			if err != nil {
				return nil, err
			}
			return holders[0], nil
		}
	}
	return nil, nil
}

// hold keeps a request that is not a ticket yet: for review, or for the guest to confirm,
// whom it mails the link in the same transaction (C5, E6).
func (d *Desk) hold(ctx context.Context, h *frontdesk.HeldRequest, s frontdesk.Settings) (*Outcome, error) {
	return d.holdMoving(ctx, h, s, 0)
}

// holdMoving is hold for a request that was held before as fromHeld (a released request
// that now waits for its confirmation), whose stored files follow it.
func (d *Desk) holdMoving(ctx context.Context, h *frontdesk.HeldRequest, s frontdesk.Settings, fromHeld int64) (*Outcome, error) {
	err := d.DB.WithTx(ctx, func(ctx context.Context) error {
		if err := d.holdTx(ctx, h, s); err != nil {
			return err
		}
		if fromHeld != 0 {
			return d.DB.MoveAttachments(ctx, fromHeld, store.AttachmentOwner{HeldRequestID: h.ID})
		}
		for _, a := range h.Request.Attachments {
			a.HeldRequestID, a.TicketID, a.TicketMessageID = &h.ID, nil, nil
			if err := d.DB.AddAttachment(ctx, a); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	st := InReview
	if h.State == frontdesk.HeldForConfirmation {
		st = AwaitingConfirmation
	}
	return &Outcome{Status: st, HeldID: h.ID}, nil
}

// holdTx stores the held request and, when it waits for the guest, mails the link.
func (d *Desk) holdTx(ctx context.Context, h *frontdesk.HeldRequest, s frontdesk.Settings) error {
	if h.State == frontdesk.HeldForReview {
		return d.DB.HoldRequest(ctx, h, "", 0)
	}
	secret := auth.NewSecret(32)
	lifetime := time.Duration(s.GuestRequestHours) * time.Hour
	if err := d.DB.HoldRequest(ctx, h, secret, lifetime); err != nil {
		return err
	}
	_, err := d.Mail.QueueAddress(ctx, mail.ConfirmRequest, h.Request.Email, h.Request.Name, mail.Vars{
		HelpdeskURL: d.BaseURL, Link: d.link("/requests/confirm", secret), ExpiresAt: *h.ExpiresAt,
		TicketSubject: h.Request.Subject})
	return err
}

func (d *Desk) link(path, secret string) string {
	return strings.TrimSuffix(d.BaseURL, "/") + path + "?token=" + secret
}

// created says how create was reached: confirmed is set when the guest proved the address
// by confirming the request (C5); nobodyMatched when the caller found no owner of the
// request's address, phone or handle just before, so that the first attempt creates the
// contact without looking again: should another request have made them meanwhile, the
// unique keys refuse the second, and the next attempt matches (C14).
type created struct {
	confirmed     bool
	nobodyMatched bool
	// heldID is the held request the ticket is made from, whose stored files it takes.
	heldID int64
}

// maxCreateAttempts bounds the retries of a request that raced another naming the same new
// address: the loser's transaction fails on the unique address and, tried again, matches
// the person the winner made (C14).
const maxCreateAttempts = 4

// create makes the ticket of r, for requesterID when given, else for the person r names or a
// new contact made from r, and mails the requester (unless they raised it themselves).
func (d *Desk) create(ctx context.Context, r *frontdesk.Request, channel frontdesk.TicketChannel, requesterID int64, how created) (*Outcome, error) {
	var out *Outcome
	var prepared *frontdesk.Person
	if requesterID == 0 {
		var err error
		if prepared, err = d.prepareContact(ctx, r, channel, how.confirmed); err != nil {
			return nil, err
		}
	}
	var err error
	run := d.DB.WithTx
	if d.batch != nil {
		run = d.batch.Do
	}
	for attempt := 0; attempt < maxCreateAttempts; attempt++ {
		try := how
		try.nobodyMatched = how.nobodyMatched && attempt == 0
		err = run(ctx, func(ctx context.Context) error {
			var e error
			out, _, e = d.createTx(ctx, r, channel, requesterID, prepared, try)
			return e
		})
		if frontdesk.ErrorCode(err) != frontdesk.EConflict || requesterID != 0 {
			break
		}
	}
	return out, err
}

// createTx is create inside the caller's transaction. prepared is the contact to make
// should the request name nobody known (nil when requesterID is given). It returns the
// requester too.
func (d *Desk) createTx(ctx context.Context, r *frontdesk.Request, channel frontdesk.TicketChannel, requesterID int64, prepared *frontdesk.Person, how created) (*Outcome, *createdFor, error) {
	who := &createdFor{}
	var err error
	if requesterID != 0 {
		who.person, err = d.DB.GetPerson(ctx, requesterID)
		who.self = true
	} else {
		if !how.nobodyMatched {
			who.person, err = d.match(ctx, r)
		}
		if err == nil && who.person == nil {
			who.person, err = d.newContact(ctx, r, prepared)
			who.isNew = true
		}
	}
	if err != nil {
		return nil, nil, err
	}
	if how.confirmed && !who.isNew {
		if who.person, err = d.confirmAddress(ctx, who.person, r.Email); err != nil {
			return nil, nil, err
		}
	}
	t := &frontdesk.Ticket{RequesterID: who.person.ID, Subject: r.Subject, Channel: channel, Status: frontdesk.TicketOpen, Type: r.Type}
	msg := &frontdesk.TicketMessage{AuthorID: who.person.ID, Public: true, Body: r.Body, Attachments: r.Attachments}
	if r.Mail != nil {
		t.FollowUpOf = r.Mail.FollowUpOf
		msg.MessageID, msg.Folded = r.Mail.MessageID, r.Mail.Folded
		if r.Mail.InboundID != 0 {
			msg.InboundID = &r.Mail.InboundID
		}
	}
	if err := d.DB.CreateTicket(ctx, t); err != nil {
		return nil, nil, err
	}
	msg.TicketID = t.ID
	if err := d.DB.AddTicketMessage(ctx, msg); err != nil {
		return nil, nil, err
	}
	if how.heldID != 0 {
		if err := d.DB.MoveAttachments(ctx, how.heldID, store.AttachmentOwner{TicketID: t.ID, TicketMessageID: msg.ID}); err != nil {
			return nil, nil, err
		}
		if msg.InboundID != nil {
			if err := d.DB.SetInboundTicket(ctx, *msg.InboundID, t.ID); err != nil {
				return nil, nil, err
			}
		}
	}
	if !who.self {
		if err := d.tell(ctx, who, t, how); err != nil {
			return nil, nil, err
		}
	}
	return &Outcome{Status: Created, Ticket: t}, who, nil
}

type createdFor struct {
	person *frontdesk.Person
	isNew  bool
	self   bool
	// linkSecret opens the ticket to its requester (X5); onboarding is the token of the
	// onboarding a confirmed guest is offered.
	linkSecret string
	onboarding string
}

// prepareContact makes, outside any transaction, the contact a request names should nobody
// own its address, phone or handle (C4, C9, C13). The address is verified only when the
// guest confirmed the request from it (C5).
func (d *Desk) prepareContact(ctx context.Context, r *frontdesk.Request, channel frontdesk.TicketChannel, confirmed bool) (*frontdesk.Person, error) {
	fields, err := d.DB.CustomFieldMap(ctx)
	if err != nil {
		return nil, err
	}
	p := frontdesk.NewPerson(personChannel(channel))
	if err := frontdesk.ApplyPerson(p, r.PersonInput(), frontdesk.Rules{PhoneRegion: d.PhoneRegion, CustomFields: fields}); err != nil {
		return nil, err
	}
	for i := range p.Emails {
		p.Emails[i].Verified = confirmed
	}
	p.State = frontdesk.InitialState(p)
	if confirmed {
		p.State = frontdesk.StateActive
	}
	return p, nil
}

// newContact stores a prepared contact. Identities other than the address are claimed in
// person_identities, whose key makes two racing requests one person (C14).
func (d *Desk) newContact(ctx context.Context, r *frontdesk.Request, prepared *frontdesk.Person) (*frontdesk.Person, error) {
	p := *prepared
	if err := d.DB.CreatePerson(ctx, &p); err != nil {
		return nil, err
	}
	if r.Identity != "" {
		if err := d.DB.AddIdentity(ctx, p.ID, r.IdentityKind, r.Identity); err != nil {
			return nil, err
		}
	}
	if r.Phone != "" && r.Email == "" && r.Identity == "" {
		if err := d.DB.AddIdentity(ctx, p.ID, frontdesk.IdentityPhone, r.Phone); err != nil {
			return nil, err
		}
	}
	return &p, nil
}

// personChannel is how a person made by a request came to exist (L7).
func personChannel(c frontdesk.TicketChannel) frontdesk.Channel {
	switch c {
	case frontdesk.TicketViaWeb:
		return frontdesk.ChannelRequest
	case frontdesk.TicketViaEmail:
		return frontdesk.ChannelEmail
	case frontdesk.TicketViaChat:
		return frontdesk.ChannelChat
	case frontdesk.TicketViaPhone:
		return frontdesk.ChannelPhone
	}
	return frontdesk.ChannelAPI
}

// confirmAddress records that the owner of address showed they read mail there, by
// confirming a request (C5): the address is verified and a contact waiting for that becomes
// active, as a confirmation link would make them (E1).
func (d *Desk) confirmAddress(ctx context.Context, p *frontdesk.Person, address string) (*frontdesk.Person, error) {
	p, err := d.DB.UpdatePerson(ctx, p.ID, func(p *frontdesk.Person) error {
		for i := range p.Emails {
			if p.Emails[i].Address == address {
				p.Emails[i].Verified = true
			}
		}
		return nil
	})
	if err != nil || p.State != frontdesk.StateNotActivated || p.Role.IsStaff() {
		return p, err
	}
	return d.DB.SetState(ctx, p.ID, store.StateChange{To: frontdesk.StateActive})
}

// tell mails the requester that their request is a ticket, with the link that opens it
// (X5); a new contact also gets the welcome link that confirms the address and leads to
// onboarding (C4) unless they confirmed already (C5), who are offered onboarding at once.
// A known person named by someone else's request hears of it the same way, and the stranger
// who typed their address gets nothing (C14).
func (d *Desk) tell(ctx context.Context, who *createdFor, t *frontdesk.Ticket, how created) error {
	who.linkSecret = auth.NewSecret(32)
	if err := d.DB.IssueTicketLink(ctx, t.ID, who.person.ID, who.linkSecret); err != nil {
		return err
	}
	address := who.person.PrimaryEmail()
	if address == "" {
		return nil
	}
	s, err := d.DB.GetSettings(ctx)
	if err != nil {
		return err
	}
	v := mail.Vars{HelpdeskURL: d.BaseURL, TicketID: t.ID, TicketSubject: t.Subject,
		TicketLink: d.link("/requests/access", who.linkSecret)}
	lifetime := time.Duration(s.WelcomeLinkHours) * time.Hour
	webAccess := who.person.WebAccess != frontdesk.WebAccessNone && !who.person.Machine
	switch {
	case who.isNew && !how.confirmed && webAccess:
		secret := auth.NewSecret(32)
		if err := d.DB.IssuePersonToken(ctx, who.person.ID, store.PurposeWelcome, address, secret, lifetime); err != nil {
			return err
		}
		v.Link, v.ExpiresAt = d.link("/welcome", secret), d.DB.Now(ctx).Add(lifetime)
	case how.confirmed && webAccess:
		creds, err := d.DB.GetCredentials(ctx, who.person.ID)
		if err != nil {
			return err
		}
		if creds.OnboardedAt == nil {
			who.onboarding = auth.NewSecret(32)
			if err := d.DB.IssuePersonToken(ctx, who.person.ID, store.PurposeOnboarding, address, who.onboarding, lifetime); err != nil {
				return err
			}
		}
	}
	_, err = d.Mail.Queue(ctx, mail.RequestReceived, who.person, v)
	return err
}
