package store_test

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"testing"

	"frontdesk"
	"frontdesk/store"
	"frontdesk/store/storetest"
)

// The directory's search (C14's autosuggest, L7's filters, cursor pages): every person who
// matches the text and the filter comes exactly once across the pages, addresses first (by
// address), then "first last", then "last first" (by key, then id), and nobody else.
func TestSearchWithFiltersPagesEveryMatchOnce_L7_C14_P5(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		org := mustOrg(t, db, "Acme")
		firsts := []string{"Anna", "Andrew", "Bob", "Annette"}
		lasts := []string{"Anders", "Smith", "Annan", "Brown"}
		var all []*frontdesk.Person
		for i := range 40 {
			emails := []frontdesk.Email{{Address: fmt.Sprintf("%s%d@example.com", []string{"an", "bo", "zed", "ANN"}[i%4], i), Primary: true}}
			if i%5 == 0 {
				// A second address that also matches: still one row for this person.
				emails = append(emails, frontdesk.Email{Address: fmt.Sprintf("an-other%d@example.org", i)})
			}
			in := frontdesk.PersonInput{Name: ptr(firsts[i%4] + " " + lasts[(i/4)%4]), Emails: &emails}
			if i%3 == 0 {
				in.OrganizationID = frontdesk.RefTo(org.ID)
			}
			all = append(all, mustCreatePerson(t, db, in))
		}
		for _, c := range []struct {
			text string
			f    frontdesk.PersonFilter
		}{
			{"an", frontdesk.PersonFilter{}},
			{"AN", frontdesk.PersonFilter{OrganizationID: org.ID}},
			{"anna", frontdesk.PersonFilter{Kind: "contact", States: []frontdesk.State{frontdesk.StateNotActivated}}},
			{"smith", frontdesk.PersonFilter{}},
			{"b", frontdesk.PersonFilter{OrganizationID: org.ID}},
			{"an", frontdesk.PersonFilter{Kind: "staff"}},
		} {
			want := expectSearch(all, c.text, c.f)
			for _, limit := range []int{1, 3, 50} {
				var got []int64
				after := ""
				for pages := 0; ; pages++ {
					if pages > 100 {
						t.Fatalf("%q: the pages do not end", c.text)
					}
					page, next, err := db.SearchPeople(ctx, c.text, c.f, after, limit)
					if err != nil {
						t.Fatalf("%q: %v", c.text, err)
					}
					if len(page) > limit {
						t.Fatalf("%q: a page of %d people, limit %d", c.text, len(page), limit)
					}
					for _, p := range page {
						got = append(got, p.ID)
					}
					if next == "" {
						break
					}
					after = next
				}
				if !slices.Equal(got, want) {
					t.Errorf("%q %+v limit %d:\n got %v\nwant %v", c.text, c.f, limit, got, want)
				}
			}
		}
		if _, _, err := db.SearchPeople(ctx, "an", frontdesk.PersonFilter{}, "nonsense", 10); frontdesk.ErrorCode(err) != frontdesk.EInvalid {
			t.Errorf("a made-up cursor: %v", err)
		}
	})
}

// expectSearch is the search worked out by hand: each match's part and key, sorted.
func expectSearch(all []*frontdesk.Person, text string, f frontdesk.PersonFilter) []int64 {
	prefix := strings.ToLower(text)
	type match struct {
		part int
		key  string
		id   int64
	}
	var ms []match
	for _, p := range all {
		if f.OrganizationID != 0 && (p.OrganizationID == nil || *p.OrganizationID != f.OrganizationID) {
			continue
		}
		if f.Kind == "staff" && p.Role == frontdesk.RoleContact || len(f.States) > 0 && !slices.Contains(f.States, p.State) {
			continue
		}
		var addrs []string
		for _, e := range p.Emails {
			if strings.HasPrefix(e.Address, prefix) {
				addrs = append(addrs, e.Address)
			}
		}
		first := strings.ToLower(p.FirstName + " " + p.LastName)
		last := strings.ToLower(p.LastName + " " + p.FirstName)
		switch {
		case len(addrs) > 0:
			ms = append(ms, match{0, slices.Min(addrs), p.ID})
		case strings.HasPrefix(first, prefix):
			ms = append(ms, match{1, first, p.ID})
		case strings.HasPrefix(last, prefix):
			ms = append(ms, match{2, last, p.ID})
		}
	}
	slices.SortFunc(ms, func(a, b match) int {
		return cmp.Or(cmp.Compare(a.part, b.part), strings.Compare(a.key, b.key), cmp.Compare(a.id, b.id))
	})
	ids := []int64{}
	for _, m := range ms {
		ids = append(ids, m.id)
	}
	return ids
}
