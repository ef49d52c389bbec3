package store

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"frontdesk"
)

// ListPeople returns the people that match f, in id order, one page after page.After. next is
// the cursor of the following page, zero on the last one.
func (db *DB) ListPeople(ctx context.Context, f frontdesk.PersonFilter, page frontdesk.Page) (people []*frontdesk.Person, next int64, err error) {
	fields, err := db.CustomFieldMap(ctx)
	if err != nil {
		return nil, 0, err
	}
	where, args := db.personWhere(f, fields)
	if page.After > 0 {
		where = append(where, "id > ?")
		args = append(args, page.After)
	}
	limit := page.Limit
	if limit <= 0 || limit > frontdesk.MaxPageSize {
		limit = frontdesk.DefaultPageSize
	}
	q := `SELECT ` + personColumns + ` FROM people`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY id LIMIT " + strconv.Itoa(limit+1)
	rows, err := db.reader(ctx).QueryContext(ctx, q, args...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	people = []*frontdesk.Person{}
	for rows.Next() {
		p, err := scanPerson(rows)
		if err != nil {
			return nil, 0, err
		}
		people = append(people, p)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	if len(people) > limit {
		people = people[:limit]
		next = people[limit-1].ID
	}
	return people, next, nil
}

// personWhere turns a filter into SQL conditions (L7).
func (db *DB) personWhere(f frontdesk.PersonFilter, fields map[string]*frontdesk.CustomField) ([]string, []any) {
	var where []string
	var args []any
	in := func(col string, vals []string) {
		where = append(where, col+" IN ("+placeholders(len(vals))+")")
		for _, v := range vals {
			args = append(args, v)
		}
	}
	if len(f.States) > 0 {
		vals := make([]string, len(f.States))
		for i, s := range f.States {
			vals[i] = string(s)
		}
		in("state", vals)
	}
	if len(f.Roles) > 0 {
		vals := make([]string, len(f.Roles))
		for i, r := range f.Roles {
			vals[i] = string(r)
		}
		in("role", vals)
	}
	switch f.Kind {
	case "contact":
		where = append(where, "role = 'contact'")
	case "staff":
		where = append(where, "role <> 'contact'")
	}
	if f.OrganizationID != 0 {
		where = append(where, "organization_id = ?")
		args = append(args, f.OrganizationID)
	}
	if f.SiteID != 0 {
		where = append(where, "site_id = ?")
		args = append(args, f.SiteID)
	}
	if f.WithoutLogin {
		// "Without login" is a filter, not a state (L1).
		where = append(where, "(state = 'not_activated' OR (state = 'active' AND last_login_at IS NULL))")
	}
	if f.Channel != "" {
		where = append(where, "channel = ?")
		args = append(args, f.Channel)
	}
	if f.Email != "" {
		where = append(where, "id = (SELECT person_id FROM person_emails WHERE address = ?)")
		args = append(args, f.Email)
	}
	keys := make([]string, 0, len(f.Custom))
	for k := range f.Custom {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		def := fields[k]
		if def == nil {
			where = append(where, "1 = 0") // a field deleted since the segment was saved matches nobody
			continue
		}
		cond, arg := db.customCondition(def, f.Custom[k])
		where = append(where, cond)
		args = append(args, arg)
	}
	return where, args
}

// customCondition compares one custom field's stored JSON value with a filter value, in each
// engine's JSON dialect. Keys are checked against a strict pattern, so they are safe in paths.
func (db *DB) customCondition(def *frontdesk.CustomField, v string) (string, any) {
	if db.engine == Postgres {
		expr := fmt.Sprintf("(custom->'%s')", def.Key)
		switch def.Type {
		case frontdesk.FieldNumber:
			f, _ := strconv.ParseFloat(v, 64)
			return "(" + expr + ")::numeric = ?", f
		case frontdesk.FieldCheckbox:
			return expr + " = ?::jsonb", v
		}
		return fmt.Sprintf("custom->>'%s' = ?", def.Key), v
	}
	expr := fmt.Sprintf("json_extract(custom, '$.%s')", def.Key)
	switch def.Type {
	case frontdesk.FieldNumber:
		f, _ := strconv.ParseFloat(v, 64)
		return expr + " = ?", f
	case frontdesk.FieldCheckbox:
		return expr + " = ?", b2i(v == "true")
	}
	return expr + " = ?", v
}

// SuggestPeople returns up to limit people whose address, "first last" or "last first"
// name starts with prefix, compared without case (P5: suggestions while staff type).
func (db *DB) SuggestPeople(ctx context.Context, prefix string, limit int) ([]*frontdesk.Person, error) {
	prefix = strings.ToLower(strings.TrimSpace(prefix))
	if prefix == "" {
		return []*frontdesk.Person{}, nil
	}
	if limit <= 0 || limit > 50 {
		limit = 10
	}
	// Range scans on the three indexes; the upper bound sorts after every continuation.
	hi := prefix + "\U0010FFFF"
	l := strconv.Itoa(limit)
	q := `SELECT person_id FROM (SELECT person_id, address AS k FROM person_emails WHERE address >= ? AND address < ? ORDER BY address LIMIT ` + l + `) e
		UNION SELECT id FROM (SELECT id, first_key FROM people WHERE first_key >= ? AND first_key < ? ORDER BY first_key LIMIT ` + l + `) f
		UNION SELECT id FROM (SELECT id, last_key FROM people WHERE last_key >= ? AND last_key < ? ORDER BY last_key LIMIT ` + l + `) s`
	rows, err := db.reader(ctx).QueryContext(ctx, q, prefix, hi, prefix, hi, prefix, hi)
	if err != nil {
		return nil, err
	}
	var ids []any
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := []*frontdesk.Person{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err = db.reader(ctx).QueryContext(ctx, `SELECT `+personColumns+` FROM people WHERE id IN (`+placeholders(len(ids))+`)`, ids...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		p, err := scanPerson(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// Closest first: an address match, then a shorter name.
	slices.SortStableFunc(out, func(a, b *frontdesk.Person) int {
		return strings.Compare(suggestKey(a, prefix), suggestKey(b, prefix))
	})
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

func suggestKey(p *frontdesk.Person, prefix string) string {
	for _, e := range p.Emails {
		if strings.HasPrefix(e.Address, prefix) {
			return "0" + e.Address
		}
	}
	if k := firstKey(p); strings.HasPrefix(k, prefix) {
		return "1" + k
	}
	return "2" + lastKey(p)
}
