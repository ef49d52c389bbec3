package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	"frontdesk"
)

// verifyAll confirms every address of a person, as following their links would.
func (s *testServer) verifyAll(id int64) {
	s.t.Helper()
	if _, err := s.db.UpdatePerson(context.Background(), id, func(p *frontdesk.Person) error {
		for i := range p.Emails {
			p.Emails[i].Verified = true
		}
		return nil
	}); err != nil {
		s.t.Fatal(err)
	}
}

func previewIDs(t *testing.T, out map[string]any, key string) (ids []int64, byDefault []int64) {
	t.Helper()
	list, _ := out[key].([]any)
	for _, x := range list {
		m := x.(map[string]any)
		id := int64(m["person_id"].(float64))
		ids = append(ids, id)
		if m["moved_by_default"] == true {
			byDefault = append(byDefault, id)
		}
	}
	return ids, byDefault
}

// X6: adding a domain previews the people with a confirmed address there who are elsewhere,
// changing nothing; applying adds the domain and moves those placed by a domain rule or by
// nobody, and of the others only those chosen; each move is audited.
func TestOrganizationDomainsPreviewAndApply_X6(t *testing.T) {
	eachServer(t, func(t *testing.T, s *testServer) {
		ctx := context.Background()
		acme := oaID(t, s.mustDo(201, "POST", "/api/v1/organizations", map[string]any{"name": "Acme"}))
		other := oaID(t, s.mustDo(201, "POST", "/api/v1/organizations", map[string]any{"name": "Other"}))
		person := func(body map[string]any, verify bool) int64 {
			id := oaID(t, s.mustDo(201, "POST", "/api/v1/people", body))
			if verify {
				s.verifyAll(id)
			}
			return id
		}
		free := person(map[string]any{"name": "Fay Free", "email": "fay@acme.example"}, true)
		byDomain := person(map[string]any{"name": "Dom Rule", "email": "dom@acme.example"}, true)
		if _, err := s.db.UpdatePerson(ctx, byDomain, func(p *frontdesk.Person) error {
			p.OrganizationID, p.OrganizationSource = &other, frontdesk.OrgSourceDomain
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		byHand := person(map[string]any{"name": "Han Manual", "email": "han@acme.example", "organization_id": other}, true)
		person(map[string]any{"name": "Una Unconfirmed", "email": "una@acme.example"}, false)
		staff := person(map[string]any{"name": "Ada Admin", "email": "ada@acme.example", "role": "admin"}, true)
		second := person(map[string]any{"name": "Sec Ond", "emails": []any{map[string]any{"address": "sec@home.example", "primary": true},
			map[string]any{"address": "sec@acme.example"}}}, true)
		inside := person(map[string]any{"name": "In Side", "email": "in@acme.example", "organization_id": acme}, true)
		person(map[string]any{"name": "Lookalike", "email": "look@notacme.example"}, true)

		pv := s.mustDo(200, "POST", fmt.Sprintf("/api/v1/organizations/%d/domains/preview", acme), map[string]any{"domains": []string{"ACME.example"}})
		ids, defaults := previewIDs(t, pv, "people")
		if !slices.Equal(ids, []int64{free, byDomain, byHand, staff, second}) || !slices.Equal(defaults, []int64{free, byDomain, second}) {
			t.Fatalf("preview: people %v, by default %v\n%v", ids, defaults, pv)
		}
		for _, x := range pv["people"].([]any) {
			m := x.(map[string]any)
			switch int64(m["person_id"].(float64)) {
			case byHand:
				if m["reason"] != "organization set by hand" || m["organization_name"] != "Other" || m["organization_source"] != "manual" {
					t.Errorf("the person placed by hand: %v", m)
				}
			case second:
				if m["address"] != "sec@acme.example" {
					t.Errorf("the second address: %v", m)
				}
			}
		}
		_ = inside
		if o, _ := s.db.GetOrganization(ctx, acme); len(o.Domains) != 0 {
			t.Errorf("the preview added domains: %v", o.Domains)
		}

		res := s.mustDo(200, "POST", fmt.Sprintf("/api/v1/organizations/%d/domains/apply", acme),
			map[string]any{"domains": []string{"acme.example"}, "include": []int64{byHand}, "exclude": []int64{second}})
		moved, _ := previewIDs(t, res, "moved")
		kept, _ := previewIDs(t, res, "kept")
		if !slices.Equal(moved, []int64{free, byDomain, byHand}) || !slices.Equal(kept, []int64{staff, second}) {
			t.Fatalf("apply: moved %v, kept %v\n%v", moved, kept, res)
		}
		for _, id := range moved {
			p, _ := s.db.GetPerson(ctx, id)
			if p.OrganizationID == nil || *p.OrganizationID != acme || p.OrganizationSource != frontdesk.OrgSourceDomain || p.SiteID != nil {
				t.Errorf("person %d after the move: org %v source %q", id, p.OrganizationID, p.OrganizationSource)
			}
		}
		for _, id := range kept {
			if p, _ := s.db.GetPerson(ctx, id); p.OrganizationID != nil && *p.OrganizationID == acme {
				t.Errorf("person %d moved though kept", id)
			}
		}
		if o, _ := s.db.GetOrganization(ctx, acme); !slices.Equal(o.Domains, []string{"acme.example"}) {
			t.Errorf("domains after the apply: %v", o.Domains)
		}
		entries, _, err := s.db.ListAudit(ctx, frontdesk.AuditFilter{})
		if err != nil {
			t.Fatal(err)
		}
		audited := map[int64]bool{}
		for _, e := range entries {
			var after struct {
				OrganizationID     int64  `json:"organization_id"`
				OrganizationSource string `json:"organization_source"`
			}
			if e.Action == "person.update" && json.Unmarshal(e.After, &after) == nil && after.OrganizationID == acme && after.OrganizationSource == "domain" {
				audited[e.SubjectID] = true
			}
		}
		for _, id := range moved {
			if !audited[id] {
				t.Errorf("the move of %d is not audited", id)
			}
		}
		// A person created afterwards with an address there joins by the domain rule.
		late := s.mustDo(201, "POST", "/api/v1/people", map[string]any{"name": "Late Comer", "email": "late@acme.example"})
		if late["organization_id"] != float64(acme) || late["organization_source"] != "domain" {
			t.Errorf("a later person: %v", late)
		}
	})
}

// X6, R3: an agent sees staff above them listed but cannot move them; a choice of someone
// not listed refuses the whole change and nothing is added; a collaborator may do neither.
func TestOrganizationDomainsAttackers_X6(t *testing.T) {
	eachServer(t, func(t *testing.T, s *testServer) {
		ctx := context.Background()
		acme := oaID(t, s.mustDo(201, "POST", "/api/v1/organizations", map[string]any{"name": "Acme"}))
		admin := s.mustStaff(frontdesk.RoleAdmin, "boss@acme.example")
		s.verifyAll(admin.ID)
		stranger := oaID(t, s.mustDo(201, "POST", "/api/v1/people", map[string]any{"name": "Str Anger", "email": "s@else.example"}))
		agent := s.mustToken(s.mustStaff(frontdesk.RoleAgent, "agent@example.com").ID)
		path := fmt.Sprintf("/api/v1/organizations/%d/domains/", acme)
		r := s.do(agent, "POST", path+"preview", map[string]any{"domains": []string{"acme.example"}})
		if r.Status != 200 {
			t.Fatalf("agent preview: %d %s", r.Status, r.Body)
		}
		if m := r.JSON(t)["people"].([]any)[0].(map[string]any); m["movable"] != false || m["moved_by_default"] != false {
			t.Errorf("an admin in an agent's preview: %v", m)
		}
		for _, body := range []map[string]any{
			{"domains": []string{"acme.example"}, "include": []int64{admin.ID}},
			{"domains": []string{"acme.example"}, "include": []int64{stranger}},
			{"domains": []string{"not a domain"}},
		} {
			if r := s.do(agent, "POST", path+"apply", body); r.Status != 422 {
				t.Errorf("agent apply %v: %d %s", body, r.Status, r.Body)
			}
		}
		if o, _ := s.db.GetOrganization(ctx, acme); len(o.Domains) != 0 {
			t.Errorf("a refused change added domains: %v", o.Domains)
		}
		if p, _ := s.db.GetPerson(ctx, admin.ID); p.OrganizationID != nil {
			t.Errorf("the admin moved")
		}
		collab := s.mustToken(s.mustStaff(frontdesk.RoleCollaborator, "collab@example.com").ID)
		for _, op := range []string{"preview", "apply"} {
			if r := s.do(collab, "POST", path+op, map[string]any{"domains": []string{"acme.example"}}); r.Status != 403 {
				t.Errorf("collaborator %s: %d", op, r.Status)
			}
		}
		if r := s.do(s.token, "POST", "/api/v1/organizations/999999/domains/preview", map[string]any{}); r.Status != 404 {
			t.Errorf("unknown organization: %d", r.Status)
		}
	})
}
