package web

import (
	"net/url"
	"strings"
	"testing"
)

// safeNext sends only to an absolute path of this site, however the value is written: an
// open redirect after login hands a phishing page the trust of the login page.
func TestSafeNext_Issue7_12(t *testing.T) {
	for next, want := range map[string]string{
		"":                         "/",
		"/console/approvals":       "/console/approvals",
		"/console/people/7?done=1": "/console/people/7?done=1",
		"/a/../console/":           "/console/",
		"/\t/evil.example":         "/",
		"/\n/evil.example":         "/",
		"/\r/evil.example":         "/",
		"//evil.example":           "/",
		"///evil.example":          "/evil.example",
		"/\\evil.example":          "/",
		"\\\\evil.example":         "/",
		"https://evil.example/":    "/",
		"HTTPS://evil.example":     "/",
		"javascript:alert(1)":      "/",
		"evil.example":             "/",
		"/..//evil.example":        "/evil.example",
		"/./\t/evil.example":       "/",
		"/%2F/evil.example":        "/evil.example",
		"/%2f%2fevil.example":      "/evil.example",
		"//user@evil.example/":     "/",
		"/\x00/evil.example":       "/",
		"/\u00a0/x":                "/%C2%A0/x",
	} {
		got := safeNext(next)
		if got != want {
			t.Errorf("safeNext(%q) = %q, want %q", next, got, want)
		}
		u, err := url.Parse(got)
		if err != nil || u.Scheme != "" || u.Host != "" || !strings.HasPrefix(got, "/") || strings.HasPrefix(got, "//") {
			t.Errorf("safeNext(%q) = %q leaves this site", next, got)
		}
	}
}
