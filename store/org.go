package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"

	"frontdesk"
)

// CreateOrganization stores a new organization with its domains; a domain of another
// organization is refused (P9).
func (db *DB) CreateOrganization(ctx context.Context, o *frontdesk.Organization) error {
	return db.inTx(ctx, func(tx *Tx) error {
		o.CreatedAt, o.UpdatedAt = tx.now, tx.now
		id, err := tx.insert(ctx, `INSERT INTO organizations (name, external_id, notes, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`,
			o.Name, o.ExternalID, o.Notes, micros(o.CreatedAt), micros(o.UpdatedAt))
		if err != nil {
			return orgConflict(err, o)
		}
		o.ID = id
		if err := tx.writeDomains(ctx, o, nil); err != nil {
			return err
		}
		return tx.audit(ctx, "organization.create", "organization", o.ID, nil, o)
	})
}

func orgConflict(err error, o *frontdesk.Organization) error {
	if what, ok := uniqueViolation(err); ok && strings.Contains(what, "organizations") {
		return &frontdesk.Error{Code: frontdesk.EConflict, Message: "another organization has this name",
			Fields: []frontdesk.FieldError{{Field: "name", Message: strconv.Quote(o.Name) + " is taken"}}}
	}
	return err
}

func (tx *Tx) writeDomains(ctx context.Context, o *frontdesk.Organization, old []string) error {
	for _, d := range old {
		if !slices.Contains(o.Domains, d) {
			if _, err := tx.ExecContext(ctx, `DELETE FROM organization_domains WHERE domain = ? AND organization_id = ?`, d, o.ID); err != nil {
				return err
			}
		}
	}
	for i, d := range o.Domains {
		if slices.Contains(old, d) {
			continue
		}
		var owner int64
		err := tx.QueryRowContext(ctx, `SELECT organization_id FROM organization_domains WHERE domain = ?`, d).Scan(&owner)
		if err == nil {
			return &frontdesk.Error{Code: frontdesk.EConflict, Message: "a domain belongs to at most one organization",
				Fields: []frontdesk.FieldError{{Field: "domains[" + strconv.Itoa(i) + "]", Message: d + " belongs to organization " + strconv.FormatInt(owner, 10)}},
				Extra:  map[string]any{"existing_organization_id": owner}}
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO organization_domains (domain, organization_id) VALUES (?, ?)`, d, o.ID); err != nil {
			if _, ok := uniqueViolation(err); ok {
				return frontdesk.InvalidField("domains["+strconv.Itoa(i)+"]", "%s was just taken by another organization", d)
			}
			return err
		}
	}
	return nil
}

// GetOrganization returns the organization with the given id.
func (db *DB) GetOrganization(ctx context.Context, id int64) (*frontdesk.Organization, error) {
	q := db.reader(ctx)
	var o frontdesk.Organization
	var created, updated int64
	err := q.QueryRowContext(ctx, `SELECT id, name, external_id, notes, created_at, updated_at FROM organizations WHERE id = ?`, id).
		Scan(&o.ID, &o.Name, &o.ExternalID, &o.Notes, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("organization", id)
	}
	if err != nil {
		return nil, err
	}
	o.CreatedAt, o.UpdatedAt = fromMicros(created), fromMicros(updated)
	o.Domains, err = db.domains(ctx, q, id)
	return &o, err
}

func (db *DB) domains(ctx context.Context, q querier, org int64) ([]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT domain FROM organization_domains WHERE organization_id = ? ORDER BY domain`, org)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var d string
		if err := rows.Scan(&d); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// UpdateOrganization changes an organization and audits before and after.
func (db *DB) UpdateOrganization(ctx context.Context, id int64, in frontdesk.OrganizationInput) (*frontdesk.Organization, error) {
	var out *frontdesk.Organization
	err := db.WithTx(ctx, func(ctx context.Context) error {
		old, err := db.GetOrganization(ctx, id)
		if err != nil {
			return err
		}
		o := *old
		o.Domains = slices.Clone(old.Domains)
		if err := frontdesk.ApplyOrganization(&o, in); err != nil {
			return err
		}
		tx := ctx.Value(txKey{}).(*Tx)
		o.UpdatedAt = tx.now
		if _, err := tx.ExecContext(ctx, `UPDATE organizations SET name = ?, external_id = ?, notes = ?, updated_at = ? WHERE id = ?`,
			o.Name, o.ExternalID, o.Notes, micros(o.UpdatedAt), id); err != nil {
			return orgConflict(err, &o)
		}
		if err := tx.writeDomains(ctx, &o, old.Domains); err != nil {
			return err
		}
		out = &o
		return tx.audit(ctx, "organization.update", "organization", id, old, o)
	})
	return out, err
}

// ListOrganizations returns organizations in id order after the cursor.
func (db *DB) ListOrganizations(ctx context.Context, page frontdesk.Page) ([]*frontdesk.Organization, int64, error) {
	limit := pageLimit(page)
	q := db.reader(ctx)
	rows, err := q.QueryContext(ctx, `SELECT id FROM organizations WHERE id > ? ORDER BY id LIMIT `+strconv.Itoa(limit+1), page.After)
	if err != nil {
		return nil, 0, err
	}
	ids, err := scanIDs(rows)
	if err != nil {
		return nil, 0, err
	}
	out := []*frontdesk.Organization{}
	for _, id := range ids {
		o, err := db.GetOrganization(ctx, id)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, o)
	}
	return trimPage(out, limit, func(o *frontdesk.Organization) int64 { return o.ID })
}

// CreateSite stores a new site of an existing organization.
func (db *DB) CreateSite(ctx context.Context, s *frontdesk.Site) error {
	return db.inTx(ctx, func(tx *Tx) error {
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM organizations WHERE id = ?`, s.OrganizationID).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return frontdesk.InvalidField("organization_id", "there is no organization %d", s.OrganizationID)
		}
		if err != nil {
			return err
		}
		s.CreatedAt, s.UpdatedAt = tx.now, tx.now
		id, err := tx.insert(ctx, `INSERT INTO sites (organization_id, name, address, timezone, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
			s.OrganizationID, s.Name, jsonOrNil(s.Address), s.Timezone, micros(s.CreatedAt), micros(s.UpdatedAt))
		if err != nil {
			return siteConflict(err, s)
		}
		s.ID = id
		return tx.audit(ctx, "site.create", "site", s.ID, nil, s)
	})
}

func siteConflict(err error, s *frontdesk.Site) error {
	if _, ok := uniqueViolation(err); ok {
		return &frontdesk.Error{Code: frontdesk.EConflict, Message: "the organization already has a site with this name",
			Fields: []frontdesk.FieldError{{Field: "name", Message: strconv.Quote(s.Name) + " is taken in this organization"}}}
	}
	return err
}

func jsonOrNil(v *frontdesk.PostalAddress) any {
	if v == nil {
		return nil
	}
	b, _ := json.Marshal(v)
	return string(b)
}

const siteColumns = `id, organization_id, name, address, timezone, created_at, updated_at`

func scanSite(r rowScanner) (*frontdesk.Site, error) {
	var s frontdesk.Site
	var addr sql.NullString
	var created, updated int64
	if err := r.Scan(&s.ID, &s.OrganizationID, &s.Name, &addr, &s.Timezone, &created, &updated); err != nil {
		return nil, err
	}
	if addr.Valid {
		s.Address = &frontdesk.PostalAddress{}
		if err := json.Unmarshal([]byte(addr.String), s.Address); err != nil {
			return nil, err
		}
	}
	s.CreatedAt, s.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &s, nil
}

// GetSite returns the site with the given id.
func (db *DB) GetSite(ctx context.Context, id int64) (*frontdesk.Site, error) {
	s, err := scanSite(db.reader(ctx).QueryRowContext(ctx, `SELECT `+siteColumns+` FROM sites WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("site", id)
	}
	return s, err
}

// UpdateSite changes a site and audits before and after.
func (db *DB) UpdateSite(ctx context.Context, id int64, in frontdesk.SiteInput) (*frontdesk.Site, error) {
	var out *frontdesk.Site
	err := db.WithTx(ctx, func(ctx context.Context) error {
		old, err := db.GetSite(ctx, id)
		if err != nil {
			return err
		}
		s := *old
		if err := frontdesk.ApplySite(&s, in, false); err != nil {
			return err
		}
		tx := ctx.Value(txKey{}).(*Tx)
		s.UpdatedAt = tx.now
		if _, err := tx.ExecContext(ctx, `UPDATE sites SET name = ?, address = ?, timezone = ?, updated_at = ? WHERE id = ?`,
			s.Name, jsonOrNil(s.Address), s.Timezone, micros(s.UpdatedAt), id); err != nil {
			return siteConflict(err, &s)
		}
		out = &s
		return tx.audit(ctx, "site.update", "site", id, old, s)
	})
	return out, err
}

// ListSites returns the sites of one organization (or of all when org is zero) after the cursor.
func (db *DB) ListSites(ctx context.Context, org int64, page frontdesk.Page) ([]*frontdesk.Site, int64, error) {
	limit := pageLimit(page)
	q := `SELECT ` + siteColumns + ` FROM sites WHERE id > ?`
	args := []any{page.After}
	if org != 0 {
		q += " AND organization_id = ?"
		args = append(args, org)
	}
	rows, err := db.reader(ctx).QueryContext(ctx, q+" ORDER BY id LIMIT "+strconv.Itoa(limit+1), args...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []*frontdesk.Site{}
	for rows.Next() {
		s, err := scanSite(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	return trimPage(out, limit, func(s *frontdesk.Site) int64 { return s.ID })
}

func pageLimit(p frontdesk.Page) int {
	if p.Limit <= 0 || p.Limit > frontdesk.MaxPageSize {
		return frontdesk.DefaultPageSize
	}
	return p.Limit
}

func trimPage[T any](items []T, limit int, id func(T) int64) ([]T, int64, error) {
	if len(items) > limit {
		items = items[:limit]
		return items, id(items[limit-1]), nil
	}
	return items, 0, nil
}

func scanIDs(rows *sql.Rows) ([]int64, error) {
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}
