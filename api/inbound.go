package api

import (
	"net/http"
	"strings"

	"frontdesk"
	"frontdesk/inbound"
	"frontdesk/store"
)

const inboundPath = "/api/v1/inbound"

// receiveMail stores a raw RFC 5322 message an MTA pipes in (Postfix's pipe, Exim's
// transport) for the mailbox of ?recipient=, or of the first of its Delivered-To,
// X-Original-To, To and Cc headers that is a mailbox. It answers 202 once the message is
// stored, 200 when it was stored before (the same Message-ID or bytes), so that an MTA
// that retries after a lost answer makes nothing twice.
func (s *Server) receiveMail(w http.ResponseWriter, r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	if !strings.HasPrefix(strings.ToLower(ct), "message/rfc822") {
		return frontdesk.InvalidField("Content-Type", "must be message/rfc822 (the raw message), not %q", ct)
	}
	raw, err := readRaw(r)
	if err != nil {
		return err
	}
	if len(raw) == 0 {
		return frontdesk.InvalidField("body", "is empty: send the raw message")
	}
	ctx := r.Context()
	rec := &store.Received{Source: frontdesk.ViaAPI, EnvelopeFrom: r.URL.Query().Get("sender"), Raw: raw}
	recipients := r.URL.Query()["recipient"]
	if len(recipients) == 0 {
		recipients = inbound.Recipients(raw)
	}
	var id int64
	var isNew bool
	err = frontdesk.Errorf(frontdesk.EInvalid, "no mailbox receives mail for any recipient of the message")
	for _, to := range recipients {
		id, isNew, err = s.cfg.Inbox.ReceiveFor(ctx, to, rec)
		if frontdesk.ErrorCode(err) != frontdesk.ENotFound {
			break
		}
	}
	if frontdesk.ErrorCode(err) == frontdesk.ENotFound {
		return frontdesk.InvalidField("recipient", "%v", err)
	}
	if err != nil {
		return err
	}
	status := http.StatusAccepted
	if !isNew {
		status = http.StatusOK
	}
	writeJSON(w, status, map[string]any{"id": id, "stored": isNew})
	return nil
}
