package api_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/url"
	"strings"

	"frontdesk"
	"frontdesk/store"
)

// walkInbound requests the inbound-mail routes (C8, X3, X4) and the file download (T2) for
// the OpenAPI walk: every status each documents.
func (c *oaChecker) walkInbound(collab string) {
	t, s, owner := c.t, c.s, c.s.token
	p := func(format string, args ...any) string { return fmt.Sprintf(format, args...) }

	// Mailboxes.
	mb := c.expect(201, owner, "POST", "/api/v1/mailboxes", oaObj{"address": "help@oa.example", "unknown_senders": "hold", "name": "Help",
		"imap": oaObj{"host": "imap.oa.example", "port": 993, "security": "tls", "user": "help", "password": "s3cret", "folder": "INBOX", "move_to": "Done"}})
	mbID := oaID(t, mb)
	c.expect(201, owner, "POST", "/api/v1/mailboxes", oaObj{"address": "empty@oa.example"})
	c.expect(422, owner, "POST", "/api/v1/mailboxes", oaObj{"address": "not an address", "unknown_senders": "maybe"})
	c.expect(422, owner, "POST", "/api/v1/mailboxes", oaObj{"address": "help@oa.example"})
	c.expect(200, owner, "GET", "/api/v1/mailboxes", nil)
	c.expect(200, owner, "GET", p("/api/v1/mailboxes/%d", mbID), nil)
	c.expect(200, owner, "PATCH", p("/api/v1/mailboxes/%d", mbID), oaObj{"name": "Help desk", "imap": oaObj{"port": 143, "security": "starttls"}})
	c.expect(422, owner, "PATCH", p("/api/v1/mailboxes/%d", mbID), oaObj{"imap": oaObj{"port": 0}})

	// Mail handed in by an MTA, and its log.
	raw := []byte("From: Stan Stranger <stan@oa.example>\r\nTo: help@oa.example\r\nSubject: Printer\r\nMessage-ID: <oa-1@oa.example>\r\n\r\nIt jams.\r\n")
	first := c.expect(202, owner, "POST", "/api/v1/inbound?recipient=help%40oa.example", raw, "Content-Type", "message/rfc822")
	c.expect(200, owner, "POST", "/api/v1/inbound", raw, "Content-Type", "message/rfc822")
	c.expect(422, owner, "POST", "/api/v1/inbound", oaObj{"raw": "x"})
	raw2 := []byte(strings.Replace(string(raw), "oa-1@", "oa-2@", 1))
	second := c.expect(202, owner, "POST", "/api/v1/inbound", raw2, "Content-Type", "message/rfc822")
	in1, in2 := oaID(t, first), oaID(t, second)
	c.expect(409, owner, "DELETE", p("/api/v1/mailboxes/%d", mbID), nil)
	empty := c.expect(200, owner, "GET", "/api/v1/mailboxes", nil)
	for _, m := range empty["data"].([]any) {
		if m.(map[string]any)["address"] == "empty@oa.example" {
			c.expect(204, owner, "DELETE", p("/api/v1/mailboxes/%d", oaID(t, m.(map[string]any))), nil)
		}
	}
	c.expect(200, owner, "GET", p("/api/v1/inbound?state=received&mailbox_id=%d&limit=1", mbID), nil)
	c.expect(422, owner, "GET", "/api/v1/inbound?state=lost", nil)
	c.expect(200, owner, "GET", p("/api/v1/inbound/%d", in1), nil)
	if r := c.do(owner, "GET", p("/api/v1/inbound/%d/raw", in1), nil); r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Disposition"), "attachment") {
		t.Errorf("raw message: %d %v", r.Status, r.Header)
	}
	// The processing job is the inbox's; here both messages are held as it would hold them.
	for _, id := range []int64{in1, in2} {
		if err := s.db.FinishInbound(context.Background(), id, store.InboundOutcome{State: frontdesk.InboundHeld, Kind: frontdesk.InboundRequest,
			Reason: "unknown sender", FromAddress: "stan@oa.example", Subject: "Printer"}); err != nil {
			t.Fatal(err)
		}
	}
	c.expect(200, owner, "POST", p("/api/v1/inbound/%d/release", in1), nil)
	c.expect(409, owner, "POST", p("/api/v1/inbound/%d/release", in1), nil)
	c.expect(200, owner, "POST", p("/api/v1/inbound/%d/discard", in2), nil)
	c.expect(409, owner, "POST", p("/api/v1/inbound/%d/discard", in2), nil)

	// The suppression list and bounces.
	c.expect(201, owner, "POST", "/api/v1/suppressions", oaObj{"address": "Gone@OA.example", "diagnostic": "asked us to stop"})
	c.expect(200, owner, "POST", "/api/v1/suppressions", oaObj{"address": "gone@oa.example"})
	c.expect(201, owner, "POST", "/api/v1/suppressions", oaObj{"address": "also.gone@oa.example"})
	c.expect(422, owner, "POST", "/api/v1/suppressions", oaObj{"address": "nope"})
	pg := c.expect(200, owner, "GET", "/api/v1/suppressions?limit=1", nil)
	cur, _ := pg["next_cursor"].(string)
	if cur == "" {
		t.Errorf("suppressions limit=1: want a next_cursor: %v", pg)
	}
	c.expect(200, owner, "GET", "/api/v1/suppressions?cursor="+url.QueryEscape(cur), nil)
	c.expect(422, owner, "GET", "/api/v1/suppressions?cursor=nope", nil)
	c.expect(204, owner, "DELETE", "/api/v1/suppressions/gone@oa.example", nil)
	c.expect(404, owner, "DELETE", "/api/v1/suppressions/gone@oa.example", nil)
	c.expect(200, owner, "GET", "/api/v1/bounces?address=gone%40oa.example&limit=5", nil)
	c.expect(422, owner, "GET", "/api/v1/bounces?address=nope", nil)

	// A reply with a file, and the file.
	person := oaID(t, c.expect(201, owner, "POST", "/api/v1/people", oaObj{"name": "Fay Files", "email": "fay.files@example.com"}))
	tk := oaID(t, c.expect(201, owner, "POST", "/api/v1/tickets", oaObj{"requester_id": person, "subject": "Files"}))
	msg := c.expect(201, owner, "POST", p("/api/v1/tickets/%d/messages", tk), oaObj{"body": "The log.", "public": true,
		"attachments": []oaObj{{"filename": "log.txt", "content_type": "text/plain", "data": base64.StdEncoding.EncodeToString([]byte("line 1\n"))}}})
	c.expect(422, owner, "POST", p("/api/v1/tickets/%d/messages", tk), oaObj{"body": "Bad.", "public": true,
		"attachments": []oaObj{{"filename": "x.bin", "data": "!!!"}}})
	att := oaID(t, msg["attachments"].([]any)[0].(map[string]any))
	if r := c.do(collab, "GET", p("/api/v1/attachments/%d", att), nil); r.Status != 200 || string(r.Body) != "line 1\n" {
		t.Errorf("attachment: %d %s", r.Status, r.Body)
	}
	c.expect(201, "", "POST", "/api/v1/requests", oaObj{"email": "fay.files@example.com", "subject": "With a file", "body": "See the picture.",
		"attachments": []oaObj{{"filename": "pic.png", "content_type": "image/png", "data": base64.StdEncoding.EncodeToString([]byte("\x89PNG\r\n"))}}})
}
