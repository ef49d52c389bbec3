package api_test

import (
	"fmt"
	"testing"

	"frontdesk"
)

// R3 over HTTP: staff change only people strictly below them, through every route that
// changes a person; themselves only in their profile, never their role. The owner reaches
// admins; nobody but the owner's hand-over reaches the owner.
func TestStaffChangeOnlyPeopleBelow_R3(t *testing.T) {
	eachServer(t, func(t *testing.T, s *testServer) {
		admin := s.mustStaff(frontdesk.RoleAdmin, "admin@example.com")
		admin2 := s.mustStaff(frontdesk.RoleAdmin, "admin2@example.com")
		agent := s.mustStaff(frontdesk.RoleAgent, "agent@example.com")
		agent2 := s.mustStaff(frontdesk.RoleAgent, "agent2@example.com")
		collab := s.mustStaff(frontdesk.RoleCollaborator, "collab@example.com")
		contact := s.mustStaff(frontdesk.RoleContact, "carl@example.com")
		sr := s.mustDo(201, "POST", "/api/v1/roles", map[string]any{"name": "Moderator", "base_role": "agent",
			"permissions": []string{"people.read", "people.update", "people.manage"}})
		mod := s.mustStaff(frontdesk.RoleCollaborator, "mod@example.com")
		s.mustDo(200, "PATCH", fmt.Sprintf("/api/v1/people/%d", mod.ID), map[string]any{"staff_role_id": sr["id"]})
		tok := map[string]string{"owner": s.token, "admin": s.mustToken(admin.ID), "agent": s.mustToken(agent.ID), "mod": s.mustToken(mod.ID)}
		person := func(p *frontdesk.Person, rest string) string { return fmt.Sprintf("/api/v1/people/%d%s", p.ID, rest) }
		cases := []struct {
			who          string
			method, path string
			body         any
			want         int
		}{
			{"agent", "PATCH", person(agent2, ""), map[string]any{"email": "agent+2@example.com"}, 403},
			{"agent", "PATCH", person(agent2, ""), map[string]any{"notes": "x"}, 403},
			{"agent", "POST", person(agent2, "/password-reset"), nil, 403},
			{"agent", "POST", person(agent2, "/welcome"), nil, 403},
			{"agent", "PATCH", person(collab, ""), map[string]any{"notes": "x"}, 200},
			{"agent", "PATCH", person(agent, ""), map[string]any{"notes": "about me"}, 200},
			{"agent", "PATCH", person(agent, ""), map[string]any{"role": "collaborator"}, 403},
			{"admin", "PATCH", person(admin2, ""), map[string]any{"notes": "x"}, 403},
			{"admin", "POST", person(admin2, "/state"), map[string]any{"state": "disabled"}, 403},
			{"admin", "PATCH", person(admin2, ""), map[string]any{"role": "agent"}, 403},
			{"admin", "POST", person(admin, "/state"), map[string]any{"state": "disabled"}, 403},
			{"admin", "PATCH", person(s.owner, ""), map[string]any{"email": "admin+owner@example.com"}, 403},
			{"admin", "PATCH", person(agent2, ""), map[string]any{"notes": "x"}, 200},
			{"mod", "POST", person(agent2, "/state"), map[string]any{"state": "disabled"}, 403},
			{"mod", "PATCH", person(agent2, ""), map[string]any{"notes": "x"}, 403},
			{"mod", "POST", person(collab, "/state"), map[string]any{"state": "disabled"}, 200},
			{"owner", "PATCH", person(admin2, ""), map[string]any{"notes": "x"}, 200},
			{"owner", "POST", person(admin2, "/state"), map[string]any{"state": "disabled"}, 200},
			{"owner", "POST", person(s.owner, "/state"), map[string]any{"state": "disabled"}, 403},
			{"agent", "PATCH", person(contact, ""), map[string]any{"notes": "x"}, 200},
		}
		for _, c := range cases {
			if r := s.do(tok[c.who], c.method, c.path, c.body); r.Status != c.want {
				t.Errorf("%s %s %s %v: want %d, got %d %s", c.who, c.method, c.path, c.body, c.want, r.Status, r.Body)
			}
		}
		got := s.mustDo(200, "GET", person(agent2, ""), nil)
		if got["emails"].([]any)[0].(map[string]any)["address"] != "agent2@example.com" {
			t.Fatalf("a refused change changed the agent: %v", got)
		}
	})
}

// R3, E1 over HTTP: an address given by staff is unverified whatever the input says, at
// creation and on change, and a changed one gets a confirmation.
func TestStaffGivenAddressIsUnverified_R3_E1(t *testing.T) {
	eachServer(t, func(t *testing.T, s *testServer) {
		created := s.mustDo(201, "POST", "/api/v1/people", map[string]any{"name": "Vera", "emails": []any{
			map[string]any{"address": "vera@example.com", "verified": true}}})
		path := fmt.Sprintf("/api/v1/people/%v", created["id"])
		if e := created["emails"].([]any)[0].(map[string]any); e["verified"] != false {
			t.Fatalf("created with a verified address: %v", e)
		}
		changed := s.mustDo(200, "PATCH", path, map[string]any{"emails": []any{map[string]any{"address": "vera@new.example", "verified": true}}})
		if e := changed["emails"].([]any)[0].(map[string]any); e["verified"] != false {
			t.Fatalf("changed to a verified address: %v", e)
		}
		mail := s.mustDo(200, "GET", "/api/v1/mail?to=vera@new.example", nil)
		list := mail["data"].([]any)
		if len(list) != 1 || list[0].(map[string]any)["template"] != "confirm_address" {
			t.Fatalf("the new address got no confirmation: %v", list)
		}
		if r := s.do(s.token, "POST", path+"/password-reset", nil); r.Status != 422 {
			t.Fatalf("a reset to the unconfirmed address: %d %s", r.Status, r.Body)
		}
	})
}
