package api_test

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"

	"frontdesk"
)

// everyStaffMember are the operations any active staff member may call: what they refuse
// depends on what is asked (someone else's tokens), never on the caller's role alone, so a
// role without any permission is not refused them (I2).
var everyStaffMember = map[string]bool{
	"GET /api/v1/tokens":  true,
	"POST /api/v1/tokens": true,
}

// walkTokens requests the token routes for TestOpenAPIConformance_I2: every answer they
// document, a new token's secret answered once and never replayed, and a revoked token
// refused. collab and nobody are tokens of staff without people.manage.
func (c *oaChecker) walkTokens(collab, nobody string) {
	t, s := c.t, c.s
	owner := s.token

	first := c.do(owner, "POST", "/api/v1/tokens", oaObj{"name": "ci", "expires_at": "2099-01-01"}, "Idempotency-Key", "token-ci")
	if first.Status != 201 {
		t.Fatalf("create token: %d %s", first.Status, first.Body)
	}
	made := first.JSON(t)
	secret, _ := made["secret"].(string)
	if !strings.HasPrefix(secret, "fd_") || made["expires_at"] != "2099-01-01T00:00:00Z" || made["state"] != "active" {
		t.Fatalf("a new token: %v", made)
	}
	// A replay must not answer, nor the database keep, the secret.
	again := c.do(owner, "POST", "/api/v1/tokens", oaObj{"name": "ci", "expires_at": "2099-01-01"}, "Idempotency-Key", "token-ci")
	if again.Status != 201 || again.Header.Get("Idempotent-Replayed") != "true" || strings.Contains(string(again.Body), secret) ||
		again.JSON(t)["id"] != made["id"] {
		t.Errorf("replayed token create: %d %v %s", again.Status, again.Header, again.Body)
	}
	c.expect(201, owner, "POST", "/api/v1/tokens", oaObj{"name": "laptop", "expires_at": nil})
	pr := c.expect(422, owner, "POST", "/api/v1/tokens", oaObj{"name": " ", "expires_at": "2000-01-01"})
	if errs, _ := pr["errors"].([]any); len(errs) != 2 {
		t.Errorf("want name and expires_at refused at once: %v", pr)
	}
	c.expect(422, owner, "POST", "/api/v1/tokens", oaObj{"name": "x", "expires_at": 5})
	c.expect(422, owner, "POST", "/api/v1/tokens", oaObj{"name": "x", "scope": "all"})

	// The new token works, and its use shows in the list.
	mine := c.expect(200, secret, "GET", "/api/v1/tokens", nil)
	var seen bool
	for _, tok := range mine["data"].([]any) {
		if m := tok.(map[string]any); m["id"] == made["id"] {
			seen = m["last_used_at"] != nil && m["secret"] == nil
		}
	}
	if !seen {
		t.Errorf("the used token in the list: %v", mine)
	}
	c.expect(200, owner, "GET", "/api/v1/tokens?all=true", nil)
	c.expect(200, owner, "GET", fmt.Sprintf("/api/v1/tokens?person_id=%d", s.owner.ID), nil)
	pg := c.expect(200, owner, "GET", "/api/v1/tokens?all=1&limit=1", nil)
	if cur, ok := pg["next_cursor"].(string); ok {
		c.expect(200, owner, "GET", "/api/v1/tokens?all=1&limit=1&cursor="+url.QueryEscape(cur), nil)
	} else {
		t.Errorf("tokens limit=1: want a next_cursor: %v", pg)
	}
	c.expect(200, nobody, "GET", "/api/v1/tokens", nil)
	c.expect(403, collab, "GET", "/api/v1/tokens?all=true", nil)
	c.expect(403, collab, "GET", fmt.Sprintf("/api/v1/tokens?person_id=%d", s.owner.ID), nil)
	c.expect(422, owner, "GET", "/api/v1/tokens?all=maybe", nil)
	c.expect(422, owner, "GET", "/api/v1/tokens?person_id=x&limit=0", nil)
	c.expect(422, owner, "GET", "/api/v1/tokens?person_id=1&all=true", nil)

	id := made["id"]
	c.expect(403, collab, "DELETE", fmt.Sprintf("/api/v1/tokens/%v", id), nil)
	if r := c.expect(200, owner, "DELETE", fmt.Sprintf("/api/v1/tokens/%v", id), nil); r["state"] != "revoked" || r["revoked_at"] == nil {
		t.Errorf("revoked: %v", r)
	}
	c.expect(200, owner, "DELETE", fmt.Sprintf("/api/v1/tokens/%v", id), nil)
	c.expect(401, secret, "GET", "/api/v1/tokens", nil)
	c.expect(404, owner, "DELETE", "/api/v1/tokens/abc", nil)
}

// I2, R3, L3: staff list, make and revoke their own tokens through the API; those with
// people.manage see everyone's and revoke the tokens of people strictly below them; a
// revoked token is refused at once.
func TestAPITokensOwnAndOthers_I2_R3(t *testing.T) {
	eachServer(t, func(t *testing.T, s *testServer) {
		agentP := s.mustStaff(frontdesk.RoleAgent, "agent@example.com")
		adminP := s.mustStaff(frontdesk.RoleAdmin, "admin@example.com")
		otherAdmin := s.mustStaff(frontdesk.RoleAdmin, "admin2@example.com")
		agent, admin, admin2 := s.mustToken(agentP.ID), s.mustToken(adminP.ID), s.mustToken(otherAdmin.ID)
		// tokenID finds the id of a token from the helper (named "test") by its own list.
		tokenID := func(secret string) string {
			t.Helper()
			r := s.do(secret, "GET", "/api/v1/tokens", nil)
			data, _ := r.JSON(t)["data"].([]any)
			for _, tok := range data {
				if m := tok.(map[string]any); m["name"] == "test" {
					return fmt.Sprint(m["id"])
				}
			}
			t.Fatalf("own tokens: %d %s", r.Status, r.Body)
			return ""
		}
		want := func(status int, secret, method, path string, body any) map[string]any {
			t.Helper()
			r := s.do(secret, method, path, body)
			if r.Status != status {
				t.Fatalf("%s %s: want %d, got %d %s", method, path, status, r.Status, r.Body)
			}
			return r.JSON(t)
		}

		// An agent makes a token, sees only their own, and may not look further.
		made := want(201, agent, "POST", "/api/v1/tokens", map[string]any{"name": "script"})
		extra := made["secret"].(string)
		list := want(200, agent, "GET", "/api/v1/tokens", nil)["data"].([]any)
		if len(list) != 2 {
			t.Fatalf("the agent's tokens: %v", list)
		}
		for _, tok := range list {
			if m := tok.(map[string]any); m["person_id"] != float64(agentP.ID) || m["hash"] != nil || m["secret"] != nil {
				t.Errorf("the agent sees %v", m)
			}
		}
		want(403, agent, "GET", "/api/v1/tokens?all=true", nil)
		want(403, agent, "GET", fmt.Sprintf("/api/v1/tokens?person_id=%d", adminP.ID), nil)

		// Nobody below an admin, nor another admin, cuts an admin off; the owner may.
		want(403, agent, "DELETE", "/api/v1/tokens/"+tokenID(admin), nil)
		want(403, admin2, "DELETE", "/api/v1/tokens/"+tokenID(admin), nil)
		want(403, admin, "DELETE", "/api/v1/tokens/"+tokenID(s.token), nil)
		want(200, admin, "GET", "/api/v1/tokens", nil)

		// An admin sees everyone's and revokes an agent's; that token is refused at once.
		all := want(200, admin, "GET", "/api/v1/tokens?all=true", nil)["data"].([]any)
		var names []string
		for _, tok := range all {
			names = append(names, tok.(map[string]any)["person_name"].(string))
		}
		if len(all) != 5 || !slices.Contains(names, "owner person") || !slices.Contains(names, "agent person") {
			t.Errorf("everyone's tokens: %v", names)
		}
		want(200, admin, "DELETE", fmt.Sprintf("/api/v1/tokens/%v", made["id"]), nil)
		want(401, extra, "GET", "/api/v1/tokens", nil)
		want(200, agent, "GET", "/api/v1/tokens", nil)

		// The agent revokes their own last token, and is out.
		want(200, agent, "DELETE", "/api/v1/tokens/"+tokenID(agent), nil)
		want(401, agent, "GET", "/api/v1/tokens", nil)

		// The owner revokes an admin's.
		want(200, s.token, "DELETE", "/api/v1/tokens/"+tokenID(admin2), nil)
		want(401, admin2, "GET", "/api/v1/tokens", nil)

		entries, _, err := s.db.ListAudit(context.Background(), frontdesk.AuditFilter{Action: "api_token.revoke"})
		if err != nil || len(entries) != 3 || *entries[0].ActorID != s.owner.ID || entries[0].SubjectID != otherAdmin.ID {
			t.Errorf("revocations audited: %+v %v", entries, err)
		}
	})
}
