package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer lets the test read what a running server prints.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	var out bytes.Buffer
	if err := run(context.Background(), args, &out, io.Discard); err != nil {
		t.Fatalf("frontdesk %s: %v", strings.Join(args, " "), err)
	}
	return out.String()
}

// I1, I4, P2: serve on the embedded SQLite prints its address and the way to create the
// owner; owner create and token create give a token the API accepts; a second owner is
// refused.
func TestCommands_I1_I4_P2(t *testing.T) {
	data := t.TempDir()
	t.Setenv("FRONTDESK_DATA", data)
	mustRun(t, "migrate")

	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0"}, out, io.Discard) }()
	addr := regexp.MustCompile(`listens on (http://[0-9.:]+)`)
	deadline := time.Now().Add(10 * time.Second)
	for !addr.MatchString(out.String()) {
		if time.Now().After(deadline) {
			t.Fatalf("serve printed no address: %q", out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	base := addr.FindStringSubmatch(out.String())[1]
	if !strings.Contains(out.String(), "frontdesk owner create --email") {
		t.Fatalf("first start does not say how to create the owner: %q", out.String())
	}
	// Issue 7 item 14: the printed command leads owner create to this server's address.
	if !strings.Contains(out.String(), `--helpdesk-url "`+base+`"`) {
		t.Fatalf("the printed owner create does not carry this server's address %s: %q", base, out.String())
	}

	created := mustRun(t, "owner", "create", "--email", "Boss@Example.com", "--name", "Bea Boss", "--helpdesk-url", base)
	// P2: the printed one-time link leads to the wizard where the owner sets a password.
	link := regexp.MustCompile(`http://\S+/welcome\?token=\S+`).FindString(created)
	if link == "" {
		t.Fatalf("owner create printed no setup link: %q", created)
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	// The link's GET shows a button (E2: mail scanners open links); its POST spends it.
	if res, err := noRedirect.Get(link); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("setup link page: %v %v", err, res)
	}
	spend := func() *http.Response {
		u, _ := url.Parse(link)
		form := url.Values{"token": {u.Query().Get("token")}}
		req, _ := http.NewRequest("POST", base+"/welcome", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		res, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	res := spend()
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/onboarding?token=") {
		t.Fatalf("setup link: %v", res)
	}
	if again := spend(); again.StatusCode == http.StatusSeeOther {
		t.Fatal("the setup link works twice")
	}
	tok, _ := url.QueryUnescape(strings.TrimPrefix(res.Header.Get("Location"), "/onboarding?token="))
	form := url.Values{"token": {tok}, "method": {"password"}, "password": {"boss-password-1"}, "timezone": {"UTC"}}
	req, _ := http.NewRequest("POST", base+"/onboarding", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if res, err := noRedirect.Do(req); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("owner onboarding: %v %v", err, res)
	}
	login := url.Values{"email": {"boss@example.com"}, "password": {"boss-password-1"}}
	req, _ = http.NewRequest("POST", base+"/login", strings.NewReader(login.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if res, err := noRedirect.Do(req); err != nil || res.StatusCode != http.StatusSeeOther {
		t.Fatalf("owner login: %v %v", err, res)
	}
	if err := run(context.Background(), []string{"owner", "create", "--email", "b2@example.com", "--name", "B Two"}, io.Discard, io.Discard); err == nil {
		t.Fatal("a second owner was created")
	}
	token := strings.TrimSpace(mustRun(t, "token", "create", "--email", "boss@example.com", "--name", "ci"))
	if !strings.HasPrefix(token, "fd_") {
		t.Fatalf("token: %q", token)
	}
	req, _ = http.NewRequest("GET", base+"/api/v1/people?email=boss@example.com", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(body), `"role":"owner"`) {
		t.Fatalf("API with the new token: %d %s", res.StatusCode, body)
	}
	// Issue 7 item 21: a token from the command line may carry an expiry, which must be ahead.
	if err := run(context.Background(), []string{"token", "create", "--email", "boss@example.com", "--name", "old", "--expires", "2001-01-01"}, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "expires_at") {
		t.Fatalf("a token that expired already was made: %v", err)
	}
	dated := strings.TrimSpace(mustRun(t, "token", "create", "--email", "boss@example.com", "--name", "dated", "--expires", time.Now().AddDate(0, 1, 0).Format("2006-01-02")))
	req, _ = http.NewRequest("GET", base+"/api/v1/tokens", nil)
	req.Header.Set("Authorization", "Bearer "+dated)
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != 200 {
		t.Fatalf("the dated token: %v %v", err, res)
	} else {
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if !regexp.MustCompile(`"name":"dated","created_at":"[^"]+","expires_at":"\d{4}-`).Match(b) {
			t.Fatalf("the dated token's expiry is not kept: %s", b)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve stopped with %v", err)
	}
}

// Bad configuration stops the binary with a message that names the setting.
func TestBadConfiguration(t *testing.T) {
	for _, args := range [][]string{
		{"serve", "--phone-region", "XX"},
		{"serve", "--addr", "nonsense"},
		{"serve", "--database-url", "mysql://x"},
		{"serve", "--log-level", "loud"},
		{"serve", "--trusted-proxies", "10.0.0.0/8,10.0.0.0/33"},
		{"serve", "--metrics-addr", "nonsense"},
		{"serve", "--helpdesk-url", "ftp://desk.example"},
		{"serve", "--smtp-listen", "nonsense"},
		{"serve", "--smtp-max-bytes", "lots"},
		{"serve", "--imap-poll-every", "0s"},
		{"serve", "--smtp-hostname", "mx example"},
		{"serve", "--imap-ca-file", "no-such-file.pem"},
		{"serve", "--imap-ca-file", "main.go"}, // a file, but no PEM certificate in it
		{"frobnicate"},
	} {
		err := run(context.Background(), args, io.Discard, io.Discard)
		if err == nil {
			t.Errorf("%v: accepted", args)
			continue
		}
		if len(args) > 2 && !strings.Contains(err.Error(), strings.TrimPrefix(args[len(args)-2], "--")) {
			t.Errorf("%v: error does not name the setting: %v", args, err)
		}
	}
}

// Issue 7 item 14: without --helpdesk-url, the owner's setup link starts with the address of
// --addr, a wildcard host read as localhost; a set --helpdesk-url wins.
func TestOwnerLinkFollowsAddr_Issue7_14(t *testing.T) {
	t.Setenv("FRONTDESK_HELPDESK_URL", "")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--addr", "127.0.0.1:9123"}, "http://127.0.0.1:9123/welcome?token="},
		{[]string{"--addr", ":8081"}, "http://localhost:8081/welcome?token="},
		{[]string{"--addr", "[::1]:8082"}, "http://[::1]:8082/welcome?token="},
		{[]string{"--addr", ":8081", "--helpdesk-url", "https://help.example.com/"}, "https://help.example.com/welcome?token="},
	} {
		t.Setenv("FRONTDESK_DATA", t.TempDir())
		out := mustRun(t, append([]string{"owner", "create", "--email", "o@example.com", "--name", "O Wner"}, c.args...)...)
		if !strings.Contains(out, "\n  "+c.want) {
			t.Errorf("%v: want a link starting %s in %q", c.args, c.want, out)
		}
	}
	for addr, want := range map[string]string{"0.0.0.0:80": "http://localhost:80", "[::]:8080": "http://localhost:8080", "desk.internal:8080": "http://desk.internal:8080"} {
		if got := urlOf(addr); got != want {
			t.Errorf("urlOf(%q) = %q, want %q", addr, got, want)
		}
	}
}

// Issue 7 item 13: with --metrics-addr, /metrics is served there (asking for the metrics
// token when one is set) and no longer on --addr.
func TestServeMetricsOnItsOwnAddress_Issue7_13(t *testing.T) {
	t.Setenv("FRONTDESK_DATA", t.TempDir())
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--metrics-addr", "127.0.0.1:0", "--metrics-token", "m-token-1"}, out, io.Discard)
	}()
	listens := regexp.MustCompile(`listens on (http://[0-9.:]+)`)
	metrics := regexp.MustCompile(`Metrics on (http://[0-9.:]+/metrics)`)
	deadline := time.Now().Add(10 * time.Second)
	for !listens.MatchString(out.String()) || !metrics.MatchString(out.String()) {
		if time.Now().After(deadline) {
			t.Fatalf("serve printed no addresses: %q", out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	status := func(url, token string) int {
		req, _ := http.NewRequest("GET", url, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	main, m := listens.FindStringSubmatch(out.String())[1], metrics.FindStringSubmatch(out.String())[1]
	if got := status(main+"/metrics", "m-token-1"); got != http.StatusNotFound {
		t.Errorf("/metrics on the main address: %d", got)
	}
	if got := status(m, ""); got != http.StatusUnauthorized {
		t.Errorf("/metrics without the token: %d", got)
	}
	if got := status(m, "m-token-1"); got != http.StatusOK {
		t.Errorf("/metrics with the token: %d", got)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve stopped with %v", err)
	}
}
