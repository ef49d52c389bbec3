package api_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"frontdesk"
)

// T1: tickets created on behalf of requesters, listed with each filter and in cursor pages,
// and read with their thread; GET /api/v1/tickets?requester_id=ID answers {"data": [...]}
// with exactly that person's tickets. Organization and site come from the requester unless
// given.
func TestTicketsCreateListFilterGet_T1(t *testing.T) {
	eachServer(t, func(t *testing.T, s *testServer) {
		org := s.mustDo(201, "POST", "/api/v1/organizations", map[string]any{"name": "Acme"})
		site := s.mustDo(201, "POST", "/api/v1/sites", map[string]any{"organization_id": org["id"], "name": "HQ"})
		other := s.mustDo(201, "POST", "/api/v1/organizations", map[string]any{"name": "Globex"})
		ann := s.mustDo(201, "POST", "/api/v1/people", map[string]any{"name": "Ann Asker", "email": "ann@example.com", "site_id": site["id"]})
		ben := s.mustDo(201, "POST", "/api/v1/people", map[string]any{"name": "Ben Asker", "email": "ben@example.com"})
		agent := s.mustStaff(frontdesk.RoleAgent, "agent@example.com")

		a1 := s.mustDo(201, "POST", "/api/v1/tickets", map[string]any{"requester_id": ann["id"], "subject": "First", "body": "It broke."})
		if a1["organization_id"] != org["id"] || a1["site_id"] != site["id"] || a1["status"] != "open" || a1["channel"] != "api" {
			t.Errorf("organization, site, status and channel from the requester and defaults: %v", a1)
		}
		if msgs, _ := a1["messages"].([]any); len(msgs) != 1 || msgs[0].(map[string]any)["author_id"] != ann["id"] || msgs[0].(map[string]any)["public"] != true {
			t.Errorf("the body is the requester's first public message: %v", a1["messages"])
		}
		a2 := s.mustDo(201, "POST", "/api/v1/tickets", map[string]any{"requester_id": ann["id"], "subject": "Second",
			"organization_id": other["id"], "assignee_id": agent.ID, "status": "pending", "channel": "phone"})
		if a2["organization_id"] != other["id"] || a2["site_id"] != nil || a2["assignee_id"] != float64(agent.ID) {
			t.Errorf("organization given wins over the requester's: %v", a2)
		}
		a3 := s.mustDo(201, "POST", "/api/v1/tickets", map[string]any{"requester_id": ann["id"], "subject": "Third"})
		b1 := s.mustDo(201, "POST", "/api/v1/tickets", map[string]any{"requester_id": ben["id"], "subject": "Ben's"})

		ids := func(path string) []any {
			t.Helper()
			out := []any{}
			for _, x := range s.mustDo(200, "GET", path, nil)["data"].([]any) {
				out = append(out, x.(map[string]any)["id"])
			}
			return out
		}
		eq := func(name string, got []any, want ...map[string]any) {
			t.Helper()
			if len(got) != len(want) {
				t.Errorf("%s: got %v, want %d tickets", name, got, len(want))
				return
			}
			for i := range want {
				if got[i] != want[i]["id"] {
					t.Errorf("%s: got %v", name, got)
				}
			}
		}
		eq("requester", ids(fmt.Sprintf("/api/v1/tickets?requester_id=%v", ann["id"])), a1, a2, a3)
		eq("requester ben", ids(fmt.Sprintf("/api/v1/tickets?requester_id=%v", ben["id"])), b1)
		eq("status", ids("/api/v1/tickets?status=pending"), a2)
		eq("assignee", ids(fmt.Sprintf("/api/v1/tickets?assignee_id=%d", agent.ID)), a2)
		eq("organization", ids(fmt.Sprintf("/api/v1/tickets?organization_id=%v", org["id"])), a1, a3)
		eq("two filters", ids(fmt.Sprintf("/api/v1/tickets?requester_id=%v&status=open", ann["id"])), a1, a3)
		eq("all", ids("/api/v1/tickets"), a1, a2, a3, b1)

		// Cursor pages: two at a time, every ticket once, in id order.
		var seen []any
		path := fmt.Sprintf("/api/v1/tickets?requester_id=%v&limit=2", ann["id"])
		for range 5 {
			pg := s.mustDo(200, "GET", path, nil)
			for _, x := range pg["data"].([]any) {
				seen = append(seen, x.(map[string]any)["id"])
			}
			cur, ok := pg["next_cursor"].(string)
			if !ok {
				break
			}
			path = fmt.Sprintf("/api/v1/tickets?requester_id=%v&limit=2&cursor=%s", ann["id"], url.QueryEscape(cur))
		}
		eq("pages", seen, a1, a2, a3)

		got := s.mustDo(200, "GET", fmt.Sprintf("/api/v1/tickets/%v", a1["id"]), nil)
		if got["subject"] != "First" || len(got["messages"].([]any)) != 1 {
			t.Errorf("get: %v", got)
		}
		s.mustDo(404, "GET", "/api/v1/tickets/999999", nil)
		// Bad input names every field, and nothing is created.
		bad := s.do(s.token, "POST", "/api/v1/tickets", map[string]any{"subject": strings.Repeat("x", 501), "status": "lost",
			"channel": "pigeon", "site_id": 999999, "requester_id": ben["id"]})
		for _, f := range []string{"subject", "status", "channel"} {
			if bad.Status != 422 || !strings.Contains(string(bad.Body), `"`+f+`"`) {
				t.Errorf("bad ticket: want 422 naming %s: %d %s", f, bad.Status, bad.Body)
			}
		}
		s.mustDo(422, "POST", "/api/v1/tickets", map[string]any{"requester_id": ben["id"], "subject": "x", "site_id": 999999})
		s.mustDo(422, "POST", "/api/v1/tickets", map[string]any{"requester_id": ben["id"], "subject": "x", "assignee_id": ann["id"]})
		eq("nothing created by bad input", ids(fmt.Sprintf("/api/v1/tickets?requester_id=%v", ben["id"])), b1)
	})
}

// T1, R1, E6: an agent's public reply queues one email to the requester in the outbox, and
// the message keeps that email's Message-ID; a private note queues nothing. A collaborator
// adds notes but not replies; an assignee must be active staff who may answer tickets.
func TestTicketReplyQueuesMailNoteDoesNot_T1_E6(t *testing.T) {
	eachServer(t, func(t *testing.T, s *testServer) {
		carl := s.mustDo(201, "POST", "/api/v1/people", map[string]any{"name": "Carl Contact", "email": "carl@example.com"})
		tk := s.mustDo(201, "POST", "/api/v1/tickets", map[string]any{"requester_id": carl["id"], "subject": "Printer jams"})
		agent := s.mustStaff(frontdesk.RoleAgent, "agent@example.com")
		agentTok := s.mustToken(agent.ID)
		collab := s.mustStaff(frontdesk.RoleCollaborator, "collab@example.com")
		collabTok := s.mustToken(collab.ID)
		mails := func() []any {
			t.Helper()
			return s.mustDo(200, "GET", fmt.Sprintf("/api/v1/mail?person_id=%v", carl["id"]), nil)["data"].([]any)
		}
		before := len(mails()) // the confirmation of Carl's address

		msgPath := fmt.Sprintf("/api/v1/tickets/%v/messages", tk["id"])
		note := s.do(collabTok, "POST", msgPath, map[string]any{"body": "Sounds like the fuser.", "public": false})
		if note.Status != 201 || note.JSON(t)["message_id"] != "" {
			t.Fatalf("note: %d %s", note.Status, note.Body)
		}
		if n := len(mails()); n != before {
			t.Errorf("a note queued mail: %d messages, want %d", n, before)
		}
		if r := s.do(collabTok, "POST", msgPath, map[string]any{"body": "Hi Carl", "public": true}); r.Status != 403 {
			t.Errorf("a collaborator replied: %d %s", r.Status, r.Body)
		}
		reply := s.do(agentTok, "POST", msgPath, map[string]any{"body": "Hello Carl,\nwe replaced the fuser.", "public": true})
		if reply.Status != 201 {
			t.Fatalf("reply: %d %s", reply.Status, reply.Body)
		}
		m := reply.JSON(t)
		mid, _ := m["message_id"].(string)
		if !strings.HasPrefix(mid, "<") || !strings.HasSuffix(mid, ">") || m["author_id"] != float64(agent.ID) {
			t.Errorf("reply: want a Message-ID and the agent as author: %v", m)
		}
		list := mails()
		if len(list) != before+1 {
			t.Fatalf("reply: want one mail queued, have %d (before %d)", len(list), before)
		}
		var out map[string]any
		for _, x := range list {
			if x.(map[string]any)["template"] == "ticket_reply" {
				out = s.mustDo(200, "GET", fmt.Sprintf("/api/v1/mail/%v", x.(map[string]any)["id"]), nil)
			}
		}
		if out["template"] != "ticket_reply" || out["message_id"] != mid || out["to"] != "carl@example.com" ||
			!strings.Contains(out["text"].(string), "we replaced the fuser.") || !strings.Contains(out["subject"].(string), "Printer jams") {
			t.Errorf("the queued reply: %v", out)
		}
		thread := s.mustDo(200, "GET", msgPath, nil)["data"].([]any)
		if len(thread) != 2 || thread[0].(map[string]any)["public"] != false || thread[1].(map[string]any)["message_id"] != mid {
			t.Errorf("thread: %v", thread)
		}

		// Assignees: an active agent, not a contact or a collaborator (no tickets.answer).
		tkPath := fmt.Sprintf("/api/v1/tickets/%v", tk["id"])
		if got := s.mustDo(200, "PATCH", tkPath, map[string]any{"assignee_id": agent.ID, "status": "pending"}); got["assignee_id"] != float64(agent.ID) || got["status"] != "pending" {
			t.Errorf("assign: %v", got)
		}
		s.mustDo(422, "PATCH", tkPath, map[string]any{"assignee_id": collab.ID})
		s.mustDo(422, "PATCH", tkPath, map[string]any{"assignee_id": carl["id"]})
		if r := s.do(collabTok, "PATCH", tkPath, map[string]any{"status": "closed"}); r.Status != 403 {
			t.Errorf("a collaborator changed the status: %d", r.Status)
		}
		if got := s.mustDo(200, "PATCH", tkPath, map[string]any{"assignee_id": nil}); got["assignee_id"] != nil || got["status"] != "pending" {
			t.Errorf("unassign: %v", got)
		}
	})
}

// L4: a banned person opens no ticket; an agent marks a ticket as spam and bans its
// requester in one step; an agent cannot ban an admin that way (R3), and then nothing
// changes, not even the ticket.
func TestSpamBansRequesterInOneStep_L4(t *testing.T) {
	eachServer(t, func(t *testing.T, s *testServer) {
		agentTok := s.mustToken(s.mustStaff(frontdesk.RoleAgent, "agent@example.com").ID)
		sam := s.mustDo(201, "POST", "/api/v1/people", map[string]any{"name": "Sam Spammer", "email": "sam@example.com"})
		tk := s.mustDo(201, "POST", "/api/v1/tickets", map[string]any{"requester_id": sam["id"], "subject": "Cheap watches"})

		r := s.do(agentTok, "POST", fmt.Sprintf("/api/v1/tickets/%v/spam", tk["id"]), map[string]any{"ban_reason": "sells watches"})
		if r.Status != 200 {
			t.Fatalf("spam: %d %s", r.Status, r.Body)
		}
		if got := r.JSON(t); got["spam"] != true || got["status"] != "closed" {
			t.Errorf("spam ticket: %v", got)
		}
		p := s.mustDo(200, "GET", fmt.Sprintf("/api/v1/people/%v", sam["id"]), nil)
		if p["state"] != "banned" || p["ban_reason"] != "sells watches" {
			t.Errorf("requester after spam: %v", p)
		}
		// L4: the banned person raises no new ticket.
		s.mustDo(403, "POST", "/api/v1/tickets", map[string]any{"requester_id": sam["id"], "subject": "Again"})
		if n := len(s.mustDo(200, "GET", fmt.Sprintf("/api/v1/tickets?requester_id=%v", sam["id"]), nil)["data"].([]any)); n != 1 {
			t.Errorf("the banned person has %d tickets, want 1", n)
		}

		// R3: an admin's ticket marked as spam by an agent: refused, and nothing changes.
		admin := s.mustStaff(frontdesk.RoleAdmin, "admin@example.com")
		atk := s.mustDo(201, "POST", "/api/v1/tickets", map[string]any{"requester_id": admin.ID, "subject": "Test ticket"})
		if r := s.do(agentTok, "POST", fmt.Sprintf("/api/v1/tickets/%v/spam", atk["id"]), nil); r.Status != 403 {
			t.Errorf("an agent banned an admin through spam: %d %s", r.Status, r.Body)
		}
		if got := s.mustDo(200, "GET", fmt.Sprintf("/api/v1/tickets/%v", atk["id"]), nil); got["spam"] != false || got["status"] != "open" {
			t.Errorf("a refused spam changed the ticket: %v", got)
		}
		if p, err := s.db.GetPerson(context.Background(), admin.ID); err != nil || p.State != frontdesk.StateActive {
			t.Errorf("a refused spam changed the admin: %v %v", p.State, err)
		}
	})
}

// L2: disabling the requester keeps their tickets in the lists; trashing them takes the
// tickets out (and they take no change); restoring them brings the same tickets back, and a
// ticket trashed on its own before stays in the trash.
func TestTicketsFollowRequesterTrashAndRestore_L2(t *testing.T) {
	eachServer(t, func(t *testing.T, s *testServer) {
		dora := s.mustDo(201, "POST", "/api/v1/people", map[string]any{"name": "Dora Doe", "email": "dora@example.com"})
		t1 := s.mustDo(201, "POST", "/api/v1/tickets", map[string]any{"requester_id": dora["id"], "subject": "One"})
		t2 := s.mustDo(201, "POST", "/api/v1/tickets", map[string]any{"requester_id": dora["id"], "subject": "Two"})
		if _, err := s.db.TrashTicket(context.Background(), int64(t2["id"].(float64))); err != nil {
			t.Fatal(err)
		}
		count := func() int {
			t.Helper()
			return len(s.mustDo(200, "GET", fmt.Sprintf("/api/v1/tickets?requester_id=%v", dora["id"]), nil)["data"].([]any))
		}
		state := func(to string) {
			t.Helper()
			s.mustDo(200, "POST", fmt.Sprintf("/api/v1/people/%v/state", dora["id"]), map[string]any{"state": to})
		}
		if n := count(); n != 1 {
			t.Fatalf("before: %d tickets listed, want 1", n)
		}
		state("disabled")
		if n := count(); n != 1 {
			t.Errorf("disabled: %d tickets listed, want 1", n)
		}
		state("trashed")
		if n := count(); n != 0 {
			t.Errorf("trashed: %d tickets listed, want 0", n)
		}
		s.mustDo(404, "GET", fmt.Sprintf("/api/v1/tickets/%v", t1["id"]), nil)
		s.mustDo(409, "PATCH", fmt.Sprintf("/api/v1/tickets/%v", t1["id"]), map[string]any{"status": "closed"})
		state("disabled") // the state they had
		if n := count(); n != 1 {
			t.Errorf("restored: %d tickets listed, want 1", n)
		}
		if got := s.mustDo(200, "GET", fmt.Sprintf("/api/v1/tickets/%v", t1["id"]), nil); got["status"] != "open" {
			t.Errorf("restored ticket: %v", got)
		}
		s.mustDo(404, "GET", fmt.Sprintf("/api/v1/tickets/%v", t2["id"]), nil)
	})
}
