package store_test

import (
	"fmt"
	"slices"
	"testing"

	"frontdesk"
	"frontdesk/store"
	"frontdesk/store/storetest"
)

// L7: a list by several states (one range of the state index per state, merged), by channel
// (its own index, 00013) or by both pages through every match exactly once, in id order, with
// the same people whether read whole (the API) or brief (the directory's page); the brief
// people carry the fields a list shows. Searches read brief give the same people too.
func TestListPagesByStatesAndChannel_L7(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		org := mustOrg(t, db, "Acme")
		states := []frontdesk.State{frontdesk.StateActive, frontdesk.StateNotActivated, frontdesk.StateDisabled, frontdesk.StateBanned}
		channels := []frontdesk.Channel{frontdesk.ChannelImport, frontdesk.ChannelAPI, frontdesk.ChannelCLI}
		var all []*frontdesk.Person
		for i := range 60 {
			p := frontdesk.NewPerson(channels[(i/2)%3])
			p.State = states[(i*7)%4]
			p.FirstName, p.LastName = []string{"Anna", "Bob"}[i%2], fmt.Sprintf("Smith%d", i)
			p.Emails = []frontdesk.Email{{Address: fmt.Sprintf("an%d@example.com", i), Primary: true}}
			p.Phones = []frontdesk.Phone{{Number: "+14155550100", Label: "work"}}
			p.Custom = map[string]any{}
			if i%4 == 0 {
				p.OrganizationID = &org.ID
			}
			all = append(all, p)
		}
		if err := db.BulkInsertPeople(ctx, all); err != nil {
			t.Fatal(err)
		}
		for _, f := range []frontdesk.PersonFilter{
			{States: []frontdesk.State{frontdesk.StateDisabled, frontdesk.StateBanned}},
			{States: []frontdesk.State{frontdesk.StateBanned, frontdesk.StateActive, frontdesk.StateNotActivated}, Channel: frontdesk.ChannelAPI},
			{Channel: frontdesk.ChannelCLI},
			{Channel: frontdesk.ChannelCLI, States: []frontdesk.State{frontdesk.StateActive}},
			{States: []frontdesk.State{frontdesk.StateTrashed, frontdesk.StateAwaitingApproval}},
		} {
			var want []int64
			for _, p := range all {
				if (len(f.States) == 0 || slices.Contains(f.States, p.State)) && (f.Channel == "" || p.Channel == f.Channel) {
					want = append(want, p.ID)
				}
			}
			for _, limit := range []int{1, 4, 50} {
				for _, brief := range []bool{false, true} {
					var got []int64
					var after int64
					for pages := 0; ; pages++ {
						if pages > 100 {
							t.Fatalf("%+v: the pages do not end", f)
						}
						list := db.ListPeople
						if brief {
							list = db.ListPeopleBrief
						}
						page, next, err := list(ctx, f, frontdesk.Page{After: after, Limit: limit})
						if err != nil {
							t.Fatalf("%+v: %v", f, err)
						}
						for _, p := range page {
							got = append(got, p.ID)
							if brief {
								w := all[slices.IndexFunc(all, func(q *frontdesk.Person) bool { return q.ID == p.ID })]
								if p.FullName() != w.FullName() || p.PrimaryEmail() != w.PrimaryEmail() || p.State != w.State ||
									p.Role != w.Role || p.Channel != w.Channel || (p.OrganizationID == nil) != (w.OrganizationID == nil) || len(p.Phones) != 0 {
									t.Errorf("brief person %d: %+v, want the listed fields of %+v", p.ID, p, w)
								}
							}
						}
						if next == 0 {
							break
						}
						after = next
					}
					if !slices.Equal(got, want) {
						t.Errorf("%+v, limit %d, brief %v: got %v, want %v", f, limit, brief, got, want)
					}
				}
			}
			whole, _, err := db.SearchPeople(ctx, "an", f, "", 50)
			if err != nil {
				t.Fatal(err)
			}
			brief, _, err := db.SearchPeopleBrief(ctx, "an", f, "", 50)
			if err != nil {
				t.Fatal(err)
			}
			if ids(whole) == "" && len(want) > 0 || ids(whole) != ids(brief) {
				t.Errorf("%+v: search whole %s, brief %s", f, ids(whole), ids(brief))
			}
		}
		names, err := db.OrganizationNames(ctx, []int64{org.ID, org.ID + 1000})
		if err != nil || len(names) != 1 || names[org.ID] != "Acme" {
			t.Errorf("OrganizationNames = %v, %v; want only Acme", names, err)
		}
		orgs, next, err := db.ListOrganizationNames(ctx, frontdesk.Page{Limit: 10})
		if err != nil || next != 0 || len(orgs) != 1 || orgs[0].ID != org.ID || orgs[0].Name != "Acme" {
			t.Errorf("ListOrganizationNames = %v, %d, %v", orgs, next, err)
		}
	})
}

func ids(people []*frontdesk.Person) string {
	var s string
	for _, p := range people {
		s += fmt.Sprintf("%d ", p.ID)
	}
	return s
}
