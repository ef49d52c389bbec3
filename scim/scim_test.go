package scim_test

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"frontdesk"
	"frontdesk/scim"
)

// B6: discovery says exactly what is supported, and every endpoint wants a token with the
// scim.provision permission.
func TestB6DiscoveryAndAuth(t *testing.T) {
	eachSCIM(t, func(t *testing.T, s *scimServer) {
		spc := s.must(200, "GET", "/scim/v2/ServiceProviderConfig", nil)
		want := map[string]bool{"patch": true, "bulk": false, "filter": true, "changePassword": false, "sort": false, "etag": true}
		for k, v := range want {
			if got := spc[k].(map[string]any)["supported"]; got != v {
				t.Errorf("ServiceProviderConfig %s.supported = %v, want %v", k, got, v)
			}
		}
		if got := num(spc["filter"].(map[string]any)["maxResults"]); got != scim.MaxResults {
			t.Errorf("filter.maxResults = %d", got)
		}
		rts := s.must(200, "GET", "/scim/v2/ResourceTypes", nil)
		if num(rts["totalResults"]) != 2 {
			t.Errorf("resource types: %v", rts)
		}
		s.must(200, "GET", "/scim/v2/ResourceTypes/User", nil)
		schemas := s.must(200, "GET", "/scim/v2/Schemas", nil)
		var ids []string
		for _, r := range resources(t, schemas) {
			ids = append(ids, r["id"].(string))
		}
		for _, id := range []string{scim.SchemaUser, scim.SchemaGroup, scim.SchemaEnterpriseUser} {
			if !slices.Contains(ids, id) {
				t.Errorf("Schemas lacks %s: %v", id, ids)
			}
		}
		s.must(200, "GET", "/scim/v2/Schemas/"+scim.SchemaEnterpriseUser, nil)

		// No token: 401 as a SCIM error; a bad token too.
		for _, tok := range []string{"", "not-a-token"} {
			r := s.do(tok, "GET", "/scim/v2/Users", nil)
			m := r.JSON(t)
			if r.Status != 401 || m["status"] != "401" || m["schemas"].([]any)[0] != scim.SchemaError {
				t.Errorf("token %q: %d %s", tok, r.Status, r.Body)
			}
		}
		// An agent's token lacks scim.provision: 403 as a SCIM error, nothing created.
		agent := s.mustStaff(frontdesk.RoleAgent, "agent@example.com")
		r := s.do(s.mustToken(agent.ID), "POST", "/scim/v2/Users", map[string]any{"userName": "x"})
		if m := r.JSON(t); r.Status != 403 || m["status"] != "403" {
			t.Errorf("agent: %d %s", r.Status, r.Body)
		}
		// A custom staff role carrying scim.provision may provision.
		sr := &frontdesk.StaffRole{Name: "Provisioner", BaseRole: frontdesk.RoleAdmin, Permissions: []frontdesk.Permission{frontdesk.PermSCIMProvision}}
		if err := s.db.CreateStaffRole(context.Background(), sr); err != nil {
			t.Fatal(err)
		}
		prov := s.mustStaff(frontdesk.RoleAdmin, "prov@example.com")
		if _, err := s.db.UpdatePerson(context.Background(), prov.ID, func(p *frontdesk.Person) error { p.StaffRoleID = &sr.ID; return nil }); err != nil {
			t.Fatal(err)
		}
		if r := s.do(s.mustToken(prov.ID), "POST", "/scim/v2/Users", map[string]any{"userName": "made.by.role"}); r.Status != 201 {
			t.Errorf("provisioner role: %d %s", r.Status, r.Body)
		}
	})
}

// B6: Okta's documented sequence: look the user up by userName, create, deactivate with a
// PATCH of active as a boolean, change attributes, push a group and its members.
func TestB6OktaSequence(t *testing.T) {
	eachSCIM(t, func(t *testing.T, s *scimServer) {
		list := s.must(200, "GET", "/scim/v2/Users?filter="+url.QueryEscape(`userName eq "test.user@okta.local"`)+"&startIndex=1&count=100", nil)
		if num(list["totalResults"]) != 0 || len(resources(t, list)) != 0 || num(list["startIndex"]) != 1 {
			t.Fatalf("lookup before create: %v", list)
		}
		created := s.must(201, "POST", "/scim/v2/Users", `{
			"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
			"userName": "test.user@okta.local",
			"name": {"givenName": "Test", "familyName": "User"},
			"emails": [{"primary": true, "value": "test.user@okta.local", "type": "work"}],
			"displayName": "Test User",
			"locale": "en-US",
			"externalId": "00ujl29u0le5T6Aj10h7",
			"groups": [],
			"password": "1mz050nq",
			"active": true
		}`)
		id := created["id"].(string)
		p := s.person(id)
		if p.Username != "test.user@okta.local" || p.FirstName != "Test" || p.LastName != "User" || p.PreferredName != "Test User" ||
			p.ExternalID != "00ujl29u0le5T6Aj10h7" || p.Locale != "en-US" || p.State != frontdesk.StateActive || p.Channel != frontdesk.ChannelSCIM {
			t.Fatalf("created person: %+v", p)
		}
		if len(p.Emails) != 1 || !p.Emails[0].Verified || !p.Emails[0].Primary {
			t.Fatalf("the provider's address counts as verified: %+v", p.Emails)
		}
		if created["active"] != true || created["userName"] != "test.user@okta.local" {
			t.Fatalf("created: %v", created)
		}
		list = s.must(200, "GET", "/scim/v2/Users?filter="+url.QueryEscape(`userName eq "Test.User@okta.local"`)+"&startIndex=1&count=100", nil)
		if num(list["totalResults"]) != 1 || resources(t, list)[0]["id"] != id {
			t.Fatalf("lookup after create: %v", list)
		}
		got := s.must(200, "GET", "/scim/v2/Users/"+id, nil)
		if got["meta"].(map[string]any)["location"] == "" || got["schemas"].([]any)[0] != scim.SchemaUser {
			t.Fatalf("get: %v", got)
		}

		// Profile change: Okta PUTs the whole user.
		s.must(200, "PUT", "/scim/v2/Users/"+id, `{
			"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
			"id": "`+id+`",
			"userName": "test.user@okta.local",
			"name": {"givenName": "Another", "familyName": "User"},
			"emails": [{"primary": true, "value": "test.user@okta.local", "type": "work"}],
			"displayName": "Another User",
			"locale": "en-US",
			"externalId": "00ujl29u0le5T6Aj10h7",
			"groups": [],
			"active": true
		}`)
		if p := s.person(id); p.FirstName != "Another" || p.PreferredName != "Another User" {
			t.Fatalf("after PUT: %+v", p)
		}
		// PATCH replace of attributes without a path.
		s.must(200, "PATCH", "/scim/v2/Users/"+id, patchOp(map[string]any{"op": "replace", "value": map[string]any{
			"name": map[string]any{"familyName": "Person"}, "title": "Engineer"}}))
		p = s.person(id)
		if p.FirstName != "Another" || p.LastName != "Person" {
			t.Fatalf("after PATCH of name.familyName: %+v", p)
		}
		if got := s.must(200, "GET", "/scim/v2/Users/"+id, nil); got["title"] != "Engineer" {
			t.Fatalf("title is kept as sent: %v", got)
		}

		// Deactivate: active false as a boolean, without a path.
		deact := s.must(200, "PATCH", "/scim/v2/Users/"+id, patchOp(map[string]any{"op": "replace", "value": map[string]any{"active": false}}))
		if deact["active"] != false || s.person(id).State != frontdesk.StateDisabled {
			t.Fatalf("deactivated: %v, state %s", deact["active"], s.person(id).State)
		}
		// Reactivate.
		s.must(200, "PATCH", "/scim/v2/Users/"+id, patchOp(map[string]any{"op": "replace", "value": map[string]any{"active": true}}))
		if st := s.person(id).State; st != frontdesk.StateActive {
			t.Fatalf("reactivated: %s", st)
		}

		// Group push.
		other := s.must(201, "POST", "/scim/v2/Users", map[string]any{"userName": "second@okta.local", "name": map[string]any{"givenName": "Second", "familyName": "Person"}})
		oid := other["id"].(string)
		g := s.must(201, "POST", "/scim/v2/Groups", `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Test SCIMv2", "members": []}`)
		gid := g["id"].(string)
		gl := s.must(200, "GET", "/scim/v2/Groups?filter="+url.QueryEscape(`displayName eq "Test SCIMv2"`)+"&startIndex=1&count=100", nil)
		if num(gl["totalResults"]) != 1 || resources(t, gl)[0]["id"] != gid {
			t.Fatalf("group lookup: %v", gl)
		}
		s.must(200, "PATCH", "/scim/v2/Groups/"+gid, patchOp(map[string]any{"op": "replace", "value": map[string]any{"id": gid, "displayName": "Test SCIMv2 renamed"}}))
		s.must(200, "PATCH", "/scim/v2/Groups/"+gid, patchOp(map[string]any{"op": "add", "path": "members", "value": []any{
			map[string]any{"value": id, "display": "test.user@okta.local"}, map[string]any{"value": oid, "display": "second@okta.local"}}}))
		got = s.must(200, "GET", "/scim/v2/Groups/"+gid, nil)
		if got["displayName"] != "Test SCIMv2 renamed" || len(got["members"].([]any)) != 2 {
			t.Fatalf("group after rename and add: %v", got)
		}
		user := s.must(200, "GET", "/scim/v2/Users/"+id, nil)
		if gs, _ := user["groups"].([]any); len(gs) != 1 || gs[0].(map[string]any)["value"] != gid {
			t.Fatalf("the user lists the group: %v", user["groups"])
		}
		s.must(200, "PATCH", "/scim/v2/Groups/"+gid, patchOp(map[string]any{"op": "remove", "path": `members[value eq "` + id + `"]`}))
		got = s.must(200, "GET", "/scim/v2/Groups/"+gid+"?excludedAttributes=members", nil)
		if _, has := got["members"]; has {
			t.Fatalf("excludedAttributes=members: %v", got)
		}
		got = s.must(200, "GET", "/scim/v2/Groups/"+gid, nil)
		if m := got["members"].([]any); len(m) != 1 || m[0].(map[string]any)["value"] != oid {
			t.Fatalf("after removing one member: %v", got["members"])
		}
		s.must(204, "DELETE", "/scim/v2/Groups/"+gid, nil)
		s.mustError(404, "", "GET", "/scim/v2/Groups/"+gid, nil)
		if s.person(oid).State != frontdesk.StateActive {
			t.Fatal("deleting a group leaves its people")
		}
	})
}

// B6: Microsoft Entra ID's documented sequence: filter on userName, create with the
// enterprise extension, PATCH with capitalised ops, "False" as a string for active, value
// paths on emails, members added and removed by listing them.
func TestB6EntraSequence(t *testing.T) {
	eachSCIM(t, func(t *testing.T, s *scimServer) {
		userName := "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1"
		list := s.must(200, "GET", "/scim/v2/Users?filter="+url.QueryEscape(`userName eq "`+userName+`"`), nil)
		if num(list["totalResults"]) != 0 {
			t.Fatalf("lookup: %v", list)
		}
		created := s.must(201, "POST", "/scim/v2/Users", `{
			"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
			"externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
			"userName": "`+userName+`",
			"active": true,
			"emails": [{"primary": true, "type": "work", "value": "Test_User_fd0ea19b@testuser.com"}],
			"meta": {"resourceType": "User"},
			"name": {"formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName"},
			"roles": [],
			"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"employeeNumber": "701984", "department": "Tour Operations",
				"organization": "Universal Studios"}
		}`)
		id := created["id"].(string)
		ext, _ := created[scim.SchemaEnterpriseUser].(map[string]any)
		if ext["employeeNumber"] != "701984" || ext["department"] != "Tour Operations" {
			t.Fatalf("enterprise extension: %v", created)
		}
		if !slices.Contains(created["schemas"].([]any), any(scim.SchemaEnterpriseUser)) {
			t.Fatalf("schemas name the extension: %v", created["schemas"])
		}
		p := s.person(id)
		if p.Username != strings.ToLower(userName) || p.FirstName != "givenName" || p.LastName != "familyName" {
			t.Fatalf("created: %+v", p)
		}
		list = s.must(200, "GET", "/scim/v2/Users?filter="+url.QueryEscape(`userName eq "`+userName+`"`), nil)
		if num(list["totalResults"]) != 1 {
			t.Fatalf("lookup is case-insensitive: %v", list)
		}

		s.must(200, "PATCH", "/scim/v2/Users/"+id, `{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [
			{"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "updatedEmail@microsoft.com"},
			{"op": "Replace", "path": "name.familyName", "value": "updatedFamilyName"},
			{"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "Sales"},
			{"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": "2819c223"},
			{"op": "Add", "path": "phoneNumbers[type eq \"mobile\"].value", "value": "+1 415 555 0100"}
		]}`)
		p = s.person(id)
		if p.LastName != "updatedFamilyName" || p.PrimaryEmail() != "updatedemail@microsoft.com" || !p.Emails[0].Verified {
			t.Fatalf("after PATCH: %+v", p)
		}
		if len(p.Phones) != 1 || p.Phones[0].Number != "+14155550100" || p.Phones[0].Label != "mobile" {
			t.Fatalf("phone added through a value path: %+v", p.Phones)
		}
		got := s.must(200, "GET", "/scim/v2/Users/"+id, nil)
		ext = got[scim.SchemaEnterpriseUser].(map[string]any)
		if ext["department"] != "Sales" || ext["employeeNumber"] != "701984" || ext["manager"].(map[string]any)["value"] != "2819c223" {
			t.Fatalf("enterprise after PATCH: %v", ext)
		}
		if e := got["emails"].([]any)[0].(map[string]any); e["type"] != "work" || e["value"] != "updatedemail@microsoft.com" {
			t.Fatalf("email keeps its type: %v", e)
		}

		// Disable with "False" as a string, as Entra sends it.
		s.must(200, "PATCH", "/scim/v2/Users/"+id, `{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
			"Operations": [{"op": "Replace", "path": "active", "value": "False"}]}`)
		if st := s.person(id).State; st != frontdesk.StateDisabled {
			t.Fatalf("after active \"False\": %s", st)
		}
		s.must(200, "PATCH", "/scim/v2/Users/"+id, `{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
			"Operations": [{"op": "Replace", "path": "active", "value": "True"}]}`)
		if st := s.person(id).State; st != frontdesk.StateActive {
			t.Fatalf("after active \"True\": %s", st)
		}

		// Groups.
		g := s.must(201, "POST", "/scim/v2/Groups", `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group",
			"http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
			"externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159", "displayName": "displayName", "meta": {"resourceType": "Group"}}`)
		gid := g["id"].(string)
		gl := s.must(200, "GET", "/scim/v2/Groups?excludedAttributes=members&filter="+url.QueryEscape(`displayName eq "displayName"`), nil)
		if num(gl["totalResults"]) != 1 {
			t.Fatalf("group filter: %v", gl)
		}
		s.must(200, "PATCH", "/scim/v2/Groups/"+gid, `{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
			"Operations": [{"op": "Add", "path": "members", "value": [{"$ref": null, "value": "`+id+`"}]}]}`)
		got = s.must(200, "GET", "/scim/v2/Groups/"+gid, nil)
		if len(got["members"].([]any)) != 1 {
			t.Fatalf("member added: %v", got)
		}
		gl = s.must(200, "GET", "/scim/v2/Groups?filter="+url.QueryEscape(`id eq "`+gid+`" and members eq "`+id+`"`)+"&excludedAttributes=members", nil)
		if num(gl["totalResults"]) != 1 {
			t.Fatalf("membership check by filter: %v", gl)
		}
		s.must(200, "PATCH", "/scim/v2/Groups/"+gid, `{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
			"Operations": [{"op": "Remove", "path": "members", "value": [{"$ref": null, "value": "`+id+`"}]}]}`)
		got = s.must(200, "GET", "/scim/v2/Groups/"+gid, nil)
		if len(got["members"].([]any)) != 0 {
			t.Fatalf("member removed: %v", got)
		}
		s.must(200, "PATCH", "/scim/v2/Groups/"+gid, `{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
			"Operations": [{"op": "Replace", "path": "displayName", "value": "1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName"}]}`)
		if got := s.must(200, "GET", "/scim/v2/Groups/"+gid, nil); got["displayName"] != "1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName" {
			t.Fatalf("renamed: %v", got)
		}

		// Hard delete: deprovisioned, never erased.
		s.must(204, "DELETE", "/scim/v2/Users/"+id, nil)
		if p := s.person(id); p.State != frontdesk.StateDisabled {
			t.Fatalf("after DELETE: %s", p.State)
		}
	})
}

// B6 (Bad input): malformed filters answer 400 invalidFilter, bad PATCH paths invalidPath,
// and nothing changes.
func TestB6InvalidFiltersAndPaths(t *testing.T) {
	eachSCIM(t, func(t *testing.T, s *scimServer) {
		for _, f := range []string{`userName eq`, `userName eq "x`, `(userName eq "x"`, `userName zz "x"`, `eq "x"`, `userName eq "x" and`,
			`nosuch eq "x"`, `active eq "maybe"`, `meta.lastModified gt "yesterday"`, `userName[`} {
			s.mustError(400, "invalidFilter", "GET", filterQuery(f), nil)
		}
		s.mustError(400, "invalidFilter", "GET", "/scim/v2/Groups?filter="+url.QueryEscape(`displayName eq`), nil)
		u := s.must(201, "POST", "/scim/v2/Users", map[string]any{"userName": "paths", "name": map[string]any{"givenName": "Path"}})
		id := u["id"].(string)
		before := s.person(id)
		for _, path := range []string{`emails[type eq "work"`, `nosuch`, `name..givenName`, `emails[type zz "work"].value`, `urn:example:nosuch:attr`} {
			s.mustError(400, "invalidPath", "PATCH", "/scim/v2/Users/"+id, patchOp(map[string]any{"op": "replace", "path": path, "value": "x"}))
		}
		s.mustError(400, "noTarget", "PATCH", "/scim/v2/Users/"+id, patchOp(map[string]any{"op": "remove"}))
		s.mustError(400, "invalidSyntax", "PATCH", "/scim/v2/Users/"+id, patchOp(map[string]any{"op": "move", "path": "title", "value": "x"}))
		s.mustError(400, "invalidValue", "PATCH", "/scim/v2/Users/"+id, patchOp(map[string]any{"op": "replace", "path": "active", "value": "perhaps"}))
		s.mustError(400, "invalidValue", "PATCH", "/scim/v2/Users/"+id, patchOp(map[string]any{"op": "replace", "path": "emails", "value": []any{map[string]any{"value": "not an address"}}}))
		s.mustError(400, "invalidValue", "POST", "/scim/v2/Users", map[string]any{"name": map[string]any{"givenName": "No username"}})
		s.mustError(400, "invalidSyntax", "POST", "/scim/v2/Users", `{"userName": `)
		g := s.must(201, "POST", "/scim/v2/Groups", map[string]any{"displayName": "G"})
		s.mustError(400, "invalidPath", "PATCH", "/scim/v2/Groups/"+g["id"].(string), patchOp(map[string]any{"op": "add", "path": "owners", "value": "x"}))
		s.mustError(400, "mutability", "PATCH", "/scim/v2/Groups/"+g["id"].(string), patchOp(map[string]any{"op": "remove", "path": "displayName"}))
		s.mustError(400, "invalidValue", "PATCH", "/scim/v2/Groups/"+g["id"].(string), patchOp(map[string]any{"op": "add", "path": "members", "value": []any{map[string]any{"value": "999999"}}}))
		if after := s.person(id); after.UpdatedAt != before.UpdatedAt {
			t.Fatal("a refused PATCH changed the person")
		}
	})
}

// B6: uniqueness conflicts answer 409 with scimType uniqueness.
func TestB6Uniqueness(t *testing.T) {
	eachSCIM(t, func(t *testing.T, s *scimServer) {
		s.must(201, "POST", "/scim/v2/Users", map[string]any{"userName": "dup", "emails": []any{map[string]any{"value": "dup@example.com"}}, "externalId": "E1"})
		s.mustError(409, "uniqueness", "POST", "/scim/v2/Users", map[string]any{"userName": "DUP"})
		s.mustError(409, "uniqueness", "POST", "/scim/v2/Users", map[string]any{"userName": "other", "emails": []any{map[string]any{"value": "Dup@Example.com"}}})
		s.mustError(409, "uniqueness", "POST", "/scim/v2/Users", map[string]any{"userName": "third", "externalId": "E1"})
		s.must(201, "POST", "/scim/v2/Groups", map[string]any{"displayName": "Team"})
		s.mustError(409, "uniqueness", "POST", "/scim/v2/Groups", map[string]any{"displayName": "team"})
	})
}

// B6: ETags on users and groups; If-Match that names another version is refused with 412
// and changes nothing.
func TestB6ETags(t *testing.T) {
	eachSCIM(t, func(t *testing.T, s *scimServer) {
		r := s.do(s.token, "POST", "/scim/v2/Users", map[string]any{"userName": "etag", "name": map[string]any{"givenName": "E"}})
		etag := r.Header.Get("ETag")
		id := r.JSON(t)["id"].(string)
		if !strings.HasPrefix(etag, `W/"`) || r.JSON(t)["meta"].(map[string]any)["version"] != etag {
			t.Fatalf("ETag %q, meta %v", etag, r.JSON(t)["meta"])
		}
		if r := s.do(s.token, "GET", "/scim/v2/Users/"+id, nil, "If-None-Match", etag); r.Status != 304 {
			t.Fatalf("If-None-Match: %d", r.Status)
		}
		body := map[string]any{"userName": "etag", "name": map[string]any{"givenName": "F"}}
		s.mustError(412, "", "PUT", "/scim/v2/Users/"+id, body, "If-Match", `W/"1"`)
		s.mustError(412, "", "PATCH", "/scim/v2/Users/"+id, patchOp(map[string]any{"op": "replace", "path": "displayName", "value": "x"}), "If-Match", `W/"1"`)
		s.mustError(412, "", "DELETE", "/scim/v2/Users/"+id, nil, "If-Match", `W/"1"`)
		if p := s.person(id); p.FirstName != "E" || p.State != frontdesk.StateActive {
			t.Fatalf("a refused If-Match changed the person: %+v", p)
		}
		r = s.do(s.token, "PUT", "/scim/v2/Users/"+id, body, "If-Match", etag)
		if r.Status != 200 || r.Header.Get("ETag") == etag {
			t.Fatalf("PUT with the right ETag: %d %s, new ETag %q", r.Status, r.Body, r.Header.Get("ETag"))
		}
		s.mustError(412, "", "PUT", "/scim/v2/Users/"+id, body, "If-Match", etag) // the old one

		gr := s.do(s.token, "POST", "/scim/v2/Groups", map[string]any{"displayName": "Versioned"})
		gid, getag := gr.JSON(t)["id"].(string), gr.Header.Get("ETag")
		s.mustError(412, "", "PATCH", "/scim/v2/Groups/"+gid, patchOp(map[string]any{"op": "add", "path": "members", "value": []any{map[string]any{"value": id}}}), "If-Match", `W/"99"`)
		r = s.do(s.token, "PATCH", "/scim/v2/Groups/"+gid, patchOp(map[string]any{"op": "add", "path": "members", "value": []any{map[string]any{"value": id}}}), "If-Match", getag)
		if r.Status != 200 || r.Header.Get("ETag") == getag {
			t.Fatalf("group PATCH with the right ETag: %d, ETag %q", r.Status, r.Header.Get("ETag"))
		}
		s.mustError(412, "", "DELETE", "/scim/v2/Groups/"+gid, nil, "If-Match", getag)
	})
}

// B6, L3: deprovisioning (DELETE, or active false) disables the person through the
// transition table, which ends their sessions and API tokens; nothing is erased.
func TestB6DeprovisionRevokesSessions(t *testing.T) {
	eachSCIM(t, func(t *testing.T, s *scimServer) {
		ctx := context.Background()
		for _, how := range []string{"delete", "patch"} {
			u := s.must(201, "POST", "/scim/v2/Users", map[string]any{"userName": "leaver-" + how, "emails": []any{map[string]any{"value": how + "@leaver.example"}}})
			id := u["id"].(string)
			p := s.person(id)
			if _, err := s.db.CreateSession(ctx, "secret-"+how+"-0123456789abcdef", p.ID, time.Hour, "test", "127.0.0.1"); err != nil {
				t.Fatal(err)
			}
			if live, _ := s.db.ListSessions(ctx, p.ID); len(live) != 1 {
				t.Fatalf("sessions before: %d", len(live))
			}
			if how == "delete" {
				s.must(204, "DELETE", "/scim/v2/Users/"+id, nil)
			} else {
				s.must(200, "PATCH", "/scim/v2/Users/"+id, patchOp(map[string]any{"op": "replace", "path": "active", "value": false}))
			}
			if live, _ := s.db.ListSessions(ctx, p.ID); len(live) != 0 {
				t.Fatalf("%s: the session outlived deprovisioning", how)
			}
			after := s.person(id)
			if after.State != frontdesk.StateDisabled || after.PrimaryEmail() != how+"@leaver.example" {
				t.Fatalf("%s: %+v", how, after)
			}
			if got := s.must(200, "GET", "/scim/v2/Users/"+id, nil); got["active"] != false {
				t.Fatalf("%s: SCIM shows %v", how, got["active"])
			}
		}
		// A provider never reaches its token's owner or the owner (R3).
		s.mustError(403, "", "DELETE", fmt.Sprintf("/scim/v2/Users/%d", s.owner.ID), nil)
		if p, _ := s.db.GetPerson(ctx, s.owner.ID); p.State != frontdesk.StateActive {
			t.Fatal("the owner was disabled")
		}
	})
}

// B6: startIndex and count (RFC 7644 3.4.2.4): 1-based, clamped, totalResults counts all.
func TestB6Pagination(t *testing.T) {
	eachSCIM(t, func(t *testing.T, s *scimServer) {
		var ids []string
		for i := range 7 {
			u := s.must(201, "POST", "/scim/v2/Users", map[string]any{"userName": fmt.Sprintf("page%d", i), "title": "paged"})
			ids = append(ids, u["id"].(string))
		}
		f := url.QueryEscape(`userName sw "page"`)
		cases := []struct {
			query      string
			start, per int
			first      string
		}{
			{"", 1, 7, ids[0]},
			{"&startIndex=1&count=3", 1, 3, ids[0]},
			{"&startIndex=4&count=3", 4, 3, ids[3]},
			{"&startIndex=7&count=3", 7, 1, ids[6]},
			{"&startIndex=8&count=3", 8, 0, ""},
			{"&startIndex=0&count=2", 1, 2, ids[0]},
			{"&startIndex=-5&count=2", 1, 2, ids[0]},
			{"&count=0", 1, 0, ""},
			{"&count=-1", 1, 0, ""},
		}
		for _, c := range cases {
			l := s.must(200, "GET", "/scim/v2/Users?filter="+f+c.query, nil)
			rs := resources(t, l)
			if num(l["totalResults"]) != 7 || num(l["startIndex"]) != c.start || num(l["itemsPerPage"]) != c.per || len(rs) != c.per {
				t.Errorf("%q: total %v start %v per %v (%d resources)", c.query, l["totalResults"], l["startIndex"], l["itemsPerPage"], len(rs))
				continue
			}
			if c.per > 0 && rs[0]["id"] != c.first {
				t.Errorf("%q: first %v, want %s", c.query, rs[0]["id"], c.first)
			}
		}
		s.mustError(400, "invalidValue", "GET", "/scim/v2/Users?count=many", nil)
	})
}

// B6: attributes and excludedAttributes choose what an answer holds; id and schemas always.
func TestB6AttributeSelection(t *testing.T) {
	eachSCIM(t, func(t *testing.T, s *scimServer) {
		u := s.must(201, "POST", "/scim/v2/Users", map[string]any{"userName": "sel", "name": map[string]any{"givenName": "Sel", "familyName": "Ected"},
			"emails": []any{map[string]any{"value": "sel@example.com", "type": "work"}}, scim.SchemaEnterpriseUser: map[string]any{"department": "D", "costCenter": "C"}})
		id := u["id"].(string)
		got := s.must(200, "GET", "/scim/v2/Users/"+id+"?attributes=userName,name.givenName,"+scim.SchemaEnterpriseUser+":department", nil)
		keys := slices.Sorted(func(yield func(string) bool) {
			for k := range got {
				if !yield(k) {
					return
				}
			}
		})
		if !slices.Equal(keys, []string{"id", "name", "schemas", scim.SchemaEnterpriseUser, "userName"}) {
			t.Fatalf("attributes: keys %v", keys)
		}
		if n := got["name"].(map[string]any); len(n) != 1 || n["givenName"] != "Sel" {
			t.Fatalf("name.givenName only: %v", n)
		}
		if e := got[scim.SchemaEnterpriseUser].(map[string]any); len(e) != 1 || e["department"] != "D" {
			t.Fatalf("extension attribute only: %v", e)
		}
		got = s.must(200, "GET", "/scim/v2/Users/"+id+"?excludedAttributes=emails,name.familyName,id", nil)
		if _, has := got["emails"]; has || got["id"] != id || got["userName"] != "sel" {
			t.Fatalf("excludedAttributes: %v", got)
		}
		if n := got["name"].(map[string]any); n["givenName"] != "Sel" || n["familyName"] != nil {
			t.Fatalf("name without familyName: %v", n)
		}
		l := s.must(200, "GET", "/scim/v2/Users?attributes=userName&filter="+url.QueryEscape(`userName eq "sel"`), nil)
		if r := resources(t, l)[0]; len(r) != 3 || r["userName"] != "sel" {
			t.Fatalf("list with attributes: %v", r)
		}
	})
}

// B6: the filter grammar (eq co sw ew pr gt ge lt le, and, or, not, grouping and value
// filters) over the indexed attributes.
func TestB6Filters(t *testing.T) {
	eachSCIM(t, func(t *testing.T, s *scimServer) {
		mk := func(user, given, family, email, ext string, active bool) string {
			body := map[string]any{"userName": user, "name": map[string]any{"givenName": given, "familyName": family},
				"emails": []any{map[string]any{"value": email, "type": "work"}}, "active": active}
			if ext != "" {
				body["externalId"] = ext
			}
			return s.must(201, "POST", "/scim/v2/Users", body)["id"].(string)
		}
		ann := mk("ann", "Ann", "Jensen", "ann@corp.example", "A-1", true)
		bob := mk("bob", "Bob", "Jones", "bob@other.example", "", true)
		cid := mk("cid", "Cid", "Smith", "cid@corp.example", "a-1x", false)
		time.Sleep(2 * time.Millisecond)
		mid := time.Now().UTC().Format(time.RFC3339Nano)
		time.Sleep(2 * time.Millisecond)
		s.must(200, "PATCH", "/scim/v2/Users/"+bob, patchOp(map[string]any{"op": "replace", "path": "displayName", "value": "Bobby"}))
		cases := []struct {
			filter string
			want   []string
		}{
			{`userName eq "ANN"`, []string{ann}},
			{`userName ne "ann"`, []string{bob, cid}},
			{`userName co "o"`, []string{bob}},
			{`userName sw "c"`, []string{cid}},
			{`userName ew "n"`, []string{ann}},
			{`userName gt "ann"`, []string{bob, cid}},
			{`userName ge "bob"`, []string{bob, cid}},
			{`userName lt "bob"`, []string{ann}},
			{`userName le "bob"`, []string{ann, bob}},
			{`externalId eq "A-1"`, []string{ann}},
			{`externalId eq "a-1"`, nil},
			{`externalId sw "a-"`, []string{cid}},
			{`externalId pr`, []string{ann, cid}},
			{`displayName pr`, []string{bob}},
			{`emails.value ew "@corp.example"`, []string{ann, cid}},
			{`emails eq "BOB@other.example"`, []string{bob}},
			{`emails[type eq "work" and value co "corp"]`, []string{ann, cid}},
			{`name.familyName sw "j"`, []string{ann, bob}},
			{`name.givenName eq "cid"`, []string{cid}},
			{`active eq true`, []string{ann, bob}},
			{`active eq false`, []string{cid}},
			{`not (active eq true)`, []string{cid}},
			{`not (externalId eq "A-1")`, []string{bob, cid}},
			{`userName eq "ann" or userName eq "bob" and active eq false`, []string{ann}},
			{`(userName eq "ann" or userName eq "bob") and active eq true`, []string{ann, bob}},
			{`meta.lastModified gt "` + mid + `"`, []string{bob}},
			{`meta.lastModified lt "` + mid + `"`, []string{ann, cid}},
			{`id eq "` + cid + `"`, []string{cid}},
			{`urn:ietf:params:scim:schemas:core:2.0:User:userName eq "bob"`, []string{bob}},
			{`userName eq "100%_x"`, nil},
		}
		for _, c := range cases {
			l := s.must(200, "GET", filterQuery(c.filter, "count", "50"), nil)
			var got []string
			for _, r := range resources(t, l) {
				if r["userName"] == "owner@example.com" || r["id"] == strconv.FormatInt(s.owner.ID, 10) {
					continue
				}
				got = append(got, r["id"].(string))
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("%s: got %v, want %v", c.filter, got, c.want)
			}
		}
	})
}

// B6: groups map to custom staff roles or organizations (the scim_groups setting): members
// get what the group of that name maps to, and lose it when they leave.
func TestB6GroupMapping(t *testing.T) {
	eachSCIM(t, func(t *testing.T, s *scimServer) {
		ctx := frontdesk.WithActor(context.Background(), frontdesk.System)
		sr := &frontdesk.StaffRole{Name: "Support", BaseRole: frontdesk.RoleAgent, Permissions: []frontdesk.Permission{frontdesk.PermPeopleRead, frontdesk.PermTicketsRead}}
		if err := s.db.CreateStaffRole(ctx, sr); err != nil {
			t.Fatal(err)
		}
		org := &frontdesk.Organization{Name: "Acme"}
		if err := s.db.CreateOrganization(ctx, org); err != nil {
			t.Fatal(err)
		}
		u := s.must(201, "POST", "/scim/v2/Users", map[string]any{"userName": "member"})
		id := u["id"].(string)
		mode := frontdesk.SCIMGroupsStaffRoles
		if _, err := s.db.UpdateSettings(ctx, frontdesk.SettingsInput{SCIMGroups: &mode}); err != nil {
			t.Fatal(err)
		}
		g := s.must(201, "POST", "/scim/v2/Groups", map[string]any{"displayName": "support", "members": []any{map[string]any{"value": id}}})
		p := s.person(id)
		if p.StaffRoleID == nil || *p.StaffRoleID != sr.ID || p.Role != frontdesk.RoleAgent {
			t.Fatalf("a member of the group gets its staff role: %+v", p)
		}
		s.must(200, "PATCH", "/scim/v2/Groups/"+g["id"].(string), patchOp(map[string]any{"op": "remove", "path": `members[value eq "` + id + `"]`}))
		if p := s.person(id); p.StaffRoleID != nil || p.Role != frontdesk.RoleContact {
			t.Fatalf("leaving the group takes the role: %+v", p)
		}

		mode = frontdesk.SCIMGroupsOrganizations
		if _, err := s.db.UpdateSettings(ctx, frontdesk.SettingsInput{SCIMGroups: &mode}); err != nil {
			t.Fatal(err)
		}
		og := s.must(201, "POST", "/scim/v2/Groups", map[string]any{"displayName": "ACME"})
		s.must(200, "PATCH", "/scim/v2/Groups/"+og["id"].(string), patchOp(map[string]any{"op": "add", "path": "members", "value": []any{map[string]any{"value": id}}}))
		if p := s.person(id); p.OrganizationID == nil || *p.OrganizationID != org.ID || p.OrganizationSource != frontdesk.OrgSourceSCIM {
			t.Fatalf("a member gets the organization, marked as set by SCIM: %+v", p)
		}
		s.must(204, "DELETE", "/scim/v2/Groups/"+og["id"].(string), nil)
		if p := s.person(id); p.OrganizationID != nil {
			t.Fatalf("deleting the group takes the organization: %+v", p)
		}
	})
}

// B6, R3: a group associated by hand with a staff role gives that role, whatever its name;
// a provider's token reaches only people below its owner, so an admin's token cannot
// deprovision another admin.
func TestB6MappingByHandAndRank(t *testing.T) {
	eachSCIM(t, func(t *testing.T, s *scimServer) {
		ctx := frontdesk.WithActor(context.Background(), frontdesk.System)
		sr := &frontdesk.StaffRole{Name: "Tier 2", BaseRole: frontdesk.RoleAgent, Permissions: []frontdesk.Permission{frontdesk.PermPeopleRead}}
		if err := s.db.CreateStaffRole(ctx, sr); err != nil {
			t.Fatal(err)
		}
		mode := frontdesk.SCIMGroupsStaffRoles
		if _, err := s.db.UpdateSettings(ctx, frontdesk.SettingsInput{SCIMGroups: &mode}); err != nil {
			t.Fatal(err)
		}
		g := s.must(201, "POST", "/scim/v2/Groups", map[string]any{"displayName": "okta-tier-two"})
		gid, _ := strconv.ParseInt(g["id"].(string), 10, 64)
		if _, err := s.db.SetSCIMGroupMapping(ctx, gid, frontdesk.SCIMGroupMappingInput{StaffRoleID: frontdesk.RefTo(sr.ID)}); err != nil {
			t.Fatal(err)
		}
		u := s.must(201, "POST", "/scim/v2/Users", map[string]any{"userName": "tier2"})
		s.must(200, "PATCH", "/scim/v2/Groups/"+g["id"].(string), patchOp(map[string]any{"op": "add", "path": "members", "value": []any{map[string]any{"value": u["id"]}}}))
		if p := s.person(u["id"].(string)); p.StaffRoleID == nil || *p.StaffRoleID != sr.ID {
			t.Fatalf("the role associated by hand: %+v", p)
		}

		admin := s.mustStaff(frontdesk.RoleAdmin, "admin@example.com")
		other := s.mustStaff(frontdesk.RoleAdmin, "admin2@example.com")
		r := s.do(s.mustToken(admin.ID), "DELETE", fmt.Sprintf("/scim/v2/Users/%d", other.ID), nil)
		if r.Status != 403 {
			t.Fatalf("an admin's token deprovisioning an admin: %d %s", r.Status, r.Body)
		}
		if p, _ := s.db.GetPerson(ctx, other.ID); p.State != frontdesk.StateActive {
			t.Fatal("the other admin was disabled")
		}
	})
}
