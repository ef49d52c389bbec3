package frontdesk

import (
	"encoding/json"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"
)

func ptr[T any](v T) *T { return &v }

// testRules has a US default phone region and one custom field of each of the five types.
func testRules() Rules {
	return Rules{
		PhoneRegion: "US",
		CustomFields: map[string]*CustomField{
			"tier":    {Key: "tier", Type: FieldText},
			"seats":   {Key: "seats", Type: FieldNumber},
			"renewal": {Key: "renewal", Type: FieldDate},
			"vip":     {Key: "vip", Type: FieldCheckbox},
			"plan":    {Key: "plan", Type: FieldDropdown, Options: []string{"gold", "silver"}},
		},
	}
}

// mustApplyPerson applies in to p and fails the test on any error.
func mustApplyPerson(t *testing.T, p *Person, in PersonInput) *Person {
	t.Helper()
	if err := ApplyPerson(p, in, testRules()); err != nil {
		t.Fatalf("ApplyPerson: %v", err)
	}
	return p
}

// mustNewPerson creates a contact from in and fails the test on any error.
func mustNewPerson(t *testing.T, in PersonInput) *Person {
	t.Helper()
	return mustApplyPerson(t, NewPerson(ChannelAPI), in)
}

// mustFieldErrors fails the test unless err is an EInvalid *Error, and returns its fields.
func mustFieldErrors(t *testing.T, err error) []FieldError {
	t.Helper()
	if err == nil {
		t.Fatal("got no error, want invalid fields")
	}
	e := mustInvalidError(t, err)
	if len(e.Fields) == 0 {
		t.Fatalf("error %v lists no fields", err)
	}
	return e.Fields
}

// mustFields fails the test unless err lists exactly the given fields, in any order.
func mustFields(t *testing.T, err error, want ...string) {
	t.Helper()
	fes := mustFieldErrors(t, err)
	got := fieldNames(fes)
	want = slices.Clone(want)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Fatalf("error lists fields %q, want %q (%v)", got, want, err)
	}
}

func fieldNames(fes []FieldError) []string {
	names := make([]string, len(fes))
	for i, f := range fes {
		names[i] = f.Field
	}
	sort.Strings(names)
	return names
}

// mustJSON decodes a PersonInput as the API does.
func mustJSON(t *testing.T, s string) PersonInput {
	t.Helper()
	var in PersonInput
	if err := json.Unmarshal([]byte(s), &in); err != nil {
		t.Fatalf("decoding %s: %v", s, err)
	}
	return in
}

// TestApplyPersonName_P3: a single full name fills first and last; explicit parts win.
func TestApplyPersonName_P3(t *testing.T) {
	tests := []struct {
		name             string
		in               PersonInput
		first, mid, last string
		full             string
	}{
		{"two words", PersonInput{Name: ptr("Ada Lovelace")}, "Ada", "", "Lovelace", "Ada Lovelace"},
		{"three words, extra space", PersonInput{Name: ptr("  Ada   King\u00a0Lovelace  ")}, "Ada King", "", "Lovelace", "Ada King Lovelace"},
		{"last comma first", PersonInput{Name: ptr("Lovelace, Ada")}, "Ada", "", "Lovelace", "Ada Lovelace"},
		{"last comma first, two given names", PersonInput{Name: ptr("Lovelace,Ada  King")}, "Ada King", "", "Lovelace", "Ada King Lovelace"},
		{"single word is a first name", PersonInput{Name: ptr("Cher")}, "Cher", "", "", "Cher"},
		{"unicode", PersonInput{Name: ptr("José Álvarez-Núñez")}, "José", "", "Álvarez-Núñez", "José Álvarez-Núñez"},
		{"cjk with space", PersonInput{Name: ptr("李 小龙")}, "李", "", "小龙", "李 小龙"},
		{"name with middle given", PersonInput{Name: ptr("Ada Lovelace"), MiddleName: ptr("Augusta")}, "Ada", "Augusta", "Lovelace", "Ada Augusta Lovelace"},
		{"explicit parts win over name", PersonInput{Name: ptr("Someone Else"), FirstName: ptr("Ada"), LastName: ptr("Lovelace")}, "Ada", "", "Lovelace", "Ada Lovelace"},
		{"parts collapse space", PersonInput{FirstName: ptr("  Ada \u2003 King "), LastName: ptr(" Lovelace ")}, "Ada King", "", "Lovelace", "Ada King Lovelace"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustNewPerson(t, tt.in)
			if p.FirstName != tt.first || p.MiddleName != tt.mid || p.LastName != tt.last {
				t.Fatalf("got first %q middle %q last %q, want %q %q %q", p.FirstName, p.MiddleName, p.LastName, tt.first, tt.mid, tt.last)
			}
			if got := p.FullName(); got != tt.full {
				t.Fatalf("FullName() = %q, want %q", got, tt.full)
			}
		})
	}
}

// TestApplyPersonNameUpdate_P3: on update a new full name replaces first and last and drops
// the old middle name unless one is given; the preferred name is shown when the setting asks.
func TestApplyPersonNameUpdate_P3(t *testing.T) {
	p := mustNewPerson(t, PersonInput{FirstName: ptr("Augusta"), MiddleName: ptr("Ada"), LastName: ptr("Byron"), PreferredName: ptr("Ada")})
	mustApplyPerson(t, p, PersonInput{Name: ptr("Ada Lovelace")})
	if p.FirstName != "Ada" || p.MiddleName != "" || p.LastName != "Lovelace" {
		t.Fatalf("after rename got %q %q %q", p.FirstName, p.MiddleName, p.LastName)
	}
	if got := p.DisplayName(true); got != "Ada" {
		t.Errorf("DisplayName(preferred) = %q, want the preferred name", got)
	}
	if got := p.DisplayName(false); got != "Ada Lovelace" {
		t.Errorf("DisplayName(full) = %q, want the full name", got)
	}
	mustApplyPerson(t, p, PersonInput{PreferredName: ptr("")})
	if got := p.DisplayName(true); got != "Ada Lovelace" {
		t.Errorf("DisplayName(preferred) without a preferred name = %q, want the full name", got)
	}
	// A name part too long is refused.
	err := ApplyPerson(p, PersonInput{LastName: ptr(strings.Repeat("x", maxNameLen+1))}, testRules())
	mustFields(t, err, "last_name")
}

// TestApplyPersonPhones_P4: numbers are stored in E.164, read in the default region when they
// have no country code; unreadable and repeated numbers are refused.
func TestApplyPersonPhones_P4(t *testing.T) {
	tests := []struct {
		name   string
		region string
		phones []Phone
		want   []Phone
		fields []string // when non-nil, the fields the error must list
	}{
		{"national in default region", "US", []Phone{{Number: "(415) 555-2671", Label: " work "}}, []Phone{{Number: "+14155552671", Label: "work"}}, nil},
		{"international", "US", []Phone{{Number: "+44 20 7946 0958"}}, []Phone{{Number: "+442079460958"}}, nil},
		{"national in GB", "GB", []Phone{{Number: "020 7946 0958"}}, []Phone{{Number: "+442079460958"}}, nil},
		{"region lower case", "fr", []Phone{{Number: "06 12 34 56 78"}}, []Phone{{Number: "+33612345678"}}, nil},
		{"two numbers", "US", []Phone{{Number: "415.555.2671"}, {Number: "+33 6 12 34 56 78", Label: "mobile"}},
			[]Phone{{Number: "+14155552671"}, {Number: "+33612345678", Label: "mobile"}}, nil},
		{"same number twice", "US", []Phone{{Number: "415-555-2671"}, {Number: "+1 (415) 555 2671"}}, nil, []string{"phones[1].number"}},
		{"not a number", "US", []Phone{{Number: "call me maybe"}}, nil, []string{"phones[0].number"}},
		{"too short", "US", []Phone{{Number: "12"}}, nil, []string{"phones[0].number"}},
		{"empty", "US", []Phone{{Number: "   "}}, nil, []string{"phones[0].number"}},
		{"label too long", "US", []Phone{{Number: "4155552671", Label: strings.Repeat("l", 51)}}, nil, []string{"phones[0].label"}},
		{"second bad", "US", []Phone{{Number: "4155552671"}, {Number: "x"}}, nil, []string{"phones[1].number"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rules := testRules()
			rules.PhoneRegion = tt.region
			p := NewPerson(ChannelAPI)
			err := ApplyPerson(p, PersonInput{Name: ptr("Ada Lovelace"), Phones: &tt.phones}, rules)
			if tt.fields != nil {
				mustFields(t, err, tt.fields...)
				return
			}
			if err != nil {
				t.Fatalf("ApplyPerson: %v", err)
			}
			if !slices.Equal(p.Phones, tt.want) {
				t.Fatalf("phones = %+v, want %+v", p.Phones, tt.want)
			}
		})
	}
}

// TestApplyPersonTimezone_P4: only IANA names are taken; an empty one clears the field.
func TestApplyPersonTimezone_P4(t *testing.T) {
	for _, tz := range []string{"Europe/Paris", "America/Argentina/Buenos_Aires", "UTC", " Asia/Tokyo "} {
		p := mustNewPerson(t, PersonInput{Name: ptr("Ada"), Timezone: ptr(tz)})
		if p.Timezone != strings.TrimSpace(tz) {
			t.Errorf("timezone %q stored as %q", tz, p.Timezone)
		}
	}
	for _, tz := range []string{"Mars/Olympus_Mons", "Europe/Pariss", "Local", "../../etc/passwd", "/etc/localtime", "+02:00"} {
		p := NewPerson(ChannelAPI)
		p.Timezone = "Europe/Paris"
		err := ApplyPerson(p, PersonInput{Name: ptr("Ada"), Timezone: ptr(tz)}, testRules())
		mustFields(t, err, "timezone")
		if p.Timezone != "Europe/Paris" {
			t.Errorf("refused timezone %q still changed the field to %q", tz, p.Timezone)
		}
	}
	p := NewPerson(ChannelAPI)
	p.Timezone = "Europe/Paris"
	mustApplyPerson(t, p, PersonInput{Name: ptr("Ada"), Timezone: ptr("")})
	if p.Timezone != "" {
		t.Errorf("empty timezone left %q", p.Timezone)
	}
}

// TestApplyPersonLocale_P4: locales are BCP 47 tags, stored in canonical form.
func TestApplyPersonLocale_P4(t *testing.T) {
	good := map[string]string{"en-US": "en-US", "EN-us": "en-US", "en_GB": "en-GB", "fr": "fr", " de-CH ": "de-CH", "": ""}
	for in, want := range good {
		p := mustNewPerson(t, PersonInput{Name: ptr("Ada"), Locale: ptr(in)})
		if p.Locale != want {
			t.Errorf("locale %q stored as %q, want %q", in, p.Locale, want)
		}
	}
	for _, bad := range []string{"not a locale", "english!", "12345", "en-US-!!", "xx", "en-"} {
		err := ApplyPerson(NewPerson(ChannelAPI), PersonInput{Name: ptr("Ada"), Locale: ptr(bad)}, testRules())
		mustFields(t, err, "locale")
	}
}

// TestApplyPersonCustomFields_P4: values are checked against the type of their field, for each
// of the five types; unknown fields are refused; null removes a value.
func TestApplyPersonCustomFields_P4(t *testing.T) {
	tests := []struct {
		name   string
		custom map[string]any
		ok     bool
		want   map[string]any // stored values when ok
	}{
		{"text ok", map[string]any{"tier": "enterprise"}, true, map[string]any{"tier": "enterprise"}},
		{"text given a number", map[string]any{"tier": 3.0}, false, nil},
		{"text given a bool", map[string]any{"tier": true}, false, nil},
		{"text too long", map[string]any{"tier": strings.Repeat("t", 10001)}, false, nil},
		{"number ok", map[string]any{"seats": 12.0}, true, map[string]any{"seats": 12.0}},
		{"number from json.Number", map[string]any{"seats": json.Number("12.5")}, true, map[string]any{"seats": 12.5}},
		{"number given a string", map[string]any{"seats": "12"}, false, nil},
		{"number given a bad json.Number", map[string]any{"seats": json.Number("twelve")}, false, nil},
		{"number given a bool", map[string]any{"seats": false}, false, nil},
		{"date ok", map[string]any{"renewal": "2024-02-29"}, true, map[string]any{"renewal": "2024-02-29"}},
		{"date not a day", map[string]any{"renewal": "2023-02-29"}, false, nil},
		{"date wrong layout", map[string]any{"renewal": "29/02/2024"}, false, nil},
		{"date with time", map[string]any{"renewal": "2024-02-29T10:00:00Z"}, false, nil},
		{"date given a number", map[string]any{"renewal": 20240229.0}, false, nil},
		{"checkbox ok", map[string]any{"vip": true}, true, map[string]any{"vip": true}},
		{"checkbox given a string", map[string]any{"vip": "true"}, false, nil},
		{"checkbox given a number", map[string]any{"vip": 1.0}, false, nil},
		{"dropdown ok", map[string]any{"plan": "gold"}, true, map[string]any{"plan": "gold"}},
		{"dropdown not an option", map[string]any{"plan": "platinum"}, false, nil},
		{"dropdown option case matters", map[string]any{"plan": "Gold"}, false, nil},
		{"dropdown given a number", map[string]any{"plan": 1.0}, false, nil},
		{"unknown field", map[string]any{"shoe_size": 44.0}, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := NewPerson(ChannelAPI)
			err := ApplyPerson(p, PersonInput{Name: ptr("Ada"), Custom: tt.custom}, testRules())
			if !tt.ok {
				var field string
				for k := range tt.custom {
					field = "custom." + k
				}
				mustFields(t, err, field)
				return
			}
			if err != nil {
				t.Fatalf("ApplyPerson: %v", err)
			}
			for k, v := range tt.want {
				if p.Custom[k] != v {
					t.Errorf("custom %s = %#v, want %#v", k, p.Custom[k], v)
				}
			}
		})
	}

	// Every type at once, as the API decodes it from JSON; then null removes a value and
	// leaves the others.
	p := mustNewPerson(t, mustJSON(t, `{"name":"Ada","custom":{"tier":"t1","seats":3,"renewal":"2025-01-31","vip":false,"plan":"silver"}}`))
	want := map[string]any{"tier": "t1", "seats": 3.0, "renewal": "2025-01-31", "vip": false, "plan": "silver"}
	if len(p.Custom) != len(want) {
		t.Fatalf("custom = %#v, want %#v", p.Custom, want)
	}
	for k, v := range want {
		if p.Custom[k] != v {
			t.Errorf("custom %s = %#v, want %#v", k, p.Custom[k], v)
		}
	}
	mustApplyPerson(t, p, mustJSON(t, `{"custom":{"vip":null}}`))
	if _, ok := p.Custom["vip"]; ok || len(p.Custom) != 4 {
		t.Errorf("after null, custom = %#v", p.Custom)
	}
	// Every wrong type is reported at once.
	err := ApplyPerson(NewPerson(ChannelAPI), mustJSON(t, `{"name":"Ada","custom":{"tier":1,"seats":"3","renewal":"soon","vip":"yes","plan":"bronze","nope":1}}`), testRules())
	mustFields(t, err, "custom.tier", "custom.seats", "custom.renewal", "custom.vip", "custom.plan", "custom.nope")
}

// TestApplyPersonEmails_P5: addresses are trimmed and lower-cased; the same address twice is
// refused; one address, and only one, is primary; verified flags survive an update.
func TestApplyPersonEmails_P5(t *testing.T) {
	tests := []struct {
		name   string
		in     PersonInput
		want   []Email
		fields []string
	}{
		{"single email trimmed and lower-cased", PersonInput{Email: ptr("  Ada.Lovelace@Example.COM ")},
			[]Email{{Address: "ada.lovelace@example.com", Primary: true}}, nil},
		{"idn domain lower-cased", PersonInput{Email: ptr("User@BÜCHER.de")},
			[]Email{{Address: "user@bücher.de", Primary: true}}, nil},
		{"first becomes primary", PersonInput{Emails: &[]Email{{Address: "a@example.com"}, {Address: "B@example.com"}}},
			[]Email{{Address: "a@example.com", Primary: true}, {Address: "b@example.com"}}, nil},
		{"primary kept where given", PersonInput{Emails: &[]Email{{Address: "a@example.com"}, {Address: "b@example.com", Primary: true, Verified: true}}},
			[]Email{{Address: "a@example.com"}, {Address: "b@example.com", Primary: true, Verified: true}}, nil},
		{"duplicate differing in case and space", PersonInput{Name: ptr("Ada"), Emails: &[]Email{{Address: "ada@example.com"}, {Address: " ADA@Example.com "}}},
			nil, []string{"emails[1].address"}},
		{"two primaries", PersonInput{Emails: &[]Email{{Address: "a@example.com", Primary: true}, {Address: "b@example.com", Primary: true}}},
			nil, []string{"emails"}},
		{"email and emails together", PersonInput{Name: ptr("Ada"), Email: ptr("a@example.com"), Emails: &[]Email{{Address: "b@example.com"}}},
			nil, []string{"email"}},
		{"single bad address", PersonInput{Email: ptr("not an address")}, nil, []string{"email"}},
		{"address with a tab", PersonInput{Email: ptr("ada@example.com\t")}, nil, []string{"email"}},
		{"display name form refused", PersonInput{Email: ptr("Ada <ada@example.com>")}, nil, []string{"email"}},
		{"no dot in domain", PersonInput{Email: ptr("ada@localhost")}, nil, []string{"email"}},
		{"bad address in a list", PersonInput{Name: ptr("Ada"), Emails: &[]Email{{Address: "a@example.com"}, {Address: "a@@example.com"}}},
			nil, []string{"emails[1].address"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := NewPerson(ChannelAPI)
			err := ApplyPerson(p, tt.in, testRules())
			if tt.fields != nil {
				mustFields(t, err, tt.fields...)
				return
			}
			if err != nil {
				t.Fatalf("ApplyPerson: %v", err)
			}
			if !slices.Equal(p.Emails, tt.want) {
				t.Fatalf("emails = %+v, want %+v", p.Emails, tt.want)
			}
			primaries := 0
			for _, e := range p.Emails {
				if e.Primary {
					primaries++
				}
			}
			if primaries != 1 {
				t.Fatalf("%d primary addresses, want 1", primaries)
			}
		})
	}

	// On update an address already verified stays verified.
	p := mustNewPerson(t, PersonInput{Emails: &[]Email{{Address: "ada@example.com", Verified: true}}})
	mustApplyPerson(t, p, PersonInput{Emails: &[]Email{{Address: "new@example.com", Primary: true}, {Address: "ADA@example.com"}}})
	want := []Email{{Address: "new@example.com", Primary: true}, {Address: "ada@example.com", Verified: true}}
	if !slices.Equal(p.Emails, want) {
		t.Fatalf("after update emails = %+v, want %+v", p.Emails, want)
	}
	if got := p.PrimaryEmail(); got != "new@example.com" {
		t.Fatalf("PrimaryEmail() = %q", got)
	}
}

// TestNormalizeEmailKeepsMailbox_P5: normalizing gives one string per mailbox and never a
// look-alike of another: what NFKC, case folding and IDNA make equal comes out equal (the
// Kelvin sign is a K under NFKC), and what would only look like another address is refused:
// U+0130, which folds to "i" and a combining dot; invalid UTF-8, which would become U+FFFD;
// invisible characters in the domain.
func TestNormalizeEmailKeepsMailbox_P5(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{" Ada.Lovelace@Example.COM ", "ada.lovelace@example.com"},
		{"J\u00fcrgen@B\u00dcCHER.de", "j\u00fcrgen@b\u00fccher.de"},
		{"user@xn--bcher-kva.de", "user@b\u00fccher.de"},
		{"\u212Aate@example.com", "kate@example.com"},
	} {
		if out, err := NormalizeEmail(tt.in); err != nil || out != tt.want {
			t.Errorf("NormalizeEmail(%q) = %q, %v; want %q", tt.in, out, err, tt.want)
		}
	}
	for _, in := range []string{
		"\u0130nfo@example.com",
		"\xff@example.com",
		"ada@ex\u200bample.com",
		"ada@exa\u00a0mple.com",
	} {
		if out, err := NormalizeEmail(in); err == nil {
			t.Errorf("NormalizeEmail(%q) = %q, want it refused", in, out)
		}
	}
}

// TestApplyPersonMachine_P6: a machine contact never has web access, whatever the input says,
// starts active, and cannot be staff.
func TestApplyPersonMachine_P6(t *testing.T) {
	p := mustNewPerson(t, PersonInput{Name: ptr("Fax 3rd floor"), Machine: ptr(true), WebAccess: ptr(WebAccessOrganization)})
	if p.WebAccess != WebAccessNone {
		t.Fatalf("machine contact has web access %q, want none", p.WebAccess)
	}
	if InitialState(p) != StateActive {
		t.Errorf("machine contact starts %s, want active", InitialState(p))
	}
	// Turning an existing contact into a machine drops their access; later attempts to give
	// access back are overridden too.
	q := mustNewPerson(t, PersonInput{Name: ptr("Backend"), WebAccess: ptr(WebAccessSite)})
	if q.WebAccess != WebAccessSite || InitialState(q) != StateNotActivated {
		t.Fatalf("plain contact: web access %q, initial state %s", q.WebAccess, InitialState(q))
	}
	mustApplyPerson(t, q, PersonInput{Machine: ptr(true)})
	if q.WebAccess != WebAccessNone {
		t.Fatalf("after machine=true web access %q, want none", q.WebAccess)
	}
	mustApplyPerson(t, q, PersonInput{WebAccess: ptr(WebAccessOwn)})
	if q.WebAccess != WebAccessNone {
		t.Fatalf("machine contact given web access %q, want none", q.WebAccess)
	}
	err := ApplyPerson(NewPerson(ChannelAPI), PersonInput{Name: ptr("Robot"), Role: ptr(RoleAgent), Machine: ptr(true)}, testRules())
	mustFields(t, err, "machine")
	err = ApplyPerson(NewPerson(ChannelAPI), PersonInput{Name: ptr("Ada"), WebAccess: ptr(WebAccess("everything"))}, testRules())
	mustFields(t, err, "web_access")
}

// TestApplyPersonDoNotEmail_P7: contacts may carry the flag, staff may not; the marketing
// opt-in is separate.
func TestApplyPersonDoNotEmail_P7(t *testing.T) {
	c := mustNewPerson(t, PersonInput{Name: ptr("Ada"), DoNotEmail: ptr(true), MarketingOptIn: ptr(true)})
	if !c.DoNotEmail || !c.MarketingOptIn {
		t.Fatalf("contact: do_not_email %v marketing %v", c.DoNotEmail, c.MarketingOptIn)
	}
	mustApplyPerson(t, c, PersonInput{MarketingOptIn: ptr(false)})
	if !c.DoNotEmail {
		t.Fatal("changing the marketing opt-in cleared do_not_email")
	}
	for _, r := range []Role{RoleCollaborator, RoleAgent, RoleAdmin, RoleOwner} {
		err := ApplyPerson(NewPerson(ChannelAPI), PersonInput{Name: ptr("Ada"), Role: ptr(r), DoNotEmail: ptr(true)}, testRules())
		mustFields(t, err, "do_not_email")
	}
	// A flagged contact cannot be made staff while the flag is set.
	err := ApplyPerson(c, PersonInput{Role: ptr(RoleAgent)}, testRules())
	mustFields(t, err, "do_not_email")
	c = mustNewPerson(t, PersonInput{Name: ptr("Ada"), DoNotEmail: ptr(true)})
	mustApplyPerson(t, c, PersonInput{Role: ptr(RoleAgent), DoNotEmail: ptr(false)})
	if c.Role != RoleAgent || c.DoNotEmail {
		t.Fatalf("role %s do_not_email %v", c.Role, c.DoNotEmail)
	}
}

// TestApplyPersonEveryProblemAtOnce_P4: validation reports every bad field in one error.
func TestApplyPersonEveryProblemAtOnce_P4(t *testing.T) {
	tests := []struct {
		name   string
		in     PersonInput
		fields []string
	}{
		{"three bad fields", PersonInput{Name: ptr("Ada Lovelace"), Timezone: ptr("Nowhere/Special"), Locale: ptr("not a locale"),
			Phones: &[]Phone{{Number: "not a number"}}}, []string{"timezone", "locale", "phones[0].number"}},
		{"email, role and custom", PersonInput{Name: ptr("Ada"), Email: ptr("nope"), Role: ptr(Role("superuser")),
			Custom: map[string]any{"seats": "many"}}, []string{"email", "role", "custom.seats"}},
		{"many", PersonInput{Role: ptr(RoleAgent), FirstName: ptr(strings.Repeat("a", 201)), Emails: &[]Email{{Address: "ok@example.com"}, {Address: "bad"}},
			WebAccess: ptr(WebAccess("all")), DoNotEmail: ptr(true), ExternalID: ptr(strings.Repeat("x", 256)), Custom: map[string]any{"vip": "yes", "unknown": 1.0}},
			[]string{"first_name", "emails[1].address", "web_access", "do_not_email", "external_id", "custom.vip", "custom.unknown"}},
		{"nothing identifies the person", PersonInput{Notes: ptr("who?")}, []string{"name"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ApplyPerson(NewPerson(ChannelAPI), tt.in, testRules())
			fes := mustFieldErrors(t, err)
			if len(fes) != len(tt.fields) {
				t.Fatalf("got %d problems %v, want %d", len(fes), fes, len(tt.fields))
			}
			mustFields(t, err, tt.fields...)
			for _, f := range fes {
				if f.Message == "" {
					t.Errorf("field %s has no message", f.Field)
				}
				if !strings.Contains(err.Error(), f.Field) {
					t.Errorf("error text %q does not name %s", err.Error(), f.Field)
				}
			}
		})
	}
}

// TestApplyPersonIdentity_P4: any one of a name, an address, a phone or an external id is
// enough to create a person.
func TestApplyPersonIdentity_P4(t *testing.T) {
	for _, in := range []PersonInput{
		{Name: ptr("Ada")},
		{PreferredName: ptr("Ada")},
		{Email: ptr("ada@example.com")},
		{Phones: &[]Phone{{Number: "+1 415 555 2671"}}},
		{ExternalID: ptr("crm-42")},
	} {
		mustNewPerson(t, in)
	}
	err := ApplyPerson(NewPerson(ChannelAPI), PersonInput{Name: ptr("   ")}, testRules())
	mustFields(t, err, "name")
}

// TestRefJSON_P9: organization and site references are positive ids or null.
func TestRefJSON_P9(t *testing.T) {
	in := mustJSON(t, `{"organization_id": 7, "site_id": null}`)
	if !in.OrganizationID.Set || in.OrganizationID.ID == nil || *in.OrganizationID.ID != 7 {
		t.Fatalf("organization_id = %+v", in.OrganizationID)
	}
	for _, bad := range []string{`{"site_id": 0}`, `{"site_id": -3}`, `{"site_id": "7"}`, `{"site_id": 7.5}`, `{"site_id": true}`} {
		var in PersonInput
		if err := json.Unmarshal([]byte(bad), &in); err == nil {
			t.Errorf("decoding %s succeeded", bad)
		}
	}
	// Moving to another organization clears the site unless one is given.
	p := mustNewPerson(t, mustJSON(t, `{"name":"Ada","organization_id":1,"site_id":2}`))
	mustApplyPerson(t, p, mustJSON(t, `{"organization_id":3}`))
	if p.OrganizationID == nil || *p.OrganizationID != 3 || p.SiteID != nil {
		t.Fatalf("after move organization %v site %v", p.OrganizationID, p.SiteID)
	}
}

// TestRefJSONNullClears_P9: on update, a JSON null clears the organization or the site,
// while leaving the field out keeps it.
func TestRefJSONNullClears_P9(t *testing.T) {
	p := mustNewPerson(t, mustJSON(t, `{"name":"Ada","organization_id":1,"site_id":2}`))
	mustApplyPerson(t, p, mustJSON(t, `{"site_id":null}`))
	if p.SiteID != nil {
		t.Errorf("site_id null left site %d", *p.SiteID)
	}
	mustApplyPerson(t, p, mustJSON(t, `{"organization_id":null}`))
	if p.OrganizationID != nil {
		t.Errorf("organization_id null left organization %d", *p.OrganizationID)
	}
}

// TestParsePersonFilter_L7 reads good filters and refuses bad values, naming each bad
// parameter.
func TestParsePersonFilter_L7(t *testing.T) {
	fields := testRules().CustomFields
	f, err := ParsePersonFilter(mustQuery(t, "state=active,banned&state=disabled&role=agent&kind=staff&organization_id=4&site_id=9"+
		"&without_login=true&email=%20Ada@Example.com&cf.seats=2.5&cf.vip=true&cf.renewal=2024-01-31&cf.plan=gold&cf.tier=x"), fields)
	if err != nil {
		t.Fatalf("ParsePersonFilter: %v", err)
	}
	if !slices.Equal(f.States, []State{StateActive, StateBanned, StateDisabled}) || !slices.Equal(f.Roles, []Role{RoleAgent}) ||
		f.Kind != "staff" || f.OrganizationID != 4 || f.SiteID != 9 || !f.WithoutLogin || f.Email != "ada@example.com" ||
		len(f.Custom) != 5 || f.Custom["seats"] != "2.5" {
		t.Fatalf("filter = %+v", f)
	}

	tests := []struct {
		query  string
		fields []string
	}{
		{"state=deleted", []string{"state"}},
		{"state=Active", []string{"state"}},
		{"state=without_login", []string{"state"}},
		{"role=superuser", []string{"role"}},
		{"role=agent,root", []string{"role"}},
		{"cf.unknown=1", []string{"cf.unknown"}},
		{"cf.seats=lots", []string{"cf.seats"}},
		{"cf.seats=", []string{"cf.seats"}},
		{"cf.vip=yes", []string{"cf.vip"}},
		{"cf.renewal=31/01/2024", []string{"cf.renewal"}},
		{"cf.plan=bronze", []string{"cf.plan"}},
		{"kind=robot", []string{"kind"}},
		{"organization_id=-1", []string{"organization_id"}},
		{"site_id=abc", []string{"site_id"}},
		{"without_login=maybe", []string{"without_login"}},
		{"email=not-an-address", []string{"email"}},
		{"state=gone&role=god&cf.unknown=1&cf.seats=NaNa", []string{"state", "role", "cf.unknown", "cf.seats"}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			_, err := ParsePersonFilter(mustQuery(t, tt.query), fields)
			mustFields(t, err, tt.fields...)
		})
	}
}

// TestApplySegment_L7: a saved filter is checked as a URL filter is.
func TestApplySegment_L7(t *testing.T) {
	fields := testRules().CustomFields
	var s Segment
	if err := ApplySegment(&s, SegmentInput{Name: ptr("  VIP   agents "), Filter: &PersonFilter{Roles: []Role{RoleAgent}, Custom: map[string]string{"vip": "true"}}}, fields); err != nil {
		t.Fatalf("ApplySegment: %v", err)
	}
	if s.Name != "VIP agents" {
		t.Errorf("name = %q", s.Name)
	}
	err := ApplySegment(&Segment{}, SegmentInput{Name: ptr(""), Filter: &PersonFilter{States: []State{"gone"}, Custom: map[string]string{"seats": "x"}}}, fields)
	mustFields(t, err, "name", "filter.state", "filter.cf.seats")
}

func mustQuery(t *testing.T, s string) url.Values {
	t.Helper()
	q, err := url.ParseQuery(s)
	if err != nil {
		t.Fatalf("parsing query %q: %v", s, err)
	}
	return q
}

// B1, B5, B6: usernames are stored trimmed and lower-case; odd characters are refused with
// the field named.
func TestNormalizeUsername_B1(t *testing.T) {
	for in, want := range map[string]string{" JDoe ": "jdoe", "ada.l@example.com": "ada.l@example.com", "o'brien": "o'brien", "": "", "Zoë_2": "zoë_2"} {
		if got, err := NormalizeUsername(in); err != nil || got != want {
			t.Errorf("NormalizeUsername(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"a b", "a/b", "a\x00", strings.Repeat("x", 129)} {
		if _, err := NormalizeUsername(bad); err == nil {
			t.Errorf("NormalizeUsername(%q) accepted", bad)
		}
	}
	p := NewPerson(ChannelAPI)
	err := ApplyPerson(p, PersonInput{Name: ptr("A"), Username: ptr("a b")}, Rules{})
	if e, ok := err.(*Error); !ok || len(e.Fields) != 1 || e.Fields[0].Field != "username" {
		t.Fatalf("want the username named, got %v", err)
	}
	// A username alone is enough to name a person.
	p = NewPerson(ChannelAPI)
	if err := ApplyPerson(p, PersonInput{Username: ptr("solo")}, Rules{}); err != nil || p.Username != "solo" {
		t.Fatalf("username only: %v %q", err, p.Username)
	}
}
