package frontdesk

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/language"
)

// WebAccess is how much of the help center a contact may see (P8).
type WebAccess string

// Web access levels.
const (
	WebAccessNone         WebAccess = "none"
	WebAccessOwn          WebAccess = "own"
	WebAccessSite         WebAccess = "site"
	WebAccessOrganization WebAccess = "organization"
)

// WebAccessLevels lists every web access level.
var WebAccessLevels = []WebAccess{WebAccessNone, WebAccessOwn, WebAccessSite, WebAccessOrganization}

// Channel says how a person came to exist (L7 filters on it).
type Channel string

// Creation channels known so far.
const (
	ChannelAPI     Channel = "api"
	ChannelConsole Channel = "console"
	ChannelCLI     Channel = "cli"
	ChannelImport  Channel = "import"
	// ChannelHelpCenter is self-registration on the help center (C7).
	ChannelHelpCenter Channel = "help_center"
	// ChannelRequest is a guest's request on the help-center or embedded form (C4, C5).
	ChannelRequest Channel = "request"
	ChannelEmail   Channel = "email"
	ChannelChat    Channel = "chat"
	ChannelPhone   Channel = "phone"
	// ChannelSCIM is an identity provider's provisioning (B6).
	ChannelSCIM Channel = "scim"
)

// Channels lists every creation channel.
var Channels = []Channel{ChannelAPI, ChannelConsole, ChannelCLI, ChannelImport, ChannelHelpCenter,
	ChannelRequest, ChannelEmail, ChannelChat, ChannelPhone, ChannelSCIM}

// Person is a contact or a staff member (P1).
type Person struct {
	ID             int64           `json:"id"`
	Role           Role            `json:"role"`
	StaffRoleID    *int64          `json:"staff_role_id"` // a custom staff role (R2); Role is then its base
	State          State           `json:"state"`
	FirstName      string          `json:"first_name"`
	MiddleName     string          `json:"middle_name"`
	LastName       string          `json:"last_name"`
	PreferredName  string          `json:"preferred_name"`
	Emails         []Email         `json:"emails"`
	Phones         []Phone         `json:"phones"`
	Addresses      []PostalAddress `json:"addresses"`
	Timezone       string          `json:"timezone"`
	Locale         string          `json:"locale"`
	ExternalID     string          `json:"external_id"`
	Username       string          `json:"username"` // optional unique login name, lower-case
	Notes          string          `json:"notes"`
	Custom         map[string]any  `json:"custom"`
	WebAccess      WebAccess       `json:"web_access"`
	Machine        bool            `json:"machine"`
	DoNotEmail     bool            `json:"do_not_email"`
	MarketingOptIn bool            `json:"marketing_opt_in"`
	OrganizationID *int64          `json:"organization_id"`
	// OrganizationSource says how the organization was set (OrgSource...): a domain rule
	// moves people it placed, and leaves those staff or a directory placed (X6).
	OrganizationSource OrgSource  `json:"organization_source"`
	SiteID             *int64     `json:"site_id"`
	Channel            Channel    `json:"channel"`
	BannedUntil        *time.Time `json:"banned_until"`
	BanReason          string     `json:"ban_reason"`
	LastLoginAt        *time.Time `json:"last_login_at"`
	CreatedAt          time.Time  `json:"created_at"`
	UpdatedAt          time.Time  `json:"updated_at"`
}

// Email is one address of a person, normalized (P4, P5).
type Email struct {
	Address  string `json:"address"`
	Primary  bool   `json:"primary"`
	Verified bool   `json:"verified"`
}

// Phone is one phone number of a person in E.164 form.
type Phone struct {
	Number string `json:"number"`
	Label  string `json:"label"`
}

// PostalAddress is one postal address of a person or a site.
type PostalAddress struct {
	Label      string `json:"label"`
	Street     string `json:"street"`
	City       string `json:"city"`
	Region     string `json:"region"`
	PostalCode string `json:"postal_code"`
	Country    string `json:"country"`
}

// FullName returns first, middle and last name joined.
func (p *Person) FullName() string { return FullName(p.FirstName, p.MiddleName, p.LastName) }

// DisplayName returns the name lists and tickets show: the preferred name when the setting
// asks for it and there is one, else the full name (P3).
func (p *Person) DisplayName(preferred bool) string {
	if preferred && p.PreferredName != "" {
		return p.PreferredName
	}
	return p.FullName()
}

// PrimaryEmail returns the primary address, or "" when the person has none.
func (p *Person) PrimaryEmail() string {
	for _, e := range p.Emails {
		if e.Primary {
			return e.Address
		}
	}
	return ""
}

// PersonInput creates a person or changes one: on update, only the fields present change.
type PersonInput struct {
	Role           *Role            `json:"role"`
	StaffRoleID    Ref              `json:"staff_role_id"` // resolved by the caller, which knows the roles
	Name           *string          `json:"name"`
	FirstName      *string          `json:"first_name"`
	MiddleName     *string          `json:"middle_name"`
	LastName       *string          `json:"last_name"`
	PreferredName  *string          `json:"preferred_name"`
	Email          *string          `json:"email"`
	Emails         *[]Email         `json:"emails"`
	Phones         *[]Phone         `json:"phones"`
	Addresses      *[]PostalAddress `json:"addresses"`
	Timezone       *string          `json:"timezone"`
	Locale         *string          `json:"locale"`
	ExternalID     *string          `json:"external_id"`
	Username       *string          `json:"username"`
	Notes          *string          `json:"notes"`
	Custom         map[string]any   `json:"custom"`
	WebAccess      *WebAccess       `json:"web_access"`
	Machine        *bool            `json:"machine"`
	DoNotEmail     *bool            `json:"do_not_email"`
	MarketingOptIn *bool            `json:"marketing_opt_in"`
	OrganizationID Ref              `json:"organization_id"`
	SiteID         Ref              `json:"site_id"`
}

// Ref is an optional reference to another object. Set says whether the input named it at
// all; on update, a JSON null (Set with a nil ID) clears it.
type Ref struct {
	Set bool
	ID  *int64
}

// RefTo returns a reference to the object with the given id.
func RefTo(id int64) Ref { return Ref{Set: true, ID: &id} }

// UnmarshalJSON reads an id or null. encoding/json calls it for null too, since Ref is not
// a pointer, which is what lets null clear.
func (r *Ref) UnmarshalJSON(b []byte) error {
	r.Set = true
	if string(b) == "null" {
		r.ID = nil
		return nil
	}
	id, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil || id <= 0 {
		// The decoder names the field of an UnmarshalTypeError.
		return &json.UnmarshalTypeError{Value: string(b), Type: reflect.TypeFor[Ref]()}
	}
	r.ID = &id
	return nil
}

// Rules carries what validating a person needs from outside: settings and definitions.
type Rules struct {
	PhoneRegion  string
	CustomFields map[string]*CustomField
}

// Limits of the text fields of a person, in characters of the stored (normalized) value.
const (
	maxNameLen       = 200
	maxLabelLen      = 50
	maxPhoneLen      = 50
	maxStreetLen     = 1000
	maxPlaceLen      = 200 // city and region
	maxPostalCodeLen = 40
	maxTimezoneLen   = 64
	maxLocaleLen     = 35
	maxExternalIDLen = 255
	maxUsernameLen   = 128
	maxNotesLen      = 65536
	maxCustomTextLen = 10000
	// maxContacts bounds each list of a person: emails, phones, postal addresses.
	maxContacts = 50
)

// ApplyPerson applies in to p and validates the result, reporting every problem at once.
// Creating starts from NewPerson; the store checks what needs the database (organizations,
// sites, unique addresses). Every text field is limited and checked after it is split and
// normalized (CleanText).
func ApplyPerson(p *Person, in PersonInput, rules Rules) error {
	var probs Problems
	if in.Role != nil {
		if !in.Role.Valid() {
			probs.Add("role", "must be one of %v", Roles)
		} else {
			p.Role = *in.Role
		}
	}
	if in.Name != nil && in.FirstName == nil && in.LastName == nil {
		before := len(probs)
		CleanText(&probs, "name", *in.Name, 2*maxNameLen+1, OneLine)
		if len(probs) == before {
			// The limits that count are those of the parts the name is stored as.
			first, last := SplitFullName(*in.Name)
			first = CleanText(&probs, "name", first, maxNameLen, OneLine)
			if len(probs) == before {
				last = CleanText(&probs, "name", last, maxNameLen, OneLine)
			}
			if len(probs) == before {
				p.FirstName, p.LastName = first, last
				if in.MiddleName == nil {
					p.MiddleName = ""
				}
			}
		}
	}
	setName := func(field string, src *string, dst *string) {
		if src == nil {
			return
		}
		before := len(probs)
		if v := CleanText(&probs, field, *src, maxNameLen, OneLine); len(probs) == before {
			*dst = v
		}
	}
	setName("first_name", in.FirstName, &p.FirstName)
	setName("middle_name", in.MiddleName, &p.MiddleName)
	setName("last_name", in.LastName, &p.LastName)
	setName("preferred_name", in.PreferredName, &p.PreferredName)

	if in.Email != nil && in.Emails != nil {
		probs.Add("email", "give either email or emails, not both")
	} else if in.Email != nil {
		if strings.Trim(*in.Email, " ") == "" {
			p.Emails = []Email{}
		} else {
			in.Emails = &[]Email{{Address: *in.Email, Primary: true}}
		}
	}
	if in.Emails != nil && checkCount(&probs, "emails", len(*in.Emails), maxContacts) {
		p.Emails = applyEmails(*in.Emails, p.Emails, &probs)
	}
	if in.Phones != nil && checkCount(&probs, "phones", len(*in.Phones), maxContacts) {
		p.Phones = []Phone{}
		for i, ph := range *in.Phones {
			field := fmt.Sprintf("phones[%d].number", i)
			before := len(probs)
			raw := CleanText(&probs, field, ph.Number, maxPhoneLen, Trimmed)
			label := CleanText(&probs, fmt.Sprintf("phones[%d].label", i), ph.Label, maxLabelLen, OneLine)
			if len(probs) > before {
				continue
			}
			n, err := NormalizePhone(raw, rules.PhoneRegion)
			switch {
			case err != nil:
				probs.Add(field, "%v", err)
			case slices.ContainsFunc(p.Phones, func(x Phone) bool { return x.Number == n }):
				probs.Add(field, "%s is listed twice", n)
			default:
				p.Phones = append(p.Phones, Phone{Number: n, Label: label})
			}
		}
	}
	if in.Addresses != nil && checkCount(&probs, "addresses", len(*in.Addresses), maxContacts) {
		p.Addresses = []PostalAddress{}
		for i, a := range *in.Addresses {
			p.Addresses = append(p.Addresses, cleanPostalAddress(&probs, fmt.Sprintf("addresses[%d].", i), a))
		}
	}
	if in.Timezone != nil {
		before := len(probs)
		tz := CleanText(&probs, "timezone", *in.Timezone, maxTimezoneLen, Trimmed)
		switch {
		case len(probs) > before:
		case tz != "" && !ValidTimezone(tz):
			probs.Add("timezone", "%q is not an IANA time zone name", tz)
		default:
			p.Timezone = tz
		}
	}
	if in.Locale != nil {
		before := len(probs)
		l := CleanText(&probs, "locale", *in.Locale, maxLocaleLen, Trimmed)
		if l != "" && len(probs) == before {
			tag, err := language.Parse(l)
			if err != nil {
				probs.Add("locale", "%q is not a BCP 47 language tag", l)
			} else {
				l = tag.String()
			}
		}
		if len(probs) == before {
			p.Locale = l
		}
	}
	if in.ExternalID != nil {
		before := len(probs)
		if v := CleanText(&probs, "external_id", *in.ExternalID, maxExternalIDLen, Trimmed); len(probs) == before {
			p.ExternalID = v
		}
	}
	if in.Username != nil {
		if v, err := NormalizeUsername(*in.Username); err != nil {
			probs.Add("username", "%v", err)
		} else {
			p.Username = v
		}
	}
	if in.Notes != nil {
		before := len(probs)
		if v := CleanText(&probs, "notes", *in.Notes, maxNotesLen, MultiLine); len(probs) == before {
			p.Notes = v
		}
	}
	if in.Custom != nil {
		if p.Custom == nil {
			p.Custom = map[string]any{}
		}
		for k, v := range in.Custom {
			def, ok := rules.CustomFields[k]
			switch {
			case !ok && !fieldKey.MatchString(k):
				probs.Add("custom", "holds a key that is no custom field key (a-z, 0-9 and _, at most 63)")
			case !ok:
				probs.Add("custom."+k, "there is no custom field %q", k)
			case v == nil:
				delete(p.Custom, k)
			default:
				cv, err := def.CheckValue(v)
				if err != nil {
					probs.Add("custom."+k, "%v", err)
				} else {
					p.Custom[k] = cv
				}
			}
		}
	}
	if in.WebAccess != nil {
		if !slices.Contains(WebAccessLevels, *in.WebAccess) {
			probs.Add("web_access", "must be one of %v", WebAccessLevels)
		} else {
			p.WebAccess = *in.WebAccess
		}
	}
	if in.Machine != nil {
		p.Machine = *in.Machine
	}
	if in.DoNotEmail != nil {
		p.DoNotEmail = *in.DoNotEmail
	}
	if in.MarketingOptIn != nil {
		p.MarketingOptIn = *in.MarketingOptIn
	}
	if in.OrganizationID.Set {
		p.OrganizationID = in.OrganizationID.ID
		if !in.SiteID.Set {
			p.SiteID = nil // a site belongs to one organization; moving clears it unless given
		}
	}
	if in.SiteID.Set {
		p.SiteID = in.SiteID.ID
	}
	if in.OrganizationID.Set || in.SiteID.Set {
		// Whoever names the organization owns the choice; the caller (an import, a
		// directory) may name itself instead afterwards.
		p.OrganizationSource = OrgSourceManual
		if p.OrganizationID == nil && p.SiteID == nil {
			p.OrganizationSource = OrgSourceNone
		}
	}

	if p.Role.IsStaff() {
		if p.Machine {
			probs.Add("machine", "staff cannot be machine contacts")
		}
		if p.DoNotEmail {
			probs.Add("do_not_email", "staff cannot carry the do-not-email flag")
		}
	}
	if p.Machine {
		// Machine contacts never log in (P6).
		p.WebAccess = WebAccessNone
	}
	// A refused name, address, number or id is problem enough; "needs at least" would only
	// repeat it.
	identityRefused := slices.ContainsFunc(probs, func(f FieldError) bool {
		return slices.Contains([]string{"name", "first_name", "last_name", "preferred_name", "email", "emails", "phones", "external_id", "username"}, f.Field) ||
			strings.HasPrefix(f.Field, "emails[") || strings.HasPrefix(f.Field, "phones[")
	})
	if p.FirstName == "" && p.LastName == "" && p.PreferredName == "" && len(p.Emails) == 0 &&
		len(p.Phones) == 0 && p.ExternalID == "" && p.Username == "" && !identityRefused {
		probs.Add("name", "a person needs at least a name, an email address, a phone number, an external id or a username")
	}
	return probs.Err()
}

// applyEmails validates a new list of addresses. Addresses already known keep their
// verified flag unless the input sets it; exactly one address is primary.
func applyEmails(in []Email, old []Email, probs *Problems) []Email {
	out := make([]Email, 0, len(in))
	primaries := 0
	for i, e := range in {
		field := fmt.Sprintf("emails[%d].address", i)
		if len(in) == 1 {
			field = "email"
		}
		a, err := NormalizeEmail(e.Address)
		if err != nil {
			probs.Add(field, "%v", err)
			continue
		}
		if slices.ContainsFunc(out, func(x Email) bool { return x.Address == a }) {
			probs.Add(field, "%s is listed twice (addresses are compared in their normal form)", a)
			continue
		}
		verified := e.Verified
		for _, o := range old {
			if o.Address == a && o.Verified {
				verified = true
			}
		}
		if e.Primary {
			primaries++
		}
		out = append(out, Email{Address: a, Primary: e.Primary, Verified: verified})
	}
	if primaries > 1 {
		probs.Add("emails", "only one address can be primary")
	}
	if primaries == 0 && len(out) > 0 {
		out[0].Primary = true
	}
	return out
}

// cleanPostalAddress normalizes one postal address and adds its problems to probs, each
// field named with prefix ("addresses[0]." or "address.").
func cleanPostalAddress(probs *Problems, prefix string, a PostalAddress) PostalAddress {
	out := PostalAddress{
		Label:      CleanText(probs, prefix+"label", a.Label, maxLabelLen, OneLine),
		Street:     strings.TrimSpace(CleanText(probs, prefix+"street", a.Street, maxStreetLen, MultiLine)),
		City:       CleanText(probs, prefix+"city", a.City, maxPlaceLen, OneLine),
		Region:     CleanText(probs, prefix+"region", a.Region, maxPlaceLen, OneLine),
		PostalCode: CleanText(probs, prefix+"postal_code", a.PostalCode, maxPostalCodeLen, OneLine),
	}
	before := len(*probs)
	out.Country = strings.ToUpper(CleanText(probs, prefix+"country", a.Country, 2, OneLine))
	if len(*probs) == before && out.Country != "" && !ValidRegion(out.Country) {
		probs.Add(prefix+"country", "%q is not an ISO 3166 country code", out.Country)
	}
	return out
}

// NewPerson returns a person with the defaults every channel starts from.
func NewPerson(channel Channel) *Person {
	return &Person{Role: RoleContact, State: StateNotActivated, WebAccess: WebAccessOwn, Channel: channel,
		Custom: map[string]any{}, Emails: []Email{}, Phones: []Phone{}, Addresses: []PostalAddress{}}
}

// InitialState returns the state a newly created person starts in: machine contacts are
// confirmed at once (P6, C3); everyone else confirms their address first (C1, C2).
func InitialState(p *Person) State {
	if p.Machine {
		return StateActive
	}
	return StateNotActivated
}

// OrgSource says how a person's organization was set.
type OrgSource string

// How an organization comes to a person (X6).
const (
	OrgSourceNone      OrgSource = ""
	OrgSourceDomain    OrgSource = "domain"
	OrgSourceManual    OrgSource = "manual"
	OrgSourceImport    OrgSource = "import"
	OrgSourceDirectory OrgSource = "directory"
	OrgSourceSCIM      OrgSource = "scim"
)

// NormalizeUsername returns the stored form of a login name: trimmed and lower-case, so that
// "JDoe" and "jdoe" are one name. An empty name means none. Letters, digits and . _ - @ + '
// are allowed: directories use sAMAccountName-like names, identity providers often an address.
func NormalizeUsername(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return "", nil
	}
	if utf8.RuneCountInString(s) > maxUsernameLen {
		return "", fmt.Errorf("is longer than %d characters", maxUsernameLen)
	}
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !strings.ContainsRune("._-@+'", r) {
			return "", fmt.Errorf("may hold only letters, digits and . _ - @ + ' (not %q)", r)
		}
	}
	return s, nil
}
