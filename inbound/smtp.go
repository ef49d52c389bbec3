package inbound

// The SMTP listener (C8): mail for Frontdesk's own mailboxes, straight from the sending MTA.
// It takes mail only for configured mailboxes, refuses what is too large before reading it,
// and answers 250 only once every mailbox's copy is committed, so a crash after the answer
// loses nothing and a crash before it makes the sender try again.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-smtp"

	"frontdesk"
	"frontdesk/store"
)

// SMTPServer receives mail over SMTP into an inbox.
type SMTPServer struct {
	Inbox *Inbox
	// Domain names the server in its banner and EHLO answer.
	Domain string
	// MaxRecipients bounds the RCPT commands of one message (RFC 5321 asks for at least 100).
	MaxRecipients int
	// MaxConnections bounds the sessions open at once; one more is told 421 and closed.
	MaxConnections int
	// ReadTimeout and WriteTimeout bound each command line read and each answer written.
	ReadTimeout, WriteTimeout time.Duration
	// StoreTimeout bounds the wait for the database after DATA; past it the sender is told
	// 451 and retries.
	StoreTimeout time.Duration

	once sync.Once
	srv  *smtp.Server
	// closing refuses new messages once Shutdown began; open counts the transactions under
	// way (from MAIL FROM to the answer after DATA), which Shutdown lets finish.
	mu      sync.Mutex
	closing bool
	open    sync.WaitGroup
}

// SMTP defaults.
const (
	DefaultSMTPMaxRecipients  = 100
	DefaultSMTPMaxConnections = 100
	// Limits of RFC 5321 (4.5.3.2): five minutes for a command, three for a data block.
	DefaultSMTPReadTimeout  = 5 * time.Minute
	DefaultSMTPWriteTimeout = time.Minute
	DefaultSMTPStoreTimeout = time.Minute
)

// NewSMTPServer returns a listener for the inbox with the default limits; its size limit is
// the inbox's MaxMessageBytes.
func NewSMTPServer(in *Inbox, domain string) *SMTPServer {
	return &SMTPServer{Inbox: in, Domain: domain, MaxRecipients: DefaultSMTPMaxRecipients,
		MaxConnections: DefaultSMTPMaxConnections, ReadTimeout: DefaultSMTPReadTimeout,
		WriteTimeout: DefaultSMTPWriteTimeout, StoreTimeout: DefaultSMTPStoreTimeout}
}

func (s *SMTPServer) server() *smtp.Server {
	s.once.Do(func() {
		srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
			return &smtpSession{s: s, remote: c.Conn().RemoteAddr().String()}, nil
		}))
		srv.Domain = s.Domain
		if srv.Domain == "" {
			srv.Domain = "localhost"
		}
		// go-smtp advertises SIZE with this, refuses MAIL FROM with a larger SIZE= (552) and
		// stops reading DATA past it (552).
		srv.MaxMessageBytes = s.Inbox.MaxMessageBytes
		srv.MaxRecipients = s.MaxRecipients
		srv.MaxLineLength = 2000 // RFC 5321's 1000, doubled, as go-smtp advises
		// Messages are stored as they come, so mail from internationalized addresses
		// (RFC 6531) is taken like any other rather than bounced by the sending MTA.
		srv.EnableSMTPUTF8 = true
		srv.ReadTimeout = s.ReadTimeout
		srv.WriteTimeout = s.WriteTimeout
		srv.ErrorLog = log.New(slogWriter{s.Inbox.Log}, "", 0)
		s.srv = srv
	})
	return s.srv
}

// Serve accepts sessions on ln until Shutdown or Close.
func (s *SMTPServer) Serve(ln net.Listener) error {
	srv := s.server()
	if s.MaxConnections > 0 {
		ln = &connLimit{Listener: ln, slots: make(chan struct{}, s.MaxConnections), domain: srv.Domain}
	}
	err := srv.Serve(ln)
	if errors.Is(err, smtp.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown stops taking messages, lets the ones being received be stored and answered, and
// then closes every session: an idle sender reconnects elsewhere or later, as SMTP expects.
// When ctx ends first, the messages still in DATA are cut unanswered, and their senders
// retry.
func (s *SMTPServer) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing = true
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.open.Wait(); close(done) }()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = ctx.Err()
	}
	if cerr := s.server().Close(); cerr != nil && !errors.Is(cerr, smtp.ErrServerClosed) && err == nil {
		err = cerr
	}
	return err
}

// smtpSession is one message transaction at a time over one connection.
type smtpSession struct {
	s      *SMTPServer
	mu     sync.Mutex // guards active: Logout may come from Shutdown's goroutine
	active bool       // counted in s.open
	remote string
	from   string
	size   int64 // what MAIL FROM announced (SIZE=), 0 when nothing
	// to holds one recipient per mailbox, in the order given: a message for support@ and
	// support+x@ is stored once.
	to []recipient
}

type recipient struct {
	mailbox int64
	address string
}

var (
	errNoMailbox = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No mailbox here by that name"}
	errTryLater  = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "The message could not be stored; try again later"}
	errClosing   = &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 3, 2}, Message: "Shutting down; try again later"}
)

// begin counts a transaction as under way, unless the server is shutting down.
func (ss *smtpSession) begin() error {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.active {
		return nil
	}
	ss.s.mu.Lock()
	defer ss.s.mu.Unlock()
	if ss.s.closing {
		return errClosing
	}
	ss.s.open.Add(1)
	ss.active = true
	return nil
}

func (ss *smtpSession) end() {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.active {
		ss.active = false
		ss.s.open.Done()
	}
}

// Reset ends a transaction: after its DATA was answered, on RSET, or on a new MAIL FROM.
func (ss *smtpSession) Reset() {
	ss.from, ss.size, ss.to = "", 0, nil
	ss.end()
}

func (ss *smtpSession) Logout() error {
	ss.end()
	return nil
}

func (ss *smtpSession) Mail(from string, opts *smtp.MailOptions) error {
	ss.from, ss.size, ss.to = "", 0, nil
	if err := ss.begin(); err != nil {
		return err
	}
	ss.from = from
	if opts != nil {
		ss.size = opts.Size // go-smtp refused it already when over the limit
	}
	return nil
}

// Rcpt takes an address of a configured mailbox, +tags included, and refuses any other at
// once (550 5.1.1), so that a sender's MTA bounces it to the sender and nothing is stored.
func (ss *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	ctx, cancel := context.WithTimeout(context.Background(), ss.s.StoreTimeout)
	defer cancel()
	mb, err := ss.s.Inbox.DB.MailboxByAddress(ctx, to)
	if frontdesk.ErrorCode(err) == frontdesk.ENotFound {
		return errNoMailbox
	}
	if err != nil {
		ss.s.Inbox.Log.Error("smtp: looking up a recipient", "to", to, "remote", ss.remote, "err", err)
		return errTryLater
	}
	for _, r := range ss.to {
		if r.mailbox == mb.ID {
			return nil
		}
	}
	ss.to = append(ss.to, recipient{mailbox: mb.ID, address: to})
	return nil
}

// Data reads the message and stores one copy per mailbox; it returns (and go-smtp answers
// 250) only when all are committed. A failure to store answers 451, and the sender retries:
// a copy already stored is not stored again (same Message-ID, or same bytes).
func (ss *smtpSession) Data(r io.Reader) error {
	// Read into a buffer of the announced size (plus a little: senders count differently),
	// so that a large message is not copied again and again as it grows.
	var buf bytes.Buffer
	buf.Grow(int(min(ss.size, ss.s.Inbox.MaxMessageBytes)) + 512)
	_, err := buf.ReadFrom(r)
	raw := buf.Bytes()
	if err != nil {
		// Past the size limit go-smtp's reader fails with its 552; a broken connection ends
		// the session whatever is answered.
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), ss.s.StoreTimeout)
	defer cancel()
	for _, to := range ss.to {
		_, _, err := ss.s.Inbox.Receive(ctx, &store.Received{MailboxID: to.mailbox, Source: frontdesk.ViaSMTPListener,
			EnvelopeFrom: ss.from, EnvelopeTo: to.address, Raw: raw})
		if frontdesk.ErrorCode(err) == frontdesk.ETooLarge {
			return smtp.ErrDataTooLarge
		}
		if err != nil {
			ss.s.Inbox.Log.Error("smtp: storing a message", "to", to.address, "from", ss.from, "remote", ss.remote, "err", err)
			return errTryLater
		}
	}
	return nil
}

// connLimit is a listener that holds at most cap(slots) connections open; one more is told
// 421 (RFC 5321 4.3.2) and closed, so that the sender tries again later.
type connLimit struct {
	net.Listener
	slots  chan struct{}
	domain string
}

func (l *connLimit) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		select {
		case l.slots <- struct{}{}:
			return &limitedConn{Conn: c, release: func() { <-l.slots }}, nil
		default:
			c.SetWriteDeadline(time.Now().Add(time.Second))
			fmt.Fprintf(c, "421 4.7.0 %s Too many connections, try again later\r\n", l.domain)
			c.Close()
		}
	}
}

type limitedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitedConn) Close() error {
	c.once.Do(c.release)
	return c.Conn.Close()
}

// slogWriter hands go-smtp's log lines (a connection's I/O errors) to the inbox's logger.
type slogWriter struct{ log *slog.Logger }

func (w slogWriter) Write(p []byte) (int, error) {
	w.log.Warn("smtp listener", "msg", strings.TrimSpace(string(p)))
	return len(p), nil
}
