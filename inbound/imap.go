package inbound

// The IMAP poller (C8): external mailboxes fetched over IMAP. The mailbox row keeps the
// folder's UIDVALIDITY and the last UID stored, so a message is read once and none is
// skipped; a message is flagged \Seen (or moved) only once it is stored, so a crash in
// between reads it again, and the store's dedup keeps it one row. Several instances may
// poll the same mailbox: a message read twice is still stored once.

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"frontdesk"
	"frontdesk/store"
)

// Poller fetches the mail of every polled mailbox into an inbox.
type Poller struct {
	Inbox *Inbox
	// Every is the time between two polls of the mailboxes.
	Every time.Duration
	// Timeout bounds one poll of one mailbox, so that a server that stops answering holds
	// up nothing but itself.
	Timeout time.Duration
	// TLSConfig is used for tls and starttls; nil checks the server's certificate against
	// the system's roots.
	TLSConfig *tls.Config
}

// Poller defaults.
const (
	DefaultPollEvery   = time.Minute
	DefaultPollTimeout = 10 * time.Minute
	// pollsAtOnce bounds the IMAP connections one instance holds.
	pollsAtOnce = 8
)

// NewPoller returns a poller for the inbox's mailboxes.
func NewPoller(in *Inbox, every time.Duration) *Poller {
	if every <= 0 {
		every = DefaultPollEvery
	}
	return &Poller{Inbox: in, Every: every, Timeout: DefaultPollTimeout}
}

// Run polls every mailbox now and then every p.Every until ctx ends.
func (p *Poller) Run(ctx context.Context) {
	t := time.NewTicker(p.Every)
	defer t.Stop()
	for {
		p.PollAll(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// PollAll polls the polled mailboxes, a few at once, and waits for all; a mailbox's error
// is recorded on it and logged, and never stops the others.
func (p *Poller) PollAll(ctx context.Context) {
	mbs, err := p.Inbox.DB.Mailboxes(ctx)
	if err != nil {
		if ctx.Err() == nil {
			p.Inbox.Log.Error("imap: listing mailboxes", "err", err)
		}
		return
	}
	var wg sync.WaitGroup
	slots := make(chan struct{}, pollsAtOnce)
	for _, mb := range mbs {
		if !mb.IMAP.Polled() {
			continue
		}
		wg.Go(func() {
			slots <- struct{}{}
			defer func() { <-slots }()
			n, err := p.Poll(ctx, mb)
			if err != nil && ctx.Err() == nil {
				p.Inbox.Log.Warn("imap: polling a mailbox", "mailbox", mb.Address, "server", mb.IMAP.Addr(), "stored", n, "err", err)
			}
		})
	}
	wg.Wait()
}

// Poll fetches the new messages of one mailbox, in UID order, and returns how many it
// stored. Its error, or "" after a clean poll, is recorded on the mailbox.
func (p *Poller) Poll(ctx context.Context, mb *frontdesk.Mailbox) (int, error) {
	if p.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, p.Timeout)
		defer cancel()
	}
	n, err := p.poll(ctx, mb)
	text := ""
	if err != nil {
		text = err.Error()
	}
	// Recorded with a context of its own: the poll's may be what ended.
	rec, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if rerr := p.Inbox.DB.SetMailboxPolled(rec, mb.ID, 0, 0, text); rerr != nil && err == nil {
		err = rerr
	}
	return n, err
}

func (p *Poller) dial(s frontdesk.IMAPSettings) (*imapclient.Client, error) {
	opts := &imapclient.Options{TLSConfig: p.TLSConfig, Dialer: &net.Dialer{Timeout: 30 * time.Second}}
	switch s.Security {
	case frontdesk.IMAPNone:
		return imapclient.DialInsecure(s.Addr(), opts)
	case frontdesk.IMAPStartTLS:
		return imapclient.DialStartTLS(s.Addr(), opts)
	default:
		return imapclient.DialTLS(s.Addr(), opts)
	}
}

func (p *Poller) poll(ctx context.Context, mb *frontdesk.Mailbox) (int, error) {
	s := mb.IMAP
	c, err := p.dial(s)
	if err != nil {
		return 0, fmt.Errorf("connecting to %s: %w", s.Addr(), err)
	}
	// Closing the connection is how a command waiting on a silent server ends.
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	defer c.Close()
	if err := c.Login(s.User, s.Password).Wait(); err != nil {
		return 0, fmt.Errorf("logging in to %s as %s: %w", s.Addr(), s.User, err)
	}
	sel, err := c.Select(s.Folder, nil).Wait()
	if err != nil {
		return 0, fmt.Errorf("selecting folder %q: %w", s.Folder, err)
	}
	last := s.LastUID
	if sel.UIDValidity != s.UIDValidity {
		// The folder's UIDs mean something else now (it was made again, or the server
		// renumbered it): read it all again; what was stored before is not stored twice.
		last = 0
		if err := p.Inbox.DB.SetMailboxPolled(ctx, mb.ID, sel.UIDValidity, 0, ""); err != nil {
			return 0, err
		}
	}
	if sel.NumMessages == 0 {
		return 0, nil
	}
	// The UIDs after the last one stored. "n:*" holds the folder's last message even when n
	// is past it, hence the filter (imapclient filters too; a server's answer is not trusted).
	list, err := c.Fetch(imap.UIDSet{{Start: imap.UID(last + 1), Stop: 0}}, &imap.FetchOptions{UID: true, RFC822Size: true}).Collect()
	if err != nil {
		return 0, fmt.Errorf("listing messages after UID %d: %w", last, err)
	}
	type item struct {
		uid  imap.UID
		size int64
	}
	var todo []item
	for _, m := range list {
		if uint32(m.UID) > last {
			todo = append(todo, item{m.UID, m.RFC822Size})
		}
	}
	slices.SortFunc(todo, func(a, b item) int { return int(int64(a.uid) - int64(b.uid)) })
	stored := 0
	for _, it := range todo {
		if max := p.Inbox.MaxMessageBytes; max > 0 && it.size > max {
			// It cannot be stored: step past it, leave it unseen in the folder for a person
			// to deal with, and say so on the mailbox.
			if err := p.Inbox.DB.SetMailboxPolled(ctx, mb.ID, sel.UIDValidity, uint32(it.uid), ""); err != nil {
				return stored, err
			}
			p.Inbox.Log.Warn("imap: message over the size limit left in the folder", "mailbox", mb.Address, "uid", it.uid,
				"size", it.size, "limit", max)
			continue
		}
		raw, err := fetchRaw(c, it.uid)
		if err != nil {
			return stored, err
		}
		if raw == nil {
			continue // expunged meanwhile by someone else
		}
		if _, _, err := p.Inbox.Receive(ctx, &store.Received{MailboxID: mb.ID, Source: frontdesk.ViaIMAP,
			EnvelopeTo: mb.Address, Raw: raw}); err != nil {
			return stored, fmt.Errorf("storing message UID %d: %w", it.uid, err)
		}
		stored++
		// Only now, with the message stored, may the folder show it as handled; and the UID
		// is recorded only after that, so that a crash in between reads the message again
		// (stored once: same Message-ID or bytes) and flags it then, rather than leaving it
		// unread in the folder for good.
		var ferr error
		one := imap.UIDSetNum(it.uid)
		if s.MoveTo != "" {
			if _, err := c.Move(one, s.MoveTo).Wait(); err != nil {
				ferr = fmt.Errorf("moving message UID %d to %q: %w", it.uid, s.MoveTo, err)
			}
		} else if err := c.Store(one, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagSeen}}, nil).Close(); err != nil {
			ferr = fmt.Errorf("flagging message UID %d \\Seen: %w", it.uid, err)
		}
		// A lost connection leaves the UID unrecorded: the next poll reads the message
		// again and flags it. A folder that refuses (NO) must not hold the poller on one
		// message: the UID is recorded, and the refusal shown on the mailbox.
		var refused *imap.Error
		if ferr != nil && !errors.As(ferr, &refused) {
			return stored, ferr
		}
		if err := p.Inbox.DB.SetMailboxPolled(ctx, mb.ID, sel.UIDValidity, uint32(it.uid), ""); err != nil {
			return stored, err
		}
		if ferr != nil {
			return stored, ferr
		}
	}
	if err := c.Logout().Wait(); err != nil {
		return stored, nil // everything is stored; a rude goodbye changes nothing
	}
	return stored, nil
}

// fetchRaw reads one whole message without setting \Seen (BODY.PEEK[]); nil when the UID is
// gone.
func fetchRaw(c *imapclient.Client, uid imap.UID) ([]byte, error) {
	msgs, err := c.Fetch(imap.UIDSetNum(uid), &imap.FetchOptions{UID: true,
		BodySection: []*imap.FetchItemBodySection{{Peek: true}}}).Collect()
	if err != nil {
		return nil, fmt.Errorf("fetching message UID %d: %w", uid, err)
	}
	for _, m := range msgs {
		if m.UID != uid {
			continue
		}
		for _, b := range m.BodySection {
			return b.Bytes, nil
		}
	}
	return nil, nil
}
