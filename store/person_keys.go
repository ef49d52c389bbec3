package store

import (
	"context"
	"strings"

	"frontdesk"
)

// keyChunk bounds the values of one IN list, well under either engine's limit of parameters.
const keyChunk = 500

// PeopleByExternalIDs returns the people who have the given external ids, by external id, in
// a few queries rather than one per id (X7). Ids that nobody has are missing from the map.
func (db *DB) PeopleByExternalIDs(ctx context.Context, ids []string) (map[string]*frontdesk.Person, error) {
	out := make(map[string]*frontdesk.Person, len(ids))
	err := db.byKeys(ctx, ids, `SELECT `+personColumns+` FROM people WHERE external_id IN (%s)`, func(p *frontdesk.Person) {
		out[p.ExternalID] = p
	})
	return out, err
}

// PeopleByEmails returns the people who own the given addresses (normalized, as P5 compares
// them), by address, in a few queries. An address may be any of a person's, not only the
// primary one.
func (db *DB) PeopleByEmails(ctx context.Context, addresses []string) (map[string]*frontdesk.Person, error) {
	want := make(map[string]bool, len(addresses))
	for _, a := range addresses {
		want[a] = true
	}
	out := make(map[string]*frontdesk.Person, len(addresses))
	err := db.byKeys(ctx, addresses, `SELECT `+personColumns+` FROM people
		WHERE id IN (SELECT person_id FROM person_emails WHERE address IN (%s))`, func(p *frontdesk.Person) {
		for _, e := range p.Emails {
			if want[e.Address] {
				out[e.Address] = p
			}
		}
	})
	return out, err
}

// byKeys runs query (with %s for the placeholders) over keys in chunks and hands each
// person read to found.
func (db *DB) byKeys(ctx context.Context, keys []string, query string, found func(*frontdesk.Person)) error {
	for len(keys) > 0 {
		n := min(len(keys), keyChunk)
		args := make([]any, n)
		for i, k := range keys[:n] {
			args[i] = k
		}
		keys = keys[n:]
		rows, err := db.reader(ctx).QueryContext(ctx, strings.Replace(query, "%s", placeholders(n), 1), args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			p, err := scanPerson(rows)
			if err != nil {
				rows.Close()
				return err
			}
			found(p)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}
