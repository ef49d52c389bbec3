package api_test

import "fmt"

// walkBulk requests the bulk routes (X7, X8) with each answer they document.
func (c *oaChecker) walkBulk() {
	owner := c.s.token
	items := []any{oaObj{"external_id": "oa-1", "name": "Oa One", "email": "oa1@example.com"}, oaObj{"external_id": "oa-2", "email": "not an address"}}
	c.expect(200, owner, "POST", "/api/v1/people/bulk", oaObj{"key": "external_id", "items": items})
	c.expect(200, owner, "POST", "/api/v1/people/bulk", oaObj{"items": []any{oaObj{"external_id": "oa-1", "notes": "again"}}}, "Idempotency-Key", "oa-bulk")
	c.expect(200, owner, "POST", "/api/v1/people/bulk", oaObj{"items": []any{oaObj{"external_id": "oa-1", "notes": "again"}}}, "Idempotency-Key", "oa-bulk")
	c.expect(422, owner, "POST", "/api/v1/people/bulk", oaObj{"key": "phone", "items": items})
	many := make([]any, 1001)
	for i := range many {
		many[i] = oaObj{"external_id": fmt.Sprintf("oa-many-%d", i)}
	}
	c.expect(413, owner, "POST", "/api/v1/people/bulk", oaObj{"items": many})

	c.expect(200, owner, "POST", "/api/v1/people/invitations", oaObj{"filter": oaObj{"state": []string{"not_activated"}}, "purpose": "confirmation", "lifetime_hours": 48})
	c.expect(200, owner, "POST", "/api/v1/people/invitations", oaObj{"filter": oaObj{}, "purpose": "welcome", "lifetime_hours": 1})
	c.expect(422, owner, "POST", "/api/v1/people/invitations", oaObj{"filter": oaObj{}, "purpose": "spam", "lifetime_hours": 0})

	// X6.
	org := oaID(c.t, c.expect(201, owner, "POST", "/api/v1/organizations", oaObj{"name": "Domain Walk"}))
	other := oaID(c.t, c.expect(201, owner, "POST", "/api/v1/organizations", oaObj{"name": "Domain Owner", "domains": []string{"owned.example"}}))
	moved := oaID(c.t, c.expect(201, owner, "POST", "/api/v1/people", oaObj{"name": "Walk Er", "email": "walker@walk.example", "organization_id": other}))
	c.s.verifyAll(moved)
	c.expect(200, owner, "POST", fmt.Sprintf("/api/v1/organizations/%d/domains/preview", org), oaObj{"domains": []string{"walk.example"}})
	c.expect(200, owner, "POST", fmt.Sprintf("/api/v1/organizations/%d/domains/preview", org), oaObj{})
	c.expect(422, owner, "POST", fmt.Sprintf("/api/v1/organizations/%d/domains/preview", org), oaObj{"domains": []string{"not a domain"}})
	c.expect(200, owner, "POST", fmt.Sprintf("/api/v1/organizations/%d/domains/apply", org), oaObj{"domains": []string{"walk.example"}, "include": []int64{moved}})
	c.expect(200, owner, "POST", fmt.Sprintf("/api/v1/organizations/%d/domains/apply", org), oaObj{})
	c.expect(409, owner, "POST", fmt.Sprintf("/api/v1/organizations/%d/domains/apply", org), oaObj{"domains": []string{"owned.example"}})
	c.expect(422, owner, "POST", fmt.Sprintf("/api/v1/organizations/%d/domains/apply", org), oaObj{"include": []int64{999999}})
}
