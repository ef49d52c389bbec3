package store

import (
	"context"
	"strings"
	"testing"

	"frontdesk"
)

// T1: each list of tickets (by requester, status, assignee, organization, or none) reads its
// own index in cursor order, with no sort and no scan of the table, on SQLite with no
// statistics.
func TestTicketListPlans_T1(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, tbl := range []string{"sqlite_stat1", "sqlite_stat4"} {
		if _, err := db.write.ExecContext(ctx, "DROP TABLE IF EXISTS "+tbl); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name string
		f    frontdesk.TicketFilter
		want string
	}{
		{"all", frontdesk.TicketFilter{}, "SEARCH tickets USING INTEGER PRIMARY KEY (rowid>?)"},
		{"requester", frontdesk.TicketFilter{RequesterID: 1}, "SEARCH tickets USING INDEX tickets_requester (requester_id=? AND id>?)"},
		{"status", frontdesk.TicketFilter{Status: frontdesk.TicketOpen}, "SEARCH tickets USING INDEX tickets_status (status=? AND id>?)"},
		{"assignee", frontdesk.TicketFilter{AssigneeID: 1}, "SEARCH tickets USING INDEX tickets_assignee (assignee_id=? AND id>?)"},
		{"organization", frontdesk.TicketFilter{OrganizationID: 1}, "SEARCH tickets USING INDEX tickets_organization (organization_id=? AND id>?)"},
	}
	for _, c := range cases {
		q, args := ticketListQuery(c.f, 0, 50)
		rows, err := db.write.QueryContext(ctx, "EXPLAIN QUERY PLAN "+q, args...)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		text := strings.Join(plan, "\n")
		if !strings.Contains(text, c.want) || strings.Contains(text, "TEMP B-TREE") || strings.Contains(text, "SCAN tickets") {
			t.Errorf("%s: want %q and no sort or scan:\n%s", c.name, c.want, text)
		}
	}

}
