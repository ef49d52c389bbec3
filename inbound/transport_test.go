package inbound_test

// What the SMTP listener and IMAP poller tests share: an inbox over a fresh database of
// each engine, and mailboxes.

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"frontdesk"
	"frontdesk/flow"
	"frontdesk/inbound"
	"frontdesk/intake"
	"frontdesk/mail"
	"frontdesk/store"
	"frontdesk/store/storetest"
)

var sysCtx = frontdesk.WithActor(context.Background(), frontdesk.System)

// transportDesk is an inbox on a fresh database; its processing job is not running, so
// the tests see exactly what the receiving ways stored.
type transportDesk struct {
	t     *testing.T
	db    *store.DB
	inbox *inbound.Inbox
	cfg   store.Config
}

func eachTransport(t *testing.T, fn func(t *testing.T, d *transportDesk)) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			cfg := storetest.Config(t, e)
			db, err := store.Open(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			mailer, err := mail.New(db, mail.Config{})
			if err != nil {
				t.Fatal(err)
			}
			f := flow.New(db, mailer, "http://desk.example")
			in := inbound.New(intake.New(f))
			in.Log = slog.New(slog.DiscardHandler)
			t.Cleanup(in.Close)
			fn(t, &transportDesk{t: t, db: db, inbox: in, cfg: cfg})
		})
	}
}

func (d *transportDesk) mailbox(address string, imap *frontdesk.IMAPInput) *frontdesk.Mailbox {
	d.t.Helper()
	mb, err := d.db.SaveMailbox(sysCtx, 0, frontdesk.MailboxInput{Address: &address, IMAP: imap})
	if err != nil {
		d.t.Fatal(err)
	}
	return mb
}

func (d *transportDesk) count() int {
	d.t.Helper()
	n, err := d.db.CountRows(context.Background(), "inbound_messages")
	if err != nil {
		d.t.Fatal(err)
	}
	return n
}

// stored returns the received messages of a mailbox, oldest first.
func (d *transportDesk) stored(mailbox int64) []*frontdesk.InboundMessage {
	d.t.Helper()
	list, _, err := d.db.ListInbound(context.Background(), frontdesk.InboundFilter{MailboxID: mailbox}, frontdesk.Page{Limit: frontdesk.MaxPageSize})
	if err != nil {
		d.t.Fatal(err)
	}
	for i, j := 0, len(list)-1; i < j; i, j = i+1, j-1 {
		list[i], list[j] = list[j], list[i]
	}
	return list
}

// message is a small plain-text message; id "" leaves out the Message-ID.
func message(from, to, subject, id string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: Wed, 02 Dec 2026 10:00:00 +0000\r\n", from, to, subject)
	if id != "" {
		fmt.Fprintf(&b, "Message-ID: <%s>\r\n", id)
	}
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n")
	fmt.Fprintf(&b, "Hello,\r\n\r\n%s, please.\r\n.leading dot line\r\n", subject)
	return []byte(b.String())
}

// failStores makes the database refuse to store received mail, as a full disk would, until
// the returned function undoes it. It is a real failure: a trigger of the engine.
func (d *transportDesk) failStores() (undo func()) {
	d.t.Helper()
	var db *sql.DB
	var err error
	var create, drop []string
	if d.db.Engine() == store.SQLite {
		db, err = sql.Open("sqlite", "file:"+filepath.Join(d.cfg.DataDir, "frontdesk.db")+"?_pragma=busy_timeout(10000)")
		create = []string{`CREATE TRIGGER disk_full BEFORE INSERT ON inbound_messages BEGIN SELECT RAISE(ABORT, 'disk full'); END`}
		drop = []string{`DROP TRIGGER disk_full`}
	} else {
		db, err = sql.Open("pgx", d.cfg.URL)
		create = []string{`CREATE FUNCTION disk_full() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'disk full'; END $$`,
			`CREATE TRIGGER disk_full BEFORE INSERT ON inbound_messages FOR EACH ROW EXECUTE FUNCTION disk_full()`}
		drop = []string{`DROP TRIGGER disk_full ON inbound_messages`, `DROP FUNCTION disk_full()`}
	}
	if err != nil {
		d.t.Fatal(err)
	}
	for _, q := range create {
		if _, err := db.Exec(q); err != nil {
			d.t.Fatal(err)
		}
	}
	return func() {
		d.t.Helper()
		defer db.Close()
		for _, q := range drop {
			if _, err := db.Exec(q); err != nil {
				d.t.Fatal(err)
			}
		}
	}
}
