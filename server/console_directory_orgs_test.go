package server_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"frontdesk"
	"frontdesk/store/storetest"
)

// L7: each row of the directory names the person's organization, whether the organization
// is among the filter's choices (read with ids and names in one statement) or beyond them
// (more organizations than a choice list holds: their names come in one statement for the
// page), and no organization's domains or other fields are read for it.
func TestDirectoryNamesOrganizations_L7(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			a := newApp(t, engine)
			sys := frontdesk.WithActor(context.Background(), frontdesk.System)
			a.mustOwner(t, "owner@example.com", "owner-password-1")
			var orgs []*frontdesk.Organization
			for i := range frontdesk.MaxPageSize + 1 {
				o := &frontdesk.Organization{}
				name := fmt.Sprintf("Org <%03d>", i)
				if err := frontdesk.ApplyOrganization(o, frontdesk.OrganizationInput{Name: &name, Domains: &[]string{}}); err != nil {
					t.Fatal(err)
				}
				if err := a.DB.CreateOrganization(sys, o); err != nil {
					t.Fatal(err)
				}
				orgs = append(orgs, o)
			}
			first, last := orgs[0], orgs[len(orgs)-1]
			for _, o := range []*frontdesk.Organization{first, last} {
				p := a.mustPerson(t, "Member Of"+fmt.Sprint(o.ID), fmt.Sprintf("m%d@example.com", o.ID), frontdesk.StateActive)
				if _, err := a.DB.UpdatePerson(sys, p.ID, func(p *frontdesk.Person) error { p.OrganizationID = &o.ID; return nil }); err != nil {
					t.Fatal(err)
				}
			}
			c := a.client(t)
			c.mustLogIn("owner@example.com", "owner-password-1")
			for _, path := range []string{"/console/people", "/console/people?q=member"} {
				res := c.get(path)
				if res.Status != 200 {
					t.Fatalf("%s: %d", path, res.Status)
				}
				for _, o := range []*frontdesk.Organization{first, last} {
					if !strings.Contains(res.Body, "<td>Org &lt;"+o.Name[5:8]+"&gt;</td></tr>") {
						t.Errorf("%s: no row names %q", path, o.Name)
					}
				}
			}
		})
	}
}
