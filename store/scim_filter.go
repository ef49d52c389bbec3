package store

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	filter "github.com/scim2/filter-parser/v2"

	"frontdesk"
)

// SCIM filters (RFC 7644 section 3.4.2.2) become SQL here, for the attributes that have a
// column or an index: userName, externalId, emails, name, displayName, active and the meta
// times of users; displayName, externalId and members of groups. userName eq is a lookup in
// the unique index of usernames, so an identity provider's "does this user exist" costs the
// same at a million people as at ten.

// SCIMInvalidFilter is an error for a filter SCIM cannot answer; the SCIM layer answers it
// with scimType invalidFilter.
func SCIMInvalidFilter(format string, args ...any) error {
	e := frontdesk.Errorf(frontdesk.EMalformed, format, args...)
	e.Extra = map[string]any{"scimType": "invalidFilter"}
	return e
}

// scimColumn describes how one filterable attribute is read in SQL.
type scimColumn struct {
	expr string
	kind scimKind
	// subquery, when set, is a condition on a related table with the placeholder %s for the
	// comparison of its column. It is written as id IN (SELECT ...), not as a correlated
	// EXISTS, so that an equality is one lookup in the related table's index rather than a
	// probe per person.
	subquery string
}

type scimKind int

const (
	kindText      scimKind = iota // compared without regard to case
	kindLowerText                 // stored lower-case (usernames, addresses): compared as is, index-friendly
	kindExactText                 // case-exact (externalId)
	kindID                        // an integer id written as a string
	kindBool                      // active
	kindTime                      // microseconds since the epoch
)

var scimUserColumns = map[string]scimColumn{
	"id":                {expr: "p.id", kind: kindID},
	"username":          {expr: "p.username", kind: kindLowerText},
	"externalid":        {expr: "p.external_id", kind: kindExactText},
	"displayname":       {expr: "p.preferred_name", kind: kindText},
	"name.givenname":    {expr: "p.first_name", kind: kindText},
	"name.familyname":   {expr: "p.last_name", kind: kindText},
	"name.middlename":   {expr: "p.middle_name", kind: kindText},
	"name.formatted":    {expr: "p.first_key", kind: kindText},
	"locale":            {expr: "p.locale", kind: kindText},
	"timezone":          {expr: "p.timezone", kind: kindText},
	"active":            {expr: "p.state", kind: kindBool},
	"meta.created":      {expr: "p.created_at", kind: kindTime},
	"meta.lastmodified": {expr: "p.updated_at", kind: kindTime},
	"emails":            {expr: "e.address", kind: kindLowerText, subquery: "p.id IN (SELECT e.person_id FROM person_emails e WHERE %s)"},
	"emails.value":      {expr: "e.address", kind: kindLowerText, subquery: "p.id IN (SELECT e.person_id FROM person_emails e WHERE %s)"},
	"phonenumbers":      {expr: "ph.number", kind: kindText, subquery: "p.id IN (SELECT ph.person_id FROM person_phones ph WHERE %s)"},
	"phonenumbers.value": {expr: "ph.number", kind: kindText,
		subquery: "p.id IN (SELECT ph.person_id FROM person_phones ph WHERE %s)"},
}

var scimGroupColumns = map[string]scimColumn{
	"id":                {expr: "g.id", kind: kindID},
	"displayname":       {expr: "g.display_name", kind: kindText},
	"externalid":        {expr: "g.external_id", kind: kindExactText},
	"meta.created":      {expr: "g.created_at", kind: kindTime},
	"meta.lastmodified": {expr: "g.updated_at", kind: kindTime},
	"members":           {expr: "m.person_id", kind: kindID, subquery: "g.id IN (SELECT m.group_id FROM scim_group_members m WHERE %s)"},
	"members.value":     {expr: "m.person_id", kind: kindID, subquery: "g.id IN (SELECT m.group_id FROM scim_group_members m WHERE %s)"},
}

// SCIM schema URNs a filter may name attributes by.
const (
	scimUserSchema  = "urn:ietf:params:scim:schemas:core:2.0:User"
	scimGroupSchema = "urn:ietf:params:scim:schemas:core:2.0:Group"
)

// scimWhere translates a parsed filter into a SQL condition over cols.
func scimWhere(e filter.Expression, cols map[string]scimColumn, schema string) (string, []any, error) {
	switch e := e.(type) {
	case *filter.LogicalExpression:
		l, la, err := scimWhere(e.Left, cols, schema)
		if err != nil {
			return "", nil, err
		}
		r, ra, err := scimWhere(e.Right, cols, schema)
		if err != nil {
			return "", nil, err
		}
		op := "AND"
		if e.Operator == filter.OR {
			op = "OR"
		}
		return "(" + l + " " + op + " " + r + ")", append(la, ra...), nil
	case *filter.NotExpression:
		in, args, err := scimWhere(e.Expression, cols, schema)
		if err != nil {
			return "", nil, err
		}
		// A comparison with a missing (NULL) value is unknown, not false; not() of it is true.
		return "NOT COALESCE(" + in + ", FALSE)", args, nil
	case *filter.ValuePath:
		// emails[value co "@example.com"]: the sub-attributes are those of the value.
		return scimValuePath(e, cols, schema)
	case *filter.AttributeExpression:
		return scimCompare(e, cols, schema, "")
	}
	return "", nil, SCIMInvalidFilter("the filter holds an expression SCIM does not define")
}

func scimValuePath(vp *filter.ValuePath, cols map[string]scimColumn, schema string) (string, []any, error) {
	if err := scimCheckURI(vp.AttributePath, schema); err != nil {
		return "", nil, err
	}
	prefix := strings.ToLower(vp.AttributePath.AttributeName)
	var walk func(e filter.Expression) (string, []any, error)
	walk = func(e filter.Expression) (string, []any, error) {
		switch e := e.(type) {
		case *filter.LogicalExpression:
			l, la, err := walk(e.Left)
			if err != nil {
				return "", nil, err
			}
			r, ra, err := walk(e.Right)
			if err != nil {
				return "", nil, err
			}
			op := "AND"
			if e.Operator == filter.OR {
				op = "OR"
			}
			return "(" + l + " " + op + " " + r + ")", append(la, ra...), nil
		case *filter.NotExpression:
			in, args, err := walk(e.Expression)
			return "NOT COALESCE(" + in + ", FALSE)", args, err
		case *filter.AttributeExpression:
			return scimCompare(e, cols, schema, prefix)
		}
		return "", nil, SCIMInvalidFilter("a value filter cannot hold another value filter")
	}
	return walk(vp.ValueFilter)
}

func scimCheckURI(p filter.AttributePath, schema string) error {
	if uri := p.URI(); uri != "" && !strings.EqualFold(uri, schema) {
		return SCIMInvalidFilter("filtering on %s is not supported", p)
	}
	return nil
}

// scimCompare translates one comparison. prefix is the multi-valued attribute a value filter
// is about ("emails"), whose sub-attributes the comparison names.
func scimCompare(e *filter.AttributeExpression, cols map[string]scimColumn, schema, prefix string) (string, []any, error) {
	if err := scimCheckURI(e.AttributePath, schema); err != nil {
		return "", nil, err
	}
	name := strings.ToLower(e.AttributePath.AttributeName)
	if sub := e.AttributePath.SubAttributeName(); sub != "" {
		name += "." + strings.ToLower(sub)
	}
	if prefix != "" {
		name = prefix + "." + name
	}
	col, ok := cols[name]
	if !ok {
		if prefix != "" && (name == "emails.type" || name == "emails.primary" || name == "phonenumbers.type") {
			// Types and the primary flag are not filterable in SQL; every address matches them.
			return "TRUE", nil, nil
		}
		return "", nil, SCIMInvalidFilter("filtering on %s is not supported; filter on userName, externalId, emails, name, displayName, active or meta.lastModified", e.AttributePath)
	}
	cond, args, err := scimCondition(col, e.Operator, e.CompareValue, e.AttributePath.String())
	if err != nil {
		return "", nil, err
	}
	if col.subquery != "" {
		return fmt.Sprintf(col.subquery, cond), args, nil
	}
	return cond, args, nil
}

func likeEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s)
}

func scimCondition(col scimColumn, op filter.CompareOperator, v any, attr string) (string, []any, error) {
	op = filter.CompareOperator(strings.ToLower(string(op)))
	c := col.expr
	switch col.kind {
	case kindBool:
		if op == filter.PR {
			return "TRUE", nil, nil
		}
		b, ok := scimBool(v)
		if !ok || (op != filter.EQ && op != filter.NE) {
			return "", nil, SCIMInvalidFilter("%s is compared with eq or ne to true or false", attr)
		}
		if op == filter.NE {
			b = !b
		}
		if b {
			return c + " = 'active'", nil, nil
		}
		return c + " <> 'active'", nil, nil
	case kindID:
		if op == filter.PR {
			return "TRUE", nil, nil
		}
		var id int64
		switch x := v.(type) {
		case string:
			n, err := strconv.ParseInt(x, 10, 64)
			if err != nil {
				return "0 = 1", nil, nil // no id looks like that
			}
			id = n
		case int:
			id = int64(x)
		default:
			return "", nil, SCIMInvalidFilter("%s is compared to an id in quotes", attr)
		}
		sqlOp, ok := map[filter.CompareOperator]string{filter.EQ: "=", filter.NE: "<>", filter.GT: ">", filter.GE: ">=", filter.LT: "<", filter.LE: "<="}[op]
		if !ok {
			return "", nil, SCIMInvalidFilter("%s is compared with eq, ne, gt, ge, lt or le", attr)
		}
		return c + " " + sqlOp + " ?", []any{id}, nil
	case kindTime:
		if op == filter.PR {
			return "TRUE", nil, nil
		}
		s, ok := v.(string)
		t, err := time.Parse(time.RFC3339Nano, s)
		if !ok || err != nil {
			return "", nil, SCIMInvalidFilter("%s is compared to a time written as in RFC 3339, such as \"2026-01-31T12:00:00Z\"", attr)
		}
		sqlOp, ok := map[filter.CompareOperator]string{filter.EQ: "=", filter.NE: "<>", filter.GT: ">", filter.GE: ">=", filter.LT: "<", filter.LE: "<="}[op]
		if !ok {
			return "", nil, SCIMInvalidFilter("%s is compared with eq, ne, gt, ge, lt or le", attr)
		}
		return c + " " + sqlOp + " ?", []any{micros(t)}, nil
	}
	// Text.
	if op == filter.PR {
		return "COALESCE(" + c + ", '') <> ''", nil, nil
	}
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case int, float64, bool:
		s = fmt.Sprint(x)
	default:
		return "", nil, SCIMInvalidFilter("%s is compared to a string", attr)
	}
	lhs := c
	switch col.kind {
	case kindText:
		lhs, s = "lower("+c+")", strings.ToLower(s)
	case kindLowerText:
		// Stored in normal form; an address is normalized as it was when stored.
		if n, err := frontdesk.NormalizeEmail(s); err == nil && strings.Contains(col.expr, "address") {
			s = n
		} else {
			s = strings.ToLower(s)
		}
	}
	switch op {
	case filter.EQ:
		return lhs + " = ?", []any{s}, nil
	case filter.NE:
		return "COALESCE(" + lhs + ", '') <> ?", []any{s}, nil
	case filter.GT:
		return lhs + " > ?", []any{s}, nil
	case filter.GE:
		return lhs + " >= ?", []any{s}, nil
	case filter.LT:
		return lhs + " < ?", []any{s}, nil
	case filter.LE:
		return lhs + " <= ?", []any{s}, nil
	case filter.CO, filter.SW, filter.EW:
		pat := likeEscape(s)
		if col.kind == kindExactText {
			// LIKE ignores case in SQLite; externalId is case-exact, checked again exactly.
			lhs = "lower(" + c + ")"
			pat = strings.ToLower(pat)
		}
		switch op {
		case filter.CO:
			pat = "%" + pat + "%"
		case filter.SW:
			pat += "%"
		case filter.EW:
			pat = "%" + pat
		}
		cond := lhs + ` LIKE ? ESCAPE '\'`
		args := []any{pat}
		if col.kind == kindExactText {
			switch op {
			case filter.CO:
				cond += " AND " + c + " LIKE ? ESCAPE '\\'"
				args = append(args, "%"+likeEscape(s)+"%")
			case filter.SW:
				cond += " AND substr(" + c + ", 1, ?) = ?"
				args = append(args, len([]rune(s)), s)
			case filter.EW:
				cond += " AND substr(" + c + ", length(" + c + ") - ? + 1) = ?"
				args = append(args, len([]rune(s)), s)
			}
			cond = "(" + cond + ")"
		}
		return cond, args, nil
	}
	return "", nil, SCIMInvalidFilter("%s is an unknown operator", op)
}

// scimBool reads a boolean as SCIM clients write it: true, or "True" in quotes (Entra ID).
func scimBool(v any) (bool, bool) {
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

// simpleEq is the filter identity providers send before every create, userName eq "x",
// when its value holds no escapes: the parser's grammar for it, written as a pattern.
var simpleEq = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9_-]*)(?:\.([A-Za-z][A-Za-z0-9_-]*))? (?i:eq) "([^"\\\x00-\x1f]*)"$`)

// ParseSCIMFilter parses a filter as RFC 7644 writes it; a malformed one is invalidFilter.
// The one common shape, attr eq "value", is read by a pattern into the tree the parser would
// build (a test holds the two to the same answers): the parser costs more than the lookup.
func ParseSCIMFilter(s string) (filter.Expression, error) {
	if m := simpleEq.FindStringSubmatch(s); m != nil {
		e := &filter.AttributeExpression{AttributePath: filter.AttributePath{AttributeName: m[1]}, Operator: filter.EQ, CompareValue: m[3]}
		if m[2] != "" {
			sub := m[2]
			e.AttributePath.SubAttribute = &sub
		}
		return e, nil
	}
	e, err := filter.ParseFilter([]byte(s))
	if err != nil {
		return nil, SCIMInvalidFilter("the filter %q is not a SCIM filter: %v", s, err)
	}
	return e, nil
}
