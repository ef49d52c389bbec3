package server_test

import (
	"bytes"
	"context"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/http/httptest"
	netmail "net/mail"
	"regexp"
	"strings"
	"testing"
	"time"

	"frontdesk"
	"frontdesk/mail"
	"frontdesk/mail/mailtest"
	"frontdesk/server"
	"frontdesk/store"
	"frontdesk/store/storetest"
)

// app is a whole Frontdesk on a real database and a real loopback port, delivering its mail
// to a real SMTP server.
type app struct {
	*server.Server
	URL  string
	SMTP *mailtest.Server
}

func newApp(t testing.TB, engine store.Engine) *app {
	t.Helper()
	return newAppWith(t, engine, nil)
}

// newAppWith is newApp with changes to its configuration.
func newAppWith(t testing.TB, engine store.Engine, configure func(*server.Config)) *app {
	t.Helper()
	smtp := mailtest.NewServer(t, mailtest.Options{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	cfg := server.Config{
		Store:       storetest.Config(t, engine),
		PhoneRegion: "US",
		HelpdeskURL: url,
		MailFrom:    "Frontdesk <desk@example.com>",
		Worker:      mail.WorkerConfig{SMTP: mail.SMTPConfig{Addr: smtp.Addr}, Poll: 20 * time.Millisecond, BaseDelay: 50 * time.Millisecond},
	}
	if configure != nil {
		configure(&cfg)
	}
	s, err := server.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	hs := httptest.NewUnstartedServer(s.Handler())
	hs.Listener.Close()
	hs.Listener = ln
	hs.Start()
	t.Cleanup(func() {
		hs.Close()
		s.Close()
	})
	return &app{Server: s, URL: url, SMTP: smtp}
}

// mustOwner makes the owner with a password, as `frontdesk owner create` and its setup link
// would.
func (a *app) mustOwner(t *testing.T, email, password string) *frontdesk.Person {
	t.Helper()
	return a.mustPersonWithPassword(t, frontdesk.WithActor(context.Background(), frontdesk.System), frontdesk.RoleOwner, email, password)
}

// mailTo waits for the n-th message to an address (1-based) and returns its text part.
func (a *app) mailTo(t *testing.T, to string, n int) (subject, text string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		var found []mailtest.Message
		for _, m := range a.SMTP.Messages() {
			for _, rcpt := range m.To {
				if strings.EqualFold(rcpt, to) {
					found = append(found, m)
				}
			}
		}
		if len(found) >= n {
			return found[n-1].Header.Get("Subject"), textPart(t, found[n-1].Data)
		}
		if time.Now().After(deadline) {
			t.Fatalf("no message %d to %s arrived (have %d)", n, to, len(found))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// textPart returns the decoded text/plain part of a raw message.
func textPart(t *testing.T, raw []byte) string {
	t.Helper()
	msg, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	return findText(t, msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
}

func findText(t *testing.T, contentType, encoding string, body io.Reader) string {
	t.Helper()
	media, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		t.Fatalf("content type %q: %v", contentType, err)
	}
	if strings.HasPrefix(media, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			part, err := mr.NextPart()
			if err != nil {
				return ""
			}
			if s := findText(t, part.Header.Get("Content-Type"), part.Header.Get("Content-Transfer-Encoding"), part); s != "" {
				return s
			}
		}
	}
	if media != "text/plain" {
		return ""
	}
	if strings.EqualFold(encoding, "quoted-printable") {
		body = quotedprintable.NewReader(body)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// linkIn returns the first link to path in a mail's text.
func linkIn(t *testing.T, text, path string) string {
	t.Helper()
	m := regexp.MustCompile(`https?://[^\s"<>]+` + regexp.QuoteMeta(path) + `\?token=[A-Za-z0-9_\-%]+`).FindString(text)
	if m == "" {
		t.Fatalf("no %s link in:\n%s", path, text)
	}
	return m
}
