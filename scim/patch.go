package scim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	filter "github.com/scim2/filter-parser/v2"
)

// PATCH (RFC 7644 section 3.5.2) works on a resource as a JSON map: the operations change the
// map, and the result is stored as a PUT of it would be. Attribute names are matched without
// regard to case, as SCIM says, by writing every known one in its canonical spelling first.

// canonicalNames spells the attributes of the User, Group and enterprise schemas.
var canonicalNames = map[string]string{}

func init() {
	for _, n := range []string{"schemas", "id", "externalId", "meta", "userName", "name", "formatted", "familyName",
		"givenName", "middleName", "honorificPrefix", "honorificSuffix", "displayName", "nickName", "profileUrl", "title",
		"userType", "preferredLanguage", "locale", "timezone", "active", "password", "emails", "phoneNumbers", "ims",
		"photos", "addresses", "groups", "entitlements", "roles", "x509Certificates", "value", "display", "type", "primary",
		"$ref", "streetAddress", "locality", "region", "postalCode", "country", "members", "employeeNumber", "costCenter",
		"organization", "division", "department", "manager", "resourceType", "created", "lastModified", "location", "version",
		SchemaUser, SchemaGroup, SchemaEnterpriseUser} {
		canonicalNames[strings.ToLower(n)] = n
	}
}

func canonicalName(s string) string {
	if c, ok := canonicalNames[strings.ToLower(s)]; ok {
		return c
	}
	return s
}

// canonical returns v with every known attribute name in its canonical spelling.
func canonical(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, val := range x {
			out[canonicalName(k)] = canonical(val)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, val := range x {
			out[i] = canonical(val)
		}
		return out
	}
	return v
}

// multiValued are the attributes that hold lists.
var multiValued = map[string]bool{"emails": true, "phoneNumbers": true, "ims": true, "photos": true, "addresses": true,
	"groups": true, "entitlements": true, "roles": true, "x509Certificates": true, "members": true, "schemas": true}

// patchOp is one operation of a PatchOp request.
type patchOp struct {
	Op    string
	Path  string
	Value any
}

// readPatch reads a PatchOp body: its schema, and operations whose op is add, replace or
// remove in any case (Entra ID writes "Replace").
func readPatch(body map[string]any) ([]patchOp, error) {
	schemas, _ := body["schemas"].([]any)
	if !slices.ContainsFunc(schemas, func(s any) bool { v, _ := s.(string); return strings.EqualFold(v, SchemaPatchOp) }) {
		return nil, errorf(http.StatusBadRequest, "invalidSyntax", "a PATCH body has the schema %s", SchemaPatchOp)
	}
	var raw []any
	for k, v := range body {
		if strings.EqualFold(k, "Operations") {
			raw, _ = v.([]any)
		}
	}
	if len(raw) == 0 {
		return nil, errorf(http.StatusBadRequest, "invalidSyntax", "a PATCH body lists its Operations")
	}
	ops := make([]patchOp, 0, len(raw))
	for i, r := range raw {
		m, ok := r.(map[string]any)
		if !ok {
			return nil, errorf(http.StatusBadRequest, "invalidSyntax", "operation %d is not an object", i)
		}
		var op patchOp
		for k, v := range m {
			switch strings.ToLower(k) {
			case "op":
				s, _ := v.(string)
				op.Op = strings.ToLower(s)
			case "path":
				s, ok := v.(string)
				if !ok {
					return nil, errorf(http.StatusBadRequest, "invalidPath", "the path of operation %d is not a string", i)
				}
				op.Path = strings.TrimSpace(s)
			case "value":
				op.Value = canonical(v)
			}
		}
		if op.Op != "add" && op.Op != "replace" && op.Op != "remove" {
			return nil, errorf(http.StatusBadRequest, "invalidSyntax", "operation %d has op %q; use add, replace or remove", i, m["op"])
		}
		if op.Op == "remove" && op.Path == "" {
			return nil, errorf(http.StatusBadRequest, "noTarget", "operation %d removes without a path", i)
		}
		if op.Op != "remove" && op.Value == nil {
			return nil, errorf(http.StatusBadRequest, "invalidValue", "operation %d has no value", i)
		}
		ops = append(ops, op)
	}
	return ops, nil
}

// target is a parsed PATCH path: the schema URN of an extension (or ""), the attribute, the
// value filter on a multi-valued attribute and the sub-attribute.
type target struct {
	urn    string
	attr   string
	filter filter.Expression
	sub    string
}

// parsePath parses a PATCH path with the SCIM filter parser; anything it refuses is
// invalidPath.
func parsePath(s string, coreSchema string) (target, error) {
	p, err := filter.ParsePath([]byte(s))
	if err != nil {
		return target{}, errorf(http.StatusBadRequest, "invalidPath", "the path %q is not a SCIM path: %v", s, err)
	}
	t := target{attr: canonicalName(p.AttributePath.AttributeName), filter: p.ValueExpression}
	if uri := p.AttributePath.URI(); uri != "" && !strings.EqualFold(uri, coreSchema) {
		t.urn = canonicalName(uri)
	}
	switch {
	case p.AttributePath.SubAttribute != nil && p.SubAttribute != nil:
		return target{}, errorf(http.StatusBadRequest, "invalidPath", "the path %q names two sub-attributes", s)
	case p.AttributePath.SubAttribute != nil:
		t.sub = canonicalName(*p.AttributePath.SubAttribute)
	case p.SubAttribute != nil:
		t.sub = canonicalName(*p.SubAttribute)
	}
	return t, nil
}

// applyOp applies one operation to the resource res. known lists the attributes the resource
// may hold at top level (besides extension URNs), so a path to anything else is invalidPath.
func applyOp(res map[string]any, op patchOp, coreSchema string, known func(attr string) bool) error {
	if op.Path == "" {
		// No path: the value is an object of attributes, each applied as if it were the path.
		// Keys may be paths themselves ("name.givenName", an extension's URN and attribute).
		obj, ok := op.Value.(map[string]any)
		if !ok {
			return errorf(http.StatusBadRequest, "invalidValue", "an %s without a path takes an object of attributes", op.Op)
		}
		for _, k := range sortedKeys(obj) {
			if k == "schemas" || k == "id" || k == "meta" {
				continue
			}
			if strings.HasPrefix(strings.ToLower(k), "urn:") && isSchemaURN(k) {
				ext, ok := obj[k].(map[string]any)
				if !ok {
					return errorf(http.StatusBadRequest, "invalidValue", "%s takes an object", k)
				}
				for _, sub := range sortedKeys(ext) {
					if err := applyOp(res, patchOp{Op: op.Op, Path: k + ":" + sub, Value: ext[sub]}, coreSchema, known); err != nil {
						return err
					}
				}
				continue
			}
			if err := applyOp(res, patchOp{Op: op.Op, Path: k, Value: obj[k]}, coreSchema, known); err != nil {
				return err
			}
		}
		return nil
	}
	t, err := parsePath(op.Path, coreSchema)
	if err != nil {
		return err
	}
	container := res
	if t.urn != "" {
		if !isSchemaURN(t.urn) {
			return errorf(http.StatusBadRequest, "invalidPath", "the path %q names an unknown schema", op.Path)
		}
		c, _ := res[t.urn].(map[string]any)
		if c == nil {
			if op.Op == "remove" {
				return nil
			}
			c = map[string]any{}
			res[t.urn] = c
		}
		container = c
	} else if !known(t.attr) {
		return errorf(http.StatusBadRequest, "invalidPath", "the path %q names no attribute of this resource", op.Path)
	}
	if err := applyAt(container, t, op); err != nil {
		return err
	}
	if t.urn != "" && len(container) == 0 {
		delete(res, t.urn)
	}
	return nil
}

// isSchemaURN reports whether s is the URN of a schema (an extension) rather than an
// attribute's full path.
func isSchemaURN(s string) bool {
	return strings.EqualFold(s, SchemaEnterpriseUser) || strings.EqualFold(s, SchemaUser) || strings.EqualFold(s, SchemaGroup)
}

func applyAt(c map[string]any, t target, op patchOp) error {
	if t.filter != nil || multiValued[t.attr] {
		return applyMulti(c, t, op)
	}
	if t.sub != "" {
		obj, _ := c[t.attr].(map[string]any)
		if op.Op == "remove" {
			if obj != nil {
				delete(obj, t.sub)
				if len(obj) == 0 {
					delete(c, t.attr)
				}
			}
			return nil
		}
		if obj == nil {
			obj = map[string]any{}
			c[t.attr] = obj
		}
		obj[t.sub] = op.Value
		return nil
	}
	switch op.Op {
	case "remove":
		delete(c, t.attr)
	default:
		// A complex attribute's sub-attributes merge: those not given stay (RFC 7644 3.5.2.3).
		if nv, ok := op.Value.(map[string]any); ok {
			if old, ok := c[t.attr].(map[string]any); ok {
				for k, v := range nv {
					old[k] = v
				}
				return nil
			}
		}
		c[t.attr] = op.Value
	}
	return nil
}

// applyMulti applies an operation to a multi-valued attribute, all of its values or those a
// value filter selects.
func applyMulti(c map[string]any, t target, op patchOp) error {
	list, _ := c[t.attr].([]any)
	if t.filter == nil {
		switch {
		case op.Op == "remove" && op.Value != nil && t.sub == "":
			// Entra ID removes members by listing them as the value of a remove.
			drop := asList(op.Value)
			list = slices.DeleteFunc(list, func(e any) bool {
				return slices.ContainsFunc(drop, func(d any) bool { return sameValue(e, d) })
			})
			setList(c, t.attr, list)
		case op.Op == "remove" && t.sub == "":
			delete(c, t.attr)
		case t.sub != "":
			for _, e := range list {
				if m, ok := e.(map[string]any); ok {
					if op.Op == "remove" {
						delete(m, t.sub)
					} else {
						m[t.sub] = op.Value
					}
				}
			}
		case op.Op == "add":
			for _, v := range asList(op.Value) {
				if !slices.ContainsFunc(list, func(e any) bool { return sameValue(e, v) }) {
					list = append(list, v)
				}
			}
			setList(c, t.attr, list)
		default: // replace
			setList(c, t.attr, asList(op.Value))
		}
		return nil
	}
	matched := 0
	var kept []any
	for _, e := range list {
		m, ok := e.(map[string]any)
		hit := ok && matches(m, t.filter)
		if !hit {
			kept = append(kept, e)
			continue
		}
		matched++
		switch {
		case op.Op == "remove" && t.sub == "":
			continue // dropped
		case op.Op == "remove":
			delete(m, t.sub)
		case t.sub != "":
			m[t.sub] = op.Value
		default:
			nv, ok := op.Value.(map[string]any)
			if !ok {
				return errorf(http.StatusBadRequest, "invalidValue", "a value selected by a filter is replaced by an object")
			}
			for k, v := range nv {
				m[k] = v
			}
		}
		kept = append(kept, m)
	}
	if matched == 0 && op.Op != "remove" {
		// emails[type eq "work"].value on a user without a work address: the filter's
		// equalities describe the value to add (Entra ID sends this for a first address).
		fresh, ok := equalities(t.filter)
		if !ok {
			return errorf(http.StatusBadRequest, "noTarget", "the filter of %s matches no value", t.attr)
		}
		if t.sub != "" {
			fresh[t.sub] = op.Value
		} else if nv, ok := op.Value.(map[string]any); ok {
			for k, v := range nv {
				fresh[k] = v
			}
		}
		kept = append(kept, fresh)
	}
	setList(c, t.attr, kept)
	return nil
}

func setList(c map[string]any, attr string, list []any) {
	if len(list) == 0 {
		delete(c, attr)
		return
	}
	c[attr] = list
}

func asList(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	return []any{v}
}

// sameValue reports whether two values of a multi-valued attribute are the same: by their
// "value" when both have one.
func sameValue(a, b any) bool {
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if aok && bok {
		av, aHas := am["value"]
		bv, bHas := bm["value"]
		if aHas && bHas {
			return strings.EqualFold(fmt.Sprint(av), fmt.Sprint(bv))
		}
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

// equalities returns the attributes an "and" of eq comparisons fixes, or false for any
// other filter.
func equalities(e filter.Expression) (map[string]any, bool) {
	switch e := e.(type) {
	case *filter.AttributeExpression:
		if !strings.EqualFold(string(e.Operator), "eq") || e.AttributePath.SubAttribute != nil {
			return nil, false
		}
		return map[string]any{canonicalName(e.AttributePath.AttributeName): e.CompareValue}, true
	case *filter.LogicalExpression:
		if e.Operator != filter.AND {
			return nil, false
		}
		l, ok := equalities(e.Left)
		if !ok {
			return nil, false
		}
		r, ok := equalities(e.Right)
		if !ok {
			return nil, false
		}
		for k, v := range r {
			l[k] = v
		}
		return l, true
	}
	return nil, false
}

// matches evaluates a value filter on one value of a multi-valued attribute. Strings compare
// without regard to case; booleans may be written as strings ("True").
func matches(m map[string]any, e filter.Expression) bool {
	switch e := e.(type) {
	case *filter.LogicalExpression:
		if e.Operator == filter.AND {
			return matches(m, e.Left) && matches(m, e.Right)
		}
		return matches(m, e.Left) || matches(m, e.Right)
	case *filter.NotExpression:
		return !matches(m, e.Expression)
	case *filter.AttributeExpression:
		v, has := lookup(m, e.AttributePath)
		op := strings.ToLower(string(e.Operator))
		if op == "pr" {
			return has && v != nil && v != ""
		}
		if !has {
			return op == "ne"
		}
		return compare(v, op, e.CompareValue)
	}
	return false
}

func lookup(m map[string]any, p filter.AttributePath) (any, bool) {
	for k, v := range m {
		if !strings.EqualFold(k, p.AttributeName) {
			continue
		}
		if p.SubAttribute == nil {
			return v, true
		}
		if sub, ok := v.(map[string]any); ok {
			return lookup(sub, filter.AttributePath{AttributeName: *p.SubAttribute})
		}
	}
	return nil, false
}

func compare(v any, op string, want any) bool {
	if b, ok := boolOf(v); ok {
		if w, ok := boolOf(want); ok {
			switch op {
			case "eq":
				return b == w
			case "ne":
				return b != w
			}
		}
		return false
	}
	a, b := strings.ToLower(fmt.Sprint(v)), strings.ToLower(fmt.Sprint(want))
	if an, err := strconv.ParseFloat(a, 64); err == nil {
		if bn, err := strconv.ParseFloat(b, 64); err == nil {
			switch op {
			case "gt":
				return an > bn
			case "ge":
				return an >= bn
			case "lt":
				return an < bn
			case "le":
				return an <= bn
			}
		}
	}
	switch op {
	case "eq":
		return a == b
	case "ne":
		return a != b
	case "co":
		return strings.Contains(a, b)
	case "sw":
		return strings.HasPrefix(a, b)
	case "ew":
		return strings.HasSuffix(a, b)
	case "gt":
		return a > b
	case "ge":
		return a >= b
	case "lt":
		return a < b
	case "le":
		return a <= b
	}
	return false
}

// boolOf reads a boolean as SCIM clients write it: true, or "True" in quotes (Entra ID).
func boolOf(v any) (bool, bool) {
	switch x := v.(type) {
	case bool:
		return x, true
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "true":
			return true, true
		case "false":
			return false, true
		}
	}
	return false, false
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
