package frontdesk

import (
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/nyaruka/phonenumbers"
)

// NormalizeEmail returns the form of an address under which it is unique (P5): surrounding
// space removed and lower-cased. It refuses anything that is not one bare address.
func NormalizeEmail(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return "", fmt.Errorf("is empty")
	}
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
	if err != nil || !phonenumbers.IsPossibleNumber(n) {
		return "", fmt.Errorf("%q is not a phone number we can read (default region %s)", s, defaultRegion)
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
