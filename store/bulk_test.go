package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"frontdesk"
	"frontdesk/store"
	"frontdesk/store/storetest"
)

// bulkPeople makes n new people with one address and one phone each, keyed by prefix.
func bulkPeople(prefix string, n int) []*frontdesk.Person {
	var out []*frontdesk.Person
	for i := range n {
		p := frontdesk.NewPerson(frontdesk.ChannelImport)
		p.FirstName, p.LastName = "Bulk", fmt.Sprint(i)
		p.Emails = []frontdesk.Email{{Address: fmt.Sprintf("%s%d@example.com", prefix, i), Primary: true}}
		p.Phones = []frontdesk.Phone{{Number: fmt.Sprintf("+1415555%04d", i)}}
		out = append(out, p)
	}
	return out
}

// B1, B3: the bulk update writes whole rows by id (250 people: two full statements and a
// short one), replaces addresses and phones, lets addresses move between people of one
// batch, and keeps the creation time.
func TestBulkUpdatePeople_B1_B3(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		org := mustOrg(t, db, "Acme")
		site := mustSite(t, db, org.ID, "Paris")
		people := bulkPeople("up", 250)
		if err := db.BulkInsertPeople(ctx, people); err != nil {
			t.Fatal(err)
		}
		created := people[0].CreatedAt
		for i, p := range people {
			p.FirstName, p.LastName = "Changed", fmt.Sprint(i)
			p.ExternalID = fmt.Sprintf("ext-%d", i)
			p.OrganizationID, p.SiteID = &org.ID, &site.ID
			p.Notes = "updated"
			p.Custom = map[string]any{"plan": "pro"}
			p.Emails = []frontdesk.Email{{Address: fmt.Sprintf("new%d@example.com", i), Primary: true},
				{Address: fmt.Sprintf("second%d@example.com", i), Verified: true}}
			p.Phones = nil
		}
		// Two people swap their addresses within the batch.
		people[0].Emails, people[1].Emails = people[1].Emails, people[0].Emails
		if err := db.BulkUpdatePeople(ctx, people); err != nil {
			t.Fatal(err)
		}
		for _, i := range []int{0, 1, 99, 100, 249} {
			got, err := db.GetPerson(ctx, people[i].ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.LastName != fmt.Sprint(i) || got.FirstName != "Changed" || got.ExternalID != fmt.Sprintf("ext-%d", i) ||
				got.Notes != "updated" || got.Custom["plan"] != "pro" || got.OrganizationID == nil || *got.OrganizationID != org.ID ||
				got.SiteID == nil || *got.SiteID != site.ID || len(got.Phones) != 0 || len(got.Emails) != 2 {
				t.Fatalf("person %d read back as %+v", i, got)
			}
			if !got.CreatedAt.Equal(created) || got.UpdatedAt.Before(created) {
				t.Fatalf("person %d: created %v updated %v, want created %v", i, got.CreatedAt, got.UpdatedAt, created)
			}
		}
		// The address rows follow: lookups by the new addresses find their owners, the old
		// ones find nobody, and the second address is unique like any other.
		for _, c := range []struct {
			addr string
			want int64
		}{{"new0@example.com", people[1].ID}, {"new1@example.com", people[0].ID}, {"second249@example.com", people[249].ID}} {
			got, err := db.GetPersonByEmail(ctx, c.addr)
			if err != nil || got.ID != c.want {
				t.Fatalf("%s: got %v %v, want person %d", c.addr, got, err, c.want)
			}
		}
		if _, err := db.GetPersonByEmail(ctx, "up7@example.com"); frontdesk.ErrorCode(err) != frontdesk.ENotFound {
			t.Fatalf("the old address still finds someone: %v", err)
		}
		if _, err := createPerson(db, frontdesk.PersonInput{Email: ptr("second7@example.com")}); frontdesk.ErrorCode(err) != frontdesk.EConflict {
			t.Fatalf("an address written by the bulk update was not unique: %v", err)
		}
		// The name keys follow too: suggestions find the new names.
		found, err := db.SuggestPeople(ctx, "changed 24", 10)
		if err != nil || len(found) == 0 {
			t.Fatalf("search by the new name: %v %v", found, err)
		}
	})
}

// B3: a bulk update fails whole: an address of someone outside the batch, an address twice
// in the batch, a missing id, a repeated id, an external id taken.
func TestBulkUpdatePeopleFailsWhole_B3(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		people := bulkPeople("whole", 150)
		if err := db.BulkInsertPeople(ctx, people); err != nil {
			t.Fatal(err)
		}
		outsider := mustCreatePerson(t, db, frontdesk.PersonInput{Email: ptr("outsider@example.com"), ExternalID: ptr("taken")})
		reset := func() {
			for i, p := range people {
				p.LastName = "Renamed"
				p.ExternalID = ""
				p.Emails = []frontdesk.Email{{Address: fmt.Sprintf("whole%d@example.com", i), Primary: true}}
			}
		}
		reset()
		people[120].Emails = []frontdesk.Email{{Address: "outsider@example.com", Primary: true}}
		wantCode(t, db.BulkUpdatePeople(ctx, people), frontdesk.EConflict)

		reset()
		people[3].Emails = []frontdesk.Email{{Address: "whole4@example.com", Primary: true}}
		wantCode(t, db.BulkUpdatePeople(ctx, people), frontdesk.EConflict)

		reset()
		people[140].ExternalID = "taken"
		wantCode(t, db.BulkUpdatePeople(ctx, people), frontdesk.EConflict)

		reset()
		ghost := *people[0]
		ghost.ID = outsider.ID + 1000
		e := wantCode(t, db.BulkUpdatePeople(ctx, append(people[:len(people):len(people)], &ghost)), frontdesk.ENotFound)
		if e.Message == "" {
			t.Fatal("no message")
		}
		reset()
		wantCode(t, db.BulkUpdatePeople(ctx, append(people[:len(people):len(people)], people[0])), frontdesk.EInvalid)

		// Nothing of the failed batches landed.
		for _, i := range []int{0, 3, 120, 140, 149} {
			got, err := db.GetPerson(ctx, people[i].ID)
			if err != nil || got.LastName != fmt.Sprint(i) || got.ExternalID != "" {
				t.Fatalf("person %d changed by a failed batch: %+v %v", i, got, err)
			}
		}
		if got, err := db.GetPersonByEmail(ctx, "outsider@example.com"); err != nil || got.ID != outsider.ID {
			t.Fatalf("the outsider lost their address: %v %v", got, err)
		}
	})
}

// B4: both bulk paths join the transaction of ctx, so an import commits its checkpoint with
// its rows, or neither.
func TestBulkPathsJoinTransaction_B4(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		boom := errors.New("boom")
		people := bulkPeople("tx", 20)
		err := db.WithTx(ctx, func(ctx context.Context) error {
			if err := db.BulkInsertPeople(ctx, people); err != nil {
				return err
			}
			// Seen inside the transaction...
			if got, err := db.GetPersonByEmail(ctx, "tx3@example.com"); err != nil || got.ID != people[3].ID {
				t.Errorf("inside the transaction: %v %v", got, err)
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatal(err)
		}
		// ...and gone with it.
		if n, err := db.CountRows(ctx, "people"); err != nil || n != 0 {
			t.Fatalf("a rolled-back bulk insert left %d people (%v)", n, err)
		}
		if _, err := db.GetPersonByEmail(ctx, "tx3@example.com"); frontdesk.ErrorCode(err) != frontdesk.ENotFound {
			t.Fatalf("a rolled-back bulk insert left its address: %v", err)
		}

		people = bulkPeople("tx", 20)
		if err := db.BulkInsertPeople(ctx, people); err != nil {
			t.Fatal(err)
		}
		for _, p := range people {
			p.LastName = "Rolled back"
		}
		err = db.WithTx(ctx, func(ctx context.Context) error {
			if err := db.BulkUpdatePeople(ctx, people); err != nil {
				return err
			}
			if got, err := db.GetPerson(ctx, people[5].ID); err != nil || got.LastName != "Rolled back" {
				t.Errorf("inside the transaction: %v %v", got, err)
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatal(err)
		}
		if got, err := db.GetPerson(ctx, people[5].ID); err != nil || got.LastName != "5" {
			t.Fatalf("a rolled-back bulk update stayed: %v %v", got, err)
		}

		// Committed, both land with the other writes of the transaction.
		more := bulkPeople("tx-more", 5)
		for _, p := range people {
			p.LastName = "Committed"
		}
		err = db.WithTx(ctx, func(ctx context.Context) error {
			if err := db.BulkInsertPeople(ctx, more); err != nil {
				return err
			}
			if err := db.BulkUpdatePeople(ctx, people); err != nil {
				return err
			}
			p := frontdesk.NewPerson(frontdesk.ChannelImport)
			p.Emails = []frontdesk.Email{{Address: "checkpoint@example.com", Primary: true}}
			return db.CreatePerson(ctx, p)
		})
		if err != nil {
			t.Fatal(err)
		}
		if n, err := db.CountRows(ctx, "people"); err != nil || n != 26 {
			t.Fatalf("want 26 people, got %d (%v)", n, err)
		}
		if got, err := db.GetPerson(ctx, people[5].ID); err != nil || got.LastName != "Committed" {
			t.Fatalf("committed bulk update: %v %v", got, err)
		}
	})
}
