package inbound

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/emersion/go-message"

	"frontdesk"
	"frontdesk/mail"
	"frontdesk/store"
)

// Spam complaints (X3): a mailbox provider's feedback loop reports, in the Abuse Reporting
// Format (RFC 5965), that a recipient marked our mail as spam. Such an address gets no more
// mail. Like a bounce, a complaint is believed only when it names a message we sent to
// that address: anyone can write one.

// Complaint is what a feedback report says.
type Complaint struct {
	FeedbackType      string
	Address           string
	OriginalMessageID string
}

// ParseComplaint reports whether raw is a feedback report, and what it reports.
func ParseComplaint(raw []byte) (*Complaint, bool) {
	e, _ := message.Read(bytes.NewReader(raw))
	if e == nil {
		return nil, false
	}
	t, params, _ := e.Header.ContentType()
	if t != "multipart/report" || !strings.EqualFold(params["report-type"], "feedback-report") {
		return nil, false
	}
	mr := e.MultipartReader()
	if mr == nil {
		return nil, false
	}
	c := &Complaint{}
	var originalTo string
	for i := 0; i < 10; i++ {
		part, _ := mr.NextPart()
		if part == nil {
			break
		}
		pt, _, _ := part.Header.ContentType()
		switch pt {
		case "message/feedback-report":
			f := fields(readPart(part.Body))
			c.FeedbackType = strings.ToLower(f["feedback-type"])
			c.Address = dsnAddress(f["original-rcpt-to"])
		case "message/rfc822", "text/rfc822-headers":
			c.OriginalMessageID, originalTo = originalHeaders(headerBlock(readPart(part.Body)))
		}
	}
	if c.Address == "" {
		c.Address = originalTo
	}
	if n, err := frontdesk.NormalizeEmail(c.Address); err == nil {
		c.Address = n
	} else {
		c.Address = ""
	}
	return c, true
}

// RecordComplaint suppresses the complaining address when the report names a message we
// sent to it (by the signed bounce address it came to, or the original's Message-ID), and
// says what it did.
func RecordComplaint(ctx context.Context, db *store.DB, key []byte, recipients []string, c *Complaint) (string, error) {
	if c.Address == "" {
		return "a spam complaint that names no address: nobody suppressed", nil
	}
	var matched *frontdesk.Message
	for _, r := range recipients {
		if id, ok := mail.ParseBounceAddress(key, r); ok {
			m, err := db.GetMail(ctx, id)
			if err != nil && frontdesk.ErrorCode(err) != frontdesk.ENotFound {
				return "", err
			}
			if m != nil && frontdesk.SameAddress(m.To, c.Address) {
				matched = m
			}
		}
	}
	if matched == nil && c.OriginalMessageID != "" {
		m, err := db.OutboxTo(ctx, c.OriginalMessageID, c.Address)
		if err != nil {
			return "", err
		}
		matched = m
	}
	if matched == nil {
		return fmt.Sprintf("a spam complaint about %s that matches nothing sent there: nobody suppressed", c.Address), nil
	}
	kind := c.FeedbackType
	if kind == "" {
		kind = "abuse"
	}
	if _, err := db.Suppress(ctx, &frontdesk.Suppression{Address: c.Address, Reason: frontdesk.SuppressedComplaint,
		Diagnostic: fmt.Sprintf("%s report about message %d", kind, matched.ID)}); err != nil {
		return "", err
	}
	return fmt.Sprintf("a spam complaint (%s) about message %d: %s suppressed", kind, matched.ID, c.Address), nil
}
