package frontdesk

import (
	"net"
	"strconv"
	"strings"
	"time"
)

// Inbound email (C8, T2, X3). A mailbox is an address Frontdesk receives mail for; every
// message received is stored raw first (InboundMessage), then processed once into a ticket,
// a reply, a bounce, or nothing (an auto-reply), or held for staff with the reason.

// Mailbox is an address Frontdesk receives mail for, with how it is polled when it is an
// external mailbox, and what mail from strangers does there (C8).
type Mailbox struct {
	ID      int64  `json:"id"`
	Address string `json:"address"`
	Name    string `json:"name"`
	// UnknownSenders overrides the setting of that name; "" follows it.
	UnknownSenders UnknownSenderPolicy `json:"unknown_senders"`
	OrganizationID *int64              `json:"organization_id"`
	SiteID         *int64              `json:"site_id"`
	IMAP           IMAPSettings        `json:"imap"`
	CreatedAt      time.Time           `json:"created_at"`
	UpdatedAt      time.Time           `json:"updated_at"`
}

// IMAPSettings say how to poll an external mailbox; an empty Host means the mailbox is not
// polled (mail reaches it over SMTP or the API). The password is never shown back.
type IMAPSettings struct {
	Host     string `json:"host"`
	Port     int    `json:"port"`
	Security string `json:"security"` // tls, starttls or none
	User     string `json:"user"`
	Password string `json:"password,omitempty"`
	Folder   string `json:"folder"`
	// MoveTo is the folder a stored message is moved to; "" flags it \Seen instead.
	MoveTo      string     `json:"move_to"`
	UIDValidity uint32     `json:"uid_validity"`
	LastUID     uint32     `json:"last_uid"`
	PolledAt    *time.Time `json:"polled_at"`
	Error       string     `json:"error"`
}

// IMAP security modes.
const (
	IMAPTLS      = "tls"
	IMAPStartTLS = "starttls"
	IMAPNone     = "none"
)

// MailboxInput creates or changes a mailbox; only the fields present change.
type MailboxInput struct {
	Address        *string              `json:"address"`
	Name           *string              `json:"name"`
	UnknownSenders *UnknownSenderPolicy `json:"unknown_senders"`
	OrganizationID Ref                  `json:"organization_id"`
	SiteID         Ref                  `json:"site_id"`
	IMAP           *IMAPInput           `json:"imap"`
}

// IMAPInput changes how a mailbox is polled. A password left out keeps the stored one.
type IMAPInput struct {
	Host     *string `json:"host"`
	Port     *int    `json:"port"`
	Security *string `json:"security"`
	User     *string `json:"user"`
	Password *string `json:"password"`
	Folder   *string `json:"folder"`
	MoveTo   *string `json:"move_to"`
}

// ApplyMailbox applies in to m and checks the result, reporting every problem at once. The
// store checks that the organization and site exist.
func ApplyMailbox(m *Mailbox, in MailboxInput) error {
	var p Problems
	if in.Address != nil {
		a, err := NormalizeEmail(*in.Address)
		switch {
		case err != nil:
			p.Add("address", "%v", err)
		case strings.Contains(a[:strings.LastIndexByte(a, '@')], "+"):
			p.Add("address", "must not hold a +: Frontdesk adds +tags of its own to reply and bounce addresses")
		default:
			m.Address = a
		}
	}
	if m.Address == "" && !p.Has("address") {
		p.Add("address", "is required: the address mail is sent to, such as support@example.com")
	}
	if in.Name != nil {
		m.Name = CleanText(&p, "name", *in.Name, maxObjectNameLen, OneLine)
	}
	if in.UnknownSenders != nil {
		if *in.UnknownSenders != "" && !in.UnknownSenders.Valid() {
			p.Add("unknown_senders", "must be create or hold (or empty to follow the setting)")
		} else {
			m.UnknownSenders = *in.UnknownSenders
		}
	}
	if in.OrganizationID.Set {
		m.OrganizationID = in.OrganizationID.ID
	}
	if in.SiteID.Set {
		m.SiteID = in.SiteID.ID
	}
	if in.IMAP != nil {
		applyIMAP(&p, &m.IMAP, *in.IMAP)
	}
	if m.IMAP.Security == "" {
		m.IMAP.Security = IMAPTLS
	}
	if m.IMAP.Folder == "" {
		m.IMAP.Folder = "INBOX"
	}
	if m.IMAP.Port == 0 {
		m.IMAP.Port = 993
	}
	return p.Err()
}

func applyIMAP(p *Problems, s *IMAPSettings, in IMAPInput) {
	if in.Host != nil {
		h := strings.ToLower(strings.TrimSpace(*in.Host))
		if h != "" && (strings.ContainsAny(h, " /:@") || len(h) > 253) {
			p.Add("imap.host", "must be a host name or address, without a port or scheme")
		} else {
			s.Host = h
		}
	}
	if in.Port != nil {
		if *in.Port < 1 || *in.Port > 65535 {
			p.Add("imap.port", "must be from 1 to 65535")
		} else {
			s.Port = *in.Port
		}
	}
	if in.Security != nil {
		switch *in.Security {
		case IMAPTLS, IMAPStartTLS, IMAPNone:
			s.Security = *in.Security
		default:
			p.Add("imap.security", "must be tls, starttls or none")
		}
	}
	if in.User != nil {
		s.User = CleanText(p, "imap.user", *in.User, 320, OneLine)
	}
	if in.Password != nil {
		if len(*in.Password) > 1024 || strings.ContainsAny(*in.Password, "\r\n") {
			p.Add("imap.password", "must be one line of at most 1024 bytes")
		} else {
			s.Password = *in.Password
		}
	}
	if in.Folder != nil {
		s.Folder = CleanText(p, "imap.folder", *in.Folder, 200, OneLine)
	}
	if in.MoveTo != nil {
		s.MoveTo = CleanText(p, "imap.move_to", *in.MoveTo, 200, OneLine)
	}
	if s.Host != "" && s.User == "" && !p.Has("imap.user") {
		p.Add("imap.user", "is required to poll %s", s.Host)
	}
}

// Polled reports whether the mailbox is fetched over IMAP.
func (s IMAPSettings) Polled() bool { return s.Host != "" }

// Addr is host:port of the IMAP server.
func (s IMAPSettings) Addr() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.Port)) }

// InboundState is where a received message is in its processing.
type InboundState string

// Inbound states. A message is received (stored, waiting for the job), then done (it made
// or joined a ticket, or was a bounce), ignored (an auto-reply, never answered), held (staff
// decide: the reason says why) or discarded (by staff).
const (
	InboundReceived  InboundState = "received"
	InboundDone      InboundState = "done"
	InboundIgnored   InboundState = "ignored"
	InboundHeld      InboundState = "held"
	InboundDiscarded InboundState = "discarded"
)

// What a received message turned out to be.
const (
	InboundRequest   = "request"    // a new ticket, or a request waiting for review or confirmation
	InboundReply     = "reply"      // a reply threaded onto a ticket
	InboundAutoReply = "auto_reply" // an out-of-office or other automatic answer
	InboundBounce    = "bounce"     // a delivery status notification
	InboundComplaint = "complaint"  // a spam complaint from a feedback loop
)

// Ways mail is received.
const (
	ViaSMTPListener = "smtp"
	ViaIMAP         = "imap"
	ViaAPI          = "api"
)

// InboundMessage is one received message, as the log shows it (the raw message is read on
// its own).
type InboundMessage struct {
	ID           int64        `json:"id"`
	MailboxID    int64        `json:"mailbox_id"`
	Source       string       `json:"source"`
	EnvelopeFrom string       `json:"envelope_from"`
	EnvelopeTo   string       `json:"envelope_to"`
	FromAddress  string       `json:"from_address"`
	Subject      string       `json:"subject"`
	MessageID    string       `json:"message_id"`
	Size         int64        `json:"size"`
	State        InboundState `json:"state"`
	Kind         string       `json:"kind"`
	Reason       string       `json:"reason"`
	TicketID     *int64       `json:"ticket_id"`
	PersonID     *int64       `json:"person_id"`
	HeldID       *int64       `json:"held_request_id"`
	Attempts     int          `json:"attempts"`
	// Released is set when staff released the held message: it is processed despite what
	// held it (a loop, a banned sender, a problem of form, a mailbox holding strangers).
	Released    bool       `json:"released"`
	ReceivedAt  time.Time  `json:"received_at"`
	ProcessedAt *time.Time `json:"processed_at"`
}

// InboundFilter narrows the log of received mail.
type InboundFilter struct {
	State     InboundState
	MailboxID int64
}

// Attachment is a file that came with a message or a form; the content is read on its own.
type Attachment struct {
	ID              int64     `json:"id"`
	TicketID        *int64    `json:"ticket_id"`
	TicketMessageID *int64    `json:"ticket_message_id"`
	HeldRequestID   *int64    `json:"-"`
	Filename        string    `json:"filename"`
	ContentType     string    `json:"content_type"`
	Size            int64     `json:"size"`
	SHA256          string    `json:"sha256"`
	Inline          bool      `json:"inline"`
	ContentID       string    `json:"content_id,omitempty"`
	CreatedAt       time.Time `json:"created_at"`
	Content         []byte    `json:"-"`
}

// MaxAttachmentMBLimit bounds the max_attachment_mb setting.
const MaxAttachmentMBLimit = 100

// Suppression reasons (X3).
const (
	SuppressedHardBounce  = "hard_bounce"
	SuppressedSoftBounces = "soft_bounces"
	SuppressedByStaff     = "manual"
	SuppressedComplaint   = "complaint"
)

// Suppression is an address no mail goes to, and why (X3).
type Suppression struct {
	Address    string    `json:"address"`
	Reason     string    `json:"reason"`
	Diagnostic string    `json:"diagnostic"`
	BounceID   *int64    `json:"bounce_id"`
	CreatedBy  *int64    `json:"created_by"`
	CreatedAt  time.Time `json:"created_at"`
}

// SuppressionInput adds an address to the suppression list by hand.
type SuppressionInput struct {
	Address    string `json:"address"`
	Diagnostic string `json:"diagnostic"`
}

// Bounce is one failed recipient a delivery status notification reported. OutboxID is the
// message of ours it reports on; nil when it matched nothing we sent to that address, as a
// forged bounce does, and then it suppresses nobody.
type Bounce struct {
	ID         int64     `json:"id"`
	InboundID  int64     `json:"inbound_id"`
	Address    string    `json:"address"`
	OutboxID   *int64    `json:"outbox_id"`
	Hard       bool      `json:"hard"`
	Status     string    `json:"status"`
	Diagnostic string    `json:"diagnostic"`
	CreatedAt  time.Time `json:"created_at"`
}
