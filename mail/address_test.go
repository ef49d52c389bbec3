package mail

import (
	"fmt"
	"strings"
	"testing"
)

var testKey = []byte("0123456789abcdef0123456789abcdef")

// T2, X3: a signed tag round-trips whatever the letter case, and every forged or tampered
// tag is refused: another id under the same signature, a changed signature, the other
// kind's tag, another key, no tag at all.
func TestSignedAddresses_T2_X3(t *testing.T) {
	reply := ReplyAddress(testKey, "Help Désk <Support@example.com>", 42)
	if !strings.HasPrefix(reply, "Support+t42-") || !strings.HasSuffix(reply, "@example.com") || len(reply) > 64+12 {
		t.Fatalf("reply address %q", reply)
	}
	bounce := BounceAddress(testKey, "support@example.com", 7)
	if !strings.HasPrefix(bounce, "support+b7-") {
		t.Fatalf("bounce address %q", bounce)
	}
	for _, a := range []string{reply, strings.ToLower(reply), strings.ToUpper(reply), "<" + reply + ">", `"Zoë" <` + reply + ">"} {
		if id, ok := ParseReplyAddress(testKey, a); !ok || id != 42 {
			t.Errorf("ParseReplyAddress(%q) = %d, %v; want 42", a, id, ok)
		}
	}
	if id, ok := ParseBounceAddress(testKey, strings.ToUpper(bounce)); !ok || id != 7 {
		t.Errorf("ParseBounceAddress(%q) = %d, %v; want 7", bounce, id, ok)
	}
	sig := reply[strings.IndexByte(reply, '-')+1 : strings.IndexByte(reply, '@')]
	flip := func(s string) string {
		c := "a"
		if s[0] == 'a' {
			c = "b"
		}
		return c + s[1:]
	}
	forged := map[string]string{
		"another ticket, same signature": "support+t43-" + sig + "@example.com",
		"leading zero":                   "support+t042-" + sig + "@example.com",
		"signature changed":              "support+t42-" + flip(sig) + "@example.com",
		"signature cut":                  "support+t42-" + sig[:sigLen-1] + "@example.com",
		"signature longer":               "support+t42-" + sig + "a@example.com",
		"bounce tag as reply":            strings.Replace(bounce, "+b7", "+t7", 1),
		"no signature":                   "support+t42@example.com",
		"no tag":                         "support@example.com",
		"negative":                       "support+t-42-" + sig + "@example.com",
		"no address":                     "support+t42-" + sig,
		"empty":                          "",
	}
	for name, a := range forged {
		if id, ok := ParseReplyAddress(testKey, a); ok {
			t.Errorf("%s: ParseReplyAddress(%q) = %d, true", name, a, id)
		}
	}
	if _, ok := ParseReplyAddress([]byte("another key, another helpdesk...."), reply); ok {
		t.Error("a reply address signed with another key was taken")
	}
	if _, ok := ParseBounceAddress(testKey, reply); ok {
		t.Error("a reply address was taken as a bounce address")
	}
	if _, ok := ParseReplyAddress(nil, reply); ok {
		t.Error("no key took a signed address")
	}
	if got := ReplyAddress(nil, "support@example.com", 42); got != "support@example.com" {
		t.Errorf("no key: %q, want the base address", got)
	}
}

// FuzzParseReplyAddress: no input panics, and what is accepted was signed.
func FuzzParseReplyAddress(f *testing.F) {
	f.Add(ReplyAddress(testKey, "support@example.com", 42))
	f.Add("support+t1-aaaaaaaaaa@x")
	f.Add("<\"a+b\"@x>")
	f.Fuzz(func(t *testing.T, a string) {
		id, ok := ParseReplyAddress(testKey, a)
		if ok && !strings.Contains(strings.ToLower(a), fmt.Sprintf("+t%d-%s@", id, tagSignature(testKey, tagTicket, id))) {
			t.Fatalf("%q accepted as %d", a, id)
		}
		ParseBounceAddress(testKey, a)
	})
}
