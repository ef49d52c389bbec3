package store

import (
	"strings"
	"testing"
)

// C8, X3: what processing runs for every message reads an index, never the table, on
// SQLite with no statistics: the loop guard's count by sender, threading by Message-ID,
// and the claim of due messages.
func TestInboundPlans_C8(t *testing.T) {
	db := freshSQLite(t)
	for _, c := range []struct {
		name, q, want string
		args          []any
	}{
		{"sender", inboundFromQuery, "INDEX inbound_sender", []any{"a@example.com", 0}},
		{"thread", threadMessageQuery, "USING INDEX ticket_messages_message_id", []any{"<x@y>"}},
		{"pending", pendingInboundQuery, "INDEX inbound_pending", []any{0, 10}},
		{"mailbox", `SELECT ` + mailboxColumns + ` FROM mailboxes WHERE address = ?`, "USING INDEX sqlite_autoindex_mailboxes", []any{"a@b.c"}},
		{"outbox thread", `SELECT ticket_id FROM outbox WHERE message_id = ?`, "USING INDEX sqlite_autoindex_outbox", []any{"<x@y>"}},
	} {
		text := strings.Join(sqlitePlan(t, db, c.name, c.q, c.args...), "\n")
		if !strings.Contains(text, c.want) || strings.Contains(text, "TEMP B-TREE") {
			t.Errorf("%s: want %q and no sort:\n%s", c.name, c.want, text)
		}
	}
}
