package api_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// P5, C14 (issue 7, item 16): an address written in another Unicode form of a taken mailbox
// (fullwidth letters, a domain IDNA maps to the same one, NFD against NFC) is the same
// person: the create is refused with 409 naming the existing person, and nobody new is
// stored. A look-alike that mixes scripts is refused with a message saying so.
func TestSameMailboxInAnotherFormIsTheSamePerson_P5_C14(t *testing.T) {
	eachServer(t, func(t *testing.T, s *testServer) {
		base := s.mustDo(201, "POST", "/api/v1/people", map[string]any{"name": "Dup Base", "email": "dup.base@example.com"})
		jose := s.mustDo(201, "POST", "/api/v1/people", map[string]any{"name": "José", "email": "jos\u00e9@example.com"})
		nfd := s.mustDo(201, "POST", "/api/v1/people", map[string]any{"name": "Renée", "email": "rene\u0301e@example.com"})
		if got := nfd["emails"].([]any)[0].(map[string]any)["address"]; got != "ren\u00e9e@example.com" {
			t.Errorf("an NFD address is stored as %q, want its NFC form", got)
		}
		before := s.countPeople(t)
		for _, c := range []struct {
			address string
			owner   map[string]any
		}{
			{"\uff44\uff55\uff50.base@example.com", base}, // fullwidth ｄｕｐ
			{"dup.base@\uff45xample.com", base},           // fullwidth ｅ in the domain
			{"DUP.Base@EXAMPLE.com", base},
			{"dup.base@example.com", base},
			{"jose\u0301@example.com", jose}, // NFD of a taken NFC address
			{"ren\u00e9e@example.com", nfd},  // NFC of a taken NFD address
		} {
			r := s.do(s.token, "POST", "/api/v1/people", map[string]any{"name": "Second", "email": c.address})
			if r.Status != 409 {
				t.Errorf("%q: want 409, got %d: %s", c.address, r.Status, r.Body)
				continue
			}
			if got := r.JSON(t)["existing_person_id"]; got != c.owner["id"] {
				t.Errorf("%q: existing_person_id = %v, want %v", c.address, got, c.owner["id"])
			}
		}
		r := s.do(s.token, "POST", "/api/v1/people", map[string]any{"name": "Spoof", "email": "dup.base@ex\u0430mple.com"})
		if r.Status != 422 || !slices.Equal(fieldsOf(t, r), []string{"email"}) || !strings.Contains(string(r.Body), "mixes Latin and Cyrillic") {
			t.Errorf("a Cyrillic look-alike domain: want 422 on email saying it mixes scripts, got %d: %s", r.Status, r.Body)
		}
		if after := s.countPeople(t); after != before {
			t.Fatalf("variants of taken addresses made people: %d before, %d after", before, after)
		}
	})
}

// Issue 7, item 19: keys are matched exactly and given once; issue 7, item 18: a body that is
// not valid UTF-8 is unreadable (400). On every endpoint that reads a body, and on update too,
// where nothing changes.
func TestKeysExactAndOnceBodyValidUTF8_Issue7_18_19(t *testing.T) {
	eachServer(t, func(t *testing.T, s *testServer) {
		p := s.mustDo(201, "POST", "/api/v1/people", map[string]any{"name": "Kept Name"})
		org := s.mustDo(201, "POST", "/api/v1/organizations", map[string]any{"name": "Acme"})
		person := fmt.Sprintf("/api/v1/people/%v", p["id"])
		cases := []struct {
			name, method, path string
			body               []byte
			status             int
			fields             []string
		}{
			{"key in upper case", "POST", "/api/v1/people", []byte(`{"NAME": "A"}`), 422, []string{"NAME"}},
			{"key in mixed case on update", "PATCH", person, []byte(`{"First_Name": "Changed"}`), 422, []string{"First_Name"}},
			{"nested key in another case", "POST", "/api/v1/people", []byte(`{"emails": [{"Address": "a@example.com"}]}`), 422, []string{"emails[0].Address"}},
			{"key twice", "POST", "/api/v1/people", []byte(`{"name": "A", "name": "B"}`), 422, []string{"name"}},
			{"key twice on update", "PATCH", person, []byte(`{"first_name": "A", "first_name": "B"}`), 422, []string{"first_name"}},
			{"nested key twice", "POST", "/api/v1/people", []byte(`{"name": "A", "custom": {"x": 1, "x": 2}}`), 422, []string{"custom.x"}},
			{"key twice on an organization", "PATCH", fmt.Sprintf("/api/v1/organizations/%v", org["id"]), []byte(`{"name": "B", "name": "C"}`), 422, []string{"name"}},
			{"invalid UTF-8", "POST", "/api/v1/people", []byte("{\"name\": \"Ada \xff\"}"), 400, []string{"body"}},
			{"invalid UTF-8 on update", "PATCH", person, []byte("{\"first_name\": \"\xc3\"}"), 400, []string{"body"}},
			{"lone surrogate escape", "POST", "/api/v1/people", []byte(`{"name": "Ada \ud800"}`), 400, []string{"body"}},
			{"invalid UTF-8 on an organization", "POST", "/api/v1/organizations", []byte("{\"name\": \"\xfe\"}"), 400, []string{"body"}},
		}
		for _, c := range cases {
			r := s.do(s.token, c.method, c.path, c.body)
			if r.Status != c.status || !slices.Equal(fieldsOf(t, r), c.fields) {
				t.Errorf("%s: want %d on %v, got %d: %s", c.name, c.status, c.fields, r.Status, r.Body)
			}
		}
		// A surrogate pair is one character and passes.
		r := s.mustDo(201, "POST", "/api/v1/people", []byte(`{"name": "Ada \ud83d\ude00"}`))
		if r["last_name"] != "\U0001F600" {
			t.Errorf("a surrogate pair gave %q", r["last_name"])
		}
		if got := s.mustDo(200, "GET", person, nil); got["first_name"] != "Kept" {
			t.Fatalf("a refused update changed the person: %v", got["first_name"])
		}
	})
}
