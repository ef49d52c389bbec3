package mail

// Delivery (E6). A worker's senders claim a few messages each from the outbox under a short
// lease, which they renew while they send, and each message is recorded as sent in the first
// turn at the database after the server accepted its DATA. A worker that dies leaves what it held in state sending:
// when it starts again under the same name it queues those messages at once, and if it
// never comes back another worker takes them when the lease runs out, at most one lease
// later. A message whose DATA was accepted just before the crash, too late to be recorded,
// goes out again with the same Message-ID, so a receiver that sees it twice sees one
// message; SMTP has no way to make that window zero. Several workers, in one process or many
// on one PostgreSQL, never hold one message at once.

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math"
	mrand "math/rand/v2"
	"net"
	"os"
	"sync"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"frontdesk"
	"frontdesk/store"
)

// TLS modes of the connection to the SMTP server.
const (
	TLSNone     = "none"
	TLSStartTLS = "starttls"
	TLSImplicit = "tls"
)

// SMTPConfig says where mail goes. With no Addr, messages are delivered to the local mailbox:
// marked sent there, where admins read them.
type SMTPConfig struct {
	// Addr is the server's host:port.
	Addr string
	// TLS is none, starttls or tls (implicit TLS, usually port 465).
	TLS string
	// Username and Password authenticate with AUTH PLAIN when Username is set.
	Username string
	Password string
	// LocalName is the name the worker gives in EHLO; the host name when empty.
	LocalName string
	// TLSConfig verifies the server; nil means the system's roots and the host of Addr.
	TLSConfig *tls.Config
	// Timeout bounds each SMTP command; one minute when zero.
	Timeout time.Duration
}

// Check reports what is wrong with the configuration.
func (c SMTPConfig) Check() error {
	if c.Addr == "" {
		return nil
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return fmt.Errorf("smtp-addr %q is not host:port", c.Addr)
	}
	switch c.TLS {
	case "", TLSNone, TLSStartTLS, TLSImplicit:
	default:
		return fmt.Errorf("smtp-tls %q is not none, starttls or tls", c.TLS)
	}
	return nil
}

// WorkerConfig tunes delivery. Zero values take the defaults shown.
type WorkerConfig struct {
	SMTP SMTPConfig
	// Name identifies the worker in the outbox. A name that stays the same across restarts
	// and that no other live worker uses (the server gives its host and listening address)
	// lets Run queue again what the worker held when it died. Empty means host, process and
	// a random part, and a dead worker's messages wait for their lease to run out.
	Name string
	// Batch is how many messages one claim takes (10): few, so that a crash strands few.
	Batch int
	// Senders is how many batches are sent at once, each over its own connection (4). One
	// connection, one command at a time, fell behind the mail that steady load causes.
	Senders int
	// Lease is how long a claimed message is the worker's alone (DefaultLease). The worker
	// renews it every third of a lease while it sends; when it cannot, it stops before the
	// lease ends, so that nobody else starts a message it is still sending.
	Lease time.Duration
	// Journal, when set, is a local file where each message the server accepted is noted at
	// once, before the outbox records it; a restart marks those sent first (see sentJournal).
	// The server sets it on SQLite, whose one writer makes the outbox's record wait.
	Journal string
	// Poll is the pause when the outbox is empty (1 second).
	Poll time.Duration
	// BaseDelay is the wait after a first failure, doubled after each next one (30 seconds),
	// up to MaxDelay (1 hour).
	BaseDelay time.Duration
	MaxDelay  time.Duration
	// MaxAttempts is how many tries a message gets before it is abandoned (10).
	MaxAttempts int
	Logger      *slog.Logger

	// afterData, when set, runs when the server has accepted a message and before it is
	// recorded as sent; an error makes the worker stop there as if it had crashed (tests).
	afterData func(*frontdesk.Message) error
}

// Worker delivers the outbox.
type Worker struct {
	db      *store.DB
	cfg     WorkerConfig
	baseLog *slog.Logger
	log     *slog.Logger

	mu       sync.Mutex
	failures int // consecutive failures to reach the server

	journal *sentJournal // nil without WorkerConfig.Journal

	keyMu sync.Mutex
	key   []byte // AddressKey's, read once
}

// NewWorker returns a delivery worker; Run starts it.
func NewWorker(db *store.DB, cfg WorkerConfig) *Worker {
	if cfg.Name == "" {
		host, _ := os.Hostname()
		b := make([]byte, 4)
		rand.Read(b)
		cfg.Name = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b))
	}
	if cfg.Batch <= 0 {
		cfg.Batch = DefaultBatch
	}
	if cfg.Lease <= 0 {
		cfg.Lease = DefaultLease
	}
	if cfg.Senders <= 0 {
		cfg.Senders = DefaultSenders
	}
	if cfg.Poll <= 0 {
		cfg.Poll = time.Second
	}
	if cfg.BaseDelay <= 0 {
		cfg.BaseDelay = 30 * time.Second
	}
	if cfg.MaxDelay <= 0 {
		cfg.MaxDelay = time.Hour
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 10
	}
	if cfg.SMTP.TLS == "" {
		cfg.SMTP.TLS = TLSNone
	}
	if cfg.SMTP.Timeout <= 0 {
		cfg.SMTP.Timeout = time.Minute
	}
	if cfg.SMTP.LocalName == "" {
		cfg.SMTP.LocalName, _ = os.Hostname()
		if cfg.SMTP.LocalName == "" {
			cfg.SMTP.LocalName = "localhost"
		}
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Worker{db: db, cfg: cfg, baseLog: log, log: log.With("worker", cfg.Name)}
}

// DefaultSenders is how many batches a worker sends at once.
const DefaultSenders = 4

// DefaultBatch is how many messages one claim takes unless configured.
const DefaultBatch = 10

// DefaultLease is how long a claimed message is its worker's alone before another may
// take it: the longest a message can wait when its worker dies and does not come back.
const DefaultLease = 30 * time.Second

// SetName renames the worker; it must be called before Run. The server names the worker once
// it knows the address it listens on.
func (w *Worker) SetName(name string) {
	w.cfg.Name = name
	w.log = w.baseLog.With("worker", name)
}

// Run delivers until ctx is cancelled, then returns nil. It first queues again whatever a
// previous worker of the same name held (it died). A message being sent when ctx ends is
// still recorded; messages claimed and not yet tried are handed back.
func (w *Worker) Run(ctx context.Context) error {
	if _, err := w.addressKey(ctx); err != nil {
		return err
	}
	if w.cfg.Journal != "" {
		if err := w.openJournal(ctx); err != nil {
			return err
		}
		defer w.journal.close()
	}
	if n, err := w.db.ReleaseWorkerMail(ctx, w.cfg.Name); err != nil {
		w.log.Warn("mail release", "err", err)
	} else if n > 0 {
		w.log.Info("mail released", "messages", n, "why", "held by this worker before it restarted")
	}
	rec := w.newRecorder(context.WithoutCancel(ctx))
	defer rec.close()
	var wg sync.WaitGroup
	for range w.cfg.Senders {
		wg.Go(func() { w.send(ctx, rec) })
	}
	wg.Wait()
	return nil
}

// openJournal opens the sent journal and records as sent what it holds from a run that died
// before the outbox recorded it.
func (w *Worker) openJournal(ctx context.Context) error {
	j, ids, err := openJournal(w.cfg.Journal)
	if err != nil {
		return fmt.Errorf("mail journal: %w", err)
	}
	for len(ids) > 0 {
		n := min(len(ids), 500)
		if err := w.db.MarkMailSentAll(ctx, ids[:n], frontdesk.ViaSMTP); err != nil {
			j.close()
			return fmt.Errorf("mail journal: %w", err)
		}
		w.log.Warn("mail recorded from the journal", "messages", n, "why", "accepted by the server just before the worker died")
		ids = ids[n:]
	}
	if err := j.clear(); err != nil {
		j.close()
		return fmt.Errorf("mail journal: %w", err)
	}
	w.journal = j
	return nil
}

// send delivers batch after batch until ctx is cancelled.
func (w *Worker) send(ctx context.Context, rec *recorder) {
	for {
		n, err := w.runBatch(ctx, rec)
		if ctx.Err() != nil {
			return
		}
		wait := w.cfg.Poll
		switch {
		case err != nil:
			w.mu.Lock()
			w.failures++
			wait = w.backoff(w.failures)
			w.mu.Unlock()
			w.log.Warn("mail delivery", "err", err, "retry_in", wait.String())
		case n >= w.cfg.Batch:
			continue
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// backoff is the wait after n failures: BaseDelay·2^(n-1), at most MaxDelay, less up to a
// tenth at random so that instances that failed together do not retry together.
func (w *Worker) backoff(n int) time.Duration {
	d := float64(w.cfg.BaseDelay) * math.Pow(2, float64(max(n-1, 0)))
	if d > float64(w.cfg.MaxDelay) {
		d = float64(w.cfg.MaxDelay)
	}
	return time.Duration(d - d*0.1*mrand.Float64())
}

// addressKey returns the key of the signed bounce and reply addresses, read from the database
// the first time.
func (w *Worker) addressKey(ctx context.Context) ([]byte, error) {
	w.keyMu.Lock()
	defer w.keyMu.Unlock()
	if w.key == nil {
		k, err := AddressKey(ctx, w.db)
		if err != nil {
			return nil, fmt.Errorf("mail address key: %w", err)
		}
		w.key = k
	}
	return w.key, nil
}

// errCrashed stops a batch with nothing more recorded, as a crash would (tests).
var errCrashed = errors.New("mail worker stopped as if it crashed")

// RunOnce claims one batch and delivers it; it returns how many messages it claimed, once
// every message the server took is recorded. An error means the server could not be reached
// (the claimed messages are handed back untouched) or the database failed.
func (w *Worker) RunOnce(ctx context.Context) (int, error) {
	rec := w.newRecorder(context.WithoutCancel(ctx))
	n, err := w.runBatch(ctx, rec)
	return n, errors.Join(err, rec.close())
}

func (w *Worker) runBatch(ctx context.Context, rec *recorder) (int, error) {
	key, err := w.addressKey(ctx)
	if err != nil {
		return 0, err
	}
	msgs, err := w.db.ClaimMail(ctx, w.cfg.Name, w.cfg.Batch, w.cfg.Lease)
	if err != nil || len(msgs) == 0 {
		return 0, err
	}
	// Recording what happened must outlive a cancelled ctx: a message the server took is
	// sent, whatever the worker was told since.
	record := context.WithoutCancel(ctx)
	if w.cfg.SMTP.Addr == "" {
		ids := make([]int64, len(msgs))
		for i, m := range msgs {
			ids[i] = m.ID
		}
		return len(msgs), w.db.MarkMailSentAll(record, ids, frontdesk.ViaMailbox)
	}
	// Renew the lease while sending; stop before it ends when it cannot be renewed, so that
	// no other worker starts a message this one is still sending. Only a lost lease cuts the
	// connection: when ctx ends, the message under way is finished and recorded first, since
	// a server cut off after it took the message would get it again.
	lctx, loseLease := context.WithCancel(record)
	renewing := make(chan struct{})
	go func() {
		defer close(renewing)
		w.keepLease(lctx, loseLease, msgs)
	}()
	defer func() { loseLease(); <-renewing }()
	var c *conn
	defer func() {
		if c != nil {
			c.close()
		}
	}()
	for i, m := range msgs {
		if ctx.Err() != nil || lctx.Err() != nil {
			return len(msgs), w.release(record, msgs[i:])
		}
		if m.Attempts > w.cfg.MaxAttempts {
			// A message that was claimed this often without an answer (its worker died each
			// time) would otherwise come back forever.
			w.log.Warn("mail abandoned", "id", m.ID, "attempts", m.Attempts)
			if err := w.db.MarkMailFailed(record, m.ID, w.cfg.Name, "abandoned after "+fmt.Sprint(m.Attempts-1)+" attempts with no answer", time.Time{}); err != nil {
				return len(msgs), err
			}
			continue
		}
		if c == nil {
			if c, err = w.dial(lctx); err != nil {
				return len(msgs), errors.Join(fmt.Errorf("smtp %s: %w", w.cfg.SMTP.Addr, err), w.release(record, msgs[i:]))
			}
			w.mu.Lock()
			w.failures = 0
			w.mu.Unlock()
		}
		err := c.send(m, key)
		if err == nil {
			if w.journal != nil {
				if err := w.journal.accepted(m.ID); err != nil {
					w.log.Error("mail journal", "id", m.ID, "err", err)
				}
			}
			if w.cfg.afterData != nil {
				if err := w.cfg.afterData(m); err != nil {
					return len(msgs), errCrashed
				}
			}
			rec.sent(m)
			continue
		}
		retryAt := time.Now().Add(w.backoff(m.Attempts))
		var se *smtp.SMTPError
		switch {
		case errors.As(err, &se) && se.Code >= 500 && c.stage != "mail":
			// The server refused this message for good (an unknown recipient, say).
			retryAt = time.Time{}
		case m.Attempts >= w.cfg.MaxAttempts:
			retryAt = time.Time{}
		}
		if retryAt.IsZero() {
			w.log.Warn("mail abandoned", "id", m.ID, "to", m.To, "attempts", m.Attempts, "err", err)
		} else {
			w.log.Info("mail deferred", "id", m.ID, "to", m.To, "attempts", m.Attempts, "retry_at", retryAt, "err", err)
		}
		if err := w.db.MarkMailFailed(record, m.ID, w.cfg.Name, err.Error(), retryAt); err != nil {
			return len(msgs), err
		}
		if !c.reset() {
			c.close()
			c = nil
		}
	}
	if c != nil {
		c.quit()
		c = nil
	}
	return len(msgs), nil
}

// recorder marks messages sent as the server accepts them. The sender goes on to the next
// message meanwhile, and when the database is busy (SQLite's one writer is shared with every
// request) the recorder marks all that are waiting in one statement: recording one message
// per turn at the writer let the backlog grow without end under steady load. Each message is
// recorded at the first turn after its acceptance, so the window in which a crash makes it
// go out twice is no longer than before; at most twice Batch messages are in it at once.
type recorder struct {
	w    *Worker
	ids  chan *frontdesk.Message
	done chan error
}

func (w *Worker) newRecorder(ctx context.Context) *recorder {
	r := &recorder{w: w, ids: make(chan *frontdesk.Message, max(1, w.cfg.Batch-1)), done: make(chan error, 1)}
	go func() {
		var first error
		for m := range r.ids {
			batch := []*frontdesk.Message{m}
		more:
			for len(batch) < w.cfg.Batch {
				select {
				case m, ok := <-r.ids:
					if !ok {
						break more
					}
					batch = append(batch, m)
				default:
					break more
				}
			}
			ids := make([]int64, len(batch))
			for i, m := range batch {
				ids[i] = m.ID
			}
			if err := w.db.MarkMailSentAll(ctx, ids, frontdesk.ViaSMTP); err != nil {
				// The messages stay in state sending; after the lease they go out again.
				w.log.Error("mail sent but not recorded", "ids", ids, "err", err)
				first = cmp.Or(first, err)
				continue
			}
			for _, m := range batch {
				w.log.Debug("mail sent", "id", m.ID, "to", m.To, "message_id", m.MessageID)
			}
			if w.journal != nil {
				if err := w.journal.recorded(len(batch)); err != nil {
					w.log.Error("mail journal", "err", err)
				}
			}
		}
		r.done <- first
	}()
	return r
}

// sent hands m, which the server accepted, to be recorded; it waits when Batch messages are
// waiting already.
func (r *recorder) sent(m *frontdesk.Message) { r.ids <- m }

// close waits until every message handed over is recorded, and returns the first error.
func (r *recorder) close() error {
	close(r.ids)
	return <-r.done
}

// keepLease renews the lease on msgs every third of a lease until ctx ends, and calls stop
// when two thirds of a lease passed since the last renewal that worked.
func (w *Worker) keepLease(ctx context.Context, stop func(), msgs []*frontdesk.Message) {
	ids := make([]int64, len(msgs))
	for i, m := range msgs {
		ids[i] = m.ID
	}
	held := time.Now() // the claim's own lease started a little earlier; the margin covers it
	t := time.NewTicker(w.cfg.Lease / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		at := time.Now()
		if _, err := w.db.RenewMail(context.WithoutCancel(ctx), w.cfg.Name, ids, w.cfg.Lease); err != nil {
			w.log.Warn("mail lease renewal", "err", err)
		} else {
			held = at
		}
		if time.Since(held) >= w.cfg.Lease*2/3 {
			w.log.Warn("mail lease lost", "held_since", held)
			stop()
			return
		}
	}
}

func (w *Worker) release(ctx context.Context, msgs []*frontdesk.Message) error {
	ids := make([]int64, len(msgs))
	for i, m := range msgs {
		ids[i] = m.ID
	}
	return w.db.ReleaseMail(ctx, w.cfg.Name, ids)
}

// conn is one SMTP session, used for a batch.
type conn struct {
	c     *smtp.Client
	raw   net.Conn
	stop  func() bool
	stage string // the command that failed last: mail, rcpt or data
}

// dial connects, says hello, switches to TLS and authenticates as configured.
func (w *Worker) dial(ctx context.Context) (*conn, error) {
	sc := w.cfg.SMTP
	host, _, _ := net.SplitHostPort(sc.Addr)
	tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12}
	if sc.TLSConfig != nil {
		tlsConfig = sc.TLSConfig.Clone()
	}
	if tlsConfig.ServerName == "" {
		tlsConfig.ServerName = host
	}
	d := net.Dialer{Timeout: sc.Timeout}
	raw, err := d.DialContext(ctx, "tcp", sc.Addr)
	if err != nil {
		return nil, err
	}
	if sc.TLS == TLSImplicit {
		tc := tls.Client(raw, tlsConfig)
		hctx, cancel := context.WithTimeout(ctx, sc.Timeout)
		err := tc.HandshakeContext(hctx)
		cancel()
		if err != nil {
			raw.Close()
			return nil, err
		}
		raw = tc
	}
	// The client library takes no context; closing the connection ends whatever it waits for.
	stop := context.AfterFunc(ctx, func() { raw.Close() })
	var c *smtp.Client
	if sc.TLS == TLSStartTLS {
		c, err = smtp.NewClientStartTLS(raw, tlsConfig)
	} else {
		c = smtp.NewClient(raw)
	}
	if err == nil {
		c.CommandTimeout, c.SubmissionTimeout = sc.Timeout, 2*sc.Timeout
		err = c.Hello(sc.LocalName)
	}
	if err == nil && sc.Username != "" {
		if ok, _ := c.Extension("AUTH"); !ok {
			err = errors.New("the server offers no AUTH")
		} else {
			err = c.Auth(sasl.NewPlainClient("", sc.Username, sc.Password))
		}
	}
	if err != nil {
		stop()
		raw.Close()
		return nil, err
	}
	return &conn{c: c, raw: raw, stop: stop}, nil
}

// send runs one SMTP transaction for m; nil means the server accepted the message. The
// envelope sender is m's signed bounce address (VERP), so a bounce names the message that
// failed whatever it quotes of it (X3).
func (c *conn) send(m *frontdesk.Message, key []byte) error {
	c.stage = "mail"
	if err := c.c.Mail(BounceAddress(key, envelopeAddress(m.From), m.ID), nil); err != nil {
		return err
	}
	c.stage = "rcpt"
	if err := c.c.Rcpt(m.To, nil); err != nil {
		return err
	}
	c.stage = "data"
	wc, err := c.c.Data()
	if err != nil {
		return err
	}
	if _, err := bytes.NewReader(Compose(m, key)).WriteTo(wc); err != nil {
		wc.Close()
		return err
	}
	return wc.Close()
}

// reset readies the session for the next message after a failure; false means the session
// is unusable.
func (c *conn) reset() bool { return c.c.Reset() == nil }

func (c *conn) quit() {
	c.c.Quit()
	c.close()
}

func (c *conn) close() {
	c.stop()
	c.c.Close()
}
