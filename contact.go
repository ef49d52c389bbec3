package frontdesk

import (
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // IANA zones inside the binary, so validation does not depend on the host
	"unicode"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
	"golang.org/x/net/idna"
	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// Address and domain limits of RFC 5321, counted in bytes of the ASCII form of the domain.
const (
	maxEmailLen  = 254
	maxLocalLen  = 64
	maxDomainLen = 253
)

// SameAddress reports whether a and b are one address once normalized (letter case of the
// domain, spaces); two addresses that are not addresses are never the same.
func SameAddress(a, b string) bool {
	na, err1 := NormalizeEmail(a)
	nb, err2 := NormalizeEmail(b)
	return err1 == nil && err2 == nil && na == nb
}

// NormalizeEmail returns the form of an address under which it is unique (P5, C14): two
// ways of writing one mailbox give one string, which the store keeps under a unique key.
// Surrounding spaces are dropped (spaces only: a tab, CR, LF or any other control character
// anywhere is an error). The local part is put in Unicode normal form NFKC and case folded,
// so that fullwidth letters, decomposed accents and case make no second mailbox; the domain
// is mapped by IDNA (UTS 46, the lookup profile) and kept in its Unicode form, so that
// "xn--bcher-kva.de", "BÜCHER.de" and "bücher.de" are one domain. Anything that is not one
// bare address is refused, as are invisible characters, a part that mixes scripts (a
// Cyrillic letter among Latin ones), a numeric top-level domain and a bare IP address.
func NormalizeEmail(s string) (string, error) {
	s = strings.Trim(s, " ")
	if s == "" {
		return "", fmt.Errorf("is empty")
	}
	if len(s) > 4*maxEmailLen {
		// Bounds the work below; the limit proper is checked on the normal form.
		return "", fmt.Errorf("is longer than %d characters", maxEmailLen)
	}
	if err := addressChars(s); err != nil {
		return "", err
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return "", fmt.Errorf("%q is not a valid email address", s)
	}
	at := strings.LastIndexByte(s, '@')
	local, domain := s[:at], s[at+1:]
	if local, err = normalizeLocalPart(s, local); err != nil {
		return "", err
	}
	ascii, domain, err := normalizeDomainName(domain)
	if err != nil {
		return "", fmt.Errorf("%q: %v", s, err)
	}
	out := local + "@" + domain
	if local == "" || len(local) > maxLocalLen {
		return "", fmt.Errorf("%q is not a valid email address: the part before @ is longer than %d bytes", s, maxLocalLen)
	}
	if len(local)+1+len(ascii) > maxEmailLen {
		return "", fmt.Errorf("is longer than %d characters", maxEmailLen)
	}
	// The normal form must still be one bare address: NFKC turns "⑴" into "(1)".
	if a, err := mail.ParseAddress(out); err != nil || a.Address != out || a.Name != "" {
		return "", fmt.Errorf("%q is not a valid email address once normalized (%q)", s, out)
	}
	return out, nil
}

// addressChars refuses what has no place anywhere in an address: invalid UTF-8, control
// characters (tabs and line breaks included), and invisible or space characters, which
// would make an address look like another.
func addressChars(s string) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("is not valid UTF-8")
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return fmt.Errorf("%q holds the control character %U; an address is one line with no tabs or line breaks", s, r)
		}
		if unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) {
			return fmt.Errorf("%q holds an invisible or space character (%U)", s, r)
		}
	}
	return nil
}

// normalizeLocalPart returns the local part of address in NFKC with its case folded, or an
// error when what comes out could be mistaken for another local part.
func normalizeLocalPart(address, local string) (string, error) {
	// NFKC after case folding may enable further folding; three rounds reach the fixed
	// point for every string known, and a string that does not is refused.
	out := local
	stable := false
	for range 3 {
		next := norm.NFKC.String(cases.Fold().String(norm.NFKC.String(out)))
		if next == out {
			stable = true
			break
		}
		out = next
	}
	if !stable {
		return "", fmt.Errorf("%q has a local part that has no stable normal form", address)
	}
	prev := rune(-1)
	for _, r := range out {
		// A mark on an ASCII letter with no precomposed form ("i" and U+0307, from the
		// folded "\u0130") shows as the bare letter, so it would be a look-alike.
		if unicode.Is(unicode.Mn, r) && prev >= 0 && prev < utf8.RuneSelf && unicode.IsLetter(prev) {
			return "", fmt.Errorf("%q holds %q followed by the combining mark %U, which looks like a plain %q", address, prev, r, prev)
		}
		prev = r
	}
	for _, part := range strings.Split(out, ".") {
		if a, b, mixed := mixedScripts(part); mixed {
			return "", fmt.Errorf("%q mixes %s and %s letters in %q, so it may only look like another address", address, a, b, part)
		}
	}
	return out, nil
}

// normalizeDomainName maps a domain by IDNA (UTS 46, lookup profile) and returns its ASCII
// and its Unicode form, or an error when it is no host name on the public internet.
func normalizeDomainName(d string) (ascii, unicodeForm string, err error) {
	ascii, err = idna.Lookup.ToASCII(d)
	if err != nil || !validDomain(ascii) {
		return "", "", fmt.Errorf("%q is not a valid domain name", d)
	}
	labels := strings.Split(ascii, ".")
	if strings.Trim(labels[len(labels)-1], "0123456789") == "" {
		return "", "", fmt.Errorf("%q ends in a number: no top-level domain is numeric, and IP addresses are not taken", d)
	}
	unicodeForm, err = idna.Lookup.ToUnicode(ascii)
	if err != nil {
		return "", "", fmt.Errorf("%q is not a valid domain name", d)
	}
	for _, label := range strings.Split(unicodeForm, ".") {
		if a, b, mixed := mixedScripts(label); mixed {
			return "", "", fmt.Errorf("the domain mixes %s and %s letters in %q, so it may only look like another domain", a, b, label)
		}
	}
	return ascii, unicodeForm, nil
}

// EmailDomain returns the domain part of a normalized address.
func EmailDomain(address string) string {
	_, d, _ := strings.Cut(address, "@")
	return d
}

// NormalizeDomain returns a domain name in the form NormalizeEmail gives the domain of an
// address (IDNA, Unicode form), so that organization domains match addresses; an error when
// it is not one. A final dot is dropped.
func NormalizeDomain(s string) (string, error) {
	s = strings.TrimSuffix(strings.Trim(s, " "), ".")
	if len(s) > 4*maxDomainLen {
		return "", fmt.Errorf("is longer than %d characters", maxDomainLen)
	}
	if err := addressChars(s); err != nil {
		return "", err
	}
	_, d, err := normalizeDomainName(s)
	return d, err
}

// validDomain reports whether d, in ASCII form, is a host name of at least two labels.
func validDomain(d string) bool {
	if len(d) == 0 || len(d) > maxDomainLen || !strings.Contains(d, ".") {
		return false
	}
	for _, label := range strings.Split(d, ".") {
		if len(label) == 0 || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}

// scriptNames lists the Unicode scripts a letter may belong to, Latin first since most
// letters of addresses are; Common and Inherited (digits, punctuation, marks) belong to none.
var scriptNames = func() []string {
	names := []string{"Latin"}
	for name := range unicode.Scripts {
		if name != "Latin" && name != "Common" && name != "Inherited" {
			names = append(names, name)
		}
	}
	slices.Sort(names[1:])
	return names
}()

// scriptSets are the mixes of scripts that are ordinary writing rather than look-alikes
// (the "highly restrictive" level of Unicode TS 39): Japanese, Chinese and Korean mix Han
// with their own scripts and with Latin.
var scriptSets = [][]string{
	{"Latin", "Han", "Hiragana", "Katakana"},
	{"Latin", "Han", "Bopomofo"},
	{"Latin", "Han", "Hangul"},
}

// mixedScripts reports whether the letters of s come from scripts that do not belong
// together, and names two of them.
func mixedScripts(s string) (a, b string, mixed bool) {
	var seen []string
	for _, r := range s {
		if !unicode.IsLetter(r) {
			continue
		}
		sc := scriptOf(r)
		if sc != "" && !slices.Contains(seen, sc) {
			seen = append(seen, sc)
		}
	}
	if len(seen) < 2 {
		return "", "", false
	}
	for _, set := range scriptSets {
		if !slices.ContainsFunc(seen, func(sc string) bool { return !slices.Contains(set, sc) }) {
			return "", "", false
		}
	}
	return seen[0], seen[1], true
}

func scriptOf(r rune) string {
	if r < utf8.RuneSelf {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			return "Latin"
		}
		return ""
	}
	for _, name := range scriptNames {
		if unicode.Is(unicode.Scripts[name], r) {
			return name
		}
	}
	return ""
}

// NormalizePhone parses a phone number as written by a person and returns it in E.164 form;
// numbers without a country code are read in defaultRegion (an ISO 3166 code, a setting).
func NormalizePhone(s, defaultRegion string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", fmt.Errorf("is empty")
	}
	n, err := phonenumbers.Parse(s, strings.ToUpper(defaultRegion))
	if err != nil || !phonenumbers.IsValidNumber(n) {
		return "", fmt.Errorf("%q is not a valid phone number (numbers without a country code are read in region %s)", s, defaultRegion)
	}
	if n.GetExtension() != "" {
		// E.164 has no extension; dropping it silently would lose what the person wrote.
		return "", fmt.Errorf("%q has an extension, which is not stored: put it in the label", s)
	}
	return phonenumbers.Format(n, phonenumbers.E164), nil
}

// ValidRegion reports whether region is a region the phone library knows.
func ValidRegion(region string) bool {
	return phonenumbers.GetCountryCodeForRegion(strings.ToUpper(region)) != 0
}

// ValidTimezone reports whether tz is an IANA time zone name.
func ValidTimezone(tz string) bool {
	if tz == "" || tz == "Local" {
		return false
	}
	_, err := time.LoadLocation(tz)
	return err == nil
}
