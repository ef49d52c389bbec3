package main

// Issue 9, "Reliability tests": the real binary, killed with SIGKILL while mail streams in
// over its SMTP listener and is polled from a real IMAP server; after the restarts every
// message that got a 250 (or was in the IMAP folder) is exactly one ticket. And the same
// message through SMTP, IMAP and POST /api/v1/inbound is one stored row and one ticket.

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"database/sql"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	"github.com/emersion/go-smtp"

	"frontdesk"
	"frontdesk/store"
	"frontdesk/store/storetest"
)

func TestKilledServerLosesNoInboundMail_C8_Issue9(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the binary")
	}
	bin := filepath.Join(t.TempDir(), "frontdesk")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	engines := []store.Engine{store.SQLite}
	if os.Getenv(storetest.PostgresURLEnv) != "" {
		engines = append(engines, store.Postgres)
	}
	for _, e := range engines {
		t.Run(string(e), func(t *testing.T) { inboundKillTest(t, bin, e) })
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// killMessage is message k of a way: a sender of its own (no loop guard), a subject and a
// Message-ID that name it.
func killMessage(way string, k int) []byte {
	return []byte(fmt.Sprintf("From: Sender %s %d <%s%d@senders.example>\r\nTo: support@desk.example\r\n"+
		"Subject: kill %s %d\r\nMessage-ID: <%s-%d@senders.example>\r\nDate: Wed, 02 Dec 2026 10:00:00 +0000\r\n"+
		"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nMessage %d over %s.\r\n%s\r\n",
		way, k, way, k, way, k, way, k, k, way, strings.Repeat("Some text of a realistic line length, to make it a few KB.\r\n", 40)))
}

func inboundKillTest(t *testing.T, bin string, engine store.Engine) {
	const (
		smtpMessages = 240
		imapMessages = 120
		kills        = 3
		senders      = 4
	)
	cfg := storetest.Config(t, engine)
	env := append(os.Environ(), "FRONTDESK_LOG_LEVEL=warn")
	if engine == store.SQLite {
		env = append(env, "FRONTDESK_DATA="+cfg.DataDir, "FRONTDESK_DATABASE_URL=")
	} else {
		env = append(env, "FRONTDESK_DATABASE_URL="+cfg.URL)
	}
	command := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("frontdesk %s: %v", strings.Join(args, " "), err)
		}
		return string(out)
	}
	command("owner", "create", "--email", "owner@example.com", "--name", "Kill Owner")
	token := strings.TrimSpace(command("token", "create", "--email", "owner@example.com", "--name", "kill"))

	// A real IMAP server over TLS, with a certificate of its own that the binary trusts
	// through --imap-ca-file, holding mail before the first start.
	serverTLS, caFile := testCertificate(t)
	mem := imapmemserver.New()
	user := imapmemserver.NewUser("desk", "s3cret")
	if err := user.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	mem.AddUser(user)
	imapLn, err := tls.Listen("tcp", "127.0.0.1:0", serverTLS)
	if err != nil {
		t.Fatal(err)
	}
	imapSrv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		Caps:   imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}},
		Logger: log.New(io.Discard, "", 0),
	})
	go imapSrv.Serve(imapLn)
	t.Cleanup(func() { imapSrv.Close() })
	appendIMAP := func(raw []byte) {
		if _, err := user.Append("INBOX", bytes.NewReader(raw), &imap.AppendOptions{}); err != nil {
			t.Error(err)
		}
	}
	for k := 1; k <= imapMessages/2; k++ {
		appendIMAP(killMessage("imap", k))
	}

	// The mailbox, made in the database before the server starts: mail reaches it over
	// SMTP, the API and IMAP alike.
	db, err := store.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	sys := frontdesk.WithActor(context.Background(), frontdesk.System)
	support := "support@desk.example"
	host, port, security, imapUser, imapPass := "127.0.0.1", imapLn.Addr().(*net.TCPAddr).Port, frontdesk.IMAPTLS, "desk", "s3cret"
	if _, err := db.SaveMailbox(sys, 0, frontdesk.MailboxInput{Address: &support, IMAP: &frontdesk.IMAPInput{
		Host: &host, Port: &port, Security: &security, User: &imapUser, Password: &imapPass}}); err != nil {
		t.Fatal(err)
	}
	db.Close()

	addr, smtpAddr := freeAddr(t), freeAddr(t)
	var logs []*lockedBuffer
	start := func() *killServer {
		t.Helper()
		return startServe(t, bin, env, "Receiving mail over SMTP on", 30*time.Second, &logs,
			"--addr", addr, "--smtp-listen", smtpAddr, "--imap-poll-every", "1s", "--imap-ca-file", caFile, "--helpdesk-url", "http://"+addr)
	}
	srv := start()
	t.Cleanup(func() { srv.cmd.Process.Kill(); <-srv.exited })

	// Senders deliver like an MTA: a message not answered 250 is sent again later, through
	// the kills, until it is taken.
	var next, acked, retried atomic.Int64
	deliver := func(raw []byte) error {
		c, err := smtp.Dial(smtpAddr)
		if err != nil {
			return err
		}
		defer c.Close()
		return c.SendMail("someone@senders.example", []string{"support@desk.example"}, bytes.NewReader(raw))
	}
	deadline := time.Now().Add(90 * time.Second)
	var wg sync.WaitGroup
	for range senders {
		wg.Go(func() {
			for k := int(next.Add(1)); k <= smtpMessages; k = int(next.Add(1)) {
				for err := deliver(killMessage("smtp", k)); err != nil; err = deliver(killMessage("smtp", k)) {
					if se, ok := err.(*smtp.SMTPError); ok && se.Code/100 == 5 || time.Now().After(deadline) {
						t.Errorf("smtp message %d never taken: %v", k, err)
						return
					}
					retried.Add(1)
					time.Sleep(20 * time.Millisecond)
				}
				acked.Add(1)
			}
		})
	}
	// The other half of the IMAP mail arrives while the server runs and dies.
	wg.Go(func() {
		for k := imapMessages/2 + 1; k <= imapMessages; k++ {
			appendIMAP(killMessage("imap", k))
			time.Sleep(15 * time.Millisecond)
		}
	})
	for i := 1; i <= kills; i++ {
		for acked.Load() < int64(i*smtpMessages/(kills+1)) && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		srv.cmd.Process.Signal(syscall.SIGKILL)
		<-srv.exited
		srv = start()
	}
	wg.Wait()
	if t.Failed() {
		return
	}

	// The same message through all three ways, while this server runs: one row, one ticket.
	three := killMessage("three", 1)
	if err := deliver(three); err != nil {
		t.Fatal(err)
	}
	appendIMAP(three)
	req, _ := http.NewRequest("POST", "http://"+addr+"/api/v1/inbound?recipient=support@desk.example", bytes.NewReader(three))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "message/rfc822")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("POST /api/v1/inbound of a message the listener took: %d %s, want 200 (stored before)", res.StatusCode, body)
	}

	// Every message becomes one ticket, and the IMAP folder shows all of them handled.
	raw, err := sql.Open(map[store.Engine]string{store.SQLite: "sqlite", store.Postgres: "pgx"}[engine],
		map[store.Engine]string{store.SQLite: "file:" + filepath.Join(cfg.DataDir, "frontdesk.db") + "?_pragma=busy_timeout(10000)&_pragma=query_only(1)", store.Postgres: cfg.URL}[engine])
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	want := map[string]bool{"kill three 1": true}
	for k := 1; k <= smtpMessages; k++ {
		want["kill smtp "+strconv.Itoa(k)] = true
	}
	for k := 1; k <= imapMessages; k++ {
		want["kill imap "+strconv.Itoa(k)] = true
	}
	tickets := map[string]int{}
	var unseen uint32
	waitUntil := time.Now().Add(60 * time.Second)
	for {
		clear(tickets)
		rows, err := raw.Query(`SELECT subject, COUNT(*) FROM tickets GROUP BY subject`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var s string
			var n int
			rows.Scan(&s, &n)
			tickets[s] = n
		}
		rows.Close()
		st, err := user.Status("INBOX", &imap.StatusOptions{NumUnseen: true})
		if err != nil {
			t.Fatal(err)
		}
		unseen = *st.NumUnseen
		if len(tickets) >= len(want) && unseen == 0 || time.Now().After(waitUntil) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	for s := range want {
		if tickets[s] != 1 {
			t.Errorf("%q is %d tickets, want 1", s, tickets[s])
		}
	}
	for s, n := range tickets {
		if !want[s] {
			t.Errorf("unexpected ticket %q (%d)", s, n)
		}
	}
	if unseen != 0 {
		t.Errorf("%d messages in the IMAP folder are still unseen", unseen)
	}
	// One thread message per received Message-ID, and one stored row for the message that
	// came three ways.
	var twice, threeRows int
	raw.QueryRow(`SELECT COUNT(*) FROM (SELECT message_id FROM ticket_messages WHERE message_id <> '' GROUP BY message_id HAVING COUNT(*) > 1) AS x`).Scan(&twice)
	raw.QueryRow(`SELECT COUNT(*) FROM inbound_messages WHERE message_id LIKE '%three-1@senders.example%'`).Scan(&threeRows)
	if twice != 0 || threeRows != 1 {
		t.Errorf("%d Message-IDs are in a thread twice; the message sent three ways is %d rows (want 0 and 1)", twice, threeRows)
	}
	var stored, held int
	raw.QueryRow(`SELECT COUNT(*) FROM inbound_messages`).Scan(&stored)
	raw.QueryRow(`SELECT COUNT(*) FROM inbound_messages WHERE state <> 'done'`).Scan(&held)
	if held != 0 {
		t.Errorf("%d received messages are not done", held)
		rows, err := raw.Query(`SELECT state, reason, COUNT(*) FROM inbound_messages WHERE state <> 'done' GROUP BY state, reason`)
		if err == nil {
			for rows.Next() {
				var state, reason string
				var n int
				rows.Scan(&state, &reason, &n)
				t.Logf("%d %s: %s", n, state, reason)
			}
			rows.Close()
		}
	}
	t.Logf("%d SMTP messages (%d sends retried through %d kills) and %d IMAP messages: %d rows stored, %d tickets",
		smtpMessages, retried.Load(), kills, imapMessages, stored, len(tickets))
	for _, l := range logs {
		if s := l.String(); strings.Contains(s, `"level":"ERROR"`) {
			t.Logf("server log: %s", s)
		}
	}
}

// testCertificate makes a self-signed certificate for 127.0.0.1: the server's TLS
// configuration, and a PEM file of it for --imap-ca-file.
func testCertificate(t *testing.T) (*tls.Config, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "imap.test"},
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:                  true,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "imap-ca.pem")
	if err := os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}, file
}
