package frontdesk

import (
	"regexp"
	"slices"
	"strings"
	"time"
)

// A request is what a person asks for through a channel (the help-center form, the embed
// form, the public API, email, a chat or a phone call) before it is a ticket. Every channel
// hands one RequestInput to the intake, which decides once whether it becomes a ticket now
// (C4), waits for the guest to confirm it (C5) or waits for staff to review it (X4).

// RequestInput is a request as a channel received it.
type RequestInput struct {
	Email string `json:"email"`
	Name  string `json:"name"`
	Phone string `json:"phone"`
	// Channel and Identity name the person on a channel that gives no address: a chat id or
	// a social handle (C13).
	Channel  string         `json:"channel"`
	Identity string         `json:"identity"`
	Subject  string         `json:"subject"`
	Body     string         `json:"body"`
	Type     string         `json:"type"`
	Custom   map[string]any `json:"custom"`
	// Website is the honeypot: a field people never see and robots fill in.
	Website string `json:"website"`
	// Attachments are the files that came with the request; the channel reads and checks
	// them (name, size under the setting's limit) before it hands them in.
	Attachments []*Attachment `json:"-"`
	// Mail says what only a request by email carries.
	Mail *MailRequest `json:"-"`
}

// MailRequest is what a request by email carries besides its text (C8, T2): the received
// message it came in, its Message-ID (replies to it thread on the ticket), the quoted text
// below it, and the mailbox's organization and site for a contact it creates.
type MailRequest struct {
	InboundID      int64  `json:"inbound_id"`
	MessageID      string `json:"message_id,omitempty"`
	Folded         string `json:"folded,omitempty"`
	OrganizationID *int64 `json:"organization_id,omitempty"`
	SiteID         *int64 `json:"site_id,omitempty"`
	// FollowUpOf is the closed ticket a late reply follows up on.
	FollowUpOf *int64 `json:"follow_up_of,omitempty"`
}

// Request is a checked request: addresses and numbers in their normal forms.
type Request struct {
	Email        string         `json:"email,omitempty"`
	Name         string         `json:"name,omitempty"`
	Phone        string         `json:"phone,omitempty"`
	IdentityKind string         `json:"identity_kind,omitempty"`
	Identity     string         `json:"identity,omitempty"`
	Subject      string         `json:"subject"`
	Body         string         `json:"body"`
	Type         string         `json:"type,omitempty"`
	Custom       map[string]any `json:"custom,omitempty"`
	Mail         *MailRequest   `json:"mail,omitempty"`
	// Attachments travel with the request; a held request keeps them in storage, not here.
	Attachments []*Attachment `json:"-"`
}

// Identity kinds that are not chat or social handles.
const (
	IdentityPhone = "phone"
)

// Limits of request fields.
const (
	MaxRequestNameLen     = 200
	MaxRequestIdentityLen = 200
)

var identityKindPattern = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,31}$`)

// RequestRules are what checking a request needs besides the request.
type RequestRules struct {
	PhoneRegion string
	// Type is the ticket type the request names, resolved by the caller; nil for none.
	Type *TicketType
	// UnknownType is the type the request names when no such type exists.
	UnknownType string
	// SignedIn is set when the request comes from a signed-in person, who is the requester:
	// it then carries no contact fields.
	SignedIn bool
}

// CheckRequest checks a request and returns it in normal form, or every problem at once.
func CheckRequest(in RequestInput, rules RequestRules) (*Request, error) {
	var p Problems
	if in.Website != "" {
		p.Add("website", "must be left empty")
	}
	r := &Request{Type: rules.Type.key()}
	if rules.UnknownType != "" {
		p.Add("type", "there is no request type %q", rules.UnknownType)
	}
	r.Subject = CleanText(&p, "subject", in.Subject, MaxSubjectLen, OneLine)
	if r.Subject == "" && !p.Has("subject") {
		p.Add("subject", "is required: what the request is about, 1 to %d characters", MaxSubjectLen)
	}
	r.Body = CleanText(&p, "body", in.Body, MaxMessageBodyLen, MultiLine)
	if r.Body == "" && !p.Has("body") {
		p.Add("body", "is required: the request in your own words, up to %d characters", MaxMessageBodyLen)
	}
	contact := map[string]string{"email": in.Email, "name": in.Name, "phone": in.Phone, "channel": in.Channel, "identity": in.Identity}
	hidden := rules.Type != nil && rules.Type.HideContactFields
	switch {
	case rules.SignedIn || hidden:
		why := "is not asked: you are signed in and the request is yours"
		if !rules.SignedIn {
			why = "is not asked by the request type " + rules.Type.Key
		}
		for _, f := range []string{"email", "name", "phone", "channel", "identity"} {
			if strings.TrimSpace(contact[f]) != "" {
				p.Add(f, "%s", why)
			}
		}
		if !rules.SignedIn {
			p.Add("type", "%s is for signed-in people: sign in first", rules.Type.Key)
		}
	default:
		r.checkContact(&p, in, rules.PhoneRegion)
	}
	r.Custom = checkRequestCustom(&p, in.Custom, rules.Type)
	r.Mail, r.Attachments = in.Mail, in.Attachments
	if err := p.Err(); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *Request) checkContact(p *Problems, in RequestInput, region string) {
	if strings.TrimSpace(in.Email) != "" {
		n, err := NormalizeEmail(in.Email)
		if err != nil {
			p.Add("email", "%v", err)
		}
		r.Email = n
	}
	r.Name = CleanText(p, "name", in.Name, MaxRequestNameLen, OneLine)
	if strings.TrimSpace(in.Phone) != "" {
		n, err := NormalizePhone(in.Phone, region)
		if err != nil {
			p.Add("phone", "%v", err)
		}
		r.Phone = n
	}
	kind, handle := strings.ToLower(strings.TrimSpace(in.Channel)), strings.TrimSpace(in.Identity)
	switch {
	case kind == "" && handle == "":
	case kind == "" || handle == "":
		p.Add("identity", "channel and identity come together: the channel (such as chat) and the person's id or handle on it")
	case !identityKindPattern.MatchString(kind) || kind == "email" || kind == IdentityPhone:
		p.Add("channel", "must be a channel name such as chat or twitter: lower-case letters, digits, - and _ (addresses and phones have fields of their own)")
	default:
		r.IdentityKind = kind
		r.Identity = strings.ToLower(CleanText(p, "identity", handle, MaxRequestIdentityLen, OneLine))
	}
	if r.Email == "" && r.Phone == "" && r.Identity == "" && !p.Has("email") && !p.Has("phone") && !p.Has("identity") && !p.Has("channel") {
		p.Add("email", "is required: an address to answer you at")
	}
}

// checkRequestCustom keeps the custom person fields the type asks for; their values are
// checked against the field definitions when the person is made.
func checkRequestCustom(p *Problems, in map[string]any, t *TicketType) map[string]any {
	if len(in) == 0 {
		return nil
	}
	out := map[string]any{}
	for k, v := range in {
		if t == nil || !slices.Contains(t.PersonFields, k) {
			p.Add("custom."+k, "is not asked by this form")
			continue
		}
		out[k] = v
	}
	return out
}

// TicketChannelFor is the channel a ticket raised by this request records: the source's,
// unless the request came through a chat or social identity.
func (r *Request) TicketChannelFor(source TicketChannel) TicketChannel {
	if r.IdentityKind != "" && source == TicketViaAPI {
		return TicketViaChat
	}
	return source
}

// PersonInput is what the request tells about a person the intake creates (C9, C13).
func (r *Request) PersonInput() PersonInput {
	in := PersonInput{}
	name := r.Name
	if name == "" && r.Email == "" && r.Phone == "" {
		// A handle alone names nobody a person needs; it stands in until staff complete
		// the profile (C13).
		name = r.Identity
	}
	if name != "" {
		in.Name = &name
	}
	if r.Email != "" {
		email := r.Email
		in.Email = &email
	}
	if r.Phone != "" {
		phones := []Phone{{Number: r.Phone}}
		in.Phones = &phones
	}
	if len(r.Custom) > 0 {
		in.Custom = r.Custom
	}
	if r.Mail != nil && (r.Mail.OrganizationID != nil || r.Mail.SiteID != nil) {
		in.OrganizationID = Ref{Set: true, ID: r.Mail.OrganizationID}
		in.SiteID = Ref{Set: true, ID: r.Mail.SiteID}
	}
	return in
}

// HeldState says what a held request waits for.
type HeldState string

// Held states.
const (
	HeldForConfirmation HeldState = "confirm" // the guest's confirmation by mail (C5)
	HeldForReview       HeldState = "review"  // staff's release or discard (X4)
)

// HeldRequest is a request that is not a ticket yet.
type HeldRequest struct {
	ID        int64         `json:"id"`
	State     HeldState     `json:"state"`
	Reason    string        `json:"reason"`
	Channel   TicketChannel `json:"channel"`
	Request   Request       `json:"request"`
	ClientIP  string        `json:"client_ip"`
	CreatedAt time.Time     `json:"created_at"`
	ExpiresAt *time.Time    `json:"expires_at"`
}

// TicketType is a request form (C9): which custom fields of the person it asks for, and
// whether it asks for the contact's details at all.
type TicketType struct {
	ID                int64     `json:"id"`
	Key               string    `json:"key"`
	Name              string    `json:"name"`
	HideContactFields bool      `json:"hide_contact_fields"`
	PersonFields      []string  `json:"person_fields"`
	CreatedAt         time.Time `json:"created_at"`
	UpdatedAt         time.Time `json:"updated_at"`
}

func (t *TicketType) key() string {
	if t == nil {
		return ""
	}
	return t.Key
}

// TicketTypeInput creates or changes a ticket type; fields left out stay.
type TicketTypeInput struct {
	Key               *string   `json:"key"`
	Name              *string   `json:"name"`
	HideContactFields *bool     `json:"hide_contact_fields"`
	PersonFields      *[]string `json:"person_fields"`
}

var typeKeyPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

// ApplyTicketType applies in to t and checks the result; fields lists the custom field keys
// that exist.
func ApplyTicketType(t *TicketType, in TicketTypeInput, fields map[string]*CustomField) error {
	var p Problems
	if in.Key != nil {
		t.Key = strings.TrimSpace(*in.Key)
	}
	if !typeKeyPattern.MatchString(t.Key) {
		p.Add("key", "must be 1 to 64 lower-case letters, digits, - and _")
	}
	if in.Name != nil {
		t.Name = CleanText(&p, "name", *in.Name, 200, OneLine)
	}
	if t.Name == "" && !p.Has("name") {
		p.Add("name", "is required")
	}
	if in.HideContactFields != nil {
		t.HideContactFields = *in.HideContactFields
	}
	if in.PersonFields != nil {
		t.PersonFields = []string{}
		for _, k := range *in.PersonFields {
			if _, ok := fields[k]; !ok {
				p.Add("person_fields", "there is no custom field %q", k)
				continue
			}
			if !slices.Contains(t.PersonFields, k) {
				t.PersonFields = append(t.PersonFields, k)
			}
		}
	}
	if t.PersonFields == nil {
		t.PersonFields = []string{}
	}
	return p.Err()
}
