package web

import (
	"net/http/httptest"
	"strings"
	"testing"
)

// Issue 7 item 10: X-Forwarded-For is believed only from a trusted proxy, read from the right
// up to the first address that is not a trusted proxy; without trusted proxies it is ignored.
func TestClientIPBehindTrustedProxies_Issue7_10(t *testing.T) {
	trusted, err := ParseTrustedProxies("10.0.0.0/8, 192.0.2.10, fd00::/8")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name    string
		trusted bool
		peer    string
		xff     []string
		want    string
	}{
		{"no proxies set: the header is ignored", false, "10.1.2.3:5000", []string{"203.0.113.9"}, "10.1.2.3"},
		{"spoofed from an untrusted peer", true, "198.51.100.7:5000", []string{"203.0.113.9"}, "198.51.100.7"},
		{"through one trusted proxy", true, "10.1.2.3:5000", []string{"203.0.113.9"}, "203.0.113.9"},
		{"a spoofed entry left of the proxy's", true, "10.1.2.3:5000", []string{"1.1.1.1, 203.0.113.9"}, "203.0.113.9"},
		{"a chain of trusted proxies", true, "10.1.2.3:5000", []string{"203.0.113.9, 192.0.2.10", "10.9.9.9"}, "203.0.113.9"},
		{"IPv6 proxy", true, "[fd00::1]:5000", []string{"2001:db8::5"}, "2001:db8::5"},
		{"garbage the proxy would never write", true, "10.1.2.3:5000", []string{"203.0.113.9, nonsense"}, "10.1.2.3"},
		{"a trusted proxy without the header", true, "10.1.2.3:5000", nil, "10.1.2.3"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := &Server{}
			if c.trusted {
				s.TrustedProxies = trusted
			}
			r := httptest.NewRequest("POST", "/login", nil)
			r.RemoteAddr = c.peer
			for _, v := range c.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := clientIP(s.withClientIP(r)); got != c.want {
				t.Fatalf("client %q, want %q", got, c.want)
			}
		})
	}
	if _, err := ParseTrustedProxies("10.0.0.0/8, 300.1.1.1/8, proxy.local"); err == nil || !strings.Contains(err.Error(), `"proxy.local"`) || !strings.Contains(err.Error(), `"300.1.1.1/8"`) {
		t.Fatalf("bad CIDRs: %v", err)
	}
}
