package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"frontdesk"
)

// ListPeople returns the people that match f, in id order, one page after page.After. next is
// the cursor of the following page, zero on the last one.
func (db *DB) ListPeople(ctx context.Context, f frontdesk.PersonFilter, page frontdesk.Page) (people []*frontdesk.Person, next int64, err error) {
	return db.listPeople(ctx, f, page, wholePerson)
}

// ListPeopleBrief is ListPeople for a list that shows people rather than hands them on:
// each person has only the fields of personBriefColumns (no phones, postal addresses,
// custom fields or notes), which are most of what a page of people costs to read.
func (db *DB) ListPeopleBrief(ctx context.Context, f frontdesk.PersonFilter, page frontdesk.Page) (people []*frontdesk.Person, next int64, err error) {
	return db.listPeople(ctx, f, page, briefPerson)
}

func (db *DB) listPeople(ctx context.Context, f frontdesk.PersonFilter, page frontdesk.Page, read personRead) (people []*frontdesk.Person, next int64, err error) {
	fields, err := db.CustomFieldMap(ctx)
	if err != nil {
		return nil, 0, err
	}
	limit := page.Limit
	if limit <= 0 || limit > frontdesk.MaxPageSize {
		limit = frontdesk.DefaultPageSize
	}
	q, args := db.listQueryOf(read.columns, f, fields, page.After, limit)
	rows, err := db.reader(ctx).QueryContext(ctx, q, args...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	people = []*frontdesk.Person{}
	for rows.Next() {
		p, err := read.scan(rows)
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

// personRead is what a read of people fills: the columns it selects and how a row is
// scanned.
type personRead struct {
	columns string
	scan    func(rowScanner) (*frontdesk.Person, error)
}

var (
	wholePerson = personRead{personColumns, scanPerson}
	briefPerson = personRead{personBriefColumns, scanPersonBrief}
)

// personBriefColumns are the columns of a person that a list of people shows or filters
// on again: names, addresses (the primary one, and a search's matches), role, state,
// organization and site, channel and times.
const personBriefColumns = `id, role, state, first_name, middle_name, last_name, preferred_name, emails,
	organization_id, site_id, channel, last_login_at, created_at, updated_at`

// scanPersonBrief scans the personBriefColumns of a row.
func scanPersonBrief(r rowScanner) (*frontdesk.Person, error) {
	var p frontdesk.Person
	var emails []byte
	var org, site, lastLogin sql.NullInt64
	var created, updated int64
	err := r.Scan(&p.ID, &p.Role, &p.State, &p.FirstName, &p.MiddleName, &p.LastName, &p.PreferredName,
		&emails, &org, &site, &p.Channel, &lastLogin, &created, &updated)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(emails, &p.Emails); err != nil {
		return nil, fmt.Errorf("person %d: %w", p.ID, err)
	}
	p.OrganizationID, p.SiteID = fromNullID(org), fromNullID(site)
	p.LastLoginAt = fromNullMicros(lastLogin)
	p.CreatedAt, p.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &p, nil
}

// listQuery is the statement of a list's page: up to limit+1 people after the id after.
// On SQLite, a filter by several states and by no column read before states (see listIndex) is a
// UNION ALL of one statement per state, each reading its state's range of the state index
// in id order; the engine merges them in id order and stops after the page. One statement
// over state IN (...) would instead read the table in id order until it found a page,
// which for rare states is most of the table. (PostgreSQL plans state IN (...) well with
// its statistics, and plans such a UNION ALL badly: it sorts every match of each state.)
func (db *DB) listQuery(f frontdesk.PersonFilter, fields map[string]*frontdesk.CustomField, after int64, limit int) (string, []any) {
	return db.listQueryOf(personColumns, f, fields, after, limit)
}

// listQueryOf is listQuery selecting the columns cols.
func (db *DB) listQueryOf(cols string, f frontdesk.PersonFilter, fields map[string]*frontdesk.CustomField, after int64, limit int) (string, []any) {
	tail := " ORDER BY id LIMIT " + strconv.Itoa(limit+1)
	if db.engine == SQLite && len(f.States) > 1 && listIndex(f) == "people_state" {
		var parts []string
		var args []any
		for _, s := range f.States {
			one := f
			one.States = []frontdesk.State{s}
			q, a := db.listSelect(cols, one, fields, after)
			parts, args = append(parts, q), append(args, a...)
		}
		return strings.Join(parts, " UNION ALL ") + tail, args
	}
	q, args := db.listSelect(cols, f, fields, after)
	return q + tail, args
}

// listSelect is listQuery's statement before its order and limit.
func (db *DB) listSelect(cols string, f frontdesk.PersonFilter, fields map[string]*frontdesk.CustomField, after int64) (string, []any) {
	where, args := db.personWhere(f, fields)
	if after > 0 {
		where = append(where, "id > ?")
		args = append(args, after)
	}
	q := `SELECT ` + cols + ` FROM people` + db.listHint(f)
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	return q, args
}

// listHint names, on SQLite, the index a filtered list reads in id order (listIndex), so
// that its plan holds without statistics. PostgreSQL chooses with its statistics, and its
// (column, id) indexes give the same orders.
func (db *DB) listHint(f frontdesk.PersonFilter) string {
	if db.engine != SQLite || f.Email != "" {
		return "" // an address finds its one person by id
	}
	if ix := listIndex(f); ix != "" {
		return " INDEXED BY " + ix
	}
	return " NOT INDEXED"
}

// listIndex is the index a filtered list reads: a list is read in id order and stops after
// a page, so a filter that most people pass reads the table itself (the rowid order, ""),
// and a filter by organization, site, staff roles, states or channel reads that column's
// index, whose entries for one value are in rowid order too: a page costs its size for a
// common value and the number of matches for a rare one, where reading the table would
// cost the table's size for a value nobody has. When several apply, the first of that list
// is read (it is the likelier to be narrow); custom fields and "without login" have no
// index and are checked on the rows read.
func listIndex(f frontdesk.PersonFilter) string {
	staffOnly := f.Kind == "staff" || (len(f.Roles) > 0 && !slices.Contains(f.Roles, frontdesk.RoleContact))
	switch {
	case f.OrganizationID != 0:
		return "people_org"
	case f.SiteID != 0:
		return "people_site"
	case staffOnly:
		return "people_role"
	case len(f.States) > 0:
		return "people_state"
	case f.Channel != "":
		return "people_channel"
	}
	return ""
}

// personWhere turns a filter into SQL conditions (L7).
func (db *DB) personWhere(f frontdesk.PersonFilter, fields map[string]*frontdesk.CustomField) ([]string, []any) {
	var where []string
	var args []any
	// States, roles and channels are few known words, written into the statement rather
	// than bound: a statement's plan is then made for its values. PostgreSQL keeps a
	// prepared statement's generic plan after a few runs, and the generic plan of
	// role = $1 ORDER BY id reads the table in id order, as it should for contacts, so
	// a list of agents read a quarter of a million rows to fill a page.
	in := func(col string, vals []string) {
		lits := make([]string, len(vals))
		for i, v := range vals {
			if !enumWord(v) {
				where = append(where, col+" IN ("+placeholders(len(vals))+")")
				for _, v := range vals {
					args = append(args, v)
				}
				return
			}
			lits[i] = "'" + v + "'"
		}
		where = append(where, col+" IN ("+strings.Join(lits, ", ")+")")
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
		// Named one by one, so that the role index can read them.
		var staff []string
		for _, r := range frontdesk.Roles {
			if r != frontdesk.RoleContact {
				staff = append(staff, string(r))
			}
		}
		in("role", staff)
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
		in("channel", []string{string(f.Channel)})
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
// name starts with prefix, compared without case (P5: suggestions while staff type). Address
// matches come first, then names, each in key order.
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
	q := `SELECT person_id, 0, address FROM (SELECT person_id, address FROM person_emails WHERE address >= ? AND address < ? ORDER BY address LIMIT ` + l + `) e
		UNION ALL SELECT id, 1, first_key FROM (SELECT id, first_key FROM people WHERE first_key >= ? AND first_key < ? ORDER BY first_key LIMIT ` + l + `) f
		UNION ALL SELECT id, 2, last_key FROM (SELECT id, last_key FROM people WHERE last_key >= ? AND last_key < ? ORDER BY last_key LIMIT ` + l + `) s`
	rows, err := db.reader(ctx).QueryContext(ctx, q, prefix, hi, prefix, hi, prefix, hi)
	if err != nil {
		return nil, err
	}
	type match struct {
		id   int64
		rank int
		key  string
	}
	var matches []match
	for rows.Next() {
		var m match
		if err := rows.Scan(&m.id, &m.rank, &m.key); err != nil {
			rows.Close()
			return nil, err
		}
		matches = append(matches, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	slices.SortFunc(matches, func(a, b match) int {
		if a.rank != b.rank {
			return a.rank - b.rank
		}
		return strings.Compare(a.key, b.key)
	})
	// Only the people shown are read whole.
	var ids []int64
	for _, m := range matches {
		if !slices.Contains(ids, m.id) {
			ids = append(ids, m.id)
		}
		if len(ids) == limit {
			break
		}
	}
	return db.peopleByID(ctx, ids)
}

// peopleByID reads people in the order of ids, with one query whose text does not depend on
// how many there are (so that it is prepared once).
func (db *DB) peopleByID(ctx context.Context, ids []int64) ([]*frontdesk.Person, error) {
	out := []*frontdesk.Person{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows *sql.Rows
	var err error
	if db.engine == Postgres {
		rows, err = db.reader(ctx).QueryContext(ctx, `SELECT `+personColumns+` FROM people WHERE id = ANY(?)`, ids)
	} else {
		list, _ := json.Marshal(ids)
		rows, err = db.reader(ctx).QueryContext(ctx, `SELECT `+personColumns+` FROM people WHERE id IN (SELECT value FROM json_each(?))`, string(list))
	}
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	byID := make(map[int64]*frontdesk.Person, len(ids))
	for rows.Next() {
		p, err := scanPerson(rows)
		if err != nil {
			return nil, err
		}
		byID[p.ID] = p
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, id := range ids {
		if p := byID[id]; p != nil {
			out = append(out, p)
		}
	}
	return out, nil
}

// OrganizationNames returns the names of the organizations with the given ids, by id, in
// one statement: a page of people shows each one's organization, and reading them one by
// one (GetOrganization, with its domains) cost two statements per organization on the page.
func (db *DB) OrganizationNames(ctx context.Context, ids []int64) (map[int64]string, error) {
	out := make(map[int64]string, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var rows *sql.Rows
	var err error
	if db.engine == Postgres {
		rows, err = db.reader(ctx).QueryContext(ctx, `SELECT id, name FROM organizations WHERE id = ANY(?)`, ids)
	} else {
		list, _ := json.Marshal(ids)
		rows, err = db.reader(ctx).QueryContext(ctx, `SELECT id, name FROM organizations WHERE id IN (SELECT value FROM json_each(?))`, string(list))
	}
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			return nil, err
		}
		out[id] = name
	}
	return out, rows.Err()
}

// ListOrganizationNames returns a page of organizations in id order with their id and name
// only, in one statement: the choices of the directory's organization filter, read on every
// page view, where ListOrganizations reads each organization whole with its domains.
func (db *DB) ListOrganizationNames(ctx context.Context, page frontdesk.Page) ([]*frontdesk.Organization, int64, error) {
	limit := pageLimit(page)
	rows, err := db.reader(ctx).QueryContext(ctx, `SELECT id, name FROM organizations WHERE id > ? ORDER BY id LIMIT `+strconv.Itoa(limit+1), page.After)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []*frontdesk.Organization{}
	for rows.Next() {
		o := &frontdesk.Organization{}
		if err := rows.Scan(&o.ID, &o.Name); err != nil {
			return nil, 0, err
		}
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	return trimPage(out, limit, func(o *frontdesk.Organization) int64 { return o.ID })
}

// enumWord reports whether s is a word of a closed set (a state, role or channel), safe to
// write into a statement as a literal.
func enumWord(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for _, r := range s {
		if (r < 'a' || r > 'z') && r != '_' {
			return false
		}
	}
	return true
}
