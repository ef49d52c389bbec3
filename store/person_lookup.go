package store

import (
	"context"
	"strconv"
	"strings"

	"frontdesk"
)

// Finding people by what a channel knows of them: a caller's phone number (C12), and the
// intake's matching of phones (C14).

// maxPhoneMatches bounds how many people one number finds: a shared office line is held by a
// few, not by thousands, and a list to pick from is read by a person.
const maxPhoneMatches = 100

// peopleByPhoneQuery reads person_phones by its primary key (number, person_id), then each
// holder by id.
var peopleByPhoneQuery = `SELECT ` + personColumns + ` FROM people
	JOIN (SELECT person_id FROM person_phones WHERE number = ? ORDER BY person_id LIMIT ` + strconv.Itoa(maxPhoneMatches) + `) ph
	ON people.id = ph.person_id ORDER BY people.id`

// PeopleByPhone returns the people who hold the phone number e164 (already normalized to
// E.164, as frontdesk.NormalizePhone writes it), in id order, whatever their state; an empty
// list when nobody does. It reads the primary key of person_phones, which starts with the
// number.
func (db *DB) PeopleByPhone(ctx context.Context, e164 string) ([]*frontdesk.Person, error) {
	if !strings.HasPrefix(e164, "+") {
		return nil, frontdesk.InvalidField("number", "%q is not in E.164 form", e164)
	}
	rows, err := db.reader(ctx).QueryContext(ctx, peopleByPhoneQuery, e164)
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
