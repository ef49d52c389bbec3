package scim

import (
	"net/http"
	"strings"
)

// Discovery (RFC 7644 section 4): what this provider supports, said exactly: PATCH, filters
// up to MaxResults, ETags; no bulk, no sorting, no password changes.

func (p *Provider) serviceProviderConfig(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]any{
		"schemas":        []string{schemaSPConfig},
		"patch":          map[string]any{"supported": true},
		"bulk":           map[string]any{"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
		"filter":         map[string]any{"supported": true, "maxResults": MaxResults},
		"changePassword": map[string]any{"supported": false},
		"sort":           map[string]any{"supported": false},
		"etag":           map[string]any{"supported": true},
		"authenticationSchemes": []any{map[string]any{"type": "oauthbearertoken", "name": "API token",
			"description": "A Frontdesk API token of a staff member with the scim.provision permission, sent as Authorization: Bearer <token>.",
			"primary":     true}},
		"meta": map[string]any{"resourceType": "ServiceProviderConfig", "location": p.baseURL(r) + "/ServiceProviderConfig"},
	})
	return nil
}

func (p *Provider) resourceTypeList(r *http.Request) []map[string]any {
	base := p.baseURL(r)
	return []map[string]any{
		{"schemas": []string{schemaResourceType}, "id": "User", "name": "User", "endpoint": "/Users",
			"description": "A person: a contact or a staff member", "schema": SchemaUser,
			"schemaExtensions": []any{map[string]any{"schema": SchemaEnterpriseUser, "required": false}},
			"meta":             map[string]any{"resourceType": "ResourceType", "location": base + "/ResourceTypes/User"}},
		{"schemas": []string{schemaResourceType}, "id": "Group", "name": "Group", "endpoint": "/Groups",
			"description": "A group of people; it may give its members a staff role or an organization", "schema": SchemaGroup,
			"meta": map[string]any{"resourceType": "ResourceType", "location": base + "/ResourceTypes/Group"}},
	}
}

func (p *Provider) resourceTypes(w http.ResponseWriter, r *http.Request) error {
	l := p.resourceTypeList(r)
	writeJSON(w, http.StatusOK, listResponse(l, len(l), 1))
	return nil
}

func (p *Provider) resourceType(w http.ResponseWriter, r *http.Request) error {
	for _, t := range p.resourceTypeList(r) {
		if strings.EqualFold(t["id"].(string), r.PathValue("id")) {
			writeJSON(w, http.StatusOK, t)
			return nil
		}
	}
	return errorf(http.StatusNotFound, "", "there is no resource type %q", r.PathValue("id"))
}

// attribute describes one attribute of a schema (RFC 7643 section 7).
func attribute(name, typ, description string, opts ...func(m map[string]any)) map[string]any {
	m := map[string]any{"name": name, "type": typ, "multiValued": false, "description": description, "required": false,
		"mutability": "readWrite", "returned": "default", "uniqueness": "none"}
	if typ == "string" || typ == "reference" {
		m["caseExact"] = false
	}
	for _, o := range opts {
		o(m)
	}
	return m
}

func set(k string, v any) func(m map[string]any) { return func(m map[string]any) { m[k] = v } }

func subs(attrs ...map[string]any) func(m map[string]any) {
	return func(m map[string]any) { m["subAttributes"] = attrs }
}

var multi = set("multiValued", true)

func (p *Provider) schemaList(r *http.Request) []map[string]any {
	base := p.baseURL(r)
	typeAttr := func(canonical ...string) map[string]any {
		return attribute("type", "string", "A label for the value", set("canonicalValues", canonical))
	}
	user := map[string]any{"id": SchemaUser, "name": "User", "description": "A person in Frontdesk", "attributes": []any{
		attribute("userName", "string", "The person's unique login name, stored in lower case", set("required", true), set("uniqueness", "server")),
		attribute("name", "complex", "The person's name", subs(
			attribute("formatted", "string", "The full name; used only when givenName and familyName are not given"),
			attribute("familyName", "string", "The family name"),
			attribute("givenName", "string", "The given name"),
			attribute("middleName", "string", "The middle name"))),
		attribute("displayName", "string", "The preferred name"),
		attribute("nickName", "string", "Kept as sent"),
		attribute("profileUrl", "reference", "Kept as sent", set("referenceTypes", []string{"external"})),
		attribute("title", "string", "Kept as sent"),
		attribute("userType", "string", "Kept as sent"),
		attribute("preferredLanguage", "string", "Kept as sent"),
		attribute("locale", "string", "A BCP 47 language tag"),
		attribute("timezone", "string", "An IANA time zone name"),
		attribute("active", "boolean", "Whether the person may sign in: false disables them and ends their sessions"),
		attribute("emails", "complex", "Addresses, unique among people; they count as verified", multi, subs(
			attribute("value", "string", "The address"), typeAttr("work", "home", "other"),
			attribute("primary", "boolean", "The primary address"))),
		attribute("phoneNumbers", "complex", "Phone numbers, stored in E.164 form", multi, subs(
			attribute("value", "string", "The number"), typeAttr("work", "home", "mobile", "fax", "pager", "other"))),
		attribute("addresses", "complex", "Postal addresses", multi, subs(
			attribute("streetAddress", "string", "Street"), attribute("locality", "string", "City"),
			attribute("region", "string", "Region"), attribute("postalCode", "string", "Postal code"),
			attribute("country", "string", "ISO 3166 country code"), typeAttr("work", "home", "other"))),
		attribute("groups", "complex", "The groups the person is in", multi, set("mutability", "readOnly"), subs(
			attribute("value", "string", "The group's id", set("mutability", "readOnly")),
			attribute("$ref", "reference", "The group's URI", set("mutability", "readOnly"), set("referenceTypes", []string{"Group"})),
			attribute("display", "string", "The group's name", set("mutability", "readOnly")),
			attribute("type", "string", "Always direct", set("mutability", "readOnly")))),
	}, "meta": map[string]any{"resourceType": "Schema", "location": base + "/Schemas/" + SchemaUser}}
	enterprise := map[string]any{"id": SchemaEnterpriseUser, "name": "EnterpriseUser", "description": "Enterprise attributes, kept as sent", "attributes": []any{
		attribute("employeeNumber", "string", "Kept as sent"),
		attribute("costCenter", "string", "Kept as sent"),
		attribute("organization", "string", "Kept as sent"),
		attribute("division", "string", "Kept as sent"),
		attribute("department", "string", "Kept as sent"),
		attribute("manager", "complex", "Kept as sent; a bare id becomes its value", subs(
			attribute("value", "string", "The manager's id"),
			attribute("$ref", "reference", "The manager's URI", set("referenceTypes", []string{"User"})),
			attribute("displayName", "string", "The manager's name", set("mutability", "readOnly")))),
	}, "meta": map[string]any{"resourceType": "Schema", "location": base + "/Schemas/" + SchemaEnterpriseUser}}
	group := map[string]any{"id": SchemaGroup, "name": "Group", "description": "A group of people", "attributes": []any{
		attribute("displayName", "string", "The group's name, unique; it finds the staff role or organization of that name",
			set("required", true), set("uniqueness", "server")),
		attribute("members", "complex", "The people in the group", multi, subs(
			attribute("value", "string", "The person's id", set("mutability", "immutable")),
			attribute("$ref", "reference", "The person's URI", set("mutability", "immutable"), set("referenceTypes", []string{"User"})),
			attribute("display", "string", "The person's name", set("mutability", "readOnly")),
			attribute("type", "string", "Always User", set("mutability", "immutable"), set("canonicalValues", []string{"User"})))),
	}, "meta": map[string]any{"resourceType": "Schema", "location": base + "/Schemas/" + SchemaGroup}}
	for _, s := range []map[string]any{user, enterprise, group} {
		s["schemas"] = []string{schemaSchema}
	}
	return []map[string]any{user, enterprise, group}
}

func (p *Provider) schemas(w http.ResponseWriter, r *http.Request) error {
	l := p.schemaList(r)
	writeJSON(w, http.StatusOK, listResponse(l, len(l), 1))
	return nil
}

func (p *Provider) schema(w http.ResponseWriter, r *http.Request) error {
	for _, s := range p.schemaList(r) {
		if strings.EqualFold(s["id"].(string), r.PathValue("id")) {
			writeJSON(w, http.StatusOK, s)
			return nil
		}
	}
	return errorf(http.StatusNotFound, "", "there is no schema %q", r.PathValue("id"))
}
