package mail

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"frontdesk"
	"frontdesk/mail/mailtest"
	"frontdesk/store"
	"frontdesk/store/storetest"
)

// E6, issue 7 item 22: a message the server accepted just before the worker died, before the
// outbox recorded it, is in the sent journal; the next start records it sent and does not
// send it again.
func TestSentJournalStopsASecondSend_E6(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		sink := mailtest.NewServer(t, mailtest.Options{})
		m := mustMailer(t, db)
		p := mustPerson(t, ctx, db, frontdesk.PersonInput{Name: ptr("Journal Test"), Email: ptr("journal@example.com")})
		msg := mustQueue(t, ctx, m, LoginCode, p, Vars{Code: "123456"})
		journal := filepath.Join(t.TempDir(), "mail-sent.journal")

		dying := testWorker(db, sink, "same-name", func(c *WorkerConfig) {
			c.Journal = journal
			c.afterData = func(*frontdesk.Message) error { return errors.New("kill -9") }
		})
		if err := dying.openJournal(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := dying.RunOnce(ctx); !errors.Is(err, errCrashed) {
			t.Fatalf("want the simulated crash, got %v", err)
		}
		dying.journal.close()
		if got := mustGetMail(t, db, msg.ID); got.State != frontdesk.MessageSending {
			t.Fatalf("after the crash the outbox should not know yet: %s", got.State)
		}

		next := testWorker(db, sink, "same-name", func(c *WorkerConfig) { c.Journal = journal })
		runCtx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		defer cancel()
		if err := next.Run(runCtx); err != nil {
			t.Fatal(err)
		}
		if got := mustGetMail(t, db, msg.ID); got.State != frontdesk.MessageSent {
			t.Fatalf("the journal did not record the accepted message: %s", got.State)
		}
		if n := len(sink.Messages()); n != 1 {
			t.Fatalf("the accepted message went out %d times", n)
		}
		if b, err := os.ReadFile(journal); err != nil || len(b) != 0 {
			t.Fatalf("the journal is not emptied once recorded: %q %v", b, err)
		}
	})
}
