package scim

import (
	"fmt"
	"strconv"
	"strings"

	"frontdesk"
)

// A SCIM User is a Frontdesk person (B6):
//   userName               username (lower-case, unique)
//   name.givenName etc.    first_name, middle_name, last_name; name.formatted alone is split
//   displayName            preferred_name
//   emails                 emails (verified: the provider vouches); their types are kept
//   phoneNumbers           phones (type as label)
//   addresses              postal addresses
//   externalId, locale, timezone   the columns of those names
//   active                 state: active, or disabled through the transition table
//   groups                 the SCIM groups the person is in (read-only)
// Everything else the provider sends (title, nickName, userType, the enterprise extension
// with employeeNumber, organization, department, manager...) is kept as sent in scim_users
// and returned as it was.

// userAttrs are the attributes of the core User schema this provider knows.
var userAttrs = map[string]bool{"userName": true, "name": true, "displayName": true, "nickName": true, "profileUrl": true,
	"title": true, "userType": true, "preferredLanguage": true, "locale": true, "timezone": true, "active": true,
	"password": true, "emails": true, "phoneNumbers": true, "ims": true, "photos": true, "addresses": true, "groups": true,
	"entitlements": true, "roles": true, "x509Certificates": true, "externalId": true}

// mapped are the attributes that live in people's columns; the rest are kept as sent.
var mapped = map[string]bool{"userName": true, "name": true, "displayName": true, "locale": true, "timezone": true,
	"active": true, "emails": true, "phoneNumbers": true, "addresses": true, "externalId": true}

// ignored are attributes a provider may send that are never stored: read-only ones, and the
// password, since people sign in through the provider or set their own (changePassword is
// not supported).
var ignored = map[string]bool{"id": true, "meta": true, "schemas": true, "groups": true, "password": true}

// emailTypesKey keeps the type of each address in the stored attributes.
const emailTypesKey = "frontdesk:emailTypes"

// etagOf is a person's version as SCIM's ETag: their last change, to the microsecond.
func etagOf(p *frontdesk.Person) string {
	return fmt.Sprintf(`W/"%d"`, p.UpdatedAt.UnixMicro())
}

// userResource is the SCIM representation of p. For a PATCH, bare is set: no read-only
// attributes and nothing made up, so that the result stores back to the same person.
func userResource(p *frontdesk.Person, attrs map[string]any, groups []*frontdesk.SCIMGroup, base string, bare bool) map[string]any {
	res := map[string]any{}
	types, _ := attrs[emailTypesKey].(map[string]any)
	for k, v := range attrs {
		if k != emailTypesKey {
			res[k] = v
		}
	}
	if u := usernameOf(p); u != "" {
		res["userName"] = u
	} else if !bare {
		// userName is required by the schema; people made elsewhere may have none.
		if e := p.PrimaryEmail(); e != "" {
			res["userName"] = e
		} else {
			res["userName"] = strconv.FormatInt(p.ID, 10)
		}
	}
	if p.ExternalID != "" {
		res["externalId"] = p.ExternalID
	}
	name := map[string]any{}
	for k, v := range map[string]string{"givenName": p.FirstName, "middleName": p.MiddleName, "familyName": p.LastName} {
		if v != "" {
			name[k] = v
		}
	}
	if !bare && p.FullName() != "" {
		name["formatted"] = p.FullName()
	}
	if len(name) > 0 {
		res["name"] = name
	}
	if p.PreferredName != "" {
		res["displayName"] = p.PreferredName
	}
	if len(p.Emails) > 0 {
		var emails []any
		for _, e := range p.Emails {
			t, _ := types[e.Address].(string)
			if t == "" {
				t = "work"
			}
			emails = append(emails, map[string]any{"value": e.Address, "type": t, "primary": e.Primary})
		}
		res["emails"] = emails
	}
	if len(p.Phones) > 0 {
		var phones []any
		for _, ph := range p.Phones {
			m := map[string]any{"value": ph.Number}
			if ph.Label != "" {
				m["type"] = ph.Label
			}
			phones = append(phones, m)
		}
		res["phoneNumbers"] = phones
	}
	if len(p.Addresses) > 0 {
		var addrs []any
		for _, a := range p.Addresses {
			m := map[string]any{}
			for k, v := range map[string]string{"type": a.Label, "streetAddress": a.Street, "locality": a.City, "region": a.Region,
				"postalCode": a.PostalCode, "country": a.Country} {
				if v != "" {
					m[k] = v
				}
			}
			addrs = append(addrs, m)
		}
		res["addresses"] = addrs
	}
	if p.Locale != "" {
		res["locale"] = p.Locale
	}
	if p.Timezone != "" {
		res["timezone"] = p.Timezone
	}
	res["active"] = p.State == frontdesk.StateActive
	if bare {
		return res
	}
	schemas := []any{SchemaUser}
	if _, ok := res[SchemaEnterpriseUser]; ok {
		schemas = append(schemas, SchemaEnterpriseUser)
	}
	res["schemas"] = schemas
	res["id"] = strconv.FormatInt(p.ID, 10)
	if len(groups) > 0 {
		var gs []any
		for _, g := range groups {
			id := strconv.FormatInt(g.ID, 10)
			gs = append(gs, map[string]any{"value": id, "display": g.DisplayName, "$ref": base + "/Groups/" + id, "type": "direct"})
		}
		res["groups"] = gs
	}
	res["meta"] = map[string]any{"resourceType": "User", "created": p.CreatedAt.Format("2006-01-02T15:04:05.000000Z07:00"),
		"lastModified": p.UpdatedAt.Format("2006-01-02T15:04:05.000000Z07:00"), "location": base + "/Users/" + strconv.FormatInt(p.ID, 10),
		"version": etagOf(p)}
	return res
}

// userInput reads a SCIM User (a POST or PUT body, or the result of a PATCH) into a full
// replacement of the person: attributes left out are cleared. It returns the active flag
// when given and the attributes kept as sent. userName is required unless requireUserName is
// off (a PATCH of a person made elsewhere, who has none).
func userInput(res map[string]any, requireUserName bool) (in frontdesk.PersonInput, active *bool, keep map[string]any, err error) {
	var probs frontdesk.Problems
	str := func(field string, v any) string {
		switch x := v.(type) {
		case nil:
			return ""
		case string:
			return x
		}
		probs.Add(field, "must be a string")
		return ""
	}
	ptr := func(s string) *string { return &s }
	keep = map[string]any{}
	for k, v := range res {
		if !mapped[k] && !ignored[k] {
			if !userAttrs[k] && !strings.HasPrefix(strings.ToLower(k), "urn:") {
				continue // unknown attributes are ignored, as RFC 7644 lets a provider do
			}
			keep[k] = v
		}
	}
	if ext, ok := keep[SchemaEnterpriseUser].(map[string]any); ok {
		// Entra ID sends the manager as a bare id; the schema makes it an object.
		if m, ok := ext["manager"].(string); ok {
			ext["manager"] = map[string]any{"value": m}
		}
	} else if _, ok := keep[SchemaEnterpriseUser]; ok {
		probs.Add(SchemaEnterpriseUser, "must be an object")
	}
	userName := strings.TrimSpace(str("userName", res["userName"]))
	if userName == "" && requireUserName && !probs.Has("userName") {
		probs.Add("userName", "is required")
	}
	if userName != "" {
		setUsername(&in, userName)
	}
	in.ExternalID = ptr(str("externalId", res["externalId"]))
	in.PreferredName = ptr(str("displayName", res["displayName"]))
	in.Locale = ptr(str("locale", res["locale"]))
	in.Timezone = ptr(str("timezone", res["timezone"]))
	name := map[string]any{}
	switch x := res["name"].(type) {
	case nil:
	case map[string]any:
		name = x
	default:
		probs.Add("name", "must be an object")
	}
	given, family := str("name.givenName", name["givenName"]), str("name.familyName", name["familyName"])
	if formatted := str("name.formatted", name["formatted"]); given == "" && family == "" && formatted != "" {
		in.Name = &formatted
		in.MiddleName = ptr("")
	} else {
		in.FirstName, in.LastName = &given, &family
		in.MiddleName = ptr(str("name.middleName", name["middleName"]))
	}
	emails := []frontdesk.Email{}
	types := map[string]any{}
	for i, v := range list(&probs, "emails", res["emails"]) {
		field := fmt.Sprintf("emails[%d]", i)
		m, ok := v.(map[string]any)
		if !ok {
			probs.Add(field, "must be an object")
			continue
		}
		addr := str(field+".value", m["value"])
		if addr == "" {
			probs.Add(field+".value", "is required")
			continue
		}
		primary := false
		if pv, ok := m["primary"]; ok && pv != nil {
			if primary, ok = boolOf(pv); !ok {
				probs.Add(field+".primary", "must be true or false")
			}
		}
		emails = append(emails, frontdesk.Email{Address: addr, Primary: primary, Verified: true})
		if t := str(field+".type", m["type"]); t != "" {
			if n, err := frontdesk.NormalizeEmail(addr); err == nil {
				types[n] = t
			}
		}
	}
	in.Emails = &emails
	if len(types) > 0 {
		keep[emailTypesKey] = types
	}
	phones := []frontdesk.Phone{}
	for i, v := range list(&probs, "phoneNumbers", res["phoneNumbers"]) {
		field := fmt.Sprintf("phoneNumbers[%d]", i)
		m, ok := v.(map[string]any)
		if !ok {
			probs.Add(field, "must be an object")
			continue
		}
		phones = append(phones, frontdesk.Phone{Number: str(field+".value", m["value"]), Label: str(field+".type", m["type"])})
	}
	in.Phones = &phones
	addrs := []frontdesk.PostalAddress{}
	for i, v := range list(&probs, "addresses", res["addresses"]) {
		field := fmt.Sprintf("addresses[%d]", i)
		m, ok := v.(map[string]any)
		if !ok {
			probs.Add(field, "must be an object")
			continue
		}
		addrs = append(addrs, frontdesk.PostalAddress{Label: str(field+".type", m["type"]), Street: str(field+".streetAddress", m["streetAddress"]),
			City: str(field+".locality", m["locality"]), Region: str(field+".region", m["region"]),
			PostalCode: str(field+".postalCode", m["postalCode"]), Country: str(field+".country", m["country"])})
	}
	in.Addresses = &addrs
	if v, ok := res["active"]; ok && v != nil {
		b, ok := boolOf(v)
		if !ok {
			probs.Add("active", "must be true or false")
		}
		active = &b
	}
	if err := probs.Err(); err != nil {
		return in, nil, nil, err
	}
	return in, active, keep, nil
}

// list reads a multi-valued attribute; a single object is taken as a list of one.
func list(probs *frontdesk.Problems, field string, v any) []any {
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		return x
	case map[string]any:
		return []any{x}
	}
	probs.Add(field, "must be a list")
	return nil
}

// usernameOf and setUsername map SCIM's userName to the person's username.
func usernameOf(p *frontdesk.Person) string { return p.Username }

func setUsername(in *frontdesk.PersonInput, s string) { in.Username = &s }
