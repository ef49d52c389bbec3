package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"frontdesk"
	"frontdesk/store"
	"frontdesk/store/storetest"
)

var ctx = context.Background()

func ptr[T any](v T) *T { return &v }

func mustCreatePerson(t *testing.T, db *store.DB, in frontdesk.PersonInput) *frontdesk.Person {
	t.Helper()
	p, err := createPerson(db, in)
	if err != nil {
		t.Fatalf("create person: %v", err)
	}
	return p
}

func createPerson(db *store.DB, in frontdesk.PersonInput) (*frontdesk.Person, error) {
	fields, err := db.CustomFieldMap(ctx)
	if err != nil {
		return nil, err
	}
	p := frontdesk.NewPerson(frontdesk.ChannelAPI)
	if err := frontdesk.ApplyPerson(p, in, frontdesk.Rules{PhoneRegion: "US", CustomFields: fields}); err != nil {
		return nil, err
	}
	p.State = frontdesk.InitialState(p)
	return p, db.CreatePerson(ctx, p)
}

func mustOrg(t *testing.T, db *store.DB, name string, domains ...string) *frontdesk.Organization {
	t.Helper()
	o := &frontdesk.Organization{}
	if err := frontdesk.ApplyOrganization(o, frontdesk.OrganizationInput{Name: &name, Domains: &domains}); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateOrganization(ctx, o); err != nil {
		t.Fatal(err)
	}
	return o
}

func mustSite(t *testing.T, db *store.DB, org int64, name string) *frontdesk.Site {
	t.Helper()
	s := &frontdesk.Site{}
	if err := frontdesk.ApplySite(s, frontdesk.SiteInput{OrganizationID: &org, Name: &name}, true); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateSite(ctx, s); err != nil {
		t.Fatal(err)
	}
	return s
}

func wantCode(t *testing.T, err error, code frontdesk.Code) *frontdesk.Error {
	t.Helper()
	var e *frontdesk.Error
	if !errors.As(err, &e) || e.Code != code {
		t.Fatalf("want a %s error, got %v", code, err)
	}
	return e
}

// P4, P5: a person round-trips with every field, and the address is stored normalized.
func TestCreateAndGetPerson_P4_P5(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		p := mustCreatePerson(t, db, frontdesk.PersonInput{
			Name:      ptr("Ada Lovelace"),
			Emails:    &[]frontdesk.Email{{Address: "  Ada@Example.COM "}, {Address: "ada@work.example", Verified: true}},
			Phones:    &[]frontdesk.Phone{{Number: "(415) 555-2671", Label: "work"}},
			Timezone:  ptr("Europe/London"),
			Locale:    ptr("en-GB"),
			Addresses: &[]frontdesk.PostalAddress{{Street: "1 Main St", City: "London", Country: "gb"}},
		})
		got, err := db.GetPerson(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.FirstName != "Ada" || got.LastName != "Lovelace" || got.PrimaryEmail() != "ada@example.com" ||
			len(got.Emails) != 2 || !got.Emails[1].Verified || got.Emails[0].Verified ||
			got.Phones[0].Number != "+14155552671" || got.Addresses[0].Country != "GB" || got.Timezone != "Europe/London" {
			t.Fatalf("round trip: %+v", got)
		}
		byEmail, err := db.GetPersonByEmail(ctx, " ADA@example.com")
		if err != nil || byEmail.ID != p.ID {
			t.Fatalf("by email: %v %v", byEmail, err)
		}
		_, err = db.GetPersonByEmail(ctx, "nobody@example.com")
		wantCode(t, err, frontdesk.ENotFound)
	})
}

// P5: a taken address is refused with an error naming the existing person, also when it is
// the second address of a person, and nothing is written.
func TestTakenAddressNamesOwner_P5(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		first := mustCreatePerson(t, db, frontdesk.PersonInput{Email: ptr("a@example.com"), Name: ptr("A")})
		_, err := createPerson(db, frontdesk.PersonInput{Emails: &[]frontdesk.Email{{Address: "new@example.com"}, {Address: "A@example.com "}}})
		e := wantCode(t, err, frontdesk.EConflict)
		if e.Extra["existing_person_id"] != first.ID {
			t.Fatalf("conflict does not name person %d: %+v", first.ID, e)
		}
		if _, err := db.GetPersonByEmail(ctx, "new@example.com"); frontdesk.ErrorCode(err) != frontdesk.ENotFound {
			t.Fatalf("a refused create wrote its other address: %v", err)
		}
		people, _, err := db.ListPeople(ctx, frontdesk.PersonFilter{}, frontdesk.Page{})
		if err != nil || len(people) != 1 {
			t.Fatalf("want 1 person, got %d (%v)", len(people), err)
		}
	})
}

// P5, C14: 50 concurrent creates of one address make exactly one person and 49 conflicts.
func TestConcurrentCreatesOfOneAddress_C14(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		const n = 50
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				_, errs[i] = createPerson(db, frontdesk.PersonInput{Email: ptr("Race@Example.com"), Name: ptr(fmt.Sprint("Racer ", i))})
			})
		}
		wg.Wait()
		ok, conflicts := 0, 0
		for _, err := range errs {
			switch frontdesk.ErrorCode(err) {
			case frontdesk.EInternal:
				if err == nil {
					ok++
				} else {
					t.Errorf("unexpected error: %v", err)
				}
			case frontdesk.EConflict:
				conflicts++
			default:
				t.Errorf("unexpected error: %v", err)
			}
		}
		if ok != 1 || conflicts != n-1 {
			t.Fatalf("want 1 created and %d conflicts, got %d and %d", n-1, ok, conflicts)
		}
		people, _, _ := db.ListPeople(ctx, frontdesk.PersonFilter{}, frontdesk.Page{})
		if len(people) != 1 {
			t.Fatalf("want 1 person stored, got %d", len(people))
		}
	})
}

// P9: a person created with an address of an organization's domain joins it, unless an
// organization was given; a site of another organization and unknown ones are refused.
func TestOrganizationsDomainsAndSites_P9(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		acme := mustOrg(t, db, "Acme", "acme.example")
		other := mustOrg(t, db, "Other")
		hq := mustSite(t, db, acme.ID, "HQ")
		otherSite := mustSite(t, db, other.ID, "Branch")

		p := mustCreatePerson(t, db, frontdesk.PersonInput{Email: ptr("wile@ACME.example")})
		if p.OrganizationID == nil || *p.OrganizationID != acme.ID {
			t.Fatalf("domain did not assign the organization: %v", p.OrganizationID)
		}
		p = mustCreatePerson(t, db, frontdesk.PersonInput{Email: ptr("road@acme.example"), OrganizationID: frontdesk.RefTo(other.ID)})
		if *p.OrganizationID != other.ID {
			t.Fatal("an explicit organization lost to the domain")
		}
		p = mustCreatePerson(t, db, frontdesk.PersonInput{Name: ptr("Site Only"), SiteID: frontdesk.RefTo(hq.ID)})
		if *p.OrganizationID != acme.ID {
			t.Fatal("a site did not bring its organization")
		}
		_, err := createPerson(db, frontdesk.PersonInput{Name: ptr("X"), OrganizationID: frontdesk.RefTo(acme.ID), SiteID: frontdesk.RefTo(otherSite.ID)})
		if e := wantCode(t, err, frontdesk.EInvalid); e.Fields[0].Field != "site_id" {
			t.Fatalf("want site_id named: %+v", e)
		}
		missing := int64(9999)
		_, err = createPerson(db, frontdesk.PersonInput{Name: ptr("Y"), OrganizationID: frontdesk.RefTo(missing), SiteID: frontdesk.RefTo(missing)})
		if e := wantCode(t, err, frontdesk.EInvalid); len(e.Fields) != 2 {
			t.Fatalf("want both fields named: %+v", e)
		}
		// A domain belongs to at most one organization.
		dup := &frontdesk.Organization{Name: "Copycat", Domains: []string{"acme.example"}}
		wantCode(t, db.CreateOrganization(ctx, dup), frontdesk.EConflict)
		if _, err := db.UpdateOrganization(ctx, other.ID, frontdesk.OrganizationInput{Domains: &[]string{"acme.example"}}); frontdesk.ErrorCode(err) != frontdesk.EConflict {
			t.Fatalf("want conflict, got %v", err)
		}
	})
}

// L7: lists filter by state, role, organization, without login, channel and custom fields,
// page with a cursor, and a segment saves a filter.
func TestListFiltersAndSegments_L7(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		plan := &frontdesk.CustomField{}
		if err := frontdesk.ApplyCustomField(plan, frontdesk.CustomFieldInput{Key: ptr("plan"), Type: ptr(frontdesk.FieldDropdown), Options: &[]string{"free", "pro"}}, true); err != nil {
			t.Fatal(err)
		}
		if err := db.CreateCustomField(ctx, plan); err != nil {
			t.Fatal(err)
		}
		seats := &frontdesk.CustomField{Key: "seats", Type: frontdesk.FieldNumber, Label: "Seats", Options: []string{}}
		vip := &frontdesk.CustomField{Key: "vip", Type: frontdesk.FieldCheckbox, Label: "VIP", Options: []string{}}
		for _, f := range []*frontdesk.CustomField{seats, vip} {
			if err := db.CreateCustomField(ctx, f); err != nil {
				t.Fatal(err)
			}
		}
		org := mustOrg(t, db, "Acme")
		for i := range 12 {
			in := frontdesk.PersonInput{Email: ptr(fmt.Sprintf("p%d@example.com", i)), Custom: map[string]any{"plan": "free", "seats": float64(i), "vip": i%2 == 0}}
			if i%3 == 0 {
				in.Custom["plan"] = "pro"
				in.OrganizationID = frontdesk.RefTo(org.ID)
			}
			if i == 11 {
				in.Machine = ptr(true) // active at once, never logged in
			}
			mustCreatePerson(t, db, in)
		}
		count := func(f frontdesk.PersonFilter) int {
			t.Helper()
			var all []*frontdesk.Person
			page := frontdesk.Page{Limit: 5}
			for {
				people, next, err := db.ListPeople(ctx, f, page)
				if err != nil {
					t.Fatal(err)
				}
				all = append(all, people...)
				if next == 0 {
					return len(all)
				}
				page.After = next
			}
		}
		cases := []struct {
			name string
			f    frontdesk.PersonFilter
			want int
		}{
			{"all", frontdesk.PersonFilter{}, 12},
			{"pro", frontdesk.PersonFilter{Custom: map[string]string{"plan": "pro"}}, 4},
			{"seats", frontdesk.PersonFilter{Custom: map[string]string{"seats": "7"}}, 1},
			{"vip", frontdesk.PersonFilter{Custom: map[string]string{"vip": "true"}}, 6},
			{"org", frontdesk.PersonFilter{OrganizationID: org.ID}, 4},
			{"active", frontdesk.PersonFilter{States: []frontdesk.State{frontdesk.StateActive}}, 1},
			{"without login", frontdesk.PersonFilter{WithoutLogin: true}, 12},
			{"staff", frontdesk.PersonFilter{Kind: "staff"}, 0},
			{"channel", frontdesk.PersonFilter{Channel: frontdesk.ChannelAPI}, 12},
			{"email", frontdesk.PersonFilter{Email: "p3@example.com"}, 1},
		}
		for _, c := range cases {
			if got := count(c.f); got != c.want {
				t.Errorf("%s: want %d, got %d", c.name, c.want, got)
			}
		}
		fields, _ := db.CustomFieldMap(ctx)
		seg := &frontdesk.Segment{}
		if err := frontdesk.ApplySegment(seg, frontdesk.SegmentInput{Name: ptr("Pro customers"), Filter: &frontdesk.PersonFilter{Custom: map[string]string{"plan": "pro"}}}, fields); err != nil {
			t.Fatal(err)
		}
		if err := db.CreateSegment(ctx, seg); err != nil {
			t.Fatal(err)
		}
		got, err := db.GetSegment(ctx, seg.ID)
		if err != nil || count(got.Filter) != 4 {
			t.Fatalf("segment: %v %v", got, err)
		}
		wantCode(t, db.CreateSegment(ctx, &frontdesk.Segment{Name: "pro CUSTOMERS"}), frontdesk.EConflict)
	})
}

// P5: suggestions match the start of an address or of a name, without case.
func TestSuggest_P5(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		mustCreatePerson(t, db, frontdesk.PersonInput{Name: ptr("Grace Hopper"), Email: ptr("grace@navy.example")})
		mustCreatePerson(t, db, frontdesk.PersonInput{Name: ptr("Alan Turing"), Email: ptr("alan@example.com")})
		mustCreatePerson(t, db, frontdesk.PersonInput{Name: ptr("Ada Lovelace"), Email: ptr("countess@example.com")})
		for prefix, want := range map[string]string{"GRA": "Grace", "hop": "Grace", "alan t": "Alan", "turing": "Alan", "count": "Ada", "lovelace a": "Ada"} {
			got, err := db.SuggestPeople(ctx, prefix, 10)
			if err != nil || len(got) != 1 || got[0].FirstName != want {
				t.Errorf("suggest %q: want %s, got %v (%v)", prefix, want, got, err)
			}
		}
		got, _ := db.SuggestPeople(ctx, "zzz", 10)
		if len(got) != 0 {
			t.Errorf("suggest zzz: %v", got)
		}
	})
}

// L1, L3, L6: state changes go through the table, end API tokens, and are audited; restoring
// from the trash returns to the earlier state.
func TestSetStateAuditAndTokens_L1_L3_L6(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		staff := mustCreatePerson(t, db, frontdesk.PersonInput{Name: ptr("Sam Staff"), Email: ptr("sam@example.com"), Role: ptr(frontdesk.RoleAgent)})
		if _, err := db.CreateAPIToken(ctx, staff.ID, "ci"); frontdesk.ErrorCode(err) != frontdesk.EInvalid {
			t.Fatalf("a token for a not-activated person: %v", err)
		}
		if _, err := db.SetState(ctx, staff.ID, store.StateChange{To: frontdesk.StateActive}); err != nil {
			t.Fatal(err)
		}
		secret, err := db.CreateAPIToken(ctx, staff.ID, "ci")
		if err != nil {
			t.Fatal(err)
		}
		if a, err := db.Authenticate(ctx, secret); err != nil || a.ID != staff.ID || a.Role != frontdesk.RoleAgent {
			t.Fatalf("authenticate: %+v %v", a, err)
		}
		if _, err := db.Authenticate(ctx, secret+"x"); frontdesk.ErrorCode(err) != frontdesk.EUnauthorized {
			t.Fatalf("tampered token: %v", err)
		}
		if _, err := db.SetState(ctx, staff.ID, store.StateChange{To: frontdesk.StateAwaitingApproval}); frontdesk.ErrorCode(err) != frontdesk.EInvalid {
			t.Fatalf("active to awaiting approval must be refused: %v", err)
		}
		if _, err := db.SetState(ctx, staff.ID, store.StateChange{To: frontdesk.StateDisabled}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Authenticate(ctx, secret); frontdesk.ErrorCode(err) != frontdesk.EUnauthorized {
			t.Fatalf("a disabled person's token still works: %v", err)
		}
		if _, err := db.SetState(ctx, staff.ID, store.StateChange{To: frontdesk.StateTrashed}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.SetState(ctx, staff.ID, store.StateChange{To: frontdesk.StateActive}); frontdesk.ErrorCode(err) != frontdesk.EInvalid {
			t.Fatalf("restore to another state than before: %v", err)
		}
		p, err := db.SetState(ctx, staff.ID, store.StateChange{To: frontdesk.StateDisabled})
		if err != nil || p.State != frontdesk.StateDisabled {
			t.Fatalf("restore: %v %v", p, err)
		}
		until := time.Now().Add(time.Hour)
		p, err = db.SetState(ctx, staff.ID, store.StateChange{To: frontdesk.StateBanned, BanReason: "spam", BannedUntil: &until})
		if err != nil || p.BanReason != "spam" || p.BannedUntil == nil {
			t.Fatalf("ban: %v %v", p, err)
		}
		entries, _, err := db.ListAudit(ctx, frontdesk.AuditFilter{SubjectType: "person", SubjectID: staff.ID})
		if err != nil {
			t.Fatal(err)
		}
		var states []string
		for _, e := range entries {
			if e.Action == "person.state" {
				states = append(states, e.Action)
			}
			if e.Before == nil && e.Action != "person.create" && e.Action != "api_token.create" {
				t.Errorf("%s has no before", e.Action)
			}
		}
		if len(states) != 5 {
			t.Fatalf("want 5 audited state changes, got %d: %+v", len(states), entries)
		}
	})
}

// I2: an Idempotency-Key's answer is stored with the create in one transaction, and a
// second use replays it.
func TestIdempotently_I2(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		create := func(ctx context.Context) (int, []byte, error) {
			p := frontdesk.NewPerson(frontdesk.ChannelAPI)
			p.FirstName = "Once"
			if err := db.CreatePerson(ctx, p); err != nil {
				return 0, nil, err
			}
			return 201, []byte(fmt.Sprint(p.ID)), nil
		}
		status, body, err := db.Idempotently(ctx, 1, "k1", "h", create)
		if err != nil || status != 201 {
			t.Fatal(status, err)
		}
		if _, _, err := db.Idempotently(ctx, 1, "k1", "h", create); !errors.Is(err, store.ErrIdempotencyRace) {
			t.Fatalf("second use: %v", err)
		}
		stored, err := db.LookupIdempotencyKey(ctx, 1, "k1", "h")
		if err != nil || stored.Status != 201 || string(stored.Body) != string(body) {
			t.Fatalf("lookup: %+v %v", stored, err)
		}
		if _, err := db.LookupIdempotencyKey(ctx, 1, "k1", "other"); frontdesk.ErrorCode(err) != frontdesk.EInvalid {
			t.Fatalf("reuse for another request: %v", err)
		}
		// A failed create leaves the key free.
		if _, _, err := db.Idempotently(ctx, 1, "k2", "h", func(ctx context.Context) (int, []byte, error) {
			return 0, nil, frontdesk.InvalidField("name", "bad")
		}); frontdesk.ErrorCode(err) != frontdesk.EInvalid {
			t.Fatal(err)
		}
		if stored, _ := db.LookupIdempotencyKey(ctx, 1, "k2", "h"); stored != nil {
			t.Fatal("a failed create kept its key")
		}
		people, _, _ := db.ListPeople(ctx, frontdesk.PersonFilter{}, frontdesk.Page{})
		if len(people) != 1 {
			t.Fatalf("want 1 person, got %d", len(people))
		}
	})
}

// The bulk path stores people with their addresses, keeps the unique rule, and the stored
// people read back like any other.
func TestBulkInsertPeople(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		var batch []*frontdesk.Person
		for i := range 1000 {
			p := frontdesk.NewPerson(frontdesk.ChannelImport)
			p.FirstName, p.LastName = "Bulk", fmt.Sprint(i)
			p.Emails = []frontdesk.Email{{Address: fmt.Sprintf("bulk%d@example.com", i), Primary: true}}
			p.Phones = []frontdesk.Phone{{Number: fmt.Sprintf("+1415555%04d", i)}}
			batch = append(batch, p)
		}
		if err := db.BulkInsertPeople(ctx, batch); err != nil {
			t.Fatal(err)
		}
		got, err := db.GetPersonByEmail(ctx, "bulk999@example.com")
		if err != nil || got.ID != batch[999].ID || got.LastName != "999" {
			t.Fatalf("read back: %v %v", got, err)
		}
		again := frontdesk.NewPerson(frontdesk.ChannelImport)
		again.Emails = []frontdesk.Email{{Address: "bulk5@example.com", Primary: true}}
		wantCode(t, db.BulkInsertPeople(ctx, []*frontdesk.Person{again}), frontdesk.EConflict)
		if _, err := createPerson(db, frontdesk.PersonInput{Email: ptr("bulk7@example.com")}); frontdesk.ErrorCode(err) != frontdesk.EConflict {
			t.Fatalf("a bulk-loaded address was not unique: %v", err)
		}
	})
}

// P2: there is never a second owner.
func TestOneOwner_P2(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		mustCreatePerson(t, db, frontdesk.PersonInput{Name: ptr("First Owner"), Role: ptr(frontdesk.RoleOwner)})
		_, err := createPerson(db, frontdesk.PersonInput{Name: ptr("Second Owner"), Role: ptr(frontdesk.RoleOwner)})
		wantCode(t, err, frontdesk.EConflict)
	})
}
