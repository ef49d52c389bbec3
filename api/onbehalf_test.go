package api_test

import (
	"fmt"
	"strings"
	"testing"

	"frontdesk"
)

// C10: POST /api/v1/tickets takes an inline requester (the input of POST /api/v1/people)
// instead of requester_id, through the flow the console uses: person and ticket in one
// transaction. Both or neither is a field error; a bad person creates nothing.
func TestCreateTicketInlineRequester_C10(t *testing.T) {
	eachServer(t, func(t *testing.T, s *testServer) {
		tk := s.mustDo(201, "POST", "/api/v1/tickets", map[string]any{"subject": "New here", "body": "Hello.",
			"requester": map[string]any{"first_name": "Ada", "last_name": "Api", "email": "ada@example.com", "phones": []any{map[string]any{"number": "(201) 555-0123"}}}})
		people := s.mustDo(200, "GET", "/api/v1/people?email=ada@example.com", nil)["data"].([]any)
		if len(people) != 1 {
			t.Fatalf("people with the address: %v", people)
		}
		ada := people[0].(map[string]any)
		if tk["requester_id"] != ada["id"] || ada["channel"] != "api" || tk["channel"] != "api" {
			t.Errorf("ticket %v for %v", tk, ada)
		}
		other := s.mustDo(201, "POST", "/api/v1/people", map[string]any{"name": "Ott Other", "email": "ott@example.com"})
		count := func() int { return len(s.mustDo(200, "GET", "/api/v1/people?limit=100", nil)["data"].([]any)) }
		before := count()
		for name, body := range map[string]map[string]any{
			"both":    {"subject": "x", "requester_id": other["id"], "requester": map[string]any{"name": "Two"}},
			"neither": {"subject": "x"},
			"bad":     {"subject": "", "requester": map[string]any{"name": "Bad", "email": "not an address"}},
		} {
			r := s.do(s.token, "POST", "/api/v1/tickets", body)
			if r.Status != 422 {
				t.Errorf("%s: %d %s", name, r.Status, r.Body)
			}
			if name == "bad" && (!strings.Contains(string(r.Body), `"requester.email"`) || !strings.Contains(string(r.Body), `"subject"`)) {
				t.Errorf("bad: every problem, the person's named requester.FIELD: %s", r.Body)
			}
		}
		if n := count(); n != before {
			t.Errorf("refused requests left %d people, want %d", n, before)
		}
		s.mustDo(200, "PATCH", "/api/v1/settings", map[string]any{"inline_person_create": false})
		if r := s.do(s.token, "POST", "/api/v1/tickets", map[string]any{"subject": "x", "requester": map[string]any{"name": "Off"}}); r.Status != 403 {
			t.Errorf("inline with the setting off: %d %s", r.Status, r.Body)
		}
		// A collaborator (no tickets.answer) creates neither ticket nor person.
		collab := s.mustStaff(frontdesk.RoleCollaborator, "collab@example.com")
		s.mustDo(200, "PATCH", "/api/v1/settings", map[string]any{"inline_person_create": true})
		if r := s.do(s.mustToken(collab.ID), "POST", "/api/v1/tickets", map[string]any{"subject": "x", "requester": map[string]any{"name": "Sly", "email": "sly@example.com"}}); r.Status != 403 {
			t.Errorf("a collaborator: %d %s", r.Status, r.Body)
		}
		if n := len(s.mustDo(200, "GET", "/api/v1/people?email=sly@example.com", nil)["data"].([]any)); n != 0 {
			t.Errorf("a collaborator created a person")
		}
	})
}

// C11: PATCH /api/v1/tickets/{id} takes requester_id; a banned person is refused and the
// ticket keeps its requester. T1: assignee=none lists the unassigned tickets.
func TestPatchRequesterAndUnassigned_C11(t *testing.T) {
	eachServer(t, func(t *testing.T, s *testServer) {
		a := s.mustDo(201, "POST", "/api/v1/people", map[string]any{"name": "Ann", "email": "ann@example.com"})
		b := s.mustDo(201, "POST", "/api/v1/people", map[string]any{"name": "Ben", "email": "ben@example.com"})
		agent := s.mustStaff(frontdesk.RoleAgent, "agent@example.com")
		tk := s.mustDo(201, "POST", "/api/v1/tickets", map[string]any{"requester_id": a["id"], "subject": "Mine"})
		taken := s.mustDo(201, "POST", "/api/v1/tickets", map[string]any{"requester_id": a["id"], "subject": "Taken", "assignee_id": agent.ID})
		path := fmt.Sprintf("/api/v1/tickets/%v", tk["id"])
		if got := s.mustDo(200, "PATCH", path, map[string]any{"requester_id": b["id"]}); got["requester_id"] != b["id"] {
			t.Errorf("requester not changed: %v", got)
		}
		s.mustDo(200, "POST", fmt.Sprintf("/api/v1/people/%v/state", a["id"]), map[string]any{"state": "banned", "ban_reason": "abuse"})
		if r := s.do(s.token, "PATCH", path, map[string]any{"requester_id": a["id"]}); r.Status != 403 {
			t.Errorf("a banned requester: %d %s", r.Status, r.Body)
		}
		if r := s.do(s.token, "PATCH", path, map[string]any{"requester_id": 0}); r.Status != 422 && r.Status != 400 {
			t.Errorf("requester_id 0: %d %s", r.Status, r.Body)
		}
		if got := s.mustDo(200, "GET", path, nil); got["requester_id"] != b["id"] {
			t.Errorf("requester after refusals: %v", got["requester_id"])
		}
		list := s.mustDo(200, "GET", "/api/v1/tickets?assignee=none", nil)["data"].([]any)
		if len(list) != 1 || list[0].(map[string]any)["id"] != tk["id"] {
			t.Errorf("unassigned: %v (taken is %v)", list, taken["id"])
		}
		if r := s.do(s.token, "GET", "/api/v1/tickets?assignee=bob", nil); r.Status != 422 {
			t.Errorf("assignee=bob: %d %s", r.Status, r.Body)
		}
	})
}
