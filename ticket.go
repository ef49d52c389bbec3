package frontdesk

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// TicketStatus is where a ticket stands (T1).
type TicketStatus string

// Ticket statuses.
const (
	TicketOpen    TicketStatus = "open"
	TicketPending TicketStatus = "pending"
	TicketClosed  TicketStatus = "closed"
)

// TicketStatuses lists every ticket status.
var TicketStatuses = []TicketStatus{TicketOpen, TicketPending, TicketClosed}

// Valid reports whether s is a known status.
func (s TicketStatus) Valid() bool { return slices.Contains(TicketStatuses, s) }

// TicketChannel says how a ticket came in (T1).
type TicketChannel string

// Ticket channels.
const (
	TicketViaAPI     TicketChannel = "api"
	TicketViaConsole TicketChannel = "console"
	TicketViaWeb     TicketChannel = "web"
	TicketViaEmail   TicketChannel = "email"
	TicketViaPhone   TicketChannel = "phone"
	TicketViaChat    TicketChannel = "chat"
)

// TicketChannels lists every ticket channel.
var TicketChannels = []TicketChannel{TicketViaAPI, TicketViaConsole, TicketViaWeb, TicketViaEmail, TicketViaPhone, TicketViaChat}

// Valid reports whether c is a known channel.
func (c TicketChannel) Valid() bool { return slices.Contains(TicketChannels, c) }

// Rating is a requester's satisfaction with a closed ticket (T3).
type Rating string

// Ratings.
const (
	RatingGood Rating = "good"
	RatingBad  Rating = "bad"
)

// Ratings lists every rating.
var Ratings = []Rating{RatingGood, RatingBad}

// Ticket is a request raised by a person, as far as people need it (T1). Organization and
// site are the requester's at creation unless given. A trashed ticket stays in the database
// (L2): TrashedAt says when, and WithPerson whether trashing its requester took it, so that
// restoring the requester brings back exactly those. Spam marks a ticket closed as spam,
// whose requester was banned in the same step (L4).
type Ticket struct {
	ID             int64         `json:"id"`
	RequesterID    int64         `json:"requester_id"`
	OrganizationID *int64        `json:"organization_id"`
	SiteID         *int64        `json:"site_id"`
	Subject        string        `json:"subject"`
	Channel        TicketChannel `json:"channel"`
	// Type is the key of the request form the ticket came through (C9), if any.
	Type          string       `json:"type"`
	Status        TicketStatus `json:"status"`
	AssigneeID    *int64       `json:"assignee_id"`
	Spam          bool         `json:"spam"`
	Rating        *Rating      `json:"rating"`
	RatingComment string       `json:"rating_comment"`
	RatedAt       *time.Time   `json:"rated_at"`
	TrashedAt     *time.Time   `json:"trashed_at"`
	// FollowUpOf is the closed ticket a late reply by mail followed up on (T2).
	FollowUpOf *int64    `json:"follow_up_of"`
	WithPerson bool      `json:"-"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// TicketMessage is one entry of a ticket's thread: a public reply, which the requester sees
// and agents' replies mail to them, or a private note, which only staff see (T1).
type TicketMessage struct {
	ID       int64  `json:"id"`
	TicketID int64  `json:"ticket_id"`
	AuthorID int64  `json:"author_id"`
	Public   bool   `json:"public"`
	Body     string `json:"body"`
	// MessageID is the Message-ID of the email that carried a reply to the requester, with
	// its angle brackets; replies to that email thread on it. Empty for notes and for
	// messages no email carried.
	MessageID string `json:"message_id"`
	// Folded is what came below the reply in an email: quoted history and signature, kept
	// but folded away in the thread (T2).
	Folded string `json:"folded"`
	// InboundID is the received message the entry came in, if it came by mail.
	InboundID   *int64        `json:"inbound_id"`
	Attachments []*Attachment `json:"attachments"`
	CreatedAt   time.Time     `json:"created_at"`
}

// Limits of ticket text.
const (
	MaxSubjectLen     = 500
	MaxMessageBodyLen = 64 << 10
	MaxRatingComment  = 2000
)

// TicketInput creates a ticket on behalf of a requester. Body, when given, is the request in
// the requester's words: the first public message of the thread. The requester is an
// existing person (RequesterID) or one created with the ticket (Requester, C10); exactly one
// of the two, except that Requester with RequesterID the general user asks for a new person
// under the general user's organization and site (a setting).
type TicketInput struct {
	RequesterID    int64         `json:"requester_id"`
	Requester      *PersonInput  `json:"requester"`
	OrganizationID *int64        `json:"organization_id"`
	SiteID         *int64        `json:"site_id"`
	Subject        string        `json:"subject"`
	Body           string        `json:"body"`
	Channel        TicketChannel `json:"channel"`
	Status         TicketStatus  `json:"status"`
	AssigneeID     *int64        `json:"assignee_id"`
}

// TicketUpdate changes a ticket's status, assignee or requester (C11); only the fields present
// change, and a null assignee_id unassigns.
type TicketUpdate struct {
	Status      *TicketStatus `json:"status"`
	AssigneeID  Ref           `json:"assignee_id"`
	RequesterID *int64        `json:"requester_id"`
}

// MessageInput adds to a ticket's thread: a public reply or a private note.
type MessageInput struct {
	Body   string `json:"body"`
	Public *bool  `json:"public"`
	// Attachments are files checked by CheckUploads, stored with the message.
	Attachments []*Attachment `json:"-"`
}

// RatingInput is a requester's rating of a closed ticket.
type RatingInput struct {
	Rating  Rating `json:"rating"`
	Comment string `json:"comment"`
}

// NewTicket checks in and returns the ticket and its first message (nil without a body),
// reporting every problem at once. The channel defaults to def.
func NewTicket(in TicketInput, def TicketChannel) (*Ticket, *TicketMessage, error) {
	var probs Problems
	t := &Ticket{RequesterID: in.RequesterID, OrganizationID: in.OrganizationID, SiteID: in.SiteID,
		Subject: in.Subject, Channel: in.Channel, Status: in.Status, AssigneeID: in.AssigneeID}
	t.check(&probs, def, in.Requester != nil)
	body := CleanText(&probs, "body", in.Body, MaxMessageBodyLen, MultiLine)
	checkRef(&probs, "organization_id", t.OrganizationID)
	checkRef(&probs, "site_id", t.SiteID)
	checkRef(&probs, "assignee_id", t.AssigneeID)
	if err := probs.Err(); err != nil {
		return nil, nil, err
	}
	var first *TicketMessage
	if body != "" {
		first = &TicketMessage{AuthorID: t.RequesterID, Public: true, Body: body}
	}
	return t, first, nil
}

func checkRef(probs *Problems, field string, id *int64) {
	if id != nil && *id <= 0 {
		probs.Add(field, "must be a positive id")
	}
}

// CheckTicket validates a ticket before it is stored, reporting every problem at once.
func CheckTicket(t *Ticket) error {
	var probs Problems
	t.check(&probs, TicketViaAPI, false)
	return probs.Err()
}

// check tidies and checks what every ticket needs, new or stored: subject, status, channel
// (def when empty) and requester, unless the requester is still to be created (newRequester).
func (t *Ticket) check(probs *Problems, def TicketChannel, newRequester bool) {
	t.Subject = CleanText(probs, "subject", t.Subject, MaxSubjectLen, OneLine)
	if t.Subject == "" && !probs.Has("subject") {
		probs.Add("subject", "a ticket needs a subject of 1 to %d characters", MaxSubjectLen)
	}
	if t.Status == "" {
		t.Status = TicketOpen
	}
	if !t.Status.Valid() {
		probs.Add("status", "must be one of %v", TicketStatuses)
	}
	if t.Channel == "" {
		t.Channel = def
	}
	if !t.Channel.Valid() {
		probs.Add("channel", "must be one of %v", TicketChannels)
	}
	if t.RequesterID <= 0 && !newRequester {
		probs.Add("requester_id", "is required: the id of the person the ticket is for, or requester: a new person")
	}
}

// CheckTicketUpdate validates a change of status or assignee, reporting every problem.
func CheckTicketUpdate(in TicketUpdate) error {
	var probs Problems
	if in.Status != nil && !in.Status.Valid() {
		probs.Add("status", "must be one of %v", TicketStatuses)
	}
	if in.RequesterID != nil && *in.RequesterID <= 0 {
		probs.Add("requester_id", "must be the id of a person")
	}
	return probs.Err()
}

// NewMessage checks in and returns the message to add, reporting every problem at once.
func NewMessage(in MessageInput) (*TicketMessage, error) {
	var probs Problems
	m := &TicketMessage{Attachments: in.Attachments}
	if m.Attachments == nil {
		m.Attachments = []*Attachment{} // answered as [], like a thread's messages
	}
	m.Body = CleanText(&probs, "body", in.Body, MaxMessageBodyLen, MultiLine)
	if strings.TrimSpace(m.Body) == "" && !probs.Has("body") {
		probs.Add("body", "a message needs a body of 1 to %d characters", MaxMessageBodyLen)
	}
	if in.Public == nil {
		probs.Add("public", "is required: true for a reply the requester gets, false for a private note")
	} else {
		m.Public = *in.Public
	}
	return m, probs.Err()
}

// CheckRating decides whether person may rate t with in (T3): only the requester, only once
// the ticket is closed, and not a spam ticket. It reports every problem of the input at once.
func CheckRating(t *Ticket, personID int64, in *RatingInput) error {
	var probs Problems
	if !slices.Contains(Ratings, in.Rating) {
		probs.Add("rating", "must be one of %v", Ratings)
	}
	in.Comment = CleanText(&probs, "comment", in.Comment, MaxRatingComment, MultiLine)
	if err := probs.Err(); err != nil {
		return err
	}
	if personID != t.RequesterID {
		return Errorf(EForbidden, "only the requester of ticket %d rates it", t.ID)
	}
	if t.Status != TicketClosed || t.Spam || t.TrashedAt != nil {
		return Errorf(EConflict, "ticket %d is %s; a ticket is rated once it is closed", t.ID, t.Status)
	}
	return nil
}

// TicketFilter narrows a list of tickets; zero fields do not filter.
type TicketFilter struct {
	RequesterID    int64
	OrganizationID int64
	// SiteID narrows to one site; the help center sets it with the site's organization, so
	// the organization's index finds the rows.
	SiteID     int64
	AssigneeID int64
	// Unassigned narrows to tickets nobody is assigned to; it excludes AssigneeID.
	Unassigned bool
	Status     TicketStatus
}

// ParseTicketFilter reads a filter from query parameters: requester_id, organization_id,
// assignee_id and status, reporting every problem at once. assignee=none (or
// assignee_id=none) asks for the tickets nobody is assigned to.
func ParseTicketFilter(q url.Values) (TicketFilter, error) {
	var f TicketFilter
	var probs Problems
	if a := q.Get("assignee"); a != "" {
		if a != "none" {
			probs.Add("assignee", "%q is not a choice; assignee=none lists unassigned tickets, assignee_id=ID one agent's", a)
		}
		f.Unassigned = true
	}
	for field, dst := range map[string]*int64{"requester_id": &f.RequesterID, "organization_id": &f.OrganizationID, "assignee_id": &f.AssigneeID} {
		v := q.Get(field)
		if v == "" {
			continue
		}
		if field == "assignee_id" && v == "none" {
			f.Unassigned = true
			continue
		}
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			probs.Add(field, "must be a positive id, not %q", v)
			continue
		}
		*dst = id
	}
	if s := q.Get("status"); s != "" {
		if f.Status = TicketStatus(s); !f.Status.Valid() {
			probs.Add("status", "%q is not a status; expected one of %v", s, TicketStatuses)
		}
	}
	if f.Unassigned && f.AssigneeID != 0 {
		probs.Add("assignee", "asks for unassigned tickets and assignee_id for one agent's; give one of the two")
	}
	return f, probs.Err()
}
