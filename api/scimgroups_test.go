package api_test

import (
	"context"
	"fmt"

	"frontdesk"
)

// walkSCIMGroups requests the SCIM group routes (B6) for the OpenAPI walk: every status each
// documents but those the walk checks for all routes alike.
func (c *oaChecker) walkSCIMGroups() {
	t, s, owner := c.t, c.s, c.s.token
	ctx := frontdesk.WithActor(context.Background(), frontdesk.System)
	g := &frontdesk.SCIMGroup{DisplayName: "Engineering", ExternalID: "okta-eng"}
	if err := s.db.CreateSCIMGroup(ctx, g); err != nil {
		t.Fatal(err)
	}
	org := &frontdesk.Organization{Name: "SCIM Org"}
	if err := s.db.CreateOrganization(ctx, org); err != nil {
		t.Fatal(err)
	}
	l := c.expect(200, owner, "GET", "/api/v1/scim-groups?limit=1", nil)
	if data := l["data"].([]any); len(data) != 1 || data[0].(map[string]any)["display_name"] != "Engineering" {
		t.Errorf("SCIM groups: %v", l)
	}
	c.expect(422, owner, "GET", "/api/v1/scim-groups?limit=0", nil)
	path := fmt.Sprintf("/api/v1/scim-groups/%d", g.ID)
	m := c.expect(200, owner, "PATCH", path, oaObj{"organization_id": org.ID})
	if m["organization_id"] != float64(org.ID) || m["staff_role_id"] != nil {
		t.Errorf("mapped: %v", m)
	}
	c.expect(200, owner, "PATCH", path, oaObj{"organization_id": nil})
	c.expect(422, owner, "PATCH", path, oaObj{"staff_role_id": 999999})
}
