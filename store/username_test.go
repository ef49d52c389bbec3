package store_test

import (
	"testing"

	"frontdesk"
	"frontdesk/store"
	"frontdesk/store/storetest"
)

// B1, B5, B6: a username is one login name per person, whatever its case; it finds the
// person, and a second person cannot take it.
func TestUsernameIsUniqueAndFindsThePerson_B1(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		p := mustCreatePerson(t, db, frontdesk.PersonInput{Name: ptr("Jo Doe"), Username: ptr(" JDoe ")})
		if p.Username != "jdoe" {
			t.Fatalf("username stored as %q, want jdoe", p.Username)
		}
		got, err := db.GetPersonByUsername(ctx, "JDOE")
		if err != nil || got.ID != p.ID || got.Username != "jdoe" {
			t.Fatalf("by username: %+v %v", got, err)
		}
		_, err = createPerson(db, frontdesk.PersonInput{Name: ptr("Other"), Username: ptr("jdoe")})
		if e := wantCode(t, err, frontdesk.EConflict); len(e.Fields) != 1 || e.Fields[0].Field != "username" {
			t.Fatalf("conflict does not name the username: %+v", e)
		}
		// Many people have no username at all.
		mustCreatePerson(t, db, frontdesk.PersonInput{Name: ptr("No Name One")})
		mustCreatePerson(t, db, frontdesk.PersonInput{Name: ptr("No Name Two")})
		_, err = db.GetPersonByUsername(ctx, "")
		wantCode(t, err, frontdesk.ENotFound)
		_, err = db.GetPersonByUsername(ctx, "nobody")
		wantCode(t, err, frontdesk.ENotFound)
		// Clearing frees the name.
		if _, err := db.UpdatePerson(ctx, p.ID, func(q *frontdesk.Person) error { q.Username = ""; return nil }); err != nil {
			t.Fatal(err)
		}
		mustCreatePerson(t, db, frontdesk.PersonInput{Name: ptr("Taker"), Username: ptr("jdoe")})
	})
}

// X6: the store records how an organization came to a person: by its domain, or named.
func TestOrganizationSource_X6(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		acme := mustOrg(t, db, "Acme", "acme.example")
		byDomain := mustCreatePerson(t, db, frontdesk.PersonInput{Email: ptr("wile@acme.example")})
		named := mustCreatePerson(t, db, frontdesk.PersonInput{Email: ptr("road@acme.example"), OrganizationID: frontdesk.RefTo(acme.ID)})
		none := mustCreatePerson(t, db, frontdesk.PersonInput{Email: ptr("x@elsewhere.example")})
		for _, c := range []struct {
			p    *frontdesk.Person
			want frontdesk.OrgSource
		}{{byDomain, frontdesk.OrgSourceDomain}, {named, frontdesk.OrgSourceManual}, {none, frontdesk.OrgSourceNone}} {
			got, err := db.GetPerson(ctx, c.p.ID)
			if err != nil || got.OrganizationSource != c.want {
				t.Fatalf("person %s: organization source %q, want %q (%v)", got.PrimaryEmail(), got.OrganizationSource, c.want, err)
			}
		}
	})
}
