package api_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"frontdesk"
)

// bulkItems reads the items of a bulk answer.
func bulkItems(t *testing.T, out map[string]any) []map[string]any {
	t.Helper()
	raw, ok := out["items"].([]any)
	if !ok {
		t.Fatalf("no items in %v", out)
	}
	items := make([]map[string]any, len(raw))
	for i, r := range raw {
		items[i] = r.(map[string]any)
	}
	return items
}

// X7: every item is answered in request order as created, updated or failed with the
// reason; the good ones land although others fail; each person is audited and so is the
// request.
func TestBulkPeopleItemByItem_X7(t *testing.T) {
	eachServer(t, func(t *testing.T, s *testServer) {
		ctx := context.Background()
		old := s.mustDo(201, "POST", "/api/v1/people", map[string]any{"name": "Old Name", "email": "old@example.com", "external_id": "crm-1"})
		s.mustDo(201, "POST", "/api/v1/people", map[string]any{"name": "Taken", "email": "taken@example.com"})
		body := []byte(`{"key": "external_id", "items": [
			{"external_id": "crm-1", "name": "New Name"},
			{"external_id": "crm-2", "name": "Ann Lee", "email": "ann@example.com"},
			{"external_id": "crm-3", "name": "Bad Mail", "email": "not an address"},
			{"name": "No Key", "email": "nokey@example.com"},
			{"external_id": "crm-2", "name": "Twice"},
			{"external_id": "crm-4", "name": "Would Be Owner", "email": "o2@example.com", "role": "owner"},
			{"external_id": "crm-5", "email": 5},
			{"external_id": "crm-6", "name": "Takes", "email": "taken@example.com"},
			{"external_id": "  crm-7 ", "name": "Bo Park", "email": "bo@example.com", "shoe": 1},
			{"external_id": "crm-8", "name": "Cy Diaz", "email": "cy@example.com"}
		]}`)
		out := s.mustDo(200, "POST", "/api/v1/people/bulk", body)
		items := bulkItems(t, out)
		want := []string{"updated", "created", "failed", "failed", "failed", "failed", "failed", "failed", "failed", "created"}
		fields := []string{"", "", "email", "external_id", "external_id", "", "email", "email", "shoe", ""}
		if len(items) != len(want) {
			t.Fatalf("%d items answered, want %d: %v", len(items), len(want), out)
		}
		for i, it := range items {
			if int(it["index"].(float64)) != i || it["action"] != want[i] {
				t.Errorf("item %d: %v, want action %s", i, it, want[i])
				continue
			}
			if want[i] == "failed" {
				e, _ := it["error"].(map[string]any)
				if e == nil || e["message"] == "" {
					t.Errorf("item %d failed with no reason: %v", i, it)
					continue
				}
				if fields[i] != "" {
					fe, _ := e["errors"].([]any)
					if len(fe) == 0 || fe[0].(map[string]any)["field"] != fields[i] {
						t.Errorf("item %d: reason %v, want the field %s named", i, e, fields[i])
					}
				}
				if _, has := it["id"]; has {
					t.Errorf("item %d failed but has an id: %v", i, it)
				}
			} else if it["id"] == nil {
				t.Errorf("item %d: no id: %v", i, it)
			}
		}
		if e := items[5]["error"].(map[string]any); e["code"] != "forbidden" && e["code"] != "conflict" {
			t.Errorf("a second owner: %v, want forbidden or conflict", e)
		}
		if out["created"] != 2.0 || out["updated"] != 1.0 || out["failed"] != 7.0 {
			t.Errorf("counts: %v", out)
		}
		// The update landed on the person of that key; the creates are real people.
		p, err := s.db.GetPerson(ctx, oaID(t, old))
		if err != nil || p.FirstName != "New" || p.LastName != "Name" {
			t.Errorf("crm-1 after the bulk: %+v, %v", p, err)
		}
		for _, a := range []string{"ann@example.com", "cy@example.com"} {
			p, err := s.db.GetPersonByEmail(ctx, a)
			if err != nil || p.Channel != frontdesk.ChannelAPI || p.State != frontdesk.StateNotActivated {
				t.Errorf("%s: %+v, %v", a, p, err)
			}
		}
		for _, a := range []string{"nokey@example.com", "o2@example.com", "bo@example.com"} {
			if _, err := s.db.GetPersonByEmail(ctx, a); frontdesk.ErrorCode(err) != frontdesk.ENotFound {
				t.Errorf("%s of a failed item exists: %v", a, err)
			}
		}
		if n, _ := s.db.CountOwners(ctx); n != 1 {
			t.Errorf("%d owners", n)
		}
		// Audited: each person, and the request with its counts.
		entries, _, err := s.db.ListAudit(ctx, frontdesk.AuditFilter{})
		if err != nil {
			t.Fatal(err)
		}
		var creates, bulk int
		for _, e := range entries {
			switch e.Action {
			case "person.create":
				creates++
			case "people.bulk":
				bulk++
			}
		}
		if creates != 2+2+1 || bulk != 1 { // two by the single API, two by the bulk, the owner
			t.Errorf("audit: %d person.create, %d people.bulk", creates, bulk)
		}
	})
}

// X7: by address, an existing person is found by any of their addresses.
func TestBulkPeopleByEmail_X7(t *testing.T) {
	eachServer(t, func(t *testing.T, s *testServer) {
		old := s.mustDo(201, "POST", "/api/v1/people", map[string]any{"name": "Two Mails",
			"emails": []any{map[string]any{"address": "one@example.com", "primary": true}, map[string]any{"address": "two@example.com"}}})
		out := s.mustDo(200, "POST", "/api/v1/people/bulk", map[string]any{"key": "email", "items": []any{
			map[string]any{"emails": []any{map[string]any{"address": "two@example.com", "primary": true}, map[string]any{"address": "one@example.com"}}, "notes": "found"},
			map[string]any{"email": "New@Example.com", "name": "New One"},
			map[string]any{"name": "No Mail"},
		}})
		items := bulkItems(t, out)
		if items[0]["action"] != "updated" || items[0]["id"] != float64(oaID(t, old)) {
			t.Errorf("by a second address: %v", items[0])
		}
		if items[1]["action"] != "created" || items[1]["ref"] != "new@example.com" {
			t.Errorf("a new address: %v", items[1])
		}
		if items[2]["action"] != "failed" {
			t.Errorf("no address with key email: %v", items[2])
		}
		s.mustDo(422, "POST", "/api/v1/people/bulk", map[string]any{"key": "username", "items": []any{map[string]any{}}})
		s.mustDo(422, "POST", "/api/v1/people/bulk", map[string]any{"key": "email", "items": []any{}})
		s.mustDo(422, "POST", "/api/v1/people/bulk", map[string]any{"key": "email"})
	})
}

// X7: with an Idempotency-Key the same request answers the same without doing it again; the
// key with another body is refused.
func TestBulkPeopleIdempotent_X7(t *testing.T) {
	eachServer(t, func(t *testing.T, s *testServer) {
		ctx := context.Background()
		body := []byte(`{"items": [{"external_id": "i-1", "name": "Ida One", "email": "ida@example.com"}, {"external_id": "i-2", "email": "bad"}]}`)
		first := s.do(s.token, "POST", "/api/v1/people/bulk", body, "Idempotency-Key", "bulk-1")
		if first.Status != 200 {
			t.Fatalf("first: %d %s", first.Status, first.Body)
		}
		before, _ := s.db.CountRows(ctx, "people")
		again := s.do(s.token, "POST", "/api/v1/people/bulk", body, "Idempotency-Key", "bulk-1")
		if again.Status != 200 || string(again.Body) != string(first.Body) || again.Header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("replay: %d %s %v, want the first answer %s", again.Status, again.Body, again.Header, first.Body)
		}
		if after, _ := s.db.CountRows(ctx, "people"); after != before {
			t.Errorf("the replay changed the people: %d, then %d", before, after)
		}
		other := s.do(s.token, "POST", "/api/v1/people/bulk", []byte(`{"items": [{"external_id": "i-3", "name": "X"}]}`), "Idempotency-Key", "bulk-1")
		if other.Status != 422 {
			t.Errorf("the key with another body: %d %s", other.Status, other.Body)
		}
		if _, err := s.db.GetPersonByEmail(ctx, "ida@example.com"); err != nil {
			t.Error(err)
		}
	})
}

// X7: more than the limit is refused whole with a clear error, and nothing lands; so is a
// body over the bulk limit.
func TestBulkPeopleLimit_X7(t *testing.T) {
	eachServer(t, func(t *testing.T, s *testServer) {
		items := make([]any, 1001)
		for i := range items {
			items[i] = map[string]any{"external_id": fmt.Sprintf("l-%d", i), "name": "Lim It"}
		}
		r := s.do(s.token, "POST", "/api/v1/people/bulk", map[string]any{"items": items})
		if r.Status != http.StatusRequestEntityTooLarge {
			t.Fatalf("1001 items: %d %s", r.Status, r.Body)
		}
		if e := r.JSON(t); e["errors"] == nil {
			t.Errorf("no field named: %v", e)
		}
		if n, _ := s.db.CountRows(context.Background(), "people"); n != 1 {
			t.Errorf("%d people after a refused bulk", n)
		}
	})
}

// X7: the checks of single creates and updates hold item by item. An agent creates contacts
// but no admin, changes no admin, and a collaborator (no people.create, no people.update)
// is refused whole.
func TestBulkPeopleAttackers_X7(t *testing.T) {
	eachServer(t, func(t *testing.T, s *testServer) {
		ctx := context.Background()
		admin := s.mustStaff(frontdesk.RoleAdmin, "admin@example.com")
		s.mustDo(200, "PATCH", fmt.Sprintf("/api/v1/people/%d", admin.ID), map[string]any{"external_id": "adm"})
		agent := s.mustToken(s.mustStaff(frontdesk.RoleAgent, "agent@example.com").ID)
		r := s.do(agent, "POST", "/api/v1/people/bulk", map[string]any{"items": []any{
			map[string]any{"external_id": "c-1", "name": "Plain Contact", "email": "c1@example.com"},
			map[string]any{"external_id": "c-2", "name": "New Admin", "email": "c2@example.com", "role": "admin"},
			map[string]any{"external_id": "c-3", "name": "New Owner", "email": "c3@example.com", "role": "owner"},
			map[string]any{"external_id": "adm", "email": "hijack@example.com"},
		}})
		if r.Status != 200 {
			t.Fatalf("agent: %d %s", r.Status, r.Body)
		}
		items := bulkItems(t, r.JSON(t))
		for i, want := range []string{"created", "failed", "failed", "failed"} {
			if items[i]["action"] != want {
				t.Errorf("agent item %d: %v, want %s", i, items[i], want)
			}
		}
		for i := 1; i < 4; i++ {
			if e, _ := items[i]["error"].(map[string]any); e == nil || e["code"] != "forbidden" {
				t.Errorf("agent item %d: %v, want forbidden", i, items[i])
			}
		}
		if p, _ := s.db.GetPerson(ctx, admin.ID); p.PrimaryEmail() != "admin@example.com" {
			t.Errorf("the agent changed the admin's address to %s", p.PrimaryEmail())
		}
		collab := s.mustToken(s.mustStaff(frontdesk.RoleCollaborator, "collab@example.com").ID)
		r = s.do(collab, "POST", "/api/v1/people/bulk", map[string]any{"items": []any{map[string]any{"external_id": "x", "name": "X Y"}}})
		if r.Status != 403 {
			t.Errorf("collaborator: %d %s", r.Status, r.Body)
		}
		if r := s.do("", "POST", "/api/v1/people/bulk", map[string]any{"items": []any{}}); r.Status != 401 {
			t.Errorf("no token: %d", r.Status)
		}
	})
}
