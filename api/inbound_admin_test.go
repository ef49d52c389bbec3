package api_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"frontdesk"
)

// C8: POST /api/v1/mailboxes with address and unknown_senders answers 201 (checked from
// outside), and the IMAP password goes in but never comes out.
func TestMailboxContractAndPassword_C8(t *testing.T) {
	eachServer(t, func(t *testing.T, s *testServer) {
		for _, policy := range []string{"create", "hold"} {
			m := s.mustDo(201, "POST", "/api/v1/mailboxes", map[string]any{"address": policy + "@desk.example", "unknown_senders": policy})
			if m["address"] != policy+"@desk.example" || m["unknown_senders"] != policy || m["id"] == nil {
				t.Errorf("created mailbox: %v", m)
			}
		}
		r := s.do(s.token, "POST", "/api/v1/mailboxes", map[string]any{"address": "polled@desk.example", "name": "Polled",
			"imap": map[string]any{"host": "imap.desk.example", "user": "polled", "password": "hunter2-secret"}})
		if r.Status != 201 || strings.Contains(string(r.Body), "hunter2-secret") || strings.Contains(string(r.Body), `"password"`) {
			t.Fatalf("create with a password: %d %s", r.Status, r.Body)
		}
		m := r.JSON(t)
		if m["imap_password_set"] != true {
			t.Errorf("imap_password_set: %v", m)
		}
		id := int64(m["id"].(float64))
		for _, rr := range []response{
			s.do(s.token, "GET", fmt.Sprintf("/api/v1/mailboxes/%d", id), nil),
			s.do(s.token, "GET", "/api/v1/mailboxes", nil),
			s.do(s.token, "PATCH", fmt.Sprintf("/api/v1/mailboxes/%d", id), map[string]any{"name": "Renamed"}),
		} {
			if rr.Status != 200 || strings.Contains(string(rr.Body), "hunter2") || strings.Contains(string(rr.Body), `"password"`) {
				t.Errorf("the password came back: %d %s", rr.Status, rr.Body)
			}
		}
		// Left out, the password stays; the poller still has it.
		got, err := s.db.GetMailbox(context.Background(), id)
		if err != nil || got.IMAP.Password != "hunter2-secret" {
			t.Errorf("stored password after a PATCH without one: %+v %v", got, err)
		}
	})
}

// C8: bad input names every field at fault and changes nothing.
func TestMailboxBadInputNamesFields_C8(t *testing.T) {
	eachServer(t, func(t *testing.T, s *testServer) {
		r := s.do(s.token, "POST", "/api/v1/mailboxes", map[string]any{"address": "not an address", "unknown_senders": "sometimes",
			"imap": map[string]any{"host": "imap.example:993", "port": 70000, "security": "ssl"}})
		if r.Status != 422 {
			t.Fatalf("bad mailbox: %d %s", r.Status, r.Body)
		}
		for _, f := range []string{`"address"`, `"unknown_senders"`, `"imap.host"`, `"imap.port"`, `"imap.security"`} {
			if !strings.Contains(string(r.Body), `"field":`+f) {
				t.Errorf("no error for %s: %s", f, r.Body)
			}
		}
		if r := s.do(s.token, "POST", "/api/v1/mailboxes", map[string]any{"unknown_senders": "hold"}); r.Status != 422 || !strings.Contains(string(r.Body), `"field":"address"`) {
			t.Errorf("no address: %d %s", r.Status, r.Body)
		}
		m := s.mustDo(201, "POST", "/api/v1/mailboxes", map[string]any{"address": "ok@desk.example", "unknown_senders": "create"})
		id := int64(m["id"].(float64))
		if r := s.do(s.token, "PATCH", fmt.Sprintf("/api/v1/mailboxes/%d", id), map[string]any{"name": "Changed", "unknown_senders": "never"}); r.Status != 422 ||
			!strings.Contains(string(r.Body), `"field":"unknown_senders"`) {
			t.Errorf("bad patch: %d %s", r.Status, r.Body)
		}
		got := s.mustDo(200, "GET", fmt.Sprintf("/api/v1/mailboxes/%d", id), nil)
		if got["name"] != "" || got["unknown_senders"] != "create" {
			t.Errorf("a refused patch changed the mailbox: %v", got)
		}
		list := s.mustDo(200, "GET", "/api/v1/mailboxes", nil)
		if n := len(list["data"].([]any)); n != 1 {
			t.Errorf("refused creates stored something: %d mailboxes", n)
		}
		// A collaborator may not see or change mailboxes (settings.manage).
		collab := s.mustToken(s.mustStaff(frontdesk.RoleCollaborator, "collab@example.com").ID)
		if r := s.do(collab, "POST", "/api/v1/mailboxes", map[string]any{"address": "x@desk.example"}); r.Status != 403 {
			t.Errorf("collaborator creates a mailbox: %d", r.Status)
		}
	})
}

// X3: the suppression list lists addresses with their reasons; staff add (reason manual, by
// them) and remove addresses.
func TestSuppressionListAddRemove_X3(t *testing.T) {
	eachServer(t, func(t *testing.T, s *testServer) {
		added := s.mustDo(201, "POST", "/api/v1/suppressions", map[string]any{"address": "Bob@Example.COM", "diagnostic": "asked us to stop"})
		if added["address"] != "bob@example.com" || added["reason"] != "manual" || added["created_by"] != float64(s.owner.ID) {
			t.Errorf("added: %v", added)
		}
		s.mustDo(200, "POST", "/api/v1/suppressions", map[string]any{"address": "bob@example.com", "diagnostic": "again"})
		if r := s.do(s.token, "POST", "/api/v1/suppressions", map[string]any{"address": "nobody", "diagnostic": strings.Repeat("d", 2001)}); r.Status != 422 ||
			!strings.Contains(string(r.Body), `"field":"address"`) || !strings.Contains(string(r.Body), `"field":"diagnostic"`) {
			t.Errorf("bad suppression: %d %s", r.Status, r.Body)
		}
		list := s.mustDo(200, "GET", "/api/v1/suppressions", nil)
		data := list["data"].([]any)
		if len(data) != 1 {
			t.Fatalf("list: %v", list)
		}
		first := data[0].(map[string]any)
		if first["address"] != "bob@example.com" || first["reason"] != "manual" || first["diagnostic"] != "asked us to stop" {
			t.Errorf("listed: %v", first)
		}
		if r := s.do(s.token, "DELETE", "/api/v1/suppressions/BOB@example.com", nil); r.Status != 204 {
			t.Errorf("remove: %d %s", r.Status, r.Body)
		}
		if r := s.do(s.token, "DELETE", "/api/v1/suppressions/bob@example.com", nil); r.Status != 404 {
			t.Errorf("remove again: %d %s", r.Status, r.Body)
		}
		if list := s.mustDo(200, "GET", "/api/v1/suppressions", nil); len(list["data"].([]any)) != 0 {
			t.Errorf("after removal: %v", list)
		}
	})
}

// attach sends a reply with one file as the owner and returns the file's id.
func (s *testServer) attach(ticket int64, public bool, filename, contentType string, data []byte) int64 {
	s.t.Helper()
	m := s.mustDo(201, "POST", fmt.Sprintf("/api/v1/tickets/%d/messages", ticket), map[string]any{"body": "See the file.", "public": public,
		"attachments": []map[string]any{{"filename": filename, "content_type": contentType, "data": base64.StdEncoding.EncodeToString(data)}}})
	files := m["attachments"].([]any)
	if len(files) != 1 {
		s.t.Fatalf("message: %v", m)
	}
	return int64(files[0].(map[string]any)["id"].(float64))
}

func (s *testServer) mustTicket(requester string) int64 {
	s.t.Helper()
	p := s.mustDo(201, "POST", "/api/v1/people", map[string]any{"name": "Rita Requester", "email": requester})
	tk := s.mustDo(201, "POST", "/api/v1/tickets", map[string]any{"requester_id": p["id"], "subject": "Files"})
	return int64(tk["id"].(float64))
}

// T2: files are served only to those who may see the ticket, always as a download, and a
// sender's HTML or SVG never as what it claims to be.
func TestAttachmentDownload_T2(t *testing.T) {
	eachServer(t, func(t *testing.T, s *testServer) {
		tk := s.mustTicket("rita@example.com")
		html := s.attach(tk, true, "../../evil\x07.html", "text/html", []byte("<script>alert(1)</script>"))
		svg := s.attach(tk, true, "pic.svg", "image/svg+xml", []byte("<svg onload=alert(1)></svg>"))
		txt := s.attach(tk, false, "notes.txt", "text/plain", []byte("private"))
		png := s.attach(tk, true, "shot.png", "image/png", []byte("\x89PNG\r\n\x1a\n"))
		get := func(token string, id int64) response {
			return s.do(token, "GET", fmt.Sprintf("/api/v1/attachments/%d", id), nil)
		}

		r := get(s.token, html)
		if r.Status != 200 || string(r.Body) != "<script>alert(1)</script>" {
			t.Fatalf("html file: %d %s", r.Status, r.Body)
		}
		if ct := r.Header.Get("Content-Type"); ct != "application/octet-stream" {
			t.Errorf("html file served as %q", ct)
		}
		if cd := r.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") || !strings.Contains(cd, "filename*=UTF-8''evil.html") {
			t.Errorf("html file disposition %q (the name must lose its path and control character)", cd)
		}
		if r.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("no nosniff: %v", r.Header)
		}
		if ct := get(s.token, svg).Header.Get("Content-Type"); ct != "application/octet-stream" {
			t.Errorf("svg served as %q", ct)
		}
		if r := get(s.token, png); r.Header.Get("Content-Type") != "image/png" || !strings.HasPrefix(r.Header.Get("Content-Disposition"), "attachment") {
			t.Errorf("png: %v", r.Header)
		}
		if r := get(s.token, txt); r.Header.Get("Content-Type") != "text/plain; charset=utf-8" {
			t.Errorf("text: %v", r.Header)
		}

		// Staff who may read tickets: yes, notes' files included; anonymous: no; a role
		// without tickets.read: no.
		collab := s.mustToken(s.mustStaff(frontdesk.RoleCollaborator, "collab@example.com").ID)
		if r := get(collab, txt); r.Status != 200 {
			t.Errorf("collaborator: %d", r.Status)
		}
		if r := get("", png); r.Status != 401 {
			t.Errorf("anonymous: %d", r.Status)
		}
		role := s.mustDo(201, "POST", "/api/v1/roles", map[string]any{"name": "Blind", "base_role": "collaborator", "permissions": []string{"people.read"}})
		blind := s.mustStaff(frontdesk.RoleCollaborator, "blind@example.com")
		s.mustDo(200, "PATCH", fmt.Sprintf("/api/v1/people/%d", blind.ID), map[string]any{"staff_role_id": role["id"]})
		if r := get(s.mustToken(blind.ID), png); r.Status != 403 {
			t.Errorf("staff without tickets.read: %d", r.Status)
		}
		if r := get(s.token, 999999); r.Status != 404 {
			t.Errorf("no such file: %d", r.Status)
		}
	})
}

// T2: a file over max_attachment_mb is a field error naming it, and nothing is stored: not
// the reply, not the request, not its requester.
func TestAttachmentOversizeRefused_T2(t *testing.T) {
	eachServer(t, func(t *testing.T, s *testServer) {
		s.mustDo(200, "PATCH", "/api/v1/settings", map[string]any{"max_attachment_mb": 1})
		tk := s.mustTicket("rita@example.com")
		big := base64.StdEncoding.EncodeToString(make([]byte, 3<<19)) // 1.5 MB
		small := base64.StdEncoding.EncodeToString([]byte("ok"))
		r := s.do(s.token, "POST", fmt.Sprintf("/api/v1/tickets/%d/messages", tk), map[string]any{"body": "Two files.", "public": true,
			"attachments": []map[string]any{{"filename": "ok.txt", "data": small}, {"filename": "report.pdf", "content_type": "application/pdf", "data": big}}})
		if r.Status != 422 || !strings.Contains(string(r.Body), `{"field":"attachments[1]","message":"report.pdf is 1.5 MB, over the 1 MB limit"}`) {
			t.Fatalf("oversize reply: %d %s", r.Status, r.Body)
		}
		thread := s.mustDo(200, "GET", fmt.Sprintf("/api/v1/tickets/%d/messages", tk), nil)
		if n := len(thread["data"].([]any)); n != 0 {
			t.Errorf("a refused reply was stored: %v", thread)
		}
		r = s.do("", "POST", "/api/v1/requests", map[string]any{"email": "newcomer@example.com", "subject": "Big", "body": "Here.",
			"attachments": []map[string]any{{"filename": "dir/report.pdf", "data": big}}})
		if r.Status != 422 || !strings.Contains(string(r.Body), `"field":"attachments[0]","message":"report.pdf is 1.5 MB, over the 1 MB limit"`) {
			t.Fatalf("oversize request: %d %s", r.Status, r.Body)
		}
		if _, err := s.db.GetPersonByEmail(context.Background(), "newcomer@example.com"); frontdesk.ErrorCode(err) != frontdesk.ENotFound {
			t.Errorf("a refused request made its requester: %v", err)
		}
		// Under the limit, the request's file is stored with its first message.
		r = s.do("", "POST", "/api/v1/requests", map[string]any{"email": "newcomer@example.com", "subject": "Small", "body": "Here.",
			"attachments": []map[string]any{{"filename": "C:\\Users\\me\\small.txt", "content_type": "text/plain", "data": small}}})
		if r.Status != 201 {
			t.Fatalf("request with a file: %d %s", r.Status, r.Body)
		}
		id := int64(r.JSON(t)["ticket_id"].(float64))
		thread = s.mustDo(200, "GET", fmt.Sprintf("/api/v1/tickets/%d/messages", id), nil)
		files := thread["data"].([]any)[0].(map[string]any)["attachments"].([]any)
		if len(files) != 1 || files[0].(map[string]any)["filename"] != "small.txt" {
			t.Errorf("request's files: %v", thread)
		}
	})
}
