package inbound_test

// The IMAP poller against a real IMAP server started here: go-imap's imapserver with its
// in-memory backend, over TLS with a certificate made for the test (C8, issue 9).

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"log"
	"math/big"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"

	"frontdesk"
	"frontdesk/inbound"
)

// imapServer is a running IMAP server with one user.
type imapServer struct {
	t     *testing.T
	user  *imapmemserver.User
	port  int
	trust *tls.Config // what a client needs to trust its certificate
}

// selfSigned makes a certificate for 127.0.0.1 and a client configuration that trusts it.
func selfSigned(t *testing.T) (server, client *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "imap.test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:     []string{"localhost"},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}},
		&tls.Config{RootCAs: pool}
}

// startIMAP runs an IMAP server over implicit TLS (starttls: plain TCP with STARTTLS) with
// user "desk" and the folders given.
func startIMAP(t *testing.T, starttls bool, folders ...string) *imapServer {
	t.Helper()
	serverTLS, clientTLS := selfSigned(t)
	mem := imapmemserver.New()
	user := imapmemserver.NewUser("desk", "s3cret")
	for _, f := range append([]string{"INBOX"}, folders...) {
		if err := user.Create(f, nil); err != nil {
			t.Fatal(err)
		}
	}
	mem.AddUser(user)
	opts := &imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		Caps:   imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}},
		Logger: log.New(testWriter{t}, "imapserver: ", 0),
	}
	var ln net.Listener
	var err error
	if starttls {
		opts.TLSConfig = serverTLS
		ln, err = net.Listen("tcp", "127.0.0.1:0")
	} else {
		ln, err = tls.Listen("tcp", "127.0.0.1:0", serverTLS)
	}
	if err != nil {
		t.Fatal(err)
	}
	srv := imapserver.New(opts)
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return &imapServer{t: t, user: user, port: ln.Addr().(*net.TCPAddr).Port, trust: clientTLS}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }

func (s *imapServer) settings(folder, moveTo string) *frontdesk.IMAPInput {
	host, user, pw, sec := "127.0.0.1", "desk", "s3cret", frontdesk.IMAPTLS
	return &frontdesk.IMAPInput{Host: &host, Port: &s.port, Security: &sec, User: &user, Password: &pw, Folder: &folder, MoveTo: &moveTo}
}

func (s *imapServer) add(folder string, raw []byte) {
	s.t.Helper()
	if _, err := s.user.Append(folder, bytes.NewReader(raw), &imap.AppendOptions{}); err != nil {
		s.t.Fatal(err)
	}
}

// status says how many messages a folder holds and how many of them are unseen.
func (s *imapServer) status(folder string) (all, unseen uint32) {
	s.t.Helper()
	st, err := s.user.Status(folder, &imap.StatusOptions{NumMessages: true, NumUnseen: true})
	if err != nil {
		s.t.Fatal(err)
	}
	return *st.NumMessages, *st.NumUnseen
}

func (d *transportDesk) poller(s *imapServer) *inbound.Poller {
	p := inbound.NewPoller(d.inbox, time.Minute)
	p.TLSConfig = s.trust
	return p
}

func (d *transportDesk) poll(p *inbound.Poller, mb *frontdesk.Mailbox) (int, error) {
	d.t.Helper()
	fresh, err := d.db.GetMailbox(context.Background(), mb.ID)
	if err != nil {
		d.t.Fatal(err)
	}
	return p.Poll(context.Background(), fresh)
}

func subjects(list []*frontdesk.InboundMessage, d *transportDesk) []string {
	var out []string
	for _, m := range list {
		raw, err := d.db.InboundRaw(context.Background(), m.ID)
		if err != nil {
			d.t.Fatal(err)
		}
		i := bytes.Index(raw, []byte("Subject: "))
		j := bytes.IndexByte(raw[i:], '\r')
		out = append(out, string(raw[i+9:i+j]))
	}
	return out
}

// C8: UIDVALIDITY and the last UID are kept, so across polls nothing is read twice or
// skipped, messages are stored in UID order, and each is flagged \Seen once stored.
func TestIMAPPollReadsEachMessageOnce_C8(t *testing.T) {
	eachTransport(t, func(t *testing.T, d *transportDesk) {
		srv := startIMAP(t, false)
		mb := d.mailbox("support@desk.example", srv.settings("INBOX", ""))
		p := d.poller(srv)
		for i := 1; i <= 3; i++ {
			srv.add("INBOX", message("c@customer.example", "support@desk.example", "m"+strconv.Itoa(i), fmt.Sprintf("m%d@customer.example", i)))
		}
		if n, err := d.poll(p, mb); err != nil || n != 3 {
			t.Fatalf("first poll stored %d (%v), want 3", n, err)
		}
		if all, unseen := srv.status("INBOX"); all != 3 || unseen != 0 {
			t.Errorf("INBOX holds %d, %d unseen after the poll; want 3, 0", all, unseen)
		}
		// Two arrive between polls; then someone marks the newest unread again in their
		// mail program. The next polls take only the new two: the one made unread is not
		// read again (it would be flagged \Seen again), and an empty poll reads nothing,
		// though "6:*" names the last message.
		srv.add("INBOX", message("c@customer.example", "support@desk.example", "m4", "m4@customer.example"))
		srv.add("INBOX", message("c@customer.example", "support@desk.example", "m5", ""))
		if n, err := d.poll(p, mb); err != nil || n != 2 {
			t.Fatalf("second poll stored %d (%v), want 2", n, err)
		}
		unsee(t, srv, "INBOX", 5)
		for range 2 {
			if n, err := d.poll(p, mb); err != nil || n != 0 {
				t.Fatalf("idle poll stored %d (%v), want 0", n, err)
			}
		}
		if _, unseen := srv.status("INBOX"); unseen != 1 {
			t.Errorf("%d unseen; the message marked unread again was read again", unseen)
		}
		got := subjects(d.stored(mb.ID), d)
		if fmt.Sprint(got) != "[m1 m2 m3 m4 m5]" {
			t.Errorf("stored %v, want m1..m5 in UID order", got)
		}
		for _, m := range d.stored(mb.ID) {
			if m.Source != frontdesk.ViaIMAP || m.EnvelopeTo != "support@desk.example" {
				t.Errorf("stored %+v", m)
			}
		}
		after, _ := d.db.GetMailbox(context.Background(), mb.ID)
		if after.IMAP.LastUID != 5 || after.IMAP.UIDValidity == 0 || after.IMAP.Error != "" || after.IMAP.PolledAt == nil {
			t.Errorf("mailbox after polls: %+v", after.IMAP)
		}
	})
}

// unsee clears \Seen on a message, as a person's mail program may.
func unsee(t *testing.T, srv *imapServer, folder string, uid imap.UID) {
	t.Helper()
	sess := imapmemserver.NewUserSession(srv.user)
	defer sess.Close()
	if _, err := sess.Select(folder, nil); err != nil {
		t.Fatal(err)
	}
	if err := sess.Store(nil, imap.UIDSetNum(uid), &imap.StoreFlags{Op: imap.StoreFlagsDel, Silent: true, Flags: []imap.Flag{imap.FlagSeen}}, nil); err != nil {
		t.Fatal(err)
	}
}

// C8: when the folder's UIDVALIDITY changes (it was made again), its UIDs start over: the
// poller reads it from the start, and what it stored before is not stored again.
func TestIMAPUIDValidityChangeRereadsFolder_C8(t *testing.T) {
	eachTransport(t, func(t *testing.T, d *transportDesk) {
		srv := startIMAP(t, true, "Support")
		settings := srv.settings("Support", "")
		sec := frontdesk.IMAPStartTLS
		settings.Security = &sec
		mb := d.mailbox("support@desk.example", settings)
		p := d.poller(srv)
		srv.add("Support", message("c@customer.example", "support@desk.example", "a", "a@customer.example"))
		srv.add("Support", message("c@customer.example", "support@desk.example", "b", "b@customer.example"))
		if n, err := d.poll(p, mb); err != nil || n != 2 {
			t.Fatalf("first poll stored %d (%v)", n, err)
		}
		before, _ := d.db.GetMailbox(context.Background(), mb.ID)
		if err := srv.user.Delete("Support"); err != nil {
			t.Fatal(err)
		}
		if err := srv.user.Create("Support", nil); err != nil {
			t.Fatal(err)
		}
		// UIDs 1 and 2 again: b once more (restored from a backup, say) and c, new.
		srv.add("Support", message("c@customer.example", "support@desk.example", "b", "b@customer.example"))
		srv.add("Support", message("c@customer.example", "support@desk.example", "c", "c@customer.example"))
		if _, err := d.poll(p, mb); err != nil {
			t.Fatal(err)
		}
		if got := subjects(d.stored(mb.ID), d); fmt.Sprint(got) != "[a b c]" {
			t.Errorf("stored %v, want [a b c]", got)
		}
		after, _ := d.db.GetMailbox(context.Background(), mb.ID)
		if after.IMAP.UIDValidity == before.IMAP.UIDValidity || after.IMAP.LastUID != 2 {
			t.Errorf("validity %d -> %d, last UID %d", before.IMAP.UIDValidity, after.IMAP.UIDValidity, after.IMAP.LastUID)
		}
		if _, unseen := srv.status("Support"); unseen != 0 {
			t.Errorf("%d unseen after the poll", unseen)
		}
	})
}

// C8: a message is flagged only once it is stored. Storing fails (a real failure: a trigger
// makes the database refuse the insert): the message stays unseen, the mailbox shows the error,
// and the next poll after the failure takes it. Another mailbox whose server is down does
// not stop this one.
func TestIMAPFlagsOnlyAfterStore_C8(t *testing.T) {
	eachTransport(t, func(t *testing.T, d *transportDesk) {
		srv := startIMAP(t, false)
		mb := d.mailbox("support@desk.example", srv.settings("INBOX", ""))
		dead, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		deadPort := dead.Addr().(*net.TCPAddr).Port
		dead.Close()
		down := srv.settings("INBOX", "")
		down.Port = &deadPort
		other := d.mailbox("sales@desk.example", down)
		srv.add("INBOX", message("c@customer.example", "support@desk.example", "x", "x@customer.example"))

		undo := d.failStores()
		p := d.poller(srv)
		p.PollAll(context.Background())
		if _, unseen := srv.status("INBOX"); unseen != 1 {
			t.Fatalf("%d unseen after a failed store, want 1: flagged before it was stored", unseen)
		}
		failed, _ := d.db.GetMailbox(context.Background(), mb.ID)
		if failed.IMAP.Error == "" || failed.IMAP.LastUID != 0 {
			t.Errorf("after a failed store: error %q, last UID %d", failed.IMAP.Error, failed.IMAP.LastUID)
		}
		undo()
		p.PollAll(context.Background())
		if n := len(d.stored(mb.ID)); n != 1 {
			t.Errorf("%d stored after the store works again, want 1", n)
		}
		if _, unseen := srv.status("INBOX"); unseen != 0 {
			t.Errorf("%d unseen after the message was stored", unseen)
		}
		ok, _ := d.db.GetMailbox(context.Background(), mb.ID)
		down2, _ := d.db.GetMailbox(context.Background(), other.ID)
		if ok.IMAP.Error != "" || down2.IMAP.Error == "" || down2.IMAP.PolledAt == nil {
			t.Errorf("errors recorded: working %q, down %q", ok.IMAP.Error, down2.IMAP.Error)
		}
	})
}

// C8: with a MoveTo folder, a stored message is moved there, and only once stored.
func TestIMAPMovesStoredMessages_C8(t *testing.T) {
	eachTransport(t, func(t *testing.T, d *transportDesk) {
		srv := startIMAP(t, false, "Frontdesk")
		mb := d.mailbox("support@desk.example", srv.settings("INBOX", "Frontdesk"))
		for i := range 3 {
			srv.add("INBOX", message("c@customer.example", "support@desk.example", "mv"+strconv.Itoa(i), ""))
		}
		if n, err := d.poll(d.poller(srv), mb); err != nil || n != 3 {
			t.Fatalf("poll stored %d (%v)", n, err)
		}
		if in, _ := srv.status("INBOX"); in != 0 {
			t.Errorf("INBOX still holds %d", in)
		}
		if moved, _ := srv.status("Frontdesk"); moved != 3 {
			t.Errorf("Frontdesk folder holds %d, want 3", moved)
		}
	})
}

// C8: the poller checks the server's certificate: one it does not trust is refused and the
// error recorded, with nothing read.
func TestIMAPRefusesUntrustedCertificate_C8(t *testing.T) {
	eachTransport(t, func(t *testing.T, d *transportDesk) {
		srv := startIMAP(t, false)
		mb := d.mailbox("support@desk.example", srv.settings("INBOX", ""))
		srv.add("INBOX", message("c@customer.example", "support@desk.example", "x", ""))
		p := inbound.NewPoller(d.inbox, time.Minute) // the system's roots only
		if _, err := d.poll(p, mb); err == nil {
			t.Fatal("polled a server with a self-signed certificate nobody trusts")
		}
		if d.count() != 0 {
			t.Error("stored a message over an untrusted connection")
		}
		after, _ := d.db.GetMailbox(context.Background(), mb.ID)
		if after.IMAP.Error == "" {
			t.Error("no error recorded")
		}
	})
}

// C8, issue 9 "one pipeline": a message that comes over SMTP and is also in a polled IMAP
// folder (the customer wrote to both addresses of one mailbox) is one stored row, and the
// processing job makes one ticket of it.
func TestSMTPAndIMAPMessageIsOneTicket_C8(t *testing.T) {
	eachTransport(t, func(t *testing.T, d *transportDesk) {
		srv := startIMAP(t, false)
		mb := d.mailbox("support@desk.example", srv.settings("INBOX", ""))
		raw := message("Gus Grey <gus@customer.example>", "support@desk.example", "The heater is broken", "heater@customer.example")
		c := dialSMTP(t, d.listen())
		if step, err := send(c, "gus@customer.example", []string{"support@desk.example"}, raw); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		srv.add("INBOX", raw)
		if _, err := d.poll(d.poller(srv), mb); err != nil {
			t.Fatal(err)
		}
		if _, err := d.inbox.ProcessPending(context.Background()); err != nil {
			t.Fatal(err)
		}
		got := d.stored(mb.ID)
		if len(got) != 1 {
			t.Fatalf("%d rows, want 1", len(got))
		}
		if got[0].State != frontdesk.InboundDone || got[0].TicketID == nil {
			t.Fatalf("processed: %+v", got[0])
		}
		if n, _ := d.db.CountRows(context.Background(), "tickets"); n != 1 {
			t.Errorf("%d tickets, want 1", n)
		}
		tk, err := d.db.GetTicket(context.Background(), *got[0].TicketID)
		if err != nil || tk.Subject != "The heater is broken" {
			t.Errorf("ticket %+v (%v)", tk, err)
		}
	})
}
