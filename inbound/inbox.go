// Package inbound receives email (C8, T2, X3). Three ways hand messages in: the SMTP
// listener, the IMAP poller and the API's pipe for an MTA. Each stores the raw message first
// (Inbox.Receive) and answers the sender only once it is stored; a job then processes each
// stored message once, through the same intake door as every other channel: a new request,
// a reply threaded onto its ticket, a bounce, an auto-reply never answered, or a message
// held for staff with the reason.
package inbound

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"frontdesk"
	"frontdesk/intake"
	"frontdesk/mail"
	"frontdesk/store"
)

// Inbox receives and processes mail.
type Inbox struct {
	DB   *store.DB
	Desk *intake.Desk
	Mail *mail.Mailer
	Log  *slog.Logger
	// MaxMessageBytes bounds a received message as a whole; larger ones are refused before
	// they are stored (SMTP answers 552, the API 413).
	MaxMessageBytes int64
	// PollEvery is how often Run looks for stored messages when nothing woke it.
	PollEvery time.Duration
	wake      chan struct{}
	// batch commits stored messages that arrive together; work commits the processing of
	// several messages together (SQLite's one writer; nil on PostgreSQL).
	batch *store.Batcher
	work  *store.Batcher

	keyMu sync.Mutex
	key   []byte
}

// addressKey returns the secret that signs reply and bounce addresses, read once.
func (in *Inbox) addressKey(ctx context.Context) ([]byte, error) {
	in.keyMu.Lock()
	defer in.keyMu.Unlock()
	if in.key == nil {
		k, err := in.DB.Secret(ctx, addressKeyName)
		if err != nil {
			return nil, err
		}
		in.key = k
	}
	return in.key, nil
}

// processTogether is how many messages SQLite processes in one transaction at most: enough
// to share commits and prepared statements, few enough that a message being stored meanwhile
// waits little for the writer.
const processTogether = 8

// DefaultMaxMessageBytes lets a message with a 50 MB attachment in (base64 makes it about
// 68 MB) be stored, so that it is held with its reason rather than bounced unseen.
const DefaultMaxMessageBytes = 100 << 20

// New returns an inbox over the desk's store and mail.
func New(d *intake.Desk) *Inbox {
	in := &Inbox{DB: d.DB, Desk: d, Mail: d.Mail, Log: d.Log, MaxMessageBytes: DefaultMaxMessageBytes,
		PollEvery: time.Second, wake: make(chan struct{}, 1)}
	if in.Log == nil {
		in.Log = slog.Default()
	}
	if d.DB.Engine() == store.SQLite {
		// Messages that arrive together share a commit (SQLite's one writer).
		in.batch = d.DB.NewBatcher()
		in.work = d.DB.NewBatcher()
	}
	return in
}

// Close stops the inbox's group commit.
func (in *Inbox) Close() {
	if in.batch != nil {
		in.batch.Close()
		in.work.Close()
	}
}

// Receive stores a message for a mailbox and returns its id and whether it is new; a
// message stored before (same mailbox and Message-ID, or the same bytes) is not stored
// again. It returns once the message is committed: only then may the sender be told it
// was taken. The processing job is woken.
func (in *Inbox) Receive(ctx context.Context, r *store.Received) (int64, bool, error) {
	if in.MaxMessageBytes > 0 && int64(len(r.Raw)) > in.MaxMessageBytes {
		return 0, false, frontdesk.Errorf(frontdesk.ETooLarge, "the message is %d bytes, over the limit of %d", len(r.Raw), in.MaxMessageBytes)
	}
	if r.MessageID == "" {
		r.MessageID = headerMessageID(r.Raw)
	}
	var id int64
	var isNew bool
	store := func(ctx context.Context) error {
		var err error
		id, isNew, err = in.DB.StoreInbound(ctx, r)
		return err
	}
	var err error
	if in.batch != nil {
		err = in.batch.Do(ctx, store)
	} else {
		err = store(ctx)
	}
	if err != nil {
		return 0, false, err
	}
	in.Wake()
	return id, isNew, nil
}

// Wake tells Run that messages wait.
func (in *Inbox) Wake() {
	select {
	case in.wake <- struct{}{}:
	default:
	}
}

// ReceiveFor stores a message for the mailbox of recipient (a +tag is ignored).
func (in *Inbox) ReceiveFor(ctx context.Context, recipient string, r *store.Received) (int64, bool, error) {
	mb, err := in.DB.MailboxByAddress(ctx, recipient)
	if err != nil {
		return 0, false, err
	}
	r.MailboxID = mb.ID
	if r.EnvelopeTo == "" {
		r.EnvelopeTo = recipient
	}
	return in.Receive(ctx, r)
}

// Release puts a held message back in line, to be processed again without the check that
// held it (staff decided). It needs tickets.answer.
func (in *Inbox) Release(ctx context.Context, id int64) error {
	if err := need(ctx, frontdesk.PermTicketsAnswer, "releasing held mail"); err != nil {
		return err
	}
	ok, err := in.DB.ReprocessInbound(ctx, id)
	if err != nil {
		return err
	}
	if !ok {
		return frontdesk.Errorf(frontdesk.EConflict, "message %d is not held", id)
	}
	in.Wake()
	return nil
}

// Discard drops a held message; it stays in the log as discarded. It needs tickets.answer.
func (in *Inbox) Discard(ctx context.Context, id int64) error {
	if err := need(ctx, frontdesk.PermTicketsAnswer, "discarding held mail"); err != nil {
		return err
	}
	ok, err := in.DB.DiscardInbound(ctx, id)
	if err != nil {
		return err
	}
	if !ok {
		return frontdesk.Errorf(frontdesk.EConflict, "message %d is not held", id)
	}
	return nil
}

// Run processes stored messages until ctx ends.
func (in *Inbox) Run(ctx context.Context) error {
	t := time.NewTicker(in.PollEvery)
	defer t.Stop()
	for {
		if _, err := in.ProcessPending(ctx); err != nil && ctx.Err() == nil {
			in.Log.Error("inbound processing", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-in.wake:
		case <-t.C:
		}
	}
}

// ProcessPending processes every message due now and returns how many it processed.
func (in *Inbox) ProcessPending(ctx context.Context) (int, error) {
	total := 0
	for {
		ids, err := in.DB.PendingInbound(ctx, 100)
		if err != nil || len(ids) == 0 {
			return total, err
		}
		done, err := in.processAll(ctx, ids)
		total += done
		if err != nil {
			return total, err
		}
		if done == 0 {
			return total, nil
		}
	}
}

// processAll processes ids: one after the other on PostgreSQL, where instances share the
// work; on SQLite several at once, so that they share transactions (each in a savepoint of
// its own, so that one failing rolls back alone).
func (in *Inbox) processAll(ctx context.Context, ids []int64) (int, error) {
	width := 1
	if in.work != nil {
		width = processTogether
	}
	var mu sync.Mutex
	var firstErr error
	done := 0
	next := make(chan int64)
	var wg sync.WaitGroup
	for range min(width, len(ids)) {
		wg.Go(func() {
			for id := range next {
				ok, err := in.processOne(ctx, id)
				mu.Lock()
				if ok {
					done++
				}
				if err != nil && firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
		})
	}
	for _, id := range ids {
		if ctx.Err() != nil {
			break
		}
		next <- id
	}
	close(next)
	wg.Wait()
	if firstErr == nil {
		firstErr = ctx.Err()
	}
	return done, firstErr
}

// processOne processes message id in one transaction with what it makes, so that a crash
// leaves it waiting, never half done; a failure that is not the message's fault puts it
// back in line for later. It reports whether it processed the message.
func (in *Inbox) processOne(ctx context.Context, id int64) (bool, error) {
	var processed bool
	run := in.DB.WithTx
	if in.work != nil {
		run = in.work.Do
	}
	err := run(ctx, func(ctx context.Context) error {
		processed = false
		m, raw, err := in.DB.ClaimInbound(ctx, id)
		if err != nil || m == nil {
			return err
		}
		out := in.process(ctx, m, raw)
		if out.retry != nil {
			return out.retry
		}
		processed = true
		return in.DB.FinishInbound(ctx, id, out.InboundOutcome)
	})
	if err != nil {
		var fe *frontdesk.Error
		if errors.As(err, &fe) && fe.Code == frontdesk.EConflict {
			// Another request made the sender's contact meanwhile: the next attempt matches.
			in.Log.Debug("inbound retry", "id", id, "err", err)
		} else {
			in.Log.Warn("inbound processing failed; will retry", "id", id, "err", err)
		}
		if rerr := in.DB.RetryInbound(context.WithoutCancel(ctx), id, err.Error(), time.Now().Add(retryDelay)); rerr != nil {
			return false, rerr
		}
		return false, nil
	}
	return processed, nil
}

const retryDelay = 5 * time.Second

// need refuses an actor who lacks permission p.
func need(ctx context.Context, p frontdesk.Permission, what string) error {
	a := frontdesk.ActorFrom(ctx)
	if !a.Can(p) {
		return frontdesk.Errorf(frontdesk.EForbidden, "%s needs the %s permission, which %s lacks", what, p, a.RoleName())
	}
	return nil
}
