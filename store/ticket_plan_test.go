package store

import (
	"strings"
	"testing"

	"frontdesk"
)

// T1: each list of tickets (by requester, status, assignee, organization, or none) reads its
// own index in cursor order, with no sort and no scan of the table, on SQLite with no
// statistics.
func TestTicketListPlans_T1(t *testing.T) {
	db := freshSQLite(t)
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
		{"unassigned", frontdesk.TicketFilter{Unassigned: true}, "SEARCH tickets USING INDEX tickets_assignee (assignee_id=? AND id>?)"},
	}
	for _, c := range cases {
		q, args := ticketListQuery(c.f, 0, 50)
		text := strings.Join(sqlitePlan(t, db, c.name, q, args...), "\n")
		if !strings.Contains(text, c.want) || strings.Contains(text, "TEMP B-TREE") || strings.Contains(text, "SCAN tickets") {
			t.Errorf("%s: want %q and no sort or scan:\n%s", c.name, c.want, text)
		}
	}

}

// T1 on PostgreSQL: each filtered list can be answered from its own index in cursor order,
// with no sort. With few rows PostgreSQL rightly prefers reading the table, so sequential
// scans are switched off for the check; what it shows is that the index matches.
func TestTicketListPlansPostgres_T1(t *testing.T) {
	db, conn := postgresPlanConn(t)
	for name, c := range map[string]struct {
		f     frontdesk.TicketFilter
		index string
	}{
		"requester":    {frontdesk.TicketFilter{RequesterID: 1}, "tickets_requester"},
		"status":       {frontdesk.TicketFilter{Status: frontdesk.TicketOpen}, "tickets_status"},
		"assignee":     {frontdesk.TicketFilter{AssigneeID: 1}, "tickets_assignee"},
		"organization": {frontdesk.TicketFilter{OrganizationID: 1}, "tickets_organization"},
		"unassigned":   {frontdesk.TicketFilter{Unassigned: true}, "tickets_unassigned"},
	} {
		query, args := ticketListQuery(c.f, 0, 50)
		text := postgresPlan(t, db, conn, name, query, args...)
		if !strings.Contains(text, "Index Scan using "+c.index) || strings.Contains(text, "Sort") {
			t.Errorf("%s: want an index scan of %s and no sort:\n%s", name, c.index, text)
		}
	}
}
