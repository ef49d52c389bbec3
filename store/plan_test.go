package store

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// Issue 7, item 23: the outbox's hot statements use the index made for them, with no sort
// and no scan of the table, on a fresh SQLite database with no statistics at all. Without
// statistics SQLite used to take outbox_state (state, id) for the claim and sort the whole
// queued backlog on every claim.
func TestOutboxPlansWithoutStatistics_Issue7(t *testing.T) {
	ctx := context.Background()
	db := freshSQLite(t)
	// Some backlog, so that the planner sees rows; still no statistics.
	for i := range 200 {
		state := []string{"queued", "sent", "sending"}[i%3]
		if _, err := db.write.ExecContext(ctx, `INSERT INTO outbox (to_address, from_address, subject, text_body, message_id,
			state, next_attempt_at, created_at, worker, lease_until) VALUES ('a@example.com', 'b@example.com', 's', 't', ?, ?, ?, ?, 'w', ?)`,
			fmt.Sprintf("<%d@x>", i), state, i, i, i); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name, query string
		args        []any
		want        []string // each must be in some line of the plan; "id=?)" is a lookup by id
	}{
		{"claim expired", fmt.Sprintf(claimExpiredMail, ""), []any{100, 10, "w", 200},
			[]string{"SEARCH outbox USING COVERING INDEX outbox_claim_lease (state=? AND lease_until<?)", "id=?)"}},
		{"claim due", fmt.Sprintf(claimDueMail, ""), []any{100, 10, "w", 200},
			[]string{"SEARCH outbox USING COVERING INDEX outbox_claim_due (state=? AND next_attempt_at<?)", "id=?)"}},
		{"mark sent", fmt.Sprintf(markMailSent, "?,?"), []any{"smtp", 1, 5, 6}, []string{"USING INTEGER PRIMARY KEY (rowid=?)"}},
		{"renew", fmt.Sprintf(renewMail, "?,?"), []any{1, "w", 5, 6}, []string{"USING INTEGER PRIMARY KEY (rowid=?)"}},
		{"release a worker's", releaseWorkerMail, []any{"w"}, []string{"SEARCH outbox USING INDEX outbox_claim_lease (state=?)"}},
	}
	for _, c := range cases {
		plan := sqlitePlan(t, db, c.name, c.query, c.args...)
		text := strings.Join(plan, "\n")
		for _, w := range c.want {
			if !strings.Contains(text, w) {
				t.Errorf("%s: plan lacks %q:\n%s", c.name, w, text)
			}
		}
		for _, line := range plan {
			if strings.Contains(line, "TEMP B-TREE") || (strings.HasPrefix(line, "SCAN outbox")) {
				t.Errorf("%s: plan sorts or scans the outbox:\n%s", c.name, text)
			}
		}
	}
}

// Issue 7, item 23, on PostgreSQL: the claims can be answered from their own index with no
// sort. With few rows and no statistics PostgreSQL rightly prefers reading the table, so
// sequential scans are switched off for the check; what it shows is that the index matches.
func TestOutboxPlansPostgres_Issue7(t *testing.T) {
	db, conn := postgresPlanConn(t)
	for name, c := range map[string]struct{ query, index string }{
		"claim expired": {fmt.Sprintf(claimExpiredMail, " FOR UPDATE SKIP LOCKED"), "outbox_claim_lease"},
		"claim due":     {fmt.Sprintf(claimDueMail, " FOR UPDATE SKIP LOCKED"), "outbox_claim_due"},
	} {
		text := postgresPlan(t, db, conn, name, c.query, 100, 10, "w", 200)
		if !strings.Contains(text, "Index Only Scan using "+c.index) && !strings.Contains(text, "Index Scan using "+c.index) {
			t.Errorf("%s: plan does not use %s:\n%s", name, c.index, text)
		}
		if strings.Contains(text, "Sort") {
			t.Errorf("%s: plan sorts:\n%s", name, text)
		}
	}
}
