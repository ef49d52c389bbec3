package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"frontdesk"
)

// The people directory's search (P5, L7): the matches of SuggestPeople, combined with every
// filter of a PersonFilter, one page after another. A search is read in three parts, each a
// range scan of one index in its own order, so that a page costs about its size whatever
// the number of matches:
//
//	0. people with an address that starts with the text, by that address;
//	1. then people whose "first last" starts with it (and no address did), by (first_key, id);
//	2. then people whose "last first" starts with it (and neither of the above), by (last_key, id).
//
// This is SuggestPeople's order (addresses, then names), and every match comes exactly once.

// searchPart is one of the three parts of a search.
type searchPart int

const (
	partAddress searchPart = iota
	partFirst
	partLast
)

// SearchCursor is where a search page ends: the part, and the key and person id of its last
// row. Its string form is opaque to callers.
type SearchCursor struct {
	part searchPart
	key  string
	id   int64
}

// String encodes the cursor; ParseSearchCursor reads it back.
func (c SearchCursor) String() string {
	return fmt.Sprintf("%d.%d.%s", c.part, c.id, c.key)
}

// ParseSearchCursor reads a cursor written by SearchCursor.String; "" is the first page.
func ParseSearchCursor(s string) (SearchCursor, error) {
	if s == "" {
		return SearchCursor{}, nil
	}
	part, rest, ok1 := strings.Cut(s, ".")
	id, key, ok2 := strings.Cut(rest, ".")
	p, err1 := strconv.Atoi(part)
	n, err2 := strconv.ParseInt(id, 10, 64)
	if !ok1 || !ok2 || err1 != nil || err2 != nil || p < int(partAddress) || p > int(partLast) || n <= 0 || key == "" {
		return SearchCursor{}, frontdesk.InvalidField("cursor", "is not the cursor of a search page")
	}
	return SearchCursor{part: searchPart(p), key: key, id: n}, nil
}

// SearchPeople returns the people whose address, "first last" or "last first" starts with
// text (compared without case) and who match f, one page after after. next is the cursor of
// the following page, "" on the last. An empty text lists like ListPeople.
func (db *DB) SearchPeople(ctx context.Context, text string, f frontdesk.PersonFilter, after string, limit int) (people []*frontdesk.Person, next string, err error) {
	return db.searchPeople(ctx, text, f, after, limit, wholePerson)
}

// SearchPeopleBrief is SearchPeople with people as ListPeopleBrief reads them.
func (db *DB) SearchPeopleBrief(ctx context.Context, text string, f frontdesk.PersonFilter, after string, limit int) (people []*frontdesk.Person, next string, err error) {
	return db.searchPeople(ctx, text, f, after, limit, briefPerson)
}

func (db *DB) searchPeople(ctx context.Context, text string, f frontdesk.PersonFilter, after string, limit int, read personRead) (people []*frontdesk.Person, next string, err error) {
	prefix := strings.ToLower(strings.TrimSpace(text))
	if limit <= 0 || limit > frontdesk.MaxPageSize {
		limit = frontdesk.DefaultPageSize
	}
	cur, err := ParseSearchCursor(after)
	if err != nil {
		return nil, "", err
	}
	if prefix == "" {
		return nil, "", frontdesk.InvalidField("q", "is required: the start of an address or a name")
	}
	fields, err := db.CustomFieldMap(ctx)
	if err != nil {
		return nil, "", err
	}
	people = []*frontdesk.Person{}
	var keys []SearchCursor
	for part := cur.part; part <= partLast; part++ {
		c := cur
		if part != cur.part || after == "" {
			c = SearchCursor{} // a later part starts at its beginning
		}
		got, gotKeys, err := db.searchPart(ctx, read, part, prefix, f, fields, c, limit+1-len(people))
		if err != nil {
			return nil, "", err
		}
		people, keys = append(people, got...), append(keys, gotKeys...)
		if len(people) > limit {
			break
		}
	}
	if len(people) > limit {
		people = people[:limit]
		next = keys[limit-1].String()
	}
	return people, next, nil
}

// searchPart reads up to n people of one part of a search, after c (when c is of this part).
// Whether a row's person belongs to an earlier part (or, for an address, to a smaller
// address of theirs) is decided here, from the person read anyway, rather than by a
// subquery per row in the statement; rows so dropped are made up by reading on.
func (db *DB) searchPart(ctx context.Context, pr personRead, part searchPart, prefix string, f frontdesk.PersonFilter, fields map[string]*frontdesk.CustomField, c SearchCursor, n int) ([]*frontdesk.Person, []SearchCursor, error) {
	var people []*frontdesk.Person
	var keys []SearchCursor
	for len(people) < n {
		want := n - len(people)
		q, args := db.searchQueryOf(pr.columns, part, prefix, f, fields, c, want)
		rows, err := db.reader(ctx).QueryContext(ctx, q, args...)
		if err != nil {
			return nil, nil, err
		}
		read := 0
		for rows.Next() {
			var key string
			p, err := pr.scan(extraColumn{rows, &key})
			if err != nil {
				rows.Close()
				return nil, nil, err
			}
			read++
			c = SearchCursor{part: part, key: key, id: p.ID}
			if !matchedBefore(part, prefix, p, key) {
				people = append(people, p)
				keys = append(keys, c)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, nil, err
		}
		if read < want {
			break // the part has no more rows
		}
	}
	return people, keys, nil
}

// matchedBefore reports whether p, read in part at key, comes earlier in the search: by a
// smaller address of theirs (part 0), by an address (part 1), by an address or by
// "first last" (part 2).
func matchedBefore(part searchPart, prefix string, p *frontdesk.Person, key string) bool {
	for _, e := range p.Emails {
		if strings.HasPrefix(e.Address, prefix) && (part != partAddress || e.Address < key) {
			return true
		}
	}
	return part == partLast && strings.HasPrefix(firstKey(p), prefix)
}

// searchQuery is the statement of one part of a search; each row ends with its key.
func (db *DB) searchQuery(part searchPart, prefix string, f frontdesk.PersonFilter, fields map[string]*frontdesk.CustomField, c SearchCursor, n int) (string, []any) {
	return db.searchQueryOf(personColumns, part, prefix, f, fields, c, n)
}

// searchQueryOf is searchQuery selecting the columns cols.
func (db *DB) searchQueryOf(cols string, part searchPart, prefix string, f frontdesk.PersonFilter, fields map[string]*frontdesk.CustomField, c SearchCursor, n int) (string, []any) {
	hi := prefix + "\U0010FFFF"
	where, args := db.personWhere(f, fields)
	// Hints name the index each part scans, so that its plan holds on a database without
	// statistics (SQLite, before PRAGMA optimize) and does not change with them.
	sqlite := db.engine == SQLite
	var q string
	var pre []any
	switch part {
	case partAddress:
		join := "JOIN"
		if sqlite {
			join = "CROSS JOIN" // SQLite: person_emails drives, in address order
		}
		q = `SELECT ` + cols + `, e.address FROM person_emails e ` + join + ` people ON people.id = e.person_id
			WHERE e.address >= ? AND e.address < ?`
		pre = []any{prefix, hi}
		if c.part == partAddress && c.key != "" {
			q += " AND e.address > ?"
			pre = append(pre, c.key)
		}
		where = append(where, "1 = 1")
		q += " AND " + strings.Join(where, " AND ") + " ORDER BY e.address"
	case partFirst, partLast:
		col, index := "first_key", "people_first_key"
		if part == partLast {
			col, index = "last_key", "people_last_key"
		}
		from := "people"
		if sqlite {
			from += " INDEXED BY " + index
		}
		q = `SELECT ` + cols + `, ` + col + ` FROM ` + from + ` WHERE ` + col + ` >= ? AND ` + col + ` < ?`
		pre = []any{prefix, hi}
		if c.part == part && c.key != "" {
			q += " AND (" + col + ", id) > (?, ?)"
			pre = append(pre, c.key, c.id)
		}
		where = append(where, "1 = 1")
		q += " AND " + strings.Join(where, " AND ") + " ORDER BY " + col + ", id"
	}
	q += " LIMIT " + strconv.Itoa(n)
	return q, append(pre, args...)
}

// extraColumn scans a person row that carries one more column at its end.
type extraColumn struct {
	r     rowScanner
	extra *string
}

func (e extraColumn) Scan(dest ...any) error {
	return e.r.Scan(append(dest, e.extra)...)
}
