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

const personColumns = `id, role, state, first_name, middle_name, last_name, preferred_name, emails, phones, addresses,
	timezone, locale, external_id, notes, custom, web_access, machine, do_not_email, marketing_opt_in,
	organization_id, site_id, channel, banned_until, ban_reason, last_login_at, created_at, updated_at, staff_role_id,
	username, organization_source`

type rowScanner interface{ Scan(dest ...any) error }

func scanPerson(r rowScanner) (*frontdesk.Person, error) {
	var p frontdesk.Person
	var emails, phones, addresses, custom []byte
	var externalID, username sql.NullString
	var machine, dne, mkt int
	var org, site, bannedUntil, lastLogin, staffRole sql.NullInt64
	var created, updated int64
	err := r.Scan(&p.ID, &p.Role, &p.State, &p.FirstName, &p.MiddleName, &p.LastName, &p.PreferredName,
		&emails, &phones, &addresses, &p.Timezone, &p.Locale, &externalID, &p.Notes, &custom, &p.WebAccess,
		&machine, &dne, &mkt, &org, &site, &p.Channel, &bannedUntil, &p.BanReason, &lastLogin, &created, &updated, &staffRole,
		&username, &p.OrganizationSource)
	if err != nil {
		return nil, err
	}
	if err := errors.Join(json.Unmarshal(emails, &p.Emails), json.Unmarshal(phones, &p.Phones),
		json.Unmarshal(addresses, &p.Addresses), json.Unmarshal(custom, &p.Custom)); err != nil {
		return nil, fmt.Errorf("person %d: %w", p.ID, err)
	}
	p.ExternalID, p.Username = externalID.String, username.String
	p.Machine, p.DoNotEmail, p.MarketingOptIn = machine != 0, dne != 0, mkt != 0
	p.OrganizationID, p.SiteID, p.StaffRoleID = fromNullID(org), fromNullID(site), fromNullID(staffRole)
	p.BannedUntil, p.LastLoginAt = fromNullMicros(bannedUntil), fromNullMicros(lastLogin)
	p.CreatedAt, p.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &p, nil
}

// personRow is a person as its columns are written.
func personRow(p *frontdesk.Person) []any {
	j := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	var ext, username any
	if p.ExternalID != "" {
		ext = p.ExternalID
	}
	if p.Username != "" {
		username = p.Username
	}
	return []any{p.Role, p.State, p.FirstName, p.MiddleName, p.LastName, p.PreferredName,
		firstKey(p), lastKey(p), j(p.Emails), j(p.Phones), j(p.Addresses), p.Timezone, p.Locale, ext, p.Notes, j(p.Custom),
		p.WebAccess, b2i(p.Machine), b2i(p.DoNotEmail), b2i(p.MarketingOptIn), nullID(p.OrganizationID), nullID(p.SiteID),
		p.Channel, nullMicros(p.BannedUntil), p.BanReason, nullMicros(p.LastLoginAt), micros(p.CreatedAt), micros(p.UpdatedAt),
		nullID(p.StaffRoleID), username, p.OrganizationSource}
}

const personWriteColumns = `role, state, first_name, middle_name, last_name, preferred_name, first_key, last_key,
	emails, phones, addresses, timezone, locale, external_id, notes, custom, web_access, machine, do_not_email,
	marketing_opt_in, organization_id, site_id, channel, banned_until, ban_reason, last_login_at, created_at, updated_at,
	staff_role_id, username, organization_source`

// personWriteCount is the number of personWriteColumns.
var personWriteCount = len(splitComma(personWriteColumns))

func firstKey(p *frontdesk.Person) string {
	return strings.ToLower(strings.TrimSpace(p.FirstName + " " + p.LastName))
}

func lastKey(p *frontdesk.Person) string {
	return strings.ToLower(strings.TrimSpace(p.LastName + " " + p.FirstName))
}

// CreatePerson stores a new person with their addresses and phones, joins them to the
// organization of their address's domain when none was given (P9), and audits it. A taken
// address is refused with an EConflict error that names its owner (P5); the unique index
// decides, so racing creates of one address make one person (C14).
func (db *DB) CreatePerson(ctx context.Context, p *frontdesk.Person) error {
	err := db.inTx(ctx, func(tx *Tx) error {
		p.CreatedAt, p.UpdatedAt = tx.now, tx.now
		if p.OrganizationID == nil && p.SiteID == nil {
			if err := tx.assignByDomain(ctx, p); err != nil {
				return err
			}
		}
		if err := tx.checkOrgSite(ctx, p); err != nil {
			return err
		}
		if p.Machine {
			for i := range p.Emails {
				p.Emails[i].Verified = true
			}
		}
		id, err := tx.insert(ctx, `INSERT INTO people (`+personWriteColumns+`) VALUES (`+placeholders(personWriteCount)+`)`, personRow(p)...)
		if err != nil {
			return tx.personConflict(ctx, err, p)
		}
		p.ID = id
		if err := tx.writeIdentities(ctx, p, nil); err != nil {
			return err
		}
		return tx.audit(ctx, "person.create", "person", p.ID, nil, p)
	})
	if err != nil {
		p.ID = 0
		return err
	}
	return nil
}

// errAddressTaken carries a taken address out of a failed transaction; the outermost
// transaction explains it (explainConflict) once it is rolled back.
type errAddressTaken struct{ address string }

func (e errAddressTaken) Error() string { return "address taken: " + e.address }

func (db *DB) explainConflict(ctx context.Context, err error) error {
	var taken errAddressTaken
	if !errors.As(err, &taken) {
		return err
	}
	e := frontdesk.Errorf(frontdesk.EConflict, "the address %s already belongs to another person", taken.address)
	e.Fields = []frontdesk.FieldError{{Field: "email", Message: "already belongs to another person"}}
	var owner int64
	// Read outside any transaction: the one that failed may be aborted, and the owner's row is
	// committed, or the insert would not have failed.
	if (dbQuerier{db}).QueryRowContext(ctx, `SELECT person_id FROM person_emails WHERE address = ?`, taken.address).Scan(&owner) == nil {
		e.Message = fmt.Sprintf("the address %s already belongs to person %d", taken.address, owner)
		e.Fields[0].Message = fmt.Sprintf("already belongs to person %d", owner)
		e.Extra = map[string]any{"existing_person_id": owner}
	}
	return e
}

// personConflict turns a unique violation on people into a clear error.
func (tx *Tx) personConflict(ctx context.Context, err error, p *frontdesk.Person) error {
	what, ok := uniqueViolation(err)
	switch {
	case !ok:
		return err
	case strings.Contains(what, "external_id"):
		return &frontdesk.Error{Code: frontdesk.EConflict, Message: "another person has this external id",
			Fields: []frontdesk.FieldError{{Field: "external_id", Message: fmt.Sprintf("%q already belongs to another person", p.ExternalID)}}}
	case strings.Contains(what, "username"):
		return &frontdesk.Error{Code: frontdesk.EConflict, Message: "another person has this username",
			Fields: []frontdesk.FieldError{{Field: "username", Message: fmt.Sprintf("%q already belongs to another person", p.Username)}}}
	case strings.Contains(what, "owner") || strings.Contains(what, "people.role"):
		return &frontdesk.Error{Code: frontdesk.EConflict, Message: "there is already an owner; ownership moves only by hand-over",
			Fields: []frontdesk.FieldError{{Field: "role", Message: "there is already an owner"}}}
	}
	return err
}

// writeIdentities brings person_emails and person_phones in line with p. old is the person
// before the change, nil on create.
func (tx *Tx) writeIdentities(ctx context.Context, p *frontdesk.Person, old *frontdesk.Person) error {
	if old != nil {
		if _, err := tx.ExecContext(ctx, `DELETE FROM person_emails WHERE person_id = ?`, p.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM person_phones WHERE person_id = ?`, p.ID); err != nil {
			return err
		}
	}
	for i, e := range p.Emails {
		_, err := tx.ExecContext(ctx, `INSERT INTO person_emails (address, person_id, position, is_primary, verified) VALUES (?, ?, ?, ?, ?)`,
			e.Address, p.ID, i, b2i(e.Primary), b2i(e.Verified))
		if err != nil {
			if _, ok := uniqueViolation(err); ok {
				return errAddressTaken{e.Address}
			}
			return err
		}
	}
	for _, ph := range p.Phones {
		if _, err := tx.ExecContext(ctx, `INSERT INTO person_phones (number, person_id) VALUES (?, ?)`, ph.Number, p.ID); err != nil {
			return err
		}
	}
	return nil
}

// assignByDomain joins p to the organization that lists the domain of p's primary address.
func (tx *Tx) assignByDomain(ctx context.Context, p *frontdesk.Person) error {
	addr := p.PrimaryEmail()
	if addr == "" {
		return nil
	}
	var org int64
	err := tx.QueryRowContext(ctx, `SELECT organization_id FROM organization_domains WHERE domain = ?`, frontdesk.EmailDomain(addr)).Scan(&org)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	p.OrganizationID = &org
	p.OrganizationSource = frontdesk.OrgSourceDomain
	return nil
}

// checkOrgSite refuses an unknown organization or site and a site of another organization.
// A site given alone brings its organization.
func (tx *Tx) checkOrgSite(ctx context.Context, p *frontdesk.Person) error {
	var probs frontdesk.Problems
	if p.OrganizationID != nil {
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM organizations WHERE id = ?`, *p.OrganizationID).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			probs.Add("organization_id", "there is no organization %d", *p.OrganizationID)
		} else if err != nil {
			return err
		}
	}
	if p.SiteID != nil {
		var org int64
		err := tx.QueryRowContext(ctx, `SELECT organization_id FROM sites WHERE id = ?`, *p.SiteID).Scan(&org)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			probs.Add("site_id", "there is no site %d", *p.SiteID)
		case err != nil:
			return err
		case p.OrganizationID == nil:
			p.OrganizationID = &org
		case *p.OrganizationID != org && !probs.Has("organization_id"):
			probs.Add("site_id", "site %d belongs to organization %d, not %d", *p.SiteID, org, *p.OrganizationID)
		}
	}
	return probs.Err()
}

// GetPerson returns the person with the given id.
func (db *DB) GetPerson(ctx context.Context, id int64) (*frontdesk.Person, error) {
	p, err := scanPerson(db.reader(ctx).QueryRowContext(ctx, `SELECT `+personColumns+` FROM people WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("person", id)
	}
	return p, err
}

// GetPersonByEmail returns the person who owns the address, compared as P5 says.
func (db *DB) GetPersonByEmail(ctx context.Context, address string) (*frontdesk.Person, error) {
	n, err := frontdesk.NormalizeEmail(address)
	if err != nil {
		return nil, frontdesk.InvalidField("email", "%v", err)
	}
	p, err := scanPerson(db.reader(ctx).QueryRowContext(ctx, `SELECT `+personColumns+` FROM people
		WHERE id = (SELECT person_id FROM person_emails WHERE address = ?)`, n))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, frontdesk.Errorf(frontdesk.ENotFound, "no person has the address %s", n)
	}
	return p, err
}

// GetPersonByUsername returns the person with the login name, compared as NormalizeUsername
// stores it.
func (db *DB) GetPersonByUsername(ctx context.Context, name string) (*frontdesk.Person, error) {
	n, err := frontdesk.NormalizeUsername(name)
	if err != nil {
		return nil, frontdesk.InvalidField("username", "%v", err)
	}
	p, err := scanPerson(db.reader(ctx).QueryRowContext(ctx, `SELECT `+personColumns+` FROM people WHERE username = ?`, n))
	if errors.Is(err, sql.ErrNoRows) || n == "" {
		return nil, frontdesk.Errorf(frontdesk.ENotFound, "no person has the username %q", n)
	}
	return p, err
}

// UpdatePerson loads a person, lets change modify them, checks and stores the result and
// audits before and after, all in one transaction.
func (db *DB) UpdatePerson(ctx context.Context, id int64, change func(p *frontdesk.Person) error) (*frontdesk.Person, error) {
	var out *frontdesk.Person
	err := db.inTx(ctx, func(tx *Tx) error {
		old, err := scanPerson(tx.QueryRowContext(ctx, `SELECT `+personColumns+` FROM people WHERE id = ?`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("person", id)
		}
		if err != nil {
			return err
		}
		p, err := clonePerson(old)
		if err != nil {
			return err
		}
		if err := change(p); err != nil {
			return err
		}
		p.ID, p.CreatedAt, p.UpdatedAt = old.ID, old.CreatedAt, tx.now
		if err := tx.checkOrgSite(ctx, p); err != nil {
			return err
		}
		if p.State != old.State {
			if err := frontdesk.Transition(old.State, p.State); err != nil {
				return err
			}
		}
		row := personRow(p)
		sets := splitComma(personWriteColumns)
		for i := range sets {
			sets[i] += " = ?"
		}
		if _, err := tx.ExecContext(ctx, `UPDATE people SET `+strings.Join(sets, ", ")+` WHERE id = ?`, append(row, id)...); err != nil {
			return tx.personConflict(ctx, err, p)
		}
		if identitiesChanged(old, p) {
			if err := tx.writeIdentities(ctx, p, old); err != nil {
				return err
			}
			if err := tx.endTokensOfLostAddresses(ctx, id); err != nil {
				return err
			}
		}
		action := "person.update"
		switch {
		case old.Role != p.Role:
			action = "person.role"
		case !sameID(old.StaffRoleID, p.StaffRoleID):
			action = "person.role"
		case old.State != p.State:
			action = "person.state"
		}
		out = p
		return tx.audit(ctx, action, "person", id, old, p)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func identitiesChanged(a, b *frontdesk.Person) bool {
	ja, _ := json.Marshal([]any{a.Emails, a.Phones})
	jb, _ := json.Marshal([]any{b.Emails, b.Phones})
	return string(ja) != string(jb)
}

func clonePerson(p *frontdesk.Person) (*frontdesk.Person, error) {
	b, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	var c frontdesk.Person
	return &c, json.Unmarshal(b, &c)
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// CountOwners returns how many owners there are (P2 keeps it at one).
func (db *DB) CountOwners(ctx context.Context) (int, error) {
	var n int
	err := db.reader(ctx).QueryRowContext(ctx, `SELECT count(*) FROM people WHERE role = 'owner'`).Scan(&n)
	return n, err
}

func sameID(a, b *int64) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }
