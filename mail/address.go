package mail

// Signed +tag addresses on the sender's address (T2, X3). A reply address names the ticket a
// message is about (support+t42-<sig>@example.com), so an answer threads even when the
// customer's client drops In-Reply-To; a bounce address names the outbox message (VERP:
// support+b7-<sig>@example.com is the envelope sender), so a bounce says which of our
// messages failed even when it carries nothing of the original. The signature is what makes
// either trustworthy: without it anyone could write to support+t1@ and land on ticket 1, or
// send a "bounce" to support+b7@ and suppress a customer.

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	netmail "net/mail"
	"strconv"
	"strings"

	"frontdesk/store"
)

// AddressSecret names the shared key that signs reply and bounce addresses.
const AddressSecret = "mail-addresses"

// AddressKey returns the key that signs reply and bounce addresses, the same on every
// instance of one helpdesk.
func AddressKey(ctx context.Context, db *store.DB) ([]byte, error) {
	return db.Secret(ctx, AddressSecret)
}

// Kinds of tag.
const (
	tagTicket = 't'
	tagBounce = 'b'
)

// sigLen is the length of a signature in base32 characters: 50 bits, too many to guess
// by sending mail, short enough for a local part (at most 64 octets).
const sigLen = 10

var sigEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

func tagSignature(key []byte, kind byte, id int64) string {
	h := hmac.New(sha256.New, key)
	h.Write([]byte{kind, ':'})
	h.Write([]byte(strconv.FormatInt(id, 10)))
	return strings.ToLower(sigEncoding.EncodeToString(h.Sum(nil))[:sigLen])
}

// tagged returns base with the signed tag of kind and id after a +; base unchanged when it
// is no address or there is no key.
func tagged(key []byte, base string, kind byte, id int64) string {
	addr := bareAddress(base)
	at := strings.LastIndexByte(addr, '@')
	if len(key) == 0 || id <= 0 || at <= 0 {
		return addr
	}
	return addr[:at] + "+" + string(kind) + strconv.FormatInt(id, 10) + "-" + tagSignature(key, kind, id) + addr[at:]
}

// parseTagged returns the id of a signed tag of kind on addr, and whether there is one with a
// good signature. Letter case is ignored: some MTAs lower-case local parts.
func parseTagged(key []byte, addr string, kind byte) (int64, bool) {
	if len(key) == 0 {
		return 0, false
	}
	addr = bareAddress(addr)
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 {
		return 0, false
	}
	local := addr[:at]
	plus := strings.LastIndexByte(local, '+')
	if plus < 0 {
		return 0, false
	}
	tag := strings.ToLower(local[plus+1:])
	dash := strings.IndexByte(tag, '-')
	if dash < 2 || tag[0] != kind || len(tag)-dash-1 != sigLen {
		return 0, false
	}
	digits := tag[1:dash]
	// One spelling per id: no sign, no leading zero, so a signature is for exactly one tag.
	if len(digits) > 18 || digits[0] == '0' || strings.Trim(digits, "0123456789") != "" {
		return 0, false
	}
	id, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || id <= 0 {
		return 0, false
	}
	if !hmac.Equal([]byte(tag[dash+1:]), []byte(tagSignature(key, kind, id))) {
		return 0, false
	}
	return id, true
}

// bareAddress returns the address of "Name <addr>", "<addr>" or "addr".
func bareAddress(s string) string {
	s = strings.TrimSpace(s)
	if strings.ContainsAny(s, "<\"") {
		if a, err := netmail.ParseAddress(s); err == nil {
			return a.Address
		}
		s = strings.Trim(s, "<>")
	}
	return s
}

// ReplyAddress returns the signed reply address of a ticket on the sender's address base
// ("Help <support@example.com>" gives support+t42-<sig>@example.com).
func ReplyAddress(key []byte, base string, ticketID int64) string {
	return tagged(key, base, tagTicket, ticketID)
}

// ParseReplyAddress returns the ticket a reply address names, and false when addr is not a
// reply address or its signature is wrong (forged or tampered with).
func ParseReplyAddress(key []byte, addr string) (ticketID int64, ok bool) {
	return parseTagged(key, addr, tagTicket)
}

// BounceAddress returns the signed bounce address (VERP) of an outbox message on the
// sender's address base: the envelope sender it goes out with.
func BounceAddress(key []byte, base string, outboxID int64) string {
	return tagged(key, base, tagBounce, outboxID)
}

// ParseBounceAddress returns the outbox message a bounce address names, and false when addr
// is not a bounce address or its signature is wrong.
func ParseBounceAddress(key []byte, addr string) (outboxID int64, ok bool) {
	return parseTagged(key, addr, tagBounce)
}
