package store

import (
	"context"
	"database/sql"
	"encoding/json"

	"fmt"
	"strings"

	filter "github.com/scim2/filter-parser/v2"

	"frontdesk"
)

// Storage of SCIM provisioning (B6): the users' attributes that have no column on people,
// the groups an identity provider pushes and their members, and the lists SCIM filters.

// SCIMList chooses a page of a SCIM list: a parsed filter (nil for all), the 1-based index
// of the first result and how many to return.
type SCIMList struct {
	Filter     filter.Expression
	StartIndex int
	Count      int
}

func (l SCIMList) offset() int {
	if l.StartIndex < 1 {
		return 0
	}
	return l.StartIndex - 1
}

// ListSCIMUsers returns the people a SCIM filter matches, in id order, and how many match
// in all.
func (db *DB) ListSCIMUsers(ctx context.Context, l SCIMList) (people []*frontdesk.Person, total int, err error) {
	where, args := "TRUE", []any(nil)
	if l.Filter != nil {
		if where, args, err = scimWhere(l.Filter, scimUserColumns, scimUserSchema); err != nil {
			return nil, 0, err
		}
	}
	q := db.reader(ctx)
	people = []*frontdesk.Person{}
	if l.Count > 0 {
		rows, err := q.QueryContext(ctx, `SELECT `+prefixColumns("p.", personColumns)+` FROM people p WHERE `+where+
			` ORDER BY p.id LIMIT ? OFFSET ?`, append(args, l.Count, l.offset())...)
		if err != nil {
			return nil, 0, err
		}
		defer rows.Close()
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
	}
	if total, ok := l.knownTotal(len(people)); ok {
		return people, total, nil
	}
	err = q.QueryRowContext(ctx, `SELECT count(*) FROM people p WHERE `+where, args...).Scan(&total)
	return people, total, err
}

// knownTotal tells the total from a first page that was not full, which spares counting: an
// identity provider's lookup by userName is then one index probe.
func (l SCIMList) knownTotal(got int) (int, bool) {
	if l.offset() == 0 && l.Count > 0 && got < l.Count {
		return got, true
	}
	return 0, false
}

// prefixColumns qualifies every column of a list with a table alias.
func prefixColumns(prefix, cols string) string {
	parts := splitComma(cols)
	for i := range parts {
		parts[i] = prefix + parts[i]
	}
	return strings.Join(parts, ", ")
}

// SCIMUserAttributes returns the stored SCIM attributes of the given people (those without
// any are left out).
func (db *DB) SCIMUserAttributes(ctx context.Context, ids []int64) (map[int64]map[string]any, error) {
	out := map[int64]map[string]any{}
	if len(ids) == 0 {
		return out, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := db.reader(ctx).QueryContext(ctx, `SELECT person_id, attributes FROM scim_users WHERE person_id IN (`+placeholders(len(ids))+`)`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var raw []byte
		if err := rows.Scan(&id, &raw); err != nil {
			return nil, err
		}
		m := map[string]any{}
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, fmt.Errorf("scim attributes of person %d: %w", id, err)
		}
		out[id] = m
	}
	return out, rows.Err()
}

// SetSCIMUserAttributes stores the SCIM attributes of a person, replacing what was there.
func (db *DB) SetSCIMUserAttributes(ctx context.Context, personID int64, attrs map[string]any) error {
	b, err := json.Marshal(attrs)
	if err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO scim_users (person_id, attributes) VALUES (?, ?)
			ON CONFLICT (person_id) DO UPDATE SET attributes = excluded.attributes`, personID, string(b))
		return err
	})
}

// SCIMGroupsOf returns the groups each of the given people is in, by person.
func (db *DB) SCIMGroupsOf(ctx context.Context, ids []int64) (map[int64][]*frontdesk.SCIMGroup, error) {
	out := map[int64][]*frontdesk.SCIMGroup{}
	if len(ids) == 0 {
		return out, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := db.reader(ctx).QueryContext(ctx, `SELECT m.person_id, g.id, g.display_name FROM scim_group_members m
		JOIN scim_groups g ON g.id = m.group_id WHERE m.person_id IN (`+placeholders(len(ids))+`) ORDER BY g.id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var pid int64
		g := &frontdesk.SCIMGroup{}
		if err := rows.Scan(&pid, &g.ID, &g.DisplayName); err != nil {
			return nil, err
		}
		out[pid] = append(out[pid], g)
	}
	return out, rows.Err()
}

const scimGroupColumnsSQL = `g.id, g.display_name, g.external_id, g.staff_role_id, g.organization_id, g.version, g.created_at, g.updated_at`

func scanSCIMGroup(r rowScanner) (*frontdesk.SCIMGroup, error) {
	g := &frontdesk.SCIMGroup{}
	var ext sql.NullString
	var role, org sql.NullInt64
	var created, updated int64
	if err := r.Scan(&g.ID, &g.DisplayName, &ext, &role, &org, &g.Version, &created, &updated); err != nil {
		return nil, err
	}
	g.ExternalID, g.StaffRoleID, g.OrganizationID = ext.String, fromNullID(role), fromNullID(org)
	g.CreatedAt, g.UpdatedAt = fromMicros(created), fromMicros(updated)
	return g, nil
}

func nullText(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// scimGroupConflict explains a unique violation on groups as SCIM's uniqueness.
func scimGroupConflict(err error, g *frontdesk.SCIMGroup) error {
	what, ok := uniqueViolation(err)
	if !ok {
		return err
	}
	e := frontdesk.Errorf(frontdesk.EConflict, "another group is named %q", g.DisplayName)
	if strings.Contains(what, "external_id") {
		e = frontdesk.Errorf(frontdesk.EConflict, "another group has the external id %q", g.ExternalID)
	}
	e.Extra = map[string]any{"scimType": "uniqueness"}
	return e
}

// associate finds the custom staff role and the organization named like the group, which
// the group gives its members when the scim_groups setting says so.
func (tx *Tx) associate(ctx context.Context, g *frontdesk.SCIMGroup) error {
	var id int64
	err := tx.QueryRowContext(ctx, `SELECT id FROM staff_roles WHERE lower(name) = lower(?)`, g.DisplayName).Scan(&id)
	switch {
	case err == nil:
		g.StaffRoleID = &id
	case isNoRows(err):
		g.StaffRoleID = nil
	default:
		return err
	}
	var org int64
	err = tx.QueryRowContext(ctx, `SELECT id FROM organizations WHERE lower(name) = lower(?) ORDER BY id LIMIT 1`, g.DisplayName).Scan(&org)
	switch {
	case err == nil:
		g.OrganizationID = &org
	case isNoRows(err):
		g.OrganizationID = nil
	default:
		return err
	}
	return nil
}

// CreateSCIMGroup stores a new group with its members, associated with the staff role and
// organization of its name, and audits it. Members must be people.
func (db *DB) CreateSCIMGroup(ctx context.Context, g *frontdesk.SCIMGroup) error {
	return db.inTx(ctx, func(tx *Tx) error {
		g.CreatedAt, g.UpdatedAt, g.Version = tx.now, tx.now, 1
		if err := tx.associate(ctx, g); err != nil {
			return err
		}
		id, err := tx.insert(ctx, `INSERT INTO scim_groups (display_name, external_id, staff_role_id, organization_id, version, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, g.DisplayName, nullText(g.ExternalID), nullID(g.StaffRoleID), nullID(g.OrganizationID), g.Version, micros(g.CreatedAt), micros(g.UpdatedAt))
		if err != nil {
			return scimGroupConflict(err, g)
		}
		g.ID = id
		ids := make([]int64, len(g.Members))
		for i, m := range g.Members {
			ids[i] = m.PersonID
		}
		if _, err := tx.addMembers(ctx, g.ID, ids); err != nil {
			return err
		}
		return tx.audit(ctx, "scim_group.create", "scim_group", g.ID, nil, g)
	})
}

// GetSCIMGroup returns a group, with its members when members is set.
func (db *DB) GetSCIMGroup(ctx context.Context, id int64, members bool) (*frontdesk.SCIMGroup, error) {
	q := db.reader(ctx)
	g, err := scanSCIMGroup(q.QueryRowContext(ctx, `SELECT `+scimGroupColumnsSQL+` FROM scim_groups g WHERE g.id = ?`, id))
	if isNoRows(err) {
		return nil, notFound("group", id)
	}
	if err != nil || !members {
		return g, err
	}
	m, err := db.scimMembers(ctx, []int64{id})
	g.Members = m[id]
	return g, err
}

func (db *DB) scimMembers(ctx context.Context, groups []int64) (map[int64][]frontdesk.SCIMMember, error) {
	out := map[int64][]frontdesk.SCIMMember{}
	if len(groups) == 0 {
		return out, nil
	}
	args := make([]any, len(groups))
	for i, id := range groups {
		args[i] = id
	}
	rows, err := db.reader(ctx).QueryContext(ctx, `SELECT m.group_id, p.id, p.first_name, p.middle_name, p.last_name, p.preferred_name
		FROM scim_group_members m JOIN people p ON p.id = m.person_id WHERE m.group_id IN (`+placeholders(len(groups))+`) ORDER BY m.group_id, p.id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var gid int64
		var p frontdesk.Person
		if err := rows.Scan(&gid, &p.ID, &p.FirstName, &p.MiddleName, &p.LastName, &p.PreferredName); err != nil {
			return nil, err
		}
		out[gid] = append(out[gid], frontdesk.SCIMMember{PersonID: p.ID, Display: p.DisplayName(true)})
	}
	return out, rows.Err()
}

// ListSCIMGroups returns the groups a SCIM filter matches, in id order, with their members
// when members is set, and how many match in all.
func (db *DB) ListSCIMGroups(ctx context.Context, l SCIMList, members bool) (groups []*frontdesk.SCIMGroup, total int, err error) {
	where, args := "TRUE", []any(nil)
	if l.Filter != nil {
		if where, args, err = scimWhere(l.Filter, scimGroupColumns, scimGroupSchema); err != nil {
			return nil, 0, err
		}
	}
	q := db.reader(ctx)
	groups = []*frontdesk.SCIMGroup{}
	var ids []int64
	if l.Count > 0 {
		rows, err := q.QueryContext(ctx, `SELECT `+scimGroupColumnsSQL+` FROM scim_groups g WHERE `+where+` ORDER BY g.id LIMIT ? OFFSET ?`,
			append(args, l.Count, l.offset())...)
		if err != nil {
			return nil, 0, err
		}
		defer rows.Close()
		for rows.Next() {
			g, err := scanSCIMGroup(rows)
			if err != nil {
				return nil, 0, err
			}
			groups = append(groups, g)
			ids = append(ids, g.ID)
		}
		if err := rows.Err(); err != nil {
			return nil, 0, err
		}
	}
	var ok bool
	if total, ok = l.knownTotal(len(groups)); !ok {
		if err := q.QueryRowContext(ctx, `SELECT count(*) FROM scim_groups g WHERE `+where, args...).Scan(&total); err != nil {
			return nil, 0, err
		}
	}
	if !members {
		return groups, total, nil
	}
	m, err := db.scimMembers(ctx, ids)
	for _, g := range groups {
		g.Members = m[g.ID]
	}
	return groups, total, err
}

// UpdateSCIMGroup changes a group's name and external id through change, which sees the
// group as stored (without members), bumps its version and audits before and after. A new
// name finds the staff role and organization of that name.
func (db *DB) UpdateSCIMGroup(ctx context.Context, id int64, change func(g *frontdesk.SCIMGroup) error) (*frontdesk.SCIMGroup, error) {
	var out *frontdesk.SCIMGroup
	err := db.inTx(ctx, func(tx *Tx) error {
		old, err := scanSCIMGroup(tx.QueryRowContext(ctx, `SELECT `+scimGroupColumnsSQL+` FROM scim_groups g WHERE g.id = ?`, id))
		if isNoRows(err) {
			return notFound("group", id)
		}
		if err != nil {
			return err
		}
		g := *old
		if err := change(&g); err != nil {
			return err
		}
		if !strings.EqualFold(g.DisplayName, old.DisplayName) {
			if err := tx.associate(ctx, &g); err != nil {
				return err
			}
		}
		g.ID, g.CreatedAt, g.UpdatedAt, g.Version = old.ID, old.CreatedAt, tx.now, old.Version+1
		if _, err := tx.ExecContext(ctx, `UPDATE scim_groups SET display_name = ?, external_id = ?, staff_role_id = ?, organization_id = ?,
			version = ?, updated_at = ? WHERE id = ?`, g.DisplayName, nullText(g.ExternalID), nullID(g.StaffRoleID), nullID(g.OrganizationID),
			g.Version, micros(g.UpdatedAt), id); err != nil {
			return scimGroupConflict(err, &g)
		}
		out = &g
		return tx.audit(ctx, "scim_group.update", "scim_group", id, old, &g)
	})
	return out, err
}

// TouchSCIMGroup bumps a group's version after its members changed.
func (db *DB) TouchSCIMGroup(ctx context.Context, id int64) error {
	return db.inTx(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE scim_groups SET version = version + 1, updated_at = ? WHERE id = ?`, micros(tx.now), id)
		return err
	})
}

// SCIMGroupMemberIDs returns the ids of a group's members.
func (db *DB) SCIMGroupMemberIDs(ctx context.Context, id int64) ([]int64, error) {
	rows, err := db.reader(ctx).QueryContext(ctx, `SELECT person_id FROM scim_group_members WHERE group_id = ? ORDER BY person_id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []int64{}
	for rows.Next() {
		var pid int64
		if err := rows.Scan(&pid); err != nil {
			return nil, err
		}
		out = append(out, pid)
	}
	return out, rows.Err()
}

// AddSCIMGroupMembers adds people to a group and returns those who were not in it yet.
// Unknown people are refused, naming them.
func (db *DB) AddSCIMGroupMembers(ctx context.Context, id int64, people []int64) (added []int64, err error) {
	err = db.inTx(ctx, func(tx *Tx) error {
		added, err = tx.addMembers(ctx, id, people)
		if err != nil || len(added) == 0 {
			return err
		}
		return tx.audit(ctx, "scim_group.members_add", "scim_group", id, nil, map[string]any{"people": added})
	})
	return added, err
}

func (tx *Tx) addMembers(ctx context.Context, id int64, people []int64) ([]int64, error) {
	added := []int64{}
	for _, pid := range people {
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM people WHERE id = ?`, pid).Scan(&one)
		if isNoRows(err) {
			e := frontdesk.InvalidField("members", "there is no user %d", pid)
			e.Extra = map[string]any{"scimType": "invalidValue"}
			return nil, e
		}
		if err != nil {
			return nil, err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO scim_group_members (group_id, person_id) VALUES (?, ?) ON CONFLICT DO NOTHING`, id, pid)
		if err != nil {
			return nil, err
		}
		if n, _ := res.RowsAffected(); n > 0 {
			added = append(added, pid)
		}
	}
	return added, nil
}

// RemoveSCIMGroupMembers takes people out of a group and returns those who were in it.
func (db *DB) RemoveSCIMGroupMembers(ctx context.Context, id int64, people []int64) (removed []int64, err error) {
	err = db.inTx(ctx, func(tx *Tx) error {
		removed = []int64{}
		for _, pid := range people {
			res, err := tx.ExecContext(ctx, `DELETE FROM scim_group_members WHERE group_id = ? AND person_id = ?`, id, pid)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n > 0 {
				removed = append(removed, pid)
			}
		}
		if len(removed) == 0 {
			return nil
		}
		return tx.audit(ctx, "scim_group.members_remove", "scim_group", id, map[string]any{"people": removed}, nil)
	})
	return removed, err
}

// DeleteSCIMGroup deletes a group and its memberships (the people stay) and audits it.
func (db *DB) DeleteSCIMGroup(ctx context.Context, id int64) error {
	return db.inTx(ctx, func(tx *Tx) error {
		old, err := scanSCIMGroup(tx.QueryRowContext(ctx, `SELECT `+scimGroupColumnsSQL+` FROM scim_groups g WHERE g.id = ?`, id))
		if isNoRows(err) {
			return notFound("group", id)
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM scim_group_members WHERE group_id = ?`, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM scim_groups WHERE id = ?`, id); err != nil {
			return err
		}
		return tx.audit(ctx, "scim_group.delete", "scim_group", id, old, nil)
	})
}

// SCIMGroupsPage returns groups in id order after the cursor, for the API, and the id to
// continue after (0 at the end).
func (db *DB) SCIMGroupsPage(ctx context.Context, page frontdesk.Page) ([]*frontdesk.SCIMGroup, int64, error) {
	limit := pageLimit(page)
	rows, err := db.reader(ctx).QueryContext(ctx, `SELECT `+scimGroupColumnsSQL+` FROM scim_groups g WHERE g.id > ? ORDER BY g.id LIMIT ?`, page.After, limit+1)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []*frontdesk.SCIMGroup{}
	for rows.Next() {
		g, err := scanSCIMGroup(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, g)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	return trimPage(out, limit, func(g *frontdesk.SCIMGroup) int64 { return g.ID })
}

// SetSCIMGroupMapping stores the staff role and organization staff associate with a group
// by hand, and audits the change. The flow checks who may.
func (db *DB) SetSCIMGroupMapping(ctx context.Context, id int64, in frontdesk.SCIMGroupMappingInput) (*frontdesk.SCIMGroup, error) {
	var out *frontdesk.SCIMGroup
	err := db.inTx(ctx, func(tx *Tx) error {
		old, err := scanSCIMGroup(tx.QueryRowContext(ctx, `SELECT `+scimGroupColumnsSQL+` FROM scim_groups g WHERE g.id = ?`, id))
		if isNoRows(err) {
			return notFound("group", id)
		}
		if err != nil {
			return err
		}
		g := *old
		var probs frontdesk.Problems
		if in.StaffRoleID.Set {
			g.StaffRoleID = in.StaffRoleID.ID
			if g.StaffRoleID != nil {
				var one int
				if err := tx.QueryRowContext(ctx, `SELECT 1 FROM staff_roles WHERE id = ?`, *g.StaffRoleID).Scan(&one); isNoRows(err) {
					probs.Add("staff_role_id", "there is no staff role %d", *g.StaffRoleID)
				} else if err != nil {
					return err
				}
			}
		}
		if in.OrganizationID.Set {
			g.OrganizationID = in.OrganizationID.ID
			if g.OrganizationID != nil {
				var one int
				if err := tx.QueryRowContext(ctx, `SELECT 1 FROM organizations WHERE id = ?`, *g.OrganizationID).Scan(&one); isNoRows(err) {
					probs.Add("organization_id", "there is no organization %d", *g.OrganizationID)
				} else if err != nil {
					return err
				}
			}
		}
		if err := probs.Err(); err != nil {
			return err
		}
		g.Version, g.UpdatedAt = old.Version+1, tx.now
		if _, err := tx.ExecContext(ctx, `UPDATE scim_groups SET staff_role_id = ?, organization_id = ?, version = ?, updated_at = ? WHERE id = ?`,
			nullID(g.StaffRoleID), nullID(g.OrganizationID), g.Version, micros(g.UpdatedAt), id); err != nil {
			return err
		}
		out = &g
		return tx.audit(ctx, "scim_group.mapping", "scim_group", id, old, &g)
	})
	return out, err
}
