package api_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"frontdesk"
)

// C8: an MTA's pipe hands raw mail to POST /api/v1/inbound behind a token whose role holds
// the mail.inbound permission: stored once (202, then 200 for the same message), for the
// mailbox the recipient names; a token without the permission, a wrong content type or an
// unknown recipient store nothing.
func TestInboundPipe_C8(t *testing.T) {
	eachServer(t, func(t *testing.T, s *testServer) {
		ctx := frontdesk.WithActor(context.Background(), frontdesk.System)
		addr := "support@desk.example"
		mb, err := s.db.SaveMailbox(ctx, 0, frontdesk.MailboxInput{Address: &addr})
		if err != nil {
			t.Fatal(err)
		}
		// A service role that may hand mail in and nothing else; an agent may not.
		role := s.mustDo(201, "POST", "/api/v1/roles", map[string]any{"name": "Mail pipe", "base_role": "collaborator",
			"permissions": []string{"mail.inbound"}})
		pipe := s.mustStaff(frontdesk.RoleCollaborator, "pipe@desk.example")
		s.mustDo(200, "PATCH", fmt.Sprintf("/api/v1/people/%d", pipe.ID), map[string]any{"staff_role_id": role["id"]})
		pipeTok := s.mustToken(pipe.ID)
		agentTok := s.mustToken(s.mustStaff(frontdesk.RoleAgent, "agent@desk.example").ID)

		raw := []byte("From: Pat <pat@example.net>\r\nTo: Support <SUPPORT+x@desk.example>\r\nSubject: Piped\r\nMessage-ID: <piped-1@example.net>\r\n\r\nHello.\r\n")
		rfc822 := []string{"Content-Type", "message/rfc822"}
		if r := s.do(agentTok, "POST", "/api/v1/inbound", raw, rfc822...); r.Status != 403 {
			t.Fatalf("agent: %d %s", r.Status, r.Body)
		}
		if r := s.do(pipeTok, "POST", "/api/v1/inbound", raw); r.Status != 422 || !strings.Contains(string(r.Body), "message/rfc822") {
			t.Fatalf("JSON content type: %d %s", r.Status, r.Body)
		}
		r := s.do(pipeTok, "POST", "/api/v1/inbound", raw, rfc822...)
		if r.Status != 202 {
			t.Fatalf("pipe: %d %s", r.Status, r.Body)
		}
		id := r.JSON(t)["id"]
		if r := s.do(pipeTok, "POST", "/api/v1/inbound", raw, rfc822...); r.Status != 200 || r.JSON(t)["id"] != id {
			t.Fatalf("again: %d %s", r.Status, r.Body)
		}
		m, err := s.db.GetInbound(context.Background(), int64(id.(float64)))
		if err != nil || m.MailboxID != mb.ID || m.Source != frontdesk.ViaAPI {
			t.Fatalf("stored %+v, %v", m, err)
		}
		// ?recipient= decides over the headers; a recipient with no mailbox is refused.
		other := []byte("From: Pat <pat@example.net>\r\nTo: nobody@elsewhere.example\r\nSubject: Lost\r\n\r\nHello.\r\n")
		if r := s.do(pipeTok, "POST", "/api/v1/inbound", other, rfc822...); r.Status != 422 || !strings.Contains(string(r.Body), "recipient") {
			t.Fatalf("no mailbox: %d %s", r.Status, r.Body)
		}
		if r := s.do(pipeTok, "POST", "/api/v1/inbound?recipient=support%40desk.example", other, rfc822...); r.Status != 202 {
			t.Fatalf("with recipient: %d %s", r.Status, r.Body)
		}
		// The body limit of the API does not hold here: a message of 3 MB is taken.
		big := append([]byte("From: Pat <pat@example.net>\r\nTo: support@desk.example\r\nSubject: Big\r\n\r\n"), []byte(strings.Repeat("x", 3<<20))...)
		if r := s.do(pipeTok, "POST", "/api/v1/inbound", big, rfc822...); r.Status != 202 {
			t.Fatalf("3 MB: %d %s", r.Status, r.Body)
		}
	})
}
