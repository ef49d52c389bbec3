package api_test

import (
	"fmt"
	"strings"

	"frontdesk/directory/ldaptest"
)

// walkDirectories requests every directory route with real answers: a source over StartTLS
// with its CA, a preview, the runs, an apply, and a stale preview (409).
func (c *oaChecker) walkDirectories(l *ldaptest.Server, collab string) {
	t, owner := c.t, c.s.token
	p := func(format string, args ...any) string { return fmt.Sprintf(format, args...) }
	dn := l.AddPerson(t, ldaptest.Person{UID: "oa-" + strings.ReplaceAll(t.Name(), "/", "-"), Given: "Olga", SN: "Api", Mail: "olga.oa@corp.test"})
	src := c.expect(201, owner, "POST", "/api/v1/directories", oaObj{"name": "OA directory", "url": l.URL, "tls": "starttls", "ca_cert": l.CAPEM,
		"bind_dn": ldaptest.ReaderDN, "bind_password": ldaptest.ReaderPassword, "base_dn": "ou=people," + ldaptest.Suffix,
		"filter": "(uid=oa-*)", "dialect": "openldap", "match_by": "email", "page_size": 5, "schedule": "daily", "daily_at": "04:30",
		"rules": []oaObj{{"kind": "attribute", "attribute": "mail", "op": "contains", "value": "@corp.test", "role": "contact"}}})
	id := oaID(t, src)
	if _, ok := src["bind_password"]; ok || src["bind_password_set"] != true {
		t.Errorf("the bind password is answered, or not said to be set: %v", src)
	}
	c.expect(201, owner, "POST", "/api/v1/directories", oaObj{"name": "Minimal", "url": "ldaps://ldap.example.com", "bind_dn": "cn=x,dc=example,dc=com", "base_dn": "dc=example,dc=com"})
	c.expect(422, owner, "POST", "/api/v1/directories", oaObj{"name": "Plain", "url": "ldap://ldap.example.com", "tls": "none", "bind_dn": "cn=x", "base_dn": "dc=x"})
	c.expect(422, owner, "POST", "/api/v1/directories", oaObj{"name": "Owner rule", "url": "ldaps://ldap.example.com", "bind_dn": "cn=x", "base_dn": "dc=x",
		"rules": []oaObj{{"kind": "group", "value": "cn=owners,dc=x", "role": "owner"}}})
	c.expect(200, owner, "GET", "/api/v1/directories", nil)
	c.expect(403, collab, "GET", "/api/v1/directories", nil)
	c.expect(200, owner, "GET", p("/api/v1/directories/%d", id), nil)
	c.expect(200, owner, "PATCH", p("/api/v1/directories/%d", id), oaObj{"default_organization_id": nil, "attributes": oaObj{"external_id": "entryUUID", "name": "cn", "email": "mail"}})
	c.expect(422, owner, "PATCH", p("/api/v1/directories/%d", id), oaObj{"page_size": 0, "match_by": "nickname"})

	run := c.expect(201, owner, "POST", p("/api/v1/directories/%d/preview", id), nil)
	if run["state"] != "previewed" || run["counts"].(map[string]any)["created"] != float64(1) {
		t.Errorf("preview: %v", run)
	}
	c.expect(200, owner, "GET", p("/api/v1/directories/%d/runs", id), nil)
	c.expect(200, owner, "GET", p("/api/v1/directories/%d/runs/%d", id, oaID(t, run)), nil)
	c.expect(404, owner, "GET", p("/api/v1/directories/%d/runs/999999", id), nil)
	applied := c.expect(200, owner, "POST", p("/api/v1/directories/%d/runs/%d/apply", id, oaID(t, run)), nil)
	if applied["state"] != "applied" {
		t.Errorf("apply: %v", applied)
	}
	c.expect(409, owner, "POST", p("/api/v1/directories/%d/runs/%d/apply", id, oaID(t, run)), nil)
	// A change in the directory between preview and apply: 409 naming the new preview.
	stale := c.expect(201, owner, "POST", p("/api/v1/directories/%d/preview", id), nil)
	l.Modify(t, dn, map[string][]string{"cn": {"Olga Changed"}})
	conflict := c.expect(409, owner, "POST", p("/api/v1/directories/%d/runs/%d/apply", id, oaID(t, stale)), nil)
	if conflict["run_id"] == nil {
		t.Errorf("409 without the new preview's run_id: %v", conflict)
	}
	// A failed run: the directory refuses the bind.
	c.expect(200, owner, "PATCH", p("/api/v1/directories/%d", id), oaObj{"bind_password": "wrong"})
	failed := c.expect(201, owner, "POST", p("/api/v1/directories/%d/preview", id), nil)
	if failed["state"] != "failed" || !strings.Contains(failed["error"].(string), "invalid credentials") {
		t.Errorf("a refused bind: %v", failed)
	}
	c.expect(204, owner, "DELETE", p("/api/v1/directories/%d", id), nil)
}
