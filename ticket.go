package frontdesk

import (
	"slices"
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

// Ticket is a request raised by a person, as far as people need it (T1). A trashed ticket
// stays in the database (L2): TrashedAt says when, and WithPerson whether trashing its
// requester took it, so that restoring the requester brings back exactly those.
type Ticket struct {
	ID          int64        `json:"id"`
	RequesterID int64        `json:"requester_id"`
	Subject     string       `json:"subject"`
	Status      TicketStatus `json:"status"`
	TrashedAt   *time.Time   `json:"trashed_at"`
	WithPerson  bool         `json:"-"`
	CreatedAt   time.Time    `json:"created_at"`
	UpdatedAt   time.Time    `json:"updated_at"`
}

// CheckTicket validates a new ticket, reporting every problem at once.
func CheckTicket(t *Ticket) error {
	var probs Problems
	t.Subject = CleanText(&probs, "subject", t.Subject, 500, OneLine)
	if t.Subject == "" && !probs.Has("subject") {
		probs.Add("subject", "a ticket needs a subject of 1 to 500 characters")
	}
	if t.Status == "" {
		t.Status = TicketOpen
	}
	if !t.Status.Valid() {
		probs.Add("status", "must be one of %v", TicketStatuses)
	}
	if t.RequesterID <= 0 {
		probs.Add("requester_id", "is required")
	}
	return probs.Err()
}
