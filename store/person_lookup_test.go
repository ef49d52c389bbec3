package store

import (
	"context"
	"strings"
	"testing"

	"frontdesk"
)

// C12, C14: finding the holders of a phone number reads the primary key of person_phones,
// which starts with the number, and people by id: no scan of either table, on both engines.
// PostgreSQL is given a few thousand numbers and statistics, without which any plan is as
// cheap as any other.
func TestPeopleByPhonePlan_C12(t *testing.T) {
	db := freshSQLite(t)
	text := strings.Join(sqlitePlan(t, db, "by phone", peopleByPhoneQuery, "+12015550123"), "\n")
	if !strings.Contains(text, "person_phones USING PRIMARY KEY (number=?)") || strings.Contains(text, "SCAN person_phones") || strings.Contains(text, "SCAN people") {
		t.Errorf("SQLite plan:\n%s", text)
	}

	pg, conn := postgresPlanConn(t)
	ctx := context.Background()
	p := frontdesk.NewPerson(frontdesk.ChannelCLI)
	name := "Phone Holder"
	if err := frontdesk.ApplyPerson(p, frontdesk.PersonInput{Name: &name}, frontdesk.Rules{PhoneRegion: "US"}); err != nil {
		t.Fatal(err)
	}
	if err := pg.CreatePerson(frontdesk.WithActor(ctx, frontdesk.System), p); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO person_phones (number, person_id) SELECT '+1201555' || lpad(i::text, 4, '0'), $1 FROM generate_series(1, 5000) i`,
		`ANALYZE person_phones`, `ANALYZE people`,
	} {
		var args []any
		if strings.Contains(q, "$1") {
			args = append(args, p.ID)
		}
		if _, err := conn.ExecContext(ctx, q, args...); err != nil {
			t.Fatal(err)
		}
	}
	plan := postgresPlan(t, pg, conn, "by phone", peopleByPhoneQuery, "+12015550123")
	if !strings.Contains(plan, "Index Cond: (number = ") || strings.Contains(plan, "Seq Scan") {
		t.Errorf("PostgreSQL plan:\n%s", plan)
	}
}
