package frontdesk

import (
	"strings"
	"testing"
)

// applyFunc applies one text value to one field of some input type and returns the error.
type applyFunc func(v string) error

// textFields lists one text field of every input type, with its limit and the field name
// its problems carry: every one must be limited and refuse invisible characters.
func textFields() []struct {
	field string
	max   int
	apply applyFunc
} {
	person := func(in func(v string) PersonInput) applyFunc {
		return func(v string) error { return ApplyPerson(NewPerson(ChannelAPI), in(v), testRules()) }
	}
	org := func(in func(v string) OrganizationInput) applyFunc {
		return func(v string) error { return ApplyOrganization(&Organization{}, in(v)) }
	}
	site := func(in func(v string) SiteInput) applyFunc {
		return func(v string) error {
			s := SiteInput{OrganizationID: ptr(int64(1)), Name: ptr("Main")}
			return ApplySite(&Site{}, merge(s, in(v)), true)
		}
	}
	return []struct {
		field string
		max   int
		apply applyFunc
	}{
		{"name", maxNameLen, person(func(v string) PersonInput { return PersonInput{Name: &v} })},
		{"first_name", maxNameLen, person(func(v string) PersonInput { return PersonInput{FirstName: &v} })},
		{"middle_name", maxNameLen, person(func(v string) PersonInput { return PersonInput{Name: ptr("A"), MiddleName: &v} })},
		{"last_name", maxNameLen, person(func(v string) PersonInput { return PersonInput{LastName: &v} })},
		{"preferred_name", maxNameLen, person(func(v string) PersonInput { return PersonInput{PreferredName: &v} })},
		{"external_id", maxExternalIDLen, person(func(v string) PersonInput { return PersonInput{ExternalID: &v} })},
		{"notes", maxNotesLen, person(func(v string) PersonInput { return PersonInput{Name: ptr("A"), Notes: &v} })},
		{"phones[0].label", maxLabelLen, person(func(v string) PersonInput {
			return PersonInput{Phones: &[]Phone{{Number: "+14155550100", Label: v}}}
		})},
		{"addresses[0].street", maxStreetLen, person(func(v string) PersonInput {
			return PersonInput{Name: ptr("A"), Addresses: &[]PostalAddress{{Street: v}}}
		})},
		{"addresses[0].city", maxPlaceLen, person(func(v string) PersonInput {
			return PersonInput{Name: ptr("A"), Addresses: &[]PostalAddress{{City: v}}}
		})},
		{"addresses[0].label", maxLabelLen, person(func(v string) PersonInput {
			return PersonInput{Name: ptr("A"), Addresses: &[]PostalAddress{{Label: v}}}
		})},
		{"custom.tier", maxCustomTextLen, person(func(v string) PersonInput {
			return PersonInput{Name: ptr("A"), Custom: map[string]any{"tier": v}}
		})},
		{"name", maxObjectNameLen, org(func(v string) OrganizationInput { return OrganizationInput{Name: &v} })},
		{"external_id", maxExternalIDLen, org(func(v string) OrganizationInput { return OrganizationInput{Name: ptr("A"), ExternalID: &v} })},
		{"notes", maxNotesLen, org(func(v string) OrganizationInput { return OrganizationInput{Name: ptr("A"), Notes: &v} })},
		{"name", maxObjectNameLen, site(func(v string) SiteInput { return SiteInput{Name: &v} })},
		{"address.postal_code", maxPostalCodeLen, site(func(v string) SiteInput { return SiteInput{Address: &PostalAddress{PostalCode: v}} })},
		{"label", maxFieldLabelLen, func(v string) error {
			return ApplyCustomField(&CustomField{}, CustomFieldInput{Key: ptr("k"), Type: ptr(FieldText), Label: &v}, true)
		}},
		{"options[1]", maxFieldLabelLen, func(v string) error {
			return ApplyCustomField(&CustomField{}, CustomFieldInput{Key: ptr("k"), Type: ptr(FieldDropdown), Options: &[]string{"a", v}}, true)
		}},
		{"name", maxObjectNameLen, func(v string) error { return ApplySegment(&Segment{}, SegmentInput{Name: &v}, nil) }},
		{"filter.cf.tier", maxCustomTextLen, func(v string) error {
			return ApplySegment(&Segment{}, SegmentInput{Name: ptr("S"), Filter: &PersonFilter{Custom: map[string]string{"tier": v}}}, testRules().CustomFields)
		}},
		{"name", 100, func(v string) error {
			return ApplyStaffRole(&StaffRole{}, StaffRoleInput{Name: &v, BaseRole: ptr(RoleAgent)}, true)
		}},
		{"subject", 500, func(v string) error { return CheckTicket(&Ticket{Subject: v, RequesterID: 1}) }},
	}
}

// merge fills the zero fields of b from a.
func merge(a, b SiteInput) SiteInput {
	if b.Name == nil {
		b.Name = a.Name
	}
	if b.OrganizationID == nil {
		b.OrganizationID = a.OrganizationID
	}
	return b
}

// Issue 7, item 15: every text field of every input type has a limit, counted in characters
// of the value as stored: the limit itself passes, one more is refused naming the field, and
// a 900,000-character value is refused the same way.
func TestEveryTextFieldHasALimit_Issue7_15(t *testing.T) {
	for _, f := range textFields() {
		// "é" is two bytes: the limit counts characters, not bytes.
		if err := f.apply(strings.Repeat("é", f.max)); err != nil {
			t.Errorf("%s: %d characters refused: %v", f.field, f.max, err)
		}
		for _, n := range []int{f.max + 1, 900_000} {
			mustFields(t, f.apply(strings.Repeat("é", n)), f.field)
		}
	}
}

// Issue 7, item 15: a full name is limited after it is split: each part may have 200
// characters, and a part of 201 is refused on "name", even when the whole would pass.
func TestNameLimitAfterSplitting_Issue7_15(t *testing.T) {
	long := strings.Repeat("a", maxNameLen)
	p := mustNewPerson(t, PersonInput{Name: ptr(long + "   " + long)})
	if p.FirstName != long || p.LastName != long {
		t.Fatalf("two parts of %d characters gave %d and %d", maxNameLen, len(p.FirstName), len(p.LastName))
	}
	mustFields(t, ApplyPerson(NewPerson(ChannelAPI), PersonInput{Name: ptr("Ada " + long + "x")}, testRules()), "name")
	mustFields(t, ApplyPerson(NewPerson(ChannelAPI), PersonInput{Name: ptr(long + "x, Ada")}, testRules()), "name")
	mustFields(t, ApplyPerson(NewPerson(ChannelAPI), PersonInput{Name: ptr(long + "x Lovelace")}, testRules()), "name")
	mustFields(t, ApplyPerson(NewPerson(ChannelAPI), PersonInput{Name: ptr("Lovelace, " + long + "x")}, testRules()), "name")
	mustFields(t, ApplyPerson(NewPerson(ChannelAPI), PersonInput{Name: ptr(strings.Repeat("x", 900_000))}, testRules()), "name")
}

// Issue 7, item 18: NUL and other control characters, bidirectional overrides and isolates,
// zero-width and other invisible characters, and invalid UTF-8 are refused in every text
// field with an error naming it. Multi-line fields take tabs and line breaks; no other does.
func TestInvisibleCharactersRefusedInEveryTextField_Issue7_18(t *testing.T) {
	bad := map[string]string{
		"NUL":             "a\x00b",
		"bell":            "a\x07b",
		"DEL":             "a\x7fb",
		"C1 control":      "a\u0085b",
		"RLO":             "a\u202eb",
		"LRE":             "a\u202ab",
		"RLI":             "a\u2067b",
		"zero-width":      "a\u200bb",
		"word joiner":     "a\u2060b",
		"byte order mark": "\ufeffab",
		"soft hyphen":     "a\u00adb",
		"invalid UTF-8":   "a\xffb",
	}
	for _, f := range textFields() {
		for what, v := range bad {
			err := f.apply(v)
			if err == nil {
				t.Errorf("%s: %s accepted", f.field, what)
				continue
			}
			mustFields(t, err, f.field)
		}
		lines := f.field == "notes" || f.field == "addresses[0].street" || f.field == "custom.tier"
		err := f.apply("line one\n\tline two\r\n")
		if lines && err != nil {
			t.Errorf("%s: a multi-line value refused: %v", f.field, err)
		}
		if !lines {
			mustFields(t, err, f.field)
		}
	}
	// The joiners Persian, the Indic scripts and emoji need are kept.
	p := mustNewPerson(t, PersonInput{FirstName: ptr("\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645")})
	if p.FirstName != "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645" {
		t.Errorf("a zero-width non-joiner in a Persian name was not kept: %q", p.FirstName)
	}
}

// P5, C14 (issue 7, item 16): two ways of writing one mailbox normalize to one string, so
// that the store's unique key on the address sees one person: fullwidth letters, an
// IDNA-equivalent domain, NFD against NFC, case, a punycode domain.
func TestSameMailboxOneNormalForm_P5_C14(t *testing.T) {
	for _, set := range [][]string{
		{"dup.base@example.com", "\uff44\uff55\uff50.base@example.com", "dup.base@\uff45xample.com", "DUP.BASE@EXAMPLE.COM", "dup.base@\uff25\uff38\uff21\uff2d\uff30\uff2c\uff25.com"},
		{"jos\u00e9@example.com", "jose\u0301@example.com", "JOSE\u0301@example.com", "JOS\u00c9@example.com"},
		{"user@b\u00fccher.de", "user@xn--bcher-kva.de", "USER@BU\u0308CHER.DE", "user@XN--BCHER-KVA.de"},
		{"strasse@example.com", "Stra\u00dfe@example.com", "STRASSE@example.com"},
	} {
		want, err := NormalizeEmail(set[0])
		if err != nil {
			t.Fatalf("NormalizeEmail(%q): %v", set[0], err)
		}
		for _, in := range set[1:] {
			if got, err := NormalizeEmail(in); err != nil || got != want {
				t.Errorf("NormalizeEmail(%q) = %q, %v; want %q, as for %q", in, got, err, want, set[0])
			}
		}
	}
	// The same list of addresses in two forms is one address listed twice.
	err := ApplyPerson(NewPerson(ChannelAPI), PersonInput{Emails: &[]Email{{Address: "dup.base@example.com"}, {Address: "\uff44\uff55\uff50.base@example.com"}}}, testRules())
	mustFields(t, err, "emails[1].address")
	// An organization's domain is written as the domain of an address is, so they match.
	for _, d := range []string{"xn--bcher-kva.de", "B\u00dcCHER.de", "bu\u0308cher.de."} {
		if got, err := NormalizeDomain(d); err != nil || got != EmailDomain(mustNormalizeEmail(t, "a@b\u00fccher.de")) {
			t.Errorf("NormalizeDomain(%q) = %q, %v; want the domain of the address", d, got, err)
		}
	}
}

// P5, C14 (issue 7, item 16): a part of an address mixing scripts is a look-alike and is
// refused with an error saying so; one script alone, and the mixes of Han with Japanese or
// Korean letters and Latin, are ordinary writing.
func TestMixedScriptAddressRefused_P5_C14(t *testing.T) {
	for _, in := range []string{
		"a@ex\u0430mple.com",            // Cyrillic а among Latin letters
		"\u0440aypal@example.com",       // Cyrillic р in the local part
		"a@\u03bfpenai.com",             // Greek ο
		"ad\u0430.b@example.com",        // in one dot-separated part of the local part
		"a@xn--exmple-4nf.com",          // the same look-alike, in punycode
		"a@example.\u0441\u043em\u0440", // in the top-level domain
	} {
		_, err := NormalizeEmail(in)
		if err == nil || !strings.Contains(err.Error(), "mixes") {
			t.Errorf("NormalizeEmail(%q): %v, want it refused as mixing scripts", in, err)
		}
		mustFields(t, ApplyPerson(NewPerson(ChannelAPI), PersonInput{Email: &in}, testRules()), "email")
	}
	for _, in := range []string{"\u0438\u0432\u0430\u043d@\u043f\u0440\u0438\u043c\u0435\u0440.\u0440\u0444", "ivan@\u043f\u0440\u0438\u043c\u0435\u0440.com",
		"\u7530\u4e2d@\u4f8b\u3048.jp", "\u30bf\u30ca\u30abtanaka@example.jp", "\u03b1\u03b2@example.gr"} {
		if _, err := NormalizeEmail(in); err != nil {
			t.Errorf("NormalizeEmail(%q): %v, want it taken", in, err)
		}
	}
	if _, err := NormalizeDomain("ex\u0430mple.com"); err == nil {
		t.Error("an organization domain mixing scripts was taken")
	}
}

// P5 (issue 7, item 17): only spaces are trimmed; a CR, LF, tab or other control character
// anywhere in an address is an error, as are a numeric top-level domain and a bare IPv4
// address.
func TestAddressControlCharactersAndNumericDomains_P5(t *testing.T) {
	for _, in := range []string{
		"test@iana.org\r\n", "test@iana.org\n", "\ttest@iana.org", "test@iana.org\t", "te\rst@iana.org",
		"test@ia\nna.org", "test\x00@iana.org", "test@iana.org\x0b", "test@iana.org\u0085",
		"test@iana.123", "test@255.255.255.255", "test@1.2.3.4", "test@example.42",
		"test@[127.0.0.1]", "test@[IPv6:::1]",
	} {
		if out, err := NormalizeEmail(in); err == nil {
			t.Errorf("NormalizeEmail(%q) = %q, want it refused", in, out)
		}
	}
	for in, want := range map[string]string{
		"  test@iana.org  ":    "test@iana.org",
		"test@123.example.org": "test@123.example.org", // numeric labels are fine below the top
		"test@iana.xn--p1ai":   "test@iana.\u0440\u0444",
	} {
		if got, err := NormalizeEmail(in); err != nil || got != want {
			t.Errorf("NormalizeEmail(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func mustNormalizeEmail(t *testing.T, s string) string {
	t.Helper()
	n, err := NormalizeEmail(s)
	if err != nil {
		t.Fatalf("NormalizeEmail(%q): %v", s, err)
	}
	return n
}
