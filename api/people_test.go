package api_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"frontdesk"
)

func fieldsOf(t *testing.T, r response) []string {
	t.Helper()
	var names []string
	errs, _ := r.JSON(t)["errors"].([]any)
	for _, e := range errs {
		names = append(names, e.(map[string]any)["field"].(string))
	}
	slices.Sort(names)
	return names
}

func (s *testServer) countPeople(t *testing.T) int {
	t.Helper()
	n := 0
	path := "/api/v1/people?limit=500"
	for {
		body := s.mustDo(http.StatusOK, "GET", path, nil)
		n += len(body["data"].([]any))
		next, _ := body["next_cursor"].(string)
		if next == "" {
			return n
		}
		path = "/api/v1/people?limit=500&cursor=" + next
	}
}

// Bad input answers 4xx naming the field at fault, and writes nothing.
func TestBadInputIsRefusedAndWritesNothing(t *testing.T) {
	eachServer(t, func(t *testing.T, s *testServer) {
		acme := s.mustDo(201, "POST", "/api/v1/organizations", map[string]any{"name": "Acme"})
		other := s.mustDo(201, "POST", "/api/v1/organizations", map[string]any{"name": "Other"})
		otherSite := s.mustDo(201, "POST", "/api/v1/sites", map[string]any{"organization_id": other["id"], "name": "Branch"})
		s.mustDo(201, "POST", "/api/v1/custom-fields", map[string]any{"key": "seats", "type": "number"})
		before := s.countPeople(t)

		cases := []struct {
			name   string
			body   any
			status int
			fields []string
		}{
			{"unknown fields", map[string]any{"name": "A", "bogus": 1, "other": 2}, 422, []string{"bogus", "other"}},
			{"wrong type", map[string]any{"first_name": 12}, 422, []string{"first_name"}},
			{"wrong type of id", map[string]any{"name": "A", "organization_id": "x"}, 422, []string{"organization_id"}},
			{"malformed address", map[string]any{"email": "not an address"}, 422, []string{"email"}},
			{"malformed second address", map[string]any{"emails": []any{map[string]any{"address": "a@example.com"}, map[string]any{"address": "b@"}}}, 422, []string{"emails[1].address"}},
			{"unknown timezone", map[string]any{"name": "A", "timezone": "Mars/Olympus"}, 422, []string{"timezone"}},
			{"unparsable phone", map[string]any{"name": "A", "phones": []any{map[string]any{"number": "call me"}}}, 422, []string{"phones[0].number"}},
			{"custom field of wrong type", map[string]any{"name": "A", "custom": map[string]any{"seats": "many"}}, 422, []string{"custom.seats"}},
			{"unknown custom field", map[string]any{"name": "A", "custom": map[string]any{"shoe_size": 9}}, 422, []string{"custom.shoe_size"}},
			{"unknown organization", map[string]any{"name": "A", "organization_id": 9999}, 422, []string{"organization_id"}},
			{"unknown site", map[string]any{"name": "A", "site_id": 9999}, 422, []string{"site_id"}},
			{"site of another organization", map[string]any{"name": "A", "organization_id": acme["id"], "site_id": otherSite["id"]}, 422, []string{"site_id"}},
			{"several problems at once", map[string]any{"email": "x@", "timezone": "Nowhere", "locale": "!!"}, 422, []string{"email", "locale", "timezone"}},
			{"no identity", map[string]any{}, 422, []string{"name"}},
			{"not JSON", []byte("{name:"), 422, []string{"body"}},
			{"two values", []byte(`{"name":"A"} {"name":"B"}`), 422, []string{"body"}},
			{"too large", []byte(`{"notes":"` + strings.Repeat("x", 1<<20) + `"}`), 413, []string{"body"}},
			{"owner through the API", map[string]any{"name": "A", "role": "owner"}, 403, nil},
			{"unknown role", map[string]any{"name": "A", "role": "wizard"}, 422, []string{"role"}},
			{"staff with do-not-email", map[string]any{"name": "A", "role": "agent", "do_not_email": true}, 422, []string{"do_not_email"}},
			// Issue 7, items 15-19.
			{"name of 900,000 characters", map[string]any{"name": strings.Repeat("n", 900_000)}, 422, []string{"name"}},
			{"first name too long", map[string]any{"first_name": strings.Repeat("n", 201)}, 422, []string{"first_name"}},
			{"name whose last part is too long", map[string]any{"name": "Ada " + strings.Repeat("l", 201)}, 422, []string{"name"}},
			{"address wrapped in CR LF", map[string]any{"email": "test@iana.org\r\n"}, 422, []string{"email"}},
			{"address with a tab", map[string]any{"email": "\ttest@iana.org"}, 422, []string{"email"}},
			{"numeric top-level domain", map[string]any{"email": "test@iana.123"}, 422, []string{"email"}},
			{"bare IPv4 domain", map[string]any{"email": "test@255.255.255.255"}, 422, []string{"email"}},
			{"mixed-script domain", map[string]any{"email": "a@ex\u0430mple.com"}, 422, []string{"email"}},
			{"NUL in a name", map[string]any{"name": "Ada\x00Lovelace"}, 422, []string{"name"}},
			{"bidi override in a name", map[string]any{"first_name": "Ada\u202eecalevoL"}, 422, []string{"first_name"}},
			{"zero-width space in a name", map[string]any{"last_name": "Love\u200blace"}, 422, []string{"last_name"}},
			{"control character in an id", map[string]any{"name": "A", "external_id": "x\x07"}, 422, []string{"external_id"}},
			{"bidi override in notes", map[string]any{"name": "A", "notes": "line one\nline \u202etwo"}, 422, []string{"notes"}},
			{"too many phone numbers", map[string]any{"name": "A", "phones": slices.Repeat([]any{map[string]any{"number": "x"}}, 51)}, 422, []string{"phones"}},
			{"upper-case key", []byte(`{"NAME": "A"}`), 422, []string{"NAME"}},
			{"key given twice", []byte(`{"name": "A", "name": "B"}`), 422, []string{"name"}},
			{"invalid UTF-8", []byte("{\"name\": \"\xff\"}"), 400, []string{"body"}},
		}
		for _, c := range cases {
			r := s.do(s.token, "POST", "/api/v1/people", c.body)
			if r.Status != c.status {
				t.Errorf("%s: want %d, got %d: %s", c.name, c.status, r.Status, r.Body)
				continue
			}
			if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("%s: content type %q", c.name, ct)
			}
			if got := fieldsOf(t, r); c.fields != nil && !slices.Equal(got, c.fields) {
				t.Errorf("%s: want fields %v, got %v: %s", c.name, c.fields, got, r.Body)
			}
		}
		if after := s.countPeople(t); after != before {
			t.Fatalf("refused requests wrote people: %d before, %d after", before, after)
		}
		// The same rules hold on update, and a refused update changes nothing.
		p := s.mustDo(201, "POST", "/api/v1/people", map[string]any{"name": "Kept Name", "email": "kept@example.com"})
		path := fmt.Sprintf("/api/v1/people/%v", p["id"])
		r := s.do(s.token, "PATCH", path, map[string]any{"first_name": "Changed", "timezone": "Nowhere/Land"})
		if r.Status != 422 || !slices.Equal(fieldsOf(t, r), []string{"timezone"}) {
			t.Fatalf("bad update: %d %s", r.Status, r.Body)
		}
		if got := s.mustDo(200, "GET", path, nil); got["first_name"] != "Kept" {
			t.Fatalf("a refused update changed the person: %v", got["first_name"])
		}
	})
}

// I2: the same Idempotency-Key replays the first answer and creates nothing new; the key
// with another body is refused.
func TestIdempotencyKey_I2(t *testing.T) {
	eachServer(t, func(t *testing.T, s *testServer) {
		body := map[string]any{"name": "Idem Potent", "email": "idem@example.com"}
		first := s.do(s.token, "POST", "/api/v1/people", body, "Idempotency-Key", "abc")
		if first.Status != 201 {
			t.Fatalf("first: %d %s", first.Status, first.Body)
		}
		// Racing retries all get the first answer.
		var wg sync.WaitGroup
		answers := make([]response, 10)
		for i := range answers {
			wg.Go(func() { answers[i] = s.do(s.token, "POST", "/api/v1/people", body, "Idempotency-Key", "abc") })
		}
		wg.Wait()
		for _, a := range answers {
			if a.Status != 201 || string(a.Body) != string(first.Body) || a.Header.Get("Idempotent-Replayed") != "true" {
				t.Fatalf("replay: %d %s (first %s)", a.Status, a.Body, first.Body)
			}
		}
		other := s.do(s.token, "POST", "/api/v1/people", map[string]any{"name": "Else"}, "Idempotency-Key", "abc")
		if other.Status != 422 {
			t.Fatalf("key reused for another body: %d %s", other.Status, other.Body)
		}
		if n := s.countPeople(t); n != 2 { // the owner and Idem Potent
			t.Fatalf("want 2 people, got %d", n)
		}
		// Concurrent first uses of a new key create one person.
		for i := range answers {
			wg.Go(func() {
				answers[i] = s.do(s.token, "POST", "/api/v1/people", map[string]any{"name": "Racer"}, "Idempotency-Key", "race")
			})
		}
		wg.Wait()
		for _, a := range answers {
			if a.Status != 201 && a.Status != 409 {
				t.Fatalf("racing key: %d %s", a.Status, a.Body)
			}
		}
		if n := s.countPeople(t); n != 3 {
			t.Fatalf("racing first uses of one key: want 3 people, got %d", n)
		}
	})
}

// P5, C14 through the API: 50 concurrent creates of one address give one 201 and 49 409s
// that name the person who has it.
func TestConcurrentCreateOverHTTP_C14(t *testing.T) {
	eachServer(t, func(t *testing.T, s *testServer) {
		var wg sync.WaitGroup
		answers := make([]response, 50)
		for i := range answers {
			wg.Go(func() {
				answers[i] = s.do(s.token, "POST", "/api/v1/people", map[string]any{"email": " Same@Example.com"})
			})
		}
		wg.Wait()
		created, conflicts := 0, 0
		var id any
		for _, a := range answers {
			switch a.Status {
			case 201:
				created++
				id = a.JSON(t)["id"]
			case 409:
				conflicts++
			default:
				t.Fatalf("unexpected answer %d %s", a.Status, a.Body)
			}
		}
		if created != 1 || conflicts != 49 {
			t.Fatalf("want 1 created and 49 conflicts, got %d and %d", created, conflicts)
		}
		for _, a := range answers {
			if a.Status == 409 && a.JSON(t)["existing_person_id"] != id {
				t.Fatalf("conflict does not name person %v: %s", id, a.Body)
			}
		}
	})
}

// R2, R4: every endpoint checks the token and the permission of the token's role; a
// disabled member's token stops working (L3).
func TestPermissionsOfBuiltInRoles_R2(t *testing.T) {
	eachServer(t, func(t *testing.T, s *testServer) {
		tokens := map[frontdesk.Role]string{frontdesk.RoleOwner: s.token}
		members := map[frontdesk.Role]*frontdesk.Person{}
		for _, role := range []frontdesk.Role{frontdesk.RoleCollaborator, frontdesk.RoleAgent, frontdesk.RoleAdmin} {
			members[role] = s.mustStaff(role, string(role)+"@example.com")
			tokens[role] = s.mustToken(members[role].ID)
		}
		contact := s.mustDo(201, "POST", "/api/v1/people", map[string]any{"name": "C", "email": "c@example.com"})
		cpath := fmt.Sprintf("/api/v1/people/%v", contact["id"])
		// Each role disables a contact of its own, so that every attempt starts from active.
		n := 0
		freshContact := func() string {
			n++
			c := s.mustDo(201, "POST", "/api/v1/people", map[string]any{"name": "S", "machine": true, "email": fmt.Sprintf("s%d@example.com", n)})
			return fmt.Sprintf("/api/v1/people/%v/state", c["id"])
		}
		cases := []struct {
			method, path string
			body         any
			allowed      []frontdesk.Role
		}{
			{"GET", "/api/v1/people", nil, []frontdesk.Role{"collaborator", "agent", "admin", "owner"}},
			{"GET", cpath, nil, []frontdesk.Role{"collaborator", "agent", "admin", "owner"}},
			{"POST", "/api/v1/people", map[string]any{"name": "N"}, []frontdesk.Role{"agent", "admin", "owner"}},
			{"PATCH", cpath, map[string]any{"notes": "x"}, []frontdesk.Role{"agent", "admin", "owner"}},
			{"POST", "/api/v1/organizations", map[string]any{"name": "O"}, []frontdesk.Role{"agent", "admin", "owner"}},
			{"POST", "/api/v1/custom-fields", map[string]any{"key": "k", "type": "text"}, []frontdesk.Role{"admin", "owner"}},
			{"GET", "/api/v1/audit", nil, []frontdesk.Role{"admin", "owner"}},
			{"POST", "state", map[string]any{"state": "disabled"}, []frontdesk.Role{"admin", "owner"}},
		}
		for _, c := range cases {
			pathFor := func() string {
				if c.path == "state" {
					return freshContact()
				}
				return c.path
			}
			if r := s.do("", c.method, pathFor(), c.body); r.Status != 401 {
				t.Errorf("%s %s without a token: %d", c.method, c.path, r.Status)
			}
			if r := s.do("fd_not_a_token", c.method, pathFor(), c.body); r.Status != 401 {
				t.Errorf("%s %s with a bad token: %d", c.method, c.path, r.Status)
			}
			for role, tok := range tokens {
				r := s.do(tok, c.method, pathFor(), c.body)
				allowed := slices.Contains(c.allowed, role)
				if allowed && r.Status == 403 || !allowed && r.Status != 403 {
					t.Errorf("%s %s as %s: got %d: %s", c.method, c.path, role, r.Status, r.Body)
				}
			}
		}
		// R3: an agent cannot make an admin, an admin cannot make an owner or touch the owner.
		agentTok := tokens[frontdesk.RoleAgent]
		if r := s.do(agentTok, "POST", "/api/v1/people", map[string]any{"name": "X", "role": "admin"}); r.Status != 403 {
			t.Errorf("agent made an admin: %d %s", r.Status, r.Body)
		}
		adminTok := tokens[frontdesk.RoleAdmin]
		if r := s.do(adminTok, "POST", "/api/v1/people", map[string]any{"name": "X", "role": "agent"}); r.Status != 201 {
			t.Errorf("admin could not make an agent: %d %s", r.Status, r.Body)
		}
		ownerPath := fmt.Sprintf("/api/v1/people/%d", s.owner.ID)
		if r := s.do(adminTok, "PATCH", ownerPath, map[string]any{"notes": "mine now"}); r.Status != 403 {
			t.Errorf("admin changed the owner: %d %s", r.Status, r.Body)
		}
		if r := s.do(adminTok, "POST", ownerPath+"/state", map[string]any{"state": "disabled"}); r.Status != 403 {
			t.Errorf("admin disabled the owner: %d %s", r.Status, r.Body)
		}
		// L3: disabling a member ends their token at once.
		s.mustDo(200, "POST", fmt.Sprintf("/api/v1/people/%d/state", members[frontdesk.RoleAgent].ID), map[string]any{"state": "disabled"})
		if r := s.do(agentTok, "GET", "/api/v1/people", nil); r.Status != 401 {
			t.Errorf("a disabled agent's token still works: %d", r.Status)
		}
	})
}

// L1 through the API: a transition outside the table names both states; L6: it is audited.
func TestStateTransitionsAndAudit_L1_L6(t *testing.T) {
	eachServer(t, func(t *testing.T, s *testServer) {
		p := s.mustDo(201, "POST", "/api/v1/people", map[string]any{"name": "Sue Stateful", "email": "sue@example.com"})
		path := fmt.Sprintf("/api/v1/people/%v", p["id"])
		r := s.do(s.token, "POST", path+"/state", map[string]any{"state": "awaiting_approval"})
		if r.Status != 200 {
			t.Fatalf("not activated to awaiting approval: %d %s", r.Status, r.Body)
		}
		r = s.do(s.token, "POST", path+"/state", map[string]any{"state": "not_activated"})
		detail, _ := r.JSON(t)["detail"].(string)
		if r.Status != 422 || !strings.Contains(detail, "awaiting_approval") || !strings.Contains(detail, "not_activated") {
			t.Fatalf("a refused transition must name both states: %d %s", r.Status, r.Body)
		}
		s.mustDo(200, "POST", path+"/state", map[string]any{"state": "active"})
		// Issue 7 item 18: the ban reason is a text field like the others.
		if r := s.do(s.token, "POST", path+"/state", map[string]any{"state": "banned", "ban_reason": "ab\u202euse"}); r.Status != 422 || !strings.Contains(string(r.Body), "ban_reason") {
			t.Fatalf("a bidi override in the ban reason: %d %s", r.Status, r.Body)
		}
		banned := s.mustDo(200, "POST", path+"/state", map[string]any{"state": "banned", "ban_reason": "abuse", "banned_until": "2999-01-01T00:00:00Z"})
		if banned["ban_reason"] != "abuse" || banned["banned_until"] == nil {
			t.Fatalf("ban: %v", banned)
		}
		s.mustDo(200, "PATCH", path, map[string]any{"emails": []any{map[string]any{"address": "sue@new.example"}}})
		audit := s.mustDo(200, "GET", fmt.Sprintf("/api/v1/audit?subject_type=person&subject_id=%v", p["id"]), nil)
		var actions []string
		for _, e := range audit["data"].([]any) {
			entry := e.(map[string]any)
			actions = append(actions, entry["action"].(string))
			if entry["actor_id"] != float64(s.owner.ID) {
				t.Errorf("audit entry without its actor: %v", entry)
			}
		}
		want := []string{"person.update", "person.state", "person.state", "person.state", "person.create"}
		if !slices.Equal(actions, want) {
			t.Fatalf("audit: want %v, got %v", want, actions)
		}
		last := audit["data"].([]any)[0].(map[string]any)
		if !strings.Contains(fmt.Sprint(last["before"]), "sue@example.com") || !strings.Contains(fmt.Sprint(last["after"]), "sue@new.example") {
			t.Fatalf("the email change lacks before and after: %v", last)
		}
	})
}

// L7 over HTTP: filters, cursor pages and segments.
func TestListPaginationAndSegments_L7(t *testing.T) {
	eachServer(t, func(t *testing.T, s *testServer) {
		s.mustDo(201, "POST", "/api/v1/custom-fields", map[string]any{"key": "tier", "type": "dropdown", "options": []string{"gold", "silver"}})
		for i := range 7 {
			tier := "silver"
			if i < 3 {
				tier = "gold"
			}
			s.mustDo(201, "POST", "/api/v1/people", map[string]any{"email": fmt.Sprintf("l%d@example.com", i), "custom": map[string]any{"tier": tier}})
		}
		var ids []any
		path := "/api/v1/people?kind=contact&limit=2"
		for pages := 0; ; pages++ {
			if pages > 10 {
				t.Fatal("pagination does not end")
			}
			body := s.mustDo(200, "GET", path, nil)
			for _, p := range body["data"].([]any) {
				ids = append(ids, p.(map[string]any)["id"])
			}
			next, _ := body["next_cursor"].(string)
			if next == "" {
				break
			}
			path = "/api/v1/people?kind=contact&limit=2&cursor=" + next
		}
		if len(ids) != 7 {
			t.Fatalf("pages gave %d people, want 7", len(ids))
		}
		if r := s.do(s.token, "GET", "/api/v1/people?cursor=garbage", nil); r.Status != 422 {
			t.Fatalf("bad cursor: %d", r.Status)
		}
		if r := s.do(s.token, "GET", "/api/v1/people?state=sleeping&cf.nope=1", nil); r.Status != 422 || !slices.Equal(fieldsOf(t, r), []string{"cf.nope", "state"}) {
			t.Fatalf("bad filters: %d %s", r.Status, r.Body)
		}
		seg := s.mustDo(201, "POST", "/api/v1/segments", map[string]any{"name": "Gold", "filter": map[string]any{"custom": map[string]any{"tier": "gold"}}})
		people := s.mustDo(200, "GET", fmt.Sprintf("/api/v1/segments/%v/people", seg["id"]), nil)
		if n := len(people["data"].([]any)); n != 3 {
			t.Fatalf("segment lists %d people, want 3", n)
		}
		if r := s.do(s.token, "POST", "/api/v1/segments", map[string]any{"name": "Bad", "filter": map[string]any{"custom": map[string]any{"tier": "bronze"}}}); r.Status != 422 {
			t.Fatalf("segment with an impossible filter: %d %s", r.Status, r.Body)
		}
		sugg := s.mustDo(200, "GET", "/api/v1/people/suggest?q=L3@", nil)
		if n := len(sugg["data"].([]any)); n != 1 {
			t.Fatalf("suggest: %d results", n)
		}
	})
}

// P3: lists show the preferred name or the full name, as the setting says.
func TestNameDisplaySetting_P3(t *testing.T) {
	eachServer(t, func(t *testing.T, s *testServer) {
		p := s.mustDo(201, "POST", "/api/v1/people", map[string]any{"name": "Margaret Hamilton", "preferred_name": "Maggie"})
		if p["display_name"] != "Margaret Hamilton" || p["name"] != "Margaret Hamilton" {
			t.Fatalf("default display: %v / %v", p["display_name"], p["name"])
		}
		s.mustDo(200, "PATCH", "/api/v1/settings", map[string]any{"name_display": "preferred"})
		got := s.mustDo(200, "GET", fmt.Sprintf("/api/v1/people/%v", p["id"]), nil)
		if got["display_name"] != "Maggie" || got["name"] != "Margaret Hamilton" {
			t.Fatalf("preferred display: %v / %v", got["display_name"], got["name"])
		}
		audit := s.mustDo(200, "GET", "/api/v1/audit?subject_type=settings", nil)
		if n := len(audit["data"].([]any)); n != 1 {
			t.Fatalf("settings change audited %d times", n)
		}
	})
}

// Clearing lists gives empty arrays, never null; segment filters are normalized like URL ones.
func TestEmptyListsAndSegmentNormalization(t *testing.T) {
	eachServer(t, func(t *testing.T, s *testServer) {
		p := s.mustDo(201, "POST", "/api/v1/people", map[string]any{"email": "O@Example.com", "phones": []any{map[string]any{"number": "+14155552671"}}})
		got := s.mustDo(200, "PATCH", fmt.Sprintf("/api/v1/people/%v", p["id"]), map[string]any{"phones": []any{}, "addresses": []any{}})
		if _, ok := got["phones"].([]any); !ok {
			t.Fatalf("phones: %v", got["phones"])
		}
		seg := s.mustDo(201, "POST", "/api/v1/segments", map[string]any{"name": "O", "filter": map[string]any{"email": " O@Example.com"}})
		people := s.mustDo(200, "GET", fmt.Sprintf("/api/v1/segments/%v/people", seg["id"]), nil)
		if n := len(people["data"].([]any)); n != 1 {
			t.Fatalf("segment by email lists %d people", n)
		}
		if r := s.do(s.token, "POST", "/api/v1/segments", map[string]any{"name": "Bad", "filter": map[string]any{"channel": "pigeon", "organization_id": -1}}); r.Status != 422 {
			t.Fatalf("bad segment: %d %s", r.Status, r.Body)
		}
	})
}

// A known path with another method answers 405 with Allow; an unknown path 404, both as
// problem documents.
func TestMethodNotAllowedAndNotFound(t *testing.T) {
	eachServer(t, func(t *testing.T, s *testServer) {
		r := s.do(s.token, "DELETE", "/api/v1/people/1", nil)
		if r.Status != 405 || r.Header.Get("Allow") != "GET, PATCH" || r.Header.Get("Content-Type") != "application/problem+json" {
			t.Fatalf("DELETE person: %d %q %s", r.Status, r.Header.Get("Allow"), r.Body)
		}
		if r := s.do(s.token, "GET", "/api/v1/nothing", nil); r.Status != 404 {
			t.Fatalf("unknown path: %d", r.Status)
		}
	})
}

// I2: a retry replays the stored answer even when the body would no longer pass validation.
func TestIdempotentReplayBeforeValidation_I2(t *testing.T) {
	eachServer(t, func(t *testing.T, s *testServer) {
		f := s.mustDo(201, "POST", "/api/v1/custom-fields", map[string]any{"key": "size", "type": "dropdown", "options": []string{"s", "m"}})
		body := map[string]any{"name": "Sized", "custom": map[string]any{"size": "m"}}
		first := s.do(s.token, "POST", "/api/v1/people", body, "Idempotency-Key", "size-1")
		s.mustDo(200, "PATCH", fmt.Sprintf("/api/v1/custom-fields/%v", f["id"]), map[string]any{"options": []string{"s"}})
		again := s.do(s.token, "POST", "/api/v1/people", body, "Idempotency-Key", "size-1")
		if first.Status != 201 || again.Status != 201 || string(first.Body) != string(again.Body) {
			t.Fatalf("replay after a definition change: %d %s / %d %s", first.Status, first.Body, again.Status, again.Body)
		}
	})
}
