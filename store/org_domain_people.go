package store

import (
	"context"
	"strconv"
	"strings"

	"frontdesk"
)

// PeopleWithVerifiedDomain returns the people, not trashed and not in organization org, who
// have a confirmed address at one of domains (X6), in id order, at most limit of them.
// Domains are normalized (lower case), as addresses are stored.
func (db *DB) PeopleWithVerifiedDomain(ctx context.Context, org int64, domains []string, limit int) ([]*frontdesk.Person, error) {
	if len(domains) == 0 {
		return []*frontdesk.Person{}, nil
	}
	likes := make([]string, len(domains))
	args := make([]any, 0, len(domains)+1)
	for i, d := range domains {
		likes[i] = `address LIKE ? ESCAPE '\'`
		// The domain is literal: its _ (and any %) match only themselves.
		args = append(args, "%@"+strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(d))
	}
	args = append(args, org)
	rows, err := db.reader(ctx).QueryContext(ctx, `SELECT `+personColumns+` FROM people
		WHERE id IN (SELECT person_id FROM person_emails WHERE verified = 1 AND (`+strings.Join(likes, " OR ")+`))
		AND (organization_id IS NULL OR organization_id <> ?) AND state <> 'trashed'
		ORDER BY id LIMIT `+strconv.Itoa(limit), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*frontdesk.Person{}
	for rows.Next() {
		p, err := scanPerson(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}
