package frontdesk

import (
	"fmt"
	"net/mail"
	"strings"
	"time"
	_ "time/tzdata" // IANA zones inside the binary, so validation does not depend on the host
	"unicode"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
)

// NormalizeEmail returns the form of an address under which it is unique (P5): surrounding
// space removed and lower-cased. It refuses anything that is not one bare address.
func NormalizeEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", fmt.Errorf("is empty")
	}
	lower, err := foldAddress(s)
	if err != nil {
		return "", err
	}
	s = lower
	if len(s) > 254 {
		return "", fmt.Errorf("is longer than 254 characters")
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return "", fmt.Errorf("%q is not a valid email address", s)
	}
	local, domain, ok := strings.Cut(s, "@")
	if !ok || local == "" || len(local) > 64 || !validDomain(domain) {
		return "", fmt.Errorf("%q is not a valid email address", s)
	}
	return s, nil
}

// foldAddress lower-cases an address rune by rune, refusing what would make two mailboxes
// one or make an address look like another: invalid UTF-8, invisible or space characters,
// and letters that fold from outside ASCII into ASCII (the Kelvin sign into "k").
func foldAddress(s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", fmt.Errorf("is not valid UTF-8")
	}
	var b strings.Builder
	for _, r := range s {
		if !unicode.IsGraphic(r) || unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) {
			return "", fmt.Errorf("%q holds an invisible or space character (%U)", s, r)
		}
		l := unicode.ToLower(r)
		if r > unicode.MaxASCII && l <= unicode.MaxASCII {
			return "", fmt.Errorf("%q holds %q, which only looks like an ASCII letter", s, r)
		}
		b.WriteRune(l)
	}
	return b.String(), nil
}

// EmailDomain returns the domain part of a normalized address.
func EmailDomain(address string) string {
	_, d, _ := strings.Cut(address, "@")
	return d
}

// NormalizeDomain returns a lower-cased domain name, or an error when it is not one.
func NormalizeDomain(s string) (string, error) {
	s = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(s)), ".")
	if !validDomain(s) {
		return "", fmt.Errorf("%q is not a valid domain name", s)
	}
	return s, nil
}

func validDomain(d string) bool {
	if len(d) == 0 || len(d) > 253 || !strings.Contains(d, ".") {
		return false
	}
	for _, label := range strings.Split(d, ".") {
		if len(label) == 0 || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r > 0x7f) {
				return false
			}
		}
	}
	return true
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
