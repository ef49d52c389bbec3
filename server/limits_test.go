package server_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"frontdesk/server"
	"frontdesk/store/storetest"
)

// postFrom posts a form through a proxy that says it forwards for client.
func (c *client) postFrom(client, path string, form url.Values) page {
	c.t.Helper()
	req, _ := http.NewRequest("POST", c.a.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", c.a.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("X-Forwarded-For", client)
	return c.do(req)
}

// Issue 7 items 10 and 11, L3: behind a trusted proxy each client has its own limits: a
// stranger guessing the owner's password is refused with 429 and Retry-After, and the owner,
// from another address, logs in with the right password. Without the setting the header is
// ignored, so a stranger cannot escape the limit by inventing addresses.
func TestProxiedClientsHaveTheirOwnLimits_Issue7_10_11(t *testing.T) {
	a := newAppWith(t, storetest.Engines()[len(storetest.Engines())-1], func(cfg *server.Config) {
		cfg.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	})
	a.mustOwner(t, "owner@example.com", "owner-password-1")
	c := a.client(t)
	guess := url.Values{"email": {"owner@example.com"}, "password": {"guess-password"}}
	for i := range 5 {
		if r := c.postFrom("198.51.100.1", "/login", guess); r.Status != http.StatusUnauthorized {
			t.Fatalf("guess %d: %d", i, r.Status)
		}
	}
	r := c.postFrom("198.51.100.1", "/login", url.Values{"email": {"owner@example.com"}, "password": {"owner-password-1"}})
	if r.Status != http.StatusTooManyRequests {
		t.Fatalf("the guessing client is not stopped: %d", r.Status)
	}
	if n, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || n < 1 || n > 60 {
		t.Fatalf("429 page without a Retry-After in seconds: %q", r.Header.Get("Retry-After"))
	}
	if r := a.client(t).postFrom("203.0.113.7", "/login", url.Values{"email": {"owner@example.com"}, "password": {"owner-password-1"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("the owner is locked out: %d", r.Status)
	}

	plain := newApp(t, storetest.Engines()[0])
	plain.mustOwner(t, "owner@example.com", "owner-password-1")
	c = plain.client(t)
	for i := range 6 {
		r := c.postFrom(fmt.Sprintf("198.51.100.%d", i+1), "/login", guess)
		if i == 5 && r.Status != http.StatusTooManyRequests {
			t.Fatalf("an invented X-Forwarded-For escapes the limit: %d", r.Status)
		}
	}
}

// Issue 7 item 10: the pages' 429 carries Retry-After (here: the forgotten-password page).
func TestForgotPageSendsRetryAfter_Issue7_10(t *testing.T) {
	a := newApp(t, storetest.Engines()[0])
	var last page
	for range 4 {
		last = a.client(t).post("/forgot", url.Values{"email": {"someone@example.com"}})
	}
	if n, err := strconv.Atoi(last.Header.Get("Retry-After")); last.Status != http.StatusTooManyRequests || err != nil || n < 1 {
		t.Fatalf("4th request: %d, Retry-After %q", last.Status, last.Header.Get("Retry-After"))
	}
}

// Issue 7 item 13: /metrics asks for the metrics token when one is set; with a listener of its
// own, the main address has no /metrics and the metrics listener serves nothing else.
func TestMetricsTokenAndListener_Issue7_13(t *testing.T) {
	get := func(t *testing.T, url, token string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", url, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	a := newAppWith(t, storetest.Engines()[0], func(cfg *server.Config) { cfg.MetricsToken = "metrics-secret-1" })
	if code, _ := get(t, a.URL+"/metrics", ""); code != http.StatusUnauthorized {
		t.Fatalf("/metrics without the token: %d", code)
	}
	if code, _ := get(t, a.URL+"/metrics", "wrong-secret"); code != http.StatusUnauthorized {
		t.Fatalf("/metrics with a wrong token: %d", code)
	}
	if code, body := get(t, a.URL+"/metrics", "metrics-secret-1"); code != http.StatusOK || !strings.Contains(body, "frontdesk_http_requests_total") {
		t.Fatalf("/metrics with the token: %d", code)
	}

	b := newAppWith(t, storetest.Engines()[0], func(cfg *server.Config) { cfg.SeparateMetrics = true })
	if code, _ := get(t, b.URL+"/metrics", ""); code != http.StatusNotFound {
		t.Fatalf("/metrics on the main address: %d", code)
	}
	m := httptest.NewServer(b.MetricsHandler())
	defer m.Close()
	if code, body := get(t, m.URL+"/metrics", ""); code != http.StatusOK || !strings.Contains(body, "go_goroutines") {
		t.Fatalf("/metrics on its own listener: %d", code)
	}
	if code, _ := get(t, m.URL+"/healthz", ""); code != http.StatusNotFound {
		t.Fatalf("the metrics listener serves more than /metrics: %d", code)
	}
}
