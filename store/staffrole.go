package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"frontdesk"
)

// Custom staff roles (R2) and the owner's hand-over (P2): the ways a staff member's
// permissions and rank change besides editing the role field of a profile.

const staffRoleColumns = `id, name, base_role, permissions, created_at, updated_at`

func scanStaffRole(r rowScanner) (*frontdesk.StaffRole, error) {
	var sr frontdesk.StaffRole
	var perms []byte
	var created, updated int64
	if err := r.Scan(&sr.ID, &sr.Name, &sr.BaseRole, &perms, &created, &updated); err != nil {
		return nil, err
	}
	sr.Permissions = []frontdesk.Permission{}
	if err := json.Unmarshal(perms, &sr.Permissions); err != nil {
		return nil, fmt.Errorf("staff role %d: %w", sr.ID, err)
	}
	sr.CreatedAt, sr.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &sr, nil
}

func staffRoleConflict(err error, sr *frontdesk.StaffRole) error {
	if what, ok := uniqueViolation(err); ok && strings.Contains(what, "staff_roles") {
		return &frontdesk.Error{Code: frontdesk.EConflict, Message: "a staff role with this name exists",
			Fields: []frontdesk.FieldError{{Field: "name", Message: sr.Name + " is taken"}}}
	}
	return err
}

// CreateStaffRole stores a new custom staff role and audits it (L6).
func (db *DB) CreateStaffRole(ctx context.Context, sr *frontdesk.StaffRole) error {
	return db.inTx(ctx, func(tx *Tx) error {
		sr.CreatedAt, sr.UpdatedAt = tx.now, tx.now
		perms, _ := json.Marshal(sr.Permissions)
		id, err := tx.insert(ctx, `INSERT INTO staff_roles (name, base_role, permissions, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`,
			sr.Name, sr.BaseRole, string(perms), micros(sr.CreatedAt), micros(sr.UpdatedAt))
		if err != nil {
			return staffRoleConflict(err, sr)
		}
		sr.ID = id
		return tx.audit(ctx, "staff_role.create", "staff_role", id, nil, sr)
	})
}

// GetStaffRole returns one custom staff role.
func (db *DB) GetStaffRole(ctx context.Context, id int64) (*frontdesk.StaffRole, error) {
	sr, err := scanStaffRole(db.reader(ctx).QueryRowContext(ctx, `SELECT `+staffRoleColumns+` FROM staff_roles WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("staff role", id)
	}
	return sr, err
}

// ListStaffRoles returns every custom staff role in name order.
func (db *DB) ListStaffRoles(ctx context.Context) ([]*frontdesk.StaffRole, error) {
	rows, err := db.reader(ctx).QueryContext(ctx, `SELECT `+staffRoleColumns+` FROM staff_roles ORDER BY lower(name), id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*frontdesk.StaffRole{}
	for rows.Next() {
		sr, err := scanStaffRole(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, sr)
	}
	return out, rows.Err()
}

// UpdateStaffRole loads a custom staff role, lets change modify it, and stores and audits the
// result in one transaction. A new base role moves every member to that rank at once, each
// move audited as a role change of the person (L6).
func (db *DB) UpdateStaffRole(ctx context.Context, id int64, change func(old, sr *frontdesk.StaffRole) error) (*frontdesk.StaffRole, error) {
	var out *frontdesk.StaffRole
	err := db.WithTx(ctx, func(ctx context.Context) error {
		tx := ctx.Value(txKey{}).(*Tx)
		old, err := scanStaffRole(tx.QueryRowContext(ctx, `SELECT `+staffRoleColumns+` FROM staff_roles WHERE id = ?`+db.forUpdate(), id))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("staff role", id)
		}
		if err != nil {
			return err
		}
		sr := *old
		sr.Permissions = append([]frontdesk.Permission{}, old.Permissions...)
		if err := change(old, &sr); err != nil {
			return err
		}
		sr.ID, sr.CreatedAt, sr.UpdatedAt = old.ID, old.CreatedAt, tx.now
		perms, _ := json.Marshal(sr.Permissions)
		if _, err := tx.ExecContext(ctx, `UPDATE staff_roles SET name = ?, base_role = ?, permissions = ?, updated_at = ? WHERE id = ?`,
			sr.Name, sr.BaseRole, string(perms), micros(sr.UpdatedAt), id); err != nil {
			return staffRoleConflict(err, &sr)
		}
		if sr.BaseRole != old.BaseRole {
			members, err := db.staffRoleMembers(ctx, id)
			if err != nil {
				return err
			}
			for _, pid := range members {
				if _, err := db.UpdatePerson(ctx, pid, func(p *frontdesk.Person) error {
					p.Role = sr.BaseRole
					return nil
				}); err != nil {
					return err
				}
			}
		}
		out = &sr
		return tx.audit(ctx, "staff_role.update", "staff_role", id, old, sr)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (db *DB) staffRoleMembers(ctx context.Context, id int64) ([]int64, error) {
	rows, err := db.reader(ctx).QueryContext(ctx, `SELECT id FROM people WHERE staff_role_id = ? ORDER BY id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var pid int64
		if err := rows.Scan(&pid); err != nil {
			return nil, err
		}
		out = append(out, pid)
	}
	return out, rows.Err()
}

// forUpdate locks the rows a query in a write transaction reads, on PostgreSQL; SQLite's
// write transactions already hold the one write lock from their start.
func (db *DB) forUpdate() string {
	if db.engine == Postgres {
		return " FOR UPDATE"
	}
	return ""
}

// HandOverOwnership moves the owner role from the current owner, fromID, to toID, an active
// admin, in one transaction (P2): the owner becomes an admin first, since the database holds
// at most one owner, then the admin becomes the owner; both moves and the hand-over itself
// are audited. API tokens are kept: they carry their person's role as it is at each request.
func (db *DB) HandOverOwnership(ctx context.Context, fromID, toID int64) (formerOwner, newOwner *frontdesk.Person, err error) {
	err = db.WithTx(ctx, func(ctx context.Context) error {
		tx := ctx.Value(txKey{}).(*Tx)
		if fromID == toID {
			return frontdesk.InvalidField("person_id", "person %d is the owner already", toID)
		}
		// Lock both rows in id order, so that two hand-overs cannot deadlock or interleave.
		lo, hi := min(fromID, toID), max(fromID, toID)
		rows, err := tx.QueryContext(ctx, `SELECT id, role, state FROM people WHERE id IN (?, ?) ORDER BY id`+db.forUpdate(), lo, hi)
		if err != nil {
			return err
		}
		found := map[int64][2]string{}
		for rows.Next() {
			var id int64
			var role, state string
			if err := rows.Scan(&id, &role, &state); err != nil {
				rows.Close()
				return err
			}
			found[id] = [2]string{role, state}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if found[fromID][0] != string(frontdesk.RoleOwner) {
			return frontdesk.Errorf(frontdesk.EForbidden, "only the owner hands ownership over")
		}
		target, ok := found[toID]
		switch {
		case !ok:
			return frontdesk.InvalidField("person_id", "there is no person %d", toID)
		case target[0] != string(frontdesk.RoleAdmin) || target[1] != string(frontdesk.StateActive):
			return frontdesk.InvalidField("person_id", "ownership goes to an active admin; person %d is a %s %s", toID, target[1], target[0])
		}
		formerOwner, err = db.UpdatePerson(ctx, fromID, func(p *frontdesk.Person) error {
			p.Role, p.StaffRoleID = frontdesk.RoleAdmin, nil
			return nil
		})
		if err != nil {
			return err
		}
		newOwner, err = db.UpdatePerson(ctx, toID, func(p *frontdesk.Person) error {
			p.Role, p.StaffRoleID = frontdesk.RoleOwner, nil
			return nil
		})
		if err != nil {
			return err
		}
		return tx.audit(ctx, "owner.hand_over", "person", toID, map[string]any{"owner_id": fromID}, map[string]any{"owner_id": toID})
	})
	if err != nil {
		return nil, nil, err
	}
	return formerOwner, newOwner, nil
}

// actorColumns and actorFrom read what an actor is made of: the person, and their custom staff role if any.
const (
	actorColumns = `p.id, p.role, p.state, p.first_name, p.last_name, sr.name, sr.permissions`
	actorFrom    = ` FROM people p LEFT JOIN staff_roles sr ON sr.id = p.staff_role_id`
)

// scanActor reads an actor with their effective permissions (R2): the custom staff role's
// set, else the built-in role's defaults.
func scanActor(r rowScanner, extra ...any) (frontdesk.Actor, frontdesk.State, error) {
	var a frontdesk.Actor
	var state frontdesk.State
	var first, last string
	var roleName sql.NullString
	var perms []byte
	if err := r.Scan(append([]any{&a.ID, &a.Role, &state, &first, &last, &roleName, &perms}, extra...)...); err != nil {
		return a, state, err
	}
	a.Name = frontdesk.FullName(first, "", last)
	if a.Name == "" {
		a.Name = fmt.Sprintf("person %d", a.ID)
	}
	if roleName.Valid {
		a.StaffRole = roleName.String
		a.Permissions = []frontdesk.Permission{}
		if err := json.Unmarshal(perms, &a.Permissions); err != nil {
			return a, state, fmt.Errorf("staff role of person %d: %w", a.ID, err)
		}
	} else {
		a.Permissions = a.Role.Permissions()
		if a.Permissions == nil {
			a.Permissions = []frontdesk.Permission{}
		}
	}
	return a, state, nil
}

// ActorFor returns the actor an active staff member is, with their effective permissions, for
// a login path other than API tokens (a session). Anyone else is refused as unauthorized (L3).
func (db *DB) ActorFor(ctx context.Context, personID int64) (frontdesk.Actor, error) {
	a, state, err := scanActor(db.reader(ctx).QueryRowContext(ctx, `SELECT `+actorColumns+actorFrom+` WHERE p.id = ?`, personID))
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return frontdesk.Actor{}, err
	}
	if err != nil || state != frontdesk.StateActive || !a.Role.IsStaff() {
		return frontdesk.Actor{}, frontdesk.Errorf(frontdesk.EUnauthorized, "person %d is not active staff", personID)
	}
	return a, nil
}
