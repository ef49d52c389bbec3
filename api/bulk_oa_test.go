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
}
