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
	db, err := Open(ctx, Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// Open analyzes after migrating; forget whatever that recorded, as a database that was
	// never analyzed has nothing.
	if _, err := db.write.ExecContext(ctx, "DROP TABLE IF EXISTS sqlite_stat1"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.write.ExecContext(ctx, "DROP TABLE IF EXISTS sqlite_stat4"); err != nil {
		t.Fatal(err)
	}
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
		rows, err := db.write.QueryContext(ctx, "EXPLAIN QUERY PLAN "+c.query, c.args...)
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
