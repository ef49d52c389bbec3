package auth

import (
	"net/http"
	"net/netip"
	"strings"
)

// ClientIP finds the address of the client that sent r: the peer's, unless the peer is one
// of the trusted proxies; then X-Forwarded-For is read from the right (each proxy appends the
// address it saw) and the first address not itself a trusted proxy is the client. Entries
// left of it are the client's to write and are not believed. Without trusted proxies the
// header is ignored: anyone can send it. Rate limits key on this, so the pages and the API
// find it the same way.
func ClientIP(r *http.Request, trusted []netip.Prefix) string {
	isTrusted := func(ip netip.Addr) bool {
		for _, p := range trusted {
			if p.Contains(ip) {
				return true
			}
		}
		return false
	}
	ip := peerIP(r)
	if isTrusted(ip) {
		hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
		for i := len(hops) - 1; i >= 0; i-- {
			hop, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
			if err != nil {
				break // a proxy we trust wrote nothing like this; keep the last good hop
			}
			ip = hop.Unmap()
			if !isTrusted(ip) {
				break
			}
		}
	}
	if !ip.IsValid() {
		// A peer that is no IP address (a test, a socket) by its own name.
		return r.RemoteAddr
	}
	return ip.String()
}

func peerIP(r *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		a, _ := netip.ParseAddr(r.RemoteAddr)
		return a.Unmap()
	}
	return ap.Addr().Unmap()
}
