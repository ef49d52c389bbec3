package api_test

import (
	"fmt"
	"testing"

	"frontdesk"
)

// R2, R3, L6 over HTTP: admins define custom staff roles and give them through the profile;
// nobody defines, gives or takes a role ranking above them or carrying a permission they lack.
func TestCustomStaffRoles_R2_R3_L6(t *testing.T) {
	eachServer(t, func(t *testing.T, s *testServer) {
		admin := s.mustStaff(frontdesk.RoleAdmin, "admin@example.com")
		adminTok := s.mustToken(admin.ID)
		agentTok := s.mustToken(s.mustStaff(frontdesk.RoleAgent, "agent@example.com").ID)
		want := func(status int, tok, method, path string, body any) map[string]any {
			t.Helper()
			r := s.do(tok, method, path, body)
			if r.Status != status {
				t.Fatalf("%s %s: want %d, got %d: %s", method, path, status, r.Status, r.Body)
			}
			return r.JSON(t)
		}
		person := func(id any) string { return fmt.Sprintf("/api/v1/people/%v", id) }

		// A role manager: ranks as an agent, assigns roles and manages settings, but cannot
		// run imports or manage people. It holds what a collaborator holds (tickets too), so
		// that it may give and take the collaborator role (R3).
		mgr := want(201, adminTok, "POST", "/api/v1/roles", map[string]any{"name": "Role manager", "base_role": "agent",
			"permissions": []string{"people.read", "people.update", "roles.assign", "settings.manage", "tickets.read", "tickets.note"}})
		want(403, agentTok, "POST", "/api/v1/roles", map[string]any{"name": "Mine", "base_role": "agent"})
		mgrMember := s.mustStaff(frontdesk.RoleCollaborator, "mgr@example.com")
		got := want(200, adminTok, "PATCH", person(mgrMember.ID), map[string]any{"staff_role_id": mgr["id"]})
		if got["role"] != "agent" || got["staff_role_id"] != mgr["id"] {
			t.Fatalf("giving a custom role sets the rank: %v", got)
		}
		mgrTok := s.mustToken(mgrMember.ID)

		// R3 for defining roles.
		want(403, mgrTok, "POST", "/api/v1/roles", map[string]any{"name": "Boss", "base_role": "admin"})
		want(403, mgrTok, "POST", "/api/v1/roles", map[string]any{"name": "Importer", "base_role": "agent", "permissions": []string{"imports.run"}})
		helper := want(201, mgrTok, "POST", "/api/v1/roles", map[string]any{"name": "Helper", "base_role": "collaborator",
			"permissions": []string{"people.read", "people.update"}})
		want(403, mgrTok, "PATCH", fmt.Sprintf("/api/v1/roles/%v", helper["id"]), map[string]any{"permissions": []string{"people.manage"}})
		want(403, mgrTok, "PATCH", fmt.Sprintf("/api/v1/roles/%v", helper["id"]), map[string]any{"base_role": "admin"})
		want(200, mgrTok, "PATCH", fmt.Sprintf("/api/v1/roles/%v", helper["id"]), map[string]any{"name": "Helpers"})
		boss := want(201, adminTok, "POST", "/api/v1/roles", map[string]any{"name": "Full", "base_role": "agent",
			"permissions": []string{"people.read", "people.manage"}})
		want(403, mgrTok, "PATCH", fmt.Sprintf("/api/v1/roles/%v", boss["id"]), map[string]any{"name": "Renamed"})

		// R3 for giving and taking roles.
		c := want(201, adminTok, "POST", "/api/v1/people", map[string]any{"name": "Cora Contact", "email": "cora@example.com"})
		want(403, mgrTok, "PATCH", person(c["id"]), map[string]any{"staff_role_id": boss["id"]})
		want(403, mgrTok, "PATCH", person(c["id"]), map[string]any{"role": "admin"})
		got = want(200, mgrTok, "PATCH", person(c["id"]), map[string]any{"staff_role_id": helper["id"]})
		if got["role"] != "collaborator" {
			t.Fatalf("helper: %v", got)
		}
		want(200, adminTok, "PATCH", person(c["id"]), map[string]any{"staff_role_id": boss["id"]})
		want(403, mgrTok, "PATCH", person(c["id"]), map[string]any{"staff_role_id": nil})
		// A change of role alone drops the custom role, whose rank no longer fits.
		got = want(200, adminTok, "PATCH", person(c["id"]), map[string]any{"role": "collaborator"})
		if got["staff_role_id"] != nil || got["role"] != "collaborator" {
			t.Fatalf("a role change keeps the custom role: %v", got)
		}
		want(422, adminTok, "PATCH", person(c["id"]), map[string]any{"staff_role_id": boss["id"], "role": "admin"})
		want(422, adminTok, "PATCH", person(c["id"]), map[string]any{"staff_role_id": 999999})

		// The custom role's permissions, not the agent's defaults, decide.
		want(403, mgrTok, "POST", "/api/v1/people", map[string]any{"name": "New"})
		want(200, mgrTok, "PATCH", "/api/v1/settings", map[string]any{})
		want(403, mgrTok, "GET", "/api/v1/audit", nil)
		// Permissions change at the next request.
		want(200, adminTok, "PATCH", fmt.Sprintf("/api/v1/roles/%v", mgr["id"]), map[string]any{"permissions": []string{"people.read", "audit.read"}})
		want(200, mgrTok, "GET", "/api/v1/audit", nil)
		want(403, mgrTok, "PATCH", "/api/v1/settings", map[string]any{})

		// L6: definitions and grants are audited.
		audit := want(200, s.token, "GET", fmt.Sprintf("/api/v1/audit?subject_type=staff_role&subject_id=%v", mgr["id"]), nil)
		if n := len(audit["data"].([]any)); n != 2 {
			t.Errorf("want staff_role.create and staff_role.update: %v", audit)
		}
		audit = want(200, s.token, "GET", fmt.Sprintf("/api/v1/audit?subject_type=person&subject_id=%v&action=person.role", c["id"]), nil)
		if n := len(audit["data"].([]any)); n != 3 {
			t.Errorf("want 3 person.role entries for Cora: %v", audit)
		}
	})
}

// P2 over HTTP: only the owner hands over, to an active admin; afterwards both tokens work
// with their new roles at once.
func TestOwnerHandOverOverHTTP_P2_R3(t *testing.T) {
	eachServer(t, func(t *testing.T, s *testServer) {
		heir := s.mustStaff(frontdesk.RoleAdmin, "heir@example.com")
		heirTok := s.mustToken(heir.ID)
		agent := s.mustStaff(frontdesk.RoleAgent, "agent@example.com")
		body := func(id int64) map[string]any { return map[string]any{"person_id": id} }

		if r := s.do(heirTok, "POST", "/api/v1/owner/hand-over", body(heir.ID)); r.Status != 403 {
			t.Fatalf("an admin took ownership: %d %s", r.Status, r.Body)
		}
		if r := s.do(s.token, "POST", "/api/v1/owner/hand-over", body(agent.ID)); r.Status != 422 {
			t.Fatalf("ownership to an agent: %d %s", r.Status, r.Body)
		}
		// R3: the owner role is never given through the profile.
		if r := s.do(s.token, "PATCH", fmt.Sprintf("/api/v1/people/%d", heir.ID), map[string]any{"role": "owner"}); r.Status != 403 {
			t.Fatalf("owner given by PATCH: %d %s", r.Status, r.Body)
		}
		got := s.mustDo(200, "POST", "/api/v1/owner/hand-over", body(heir.ID))
		if got["owner"].(map[string]any)["role"] != "owner" || got["former_owner"].(map[string]any)["role"] != "admin" {
			t.Fatalf("hand-over answer: %v", got)
		}
		// The former owner's token now acts as an admin: it cannot touch the new owner.
		if r := s.do(s.token, "PATCH", fmt.Sprintf("/api/v1/people/%d", heir.ID), map[string]any{"notes": "x"}); r.Status != 403 {
			t.Fatalf("the former owner changed the new owner: %d %s", r.Status, r.Body)
		}
		if r := s.do(s.token, "POST", "/api/v1/owner/hand-over", body(s.owner.ID)); r.Status != 403 {
			t.Fatalf("the former owner handed over again: %d %s", r.Status, r.Body)
		}
		// The new owner's token acts as the owner at once, and can hand it back.
		if r := s.do(heirTok, "POST", "/api/v1/owner/hand-over", body(s.owner.ID)); r.Status != 200 {
			t.Fatalf("hand back: %d %s", r.Status, r.Body)
		}
		audit := s.mustDo(200, "GET", "/api/v1/audit?action=owner.hand_over", nil)
		if n := len(audit["data"].([]any)); n != 2 {
			t.Errorf("want 2 owner.hand_over entries: %v", audit)
		}
	})
}
