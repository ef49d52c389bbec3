package auth

import (
	"crypto/rand"
	"math/big"
	"strings"
)

// CodeDigits is the length of a login code: short enough to type from a phone, and safe
// because a code lives minutes and dies after a few wrong guesses.
const CodeDigits = 6

// NewCode returns a random numeric login code of CodeDigits digits, leading zeros kept.
func NewCode() string {
	limit := big.NewInt(1)
	for range CodeDigits {
		limit.Mul(limit, big.NewInt(10))
	}
	n, err := rand.Int(rand.Reader, limit)
	if err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	s := n.String()
	return strings.Repeat("0", CodeDigits-len(s)) + s
}

// CleanCode returns a typed code without the spaces and dashes people add when copying
// it, or "" when what remains is not CodeDigits digits.
func CleanCode(typed string) string {
	var b strings.Builder
	for _, r := range typed {
		switch {
		case r == ' ' || r == '-':
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			return ""
		}
	}
	if b.Len() != CodeDigits {
		return ""
	}
	return b.String()
}
