package frontdesk

import (
	"slices"
	"strings"
	"time"
)

// MessageState is where an outgoing email is in the outbox (E6). The outbox is the local
// mailbox too: with no SMTP server configured, messages are sent to it and admins read them.
type MessageState string

// Message states. A message goes queued → sending → sent; a failed attempt takes it back to
// queued with a later next attempt, or to abandoned after the last one. A message that must
// not go out (E5) is stored suppressed and never leaves.
const (
	MessageQueued     MessageState = "queued"
	MessageSending    MessageState = "sending"
	MessageSent       MessageState = "sent"
	MessageAbandoned  MessageState = "abandoned"
	MessageSuppressed MessageState = "suppressed"
)

// MessageStates lists every message state.
var MessageStates = []MessageState{MessageQueued, MessageSending, MessageSent, MessageAbandoned, MessageSuppressed}

// Valid reports whether s is a known message state.
func (s MessageState) Valid() bool { return slices.Contains(MessageStates, s) }

// Ways a message left the outbox.
const (
	ViaSMTP    = "smtp"
	ViaMailbox = "mailbox"
)

// Message is one outgoing email, rendered at the time it was queued so that what goes out is
// what the change that caused it meant, and so that every delivery of it is the same message.
type Message struct {
	ID       int64  `json:"id"`
	PersonID *int64 `json:"person_id"`
	// TicketID is the ticket the message is about, if any: its Reply-To names the ticket,
	// and answers to its Message-ID thread there (T2).
	TicketID *int64 `json:"ticket_id,omitempty"`
	// Automatic is set on mail no person wrote (notifications, links, confirmations): such
	// mail never goes to an address that says it takes no replies (X3).
	Automatic bool   `json:"-"`
	To        string `json:"to"`
	ToName    string `json:"to_name"`
	From      string `json:"from"`
	Template  string `json:"template"`
	Subject   string `json:"subject"`
	Text      string `json:"text"`
	HTML      string `json:"html"`
	// MessageID is the Message-ID header, with its angle brackets, fixed when the message is
	// queued: a redelivery after a crash carries the same one, so the receiver sees one
	// message, not two.
	MessageID string       `json:"message_id"`
	State     MessageState `json:"state"`
	// SuppressedReason says why a suppressed message was not sent (E5).
	SuppressedReason string     `json:"suppressed_reason,omitempty"`
	Attempts         int        `json:"attempts"`
	NextAttemptAt    time.Time  `json:"next_attempt_at"`
	LastError        string     `json:"last_error,omitempty"`
	Worker           string     `json:"worker,omitempty"`
	LeaseUntil       *time.Time `json:"lease_until,omitempty"`
	Via              string     `json:"via,omitempty"`
	CreatedAt        time.Time  `json:"created_at"`
	SentAt           *time.Time `json:"sent_at"`
}

// MailSuppression says why no email may be sent to p, or "" when mail may go: machine
// contacts (P6) and contacts flagged do-not-email (P7) never receive any (E5).
func MailSuppression(p *Person) string {
	switch {
	case p.Machine:
		return "machine contact"
	case p.DoNotEmail:
		return "do not email"
	}
	return ""
}

// NoReplyAddress reports whether an address says it reads no mail: noreply@, no-reply@,
// donotreply@, mailer-daemon@, postmaster@ and their like. Automatic mail never answers one
// (X3): it is a robot, and answering robots is how loops start.
func NoReplyAddress(address string) bool {
	at := strings.LastIndexByte(address, '@')
	if at <= 0 {
		return false
	}
	local := strings.ToLower(address[:at])
	if plus := strings.IndexByte(local, '+'); plus > 0 {
		local = local[:plus]
	}
	squeezed := strings.NewReplacer("-", "", "_", "", ".", "").Replace(local)
	switch squeezed {
	case "noreply", "donotreply", "noresponse", "mailerdaemon", "postmaster", "bounce", "bounces", "autoreply", "autoresponder":
		return true
	}
	return strings.HasPrefix(squeezed, "noreply") || strings.HasPrefix(squeezed, "donotreply")
}

// MailFilter narrows the list of messages in the outbox.
type MailFilter struct {
	State    MessageState
	PersonID int64
	To       string
}

// MailTemplate is an admin's version of one email template (E4); a template with no saved
// version uses the default built into the binary.
type MailTemplate struct {
	Name    string `json:"name"`
	Subject string `json:"subject"`
	Text    string `json:"text"`
	HTML    string `json:"html"`
	// Custom is true when the admin's version is in use rather than the built-in default.
	Custom    bool       `json:"custom"`
	UpdatedAt *time.Time `json:"updated_at"`
}
