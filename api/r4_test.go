package api_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"frontdesk"
	"frontdesk/store"
)

// R4, R2, R3: every route the server registers (read from the source, as the OpenAPI test
// does, so that a new route without a line here fails) is called by nobody, by each built-in
// staff role and by a custom staff role, and answers allowed or refused as this table says:
// 401 for nobody, 403 for staff without the permission, anything else (but a 5xx) otherwise.
func TestEveryEndpointAsEveryRole_R4(t *testing.T) {
	const (
		nobody = "nobody"
		collab = "collaborator"
		agent  = "agent"
		admin  = "admin"
		owner  = "owner"
		custom = "custom" // ranks as an agent; holds people.read, people.manage, audit.read, settings.manage
	)
	actors := []string{nobody, collab, agent, admin, owner, custom}
	var (
		public   = actors
		read     = []string{collab, agent, admin, owner, custom}
		create   = []string{agent, admin, owner}
		update   = []string{agent, admin, owner}
		manage   = []string{admin, owner, custom}
		settings = []string{admin, owner, custom}
		audit    = []string{admin, owner, custom}
		roles    = []string{admin, owner} // roles.assign and settings.manage
		onlyOwn  = []string{owner}
		staff    = []string{collab, agent, admin, owner, custom} // every active staff member
		tickets  = []string{collab, agent, admin, owner}         // tickets.read (and tickets.note)
		answer   = []string{agent, admin, owner}                 // tickets.answer
		pipe     = []string{admin, owner}                        // mail.inbound
		imports  = []string{admin, owner}                        // imports.run
	)
	allowed := map[string][]string{
		"GET /healthz":             public,
		"GET /readyz":              public,
		"GET /api/v1/openapi.json": public,

		"GET /api/v1/people":                                      read,
		"POST /api/v1/people":                                     create,
		"GET /api/v1/people/suggest":                              read,
		"GET /api/v1/people/{id}":                                 read,
		"PATCH /api/v1/people/{id}":                               update,
		"POST /api/v1/people/{id}/state":                          manage,
		"POST /api/v1/people/bulk":                                create, // X7: people.create or people.update, item by item
		"POST /api/v1/people/invitations":                         update, // X8
		"POST /api/v1/people/{id}/addresses/{index}/copy-to-site": update,
		"GET /api/v1/organizations":                               read,
		"POST /api/v1/organizations":                              update,
		"GET /api/v1/organizations/{id}":                          read,
		"PATCH /api/v1/organizations/{id}":                        update,
		"GET /api/v1/organizations/{id}/sites":                    read,
		"POST /api/v1/organizations/{id}/domains/preview":         update, // X6
		"POST /api/v1/organizations/{id}/domains/apply":           update, // X6
		"GET /api/v1/sites":                                       read,
		"POST /api/v1/sites":                                      update,
		"GET /api/v1/sites/{id}":                                  read,
		"PATCH /api/v1/sites/{id}":                                update,
		"GET /api/v1/custom-fields":                               read,
		"POST /api/v1/custom-fields":                              settings,
		"GET /api/v1/custom-fields/{id}":                          read,
		"PATCH /api/v1/custom-fields/{id}":                        settings,
		"GET /api/v1/segments":                                    read,
		"POST /api/v1/segments":                                   read,
		"GET /api/v1/segments/{id}":                               read,
		"PATCH /api/v1/segments/{id}":                             read,
		"GET /api/v1/segments/{id}/people":                        read,
		"GET /api/v1/audit":                                       audit,
		"GET /api/v1/settings":                                    read,
		"PATCH /api/v1/settings":                                  settings,
		"GET /api/v1/scim-groups":                                 read,
		"PATCH /api/v1/scim-groups/{id}":                          settings,
		"GET /api/v1/roles":                                       read,
		"POST /api/v1/roles":                                      roles,
		"GET /api/v1/roles/{id}":                                  read,
		"PATCH /api/v1/roles/{id}":                                roles,
		"POST /api/v1/owner/hand-over":                            onlyOwn,
		"POST /api/v1/people/{id}/activate":                       manage,
		"POST /api/v1/people/{id}/welcome":                        update,
		"POST /api/v1/people/{id}/password-reset":                 update,
		"GET /api/v1/mail-templates":                              settings,
		"GET /api/v1/mail-templates/{name}":                       settings,
		"PUT /api/v1/mail-templates/{name}":                       settings,
		"DELETE /api/v1/mail-templates/{name}":                    settings,
		"POST /api/v1/mail-templates/{name}/preview":              settings,
		"GET /api/v1/mail":                                        settings,
		"GET /api/v1/mail/{id}":                                   settings,
		"GET /api/v1/tokens":                                      staff,
		"POST /api/v1/tokens":                                     staff,
		"DELETE /api/v1/tokens/{id}":                              manage, // a collaborator's token: not theirs, below them
		"GET /api/v1/tickets":                                     tickets,
		"POST /api/v1/tickets":                                    answer,
		"GET /api/v1/tickets/{id}":                                tickets,
		"PATCH /api/v1/tickets/{id}":                              answer,
		"GET /api/v1/tickets/{id}/messages":                       tickets,
		"POST /api/v1/tickets/{id}/messages":                      tickets, // a note; a reply needs answer (tested apart)
		"POST /api/v1/tickets/{id}/spam":                          answer,
		"POST /api/v1/tickets/{id}/links/revoke":                  answer,
		// C6: the public door takes requests from anyone; a token only changes whose they are.
		"POST /api/v1/requests":                  public,
		"POST /api/v1/inbound":                   pipe,
		"OPTIONS /api/v1/requests":               public,
		"GET /api/v1/review-queue":               answer,
		"GET /api/v1/review-queue/{id}":          answer,
		"POST /api/v1/review-queue/{id}/release": answer,
		"POST /api/v1/review-queue/{id}/discard": answer,
		"GET /api/v1/ticket-types":               tickets,
		"POST /api/v1/ticket-types":              settings,
		"PATCH /api/v1/ticket-types/{id}":        settings,
		"DELETE /api/v1/ticket-types/{id}":       settings,
		// C8, X3, T2: mailboxes and the suppression list are settings; received mail is
		// answering's; files go to those who read tickets.
		"GET /api/v1/inbound":                   answer,
		"GET /api/v1/inbound/{id}":              answer,
		"GET /api/v1/inbound/{id}/raw":          answer,
		"POST /api/v1/inbound/{id}/release":     answer,
		"POST /api/v1/inbound/{id}/discard":     answer,
		"GET /api/v1/mailboxes":                 settings,
		"POST /api/v1/mailboxes":                settings,
		"GET /api/v1/mailboxes/{id}":            settings,
		"PATCH /api/v1/mailboxes/{id}":          settings,
		"DELETE /api/v1/mailboxes/{id}":         settings,
		"GET /api/v1/suppressions":              settings,
		"POST /api/v1/suppressions":             settings,
		"DELETE /api/v1/suppressions/{address}": settings,
		"GET /api/v1/bounces":                   settings,
		"GET /api/v1/attachments/{id}":          tickets,
		// B1-B4: imports.
		"GET /api/v1/imports":             imports,
		"POST /api/v1/imports":            imports,
		"GET /api/v1/imports/{id}":        imports,
		"POST /api/v1/imports/{id}/retry": imports,
		"GET /api/v1/imports/{id}/{file}": imports,
		// B5: directory sources hold a directory account (settings); runs need imports.run.
		"GET /api/v1/directories":                        settings,
		"POST /api/v1/directories":                       settings,
		"GET /api/v1/directories/{id}":                   settings,
		"PATCH /api/v1/directories/{id}":                 settings,
		"DELETE /api/v1/directories/{id}":                settings,
		"POST /api/v1/directories/{id}/preview":          {admin, owner},
		"GET /api/v1/directories/{id}/runs":              {admin, owner},
		"GET /api/v1/directories/{id}/runs/{run}":        {admin, owner},
		"POST /api/v1/directories/{id}/runs/{run}/apply": {admin, owner},
	}

	routes := registeredRoutes(t)
	for r := range routes {
		if _, ok := allowed[r]; !ok {
			t.Errorf("route %s has no line in the R4 table: say who may call it", r)
		}
	}
	for r := range allowed {
		if !routes[r] {
			t.Errorf("the R4 table names %s, which is not registered", r)
		}
	}

	eachServer(t, func(t *testing.T, s *testServer) {
		tokens := map[string]string{nobody: "", owner: s.token}
		for _, role := range []frontdesk.Role{frontdesk.RoleCollaborator, frontdesk.RoleAgent, frontdesk.RoleAdmin} {
			tokens[string(role)] = s.mustToken(s.mustStaff(role, string(role)+"@example.com").ID)
		}
		sr := s.mustDo(201, "POST", "/api/v1/roles", map[string]any{"name": "Moderator", "base_role": "agent",
			"permissions": []string{"people.read", "people.manage", "audit.read", "settings.manage"}})
		member := s.mustStaff(frontdesk.RoleCollaborator, "moderator@example.com")
		s.mustDo(200, "PATCH", fmt.Sprintf("/api/v1/people/%d", member.ID), map[string]any{"staff_role_id": sr["id"]})
		tokens[custom] = s.mustToken(member.ID)

		// One object of each kind, so that routes with an id reach their handler.
		org := s.mustDo(201, "POST", "/api/v1/organizations", map[string]any{"name": "Acme"})
		site := s.mustDo(201, "POST", "/api/v1/sites", map[string]any{"organization_id": org["id"], "name": "HQ"})
		field := s.mustDo(201, "POST", "/api/v1/custom-fields", map[string]any{"key": "tier", "type": "text"})
		seg := s.mustDo(201, "POST", "/api/v1/segments", map[string]any{"name": "All"})
		contact := s.mustDo(201, "POST", "/api/v1/people", map[string]any{"name": "Carl Contact", "email": "carl@example.com",
			"site_id": site["id"], "addresses": []any{map[string]any{"street": "1 Main St"}}})
		holder, _, err := s.db.IssueAPIToken(context.Background(), s.mustStaff(frontdesk.RoleCollaborator, "holder@example.com").ID, frontdesk.APITokenInput{Name: "held"})
		if err != nil {
			t.Fatal(err)
		}
		// A requester of their own, since marking the ticket as spam bans them.
		requester := s.mustDo(201, "POST", "/api/v1/people", map[string]any{"name": "Rita Requester", "email": "rita@example.com"})
		ticket := s.mustDo(201, "POST", "/api/v1/tickets", map[string]any{"requester_id": requester["id"], "subject": "Help"})
		// A request held for review (X4) and a request form (C9).
		s.mustDo(200, "PATCH", "/api/v1/settings", map[string]any{"intake_policy": "closed"})
		if r := s.do("", "POST", "/api/v1/requests", map[string]any{"email": "held@example.com", "subject": "S", "body": "B"}); r.Status != 202 {
			t.Fatalf("held request: %d %s", r.Status, r.Body)
		}
		s.mustDo(200, "PATCH", "/api/v1/settings", map[string]any{"intake_policy": "open"})
		held := s.mustDo(200, "GET", "/api/v1/review-queue", nil)["data"].([]any)[0].(map[string]any)
		ttype := s.mustDo(201, "POST", "/api/v1/ticket-types", map[string]any{"key": "general", "name": "General"})
		imp := &store.ImportRecord{Kind: "people", State: "done", FileName: "people.csv", Options: `{"kind":"people"}`}
		if err := s.db.CreateImport(frontdesk.WithActor(context.Background(), frontdesk.System), imp); err != nil {
			t.Fatal(err)
		}
		ids := map[string]any{"imports": imp.ID, "review-queue": held["id"], "ticket-types": ttype["id"], "people": contact["id"], "organizations": org["id"], "sites": site["id"],
			"custom-fields": field["id"], "segments": seg["id"], "roles": sr["id"], "tokens": holder.ID, "tickets": ticket["id"]}

		for _, route := range slices.Sorted(maps.Keys(allowed)) {
			method, pattern, _ := strings.Cut(route, " ")
			path := pattern
			if strings.Contains(path, "{id}") {
				kind := strings.Split(strings.TrimPrefix(path, "/api/v1/"), "/")[0]
				path = strings.ReplaceAll(path, "{id}", fmt.Sprint(ids[kind]))
			}
			path = strings.ReplaceAll(path, "{index}", "0")
			if route == "GET /api/v1/people/suggest" {
				path += "?q=carl"
			}
			var body any
			if method == "POST" || method == "PATCH" {
				// An empty object reaches every handler past its permission check without
				// changing anything that the next calls rely on.
				body = map[string]any{}
			}
			for _, actor := range actors {
				r := s.do(tokens[actor], method, path, body)
				may := slices.Contains(allowed[route], actor)
				switch {
				case r.Status >= 500:
					t.Errorf("%s as %s: %d %s", route, actor, r.Status, r.Body)
				case may && (r.Status == 401 || r.Status == 403):
					t.Errorf("%s as %s: want allowed, got %d %s", route, actor, r.Status, r.Body)
				case !may && actor == nobody && r.Status != 401:
					t.Errorf("%s without a token: want 401, got %d %s", route, r.Status, r.Body)
				case !may && actor != nobody && r.Status != 403:
					t.Errorf("%s as %s: want 403, got %d %s", route, actor, r.Status, r.Body)
				}
			}
		}
	})
}
