package frontdesk

import (
	"strings"
	"unicode"
)

// SplitFullName splits a single full name into first and last name (P3): the last word is the
// last name and the rest is the first name, except for "Last, First" where the comma decides.
// A single word is a first name. Surrounding and repeated spaces are dropped.
func SplitFullName(full string) (first, last string) {
	full = collapseSpace(full)
	if full == "" {
		return "", ""
	}
	if before, after, ok := strings.Cut(full, ","); ok {
		last, first = collapseSpace(before), collapseSpace(after)
		if first == "" || last == "" {
			return first + last, ""
		}
		return first, last
	}
	i := strings.LastIndexByte(full, ' ')
	if i < 0 {
		return full, ""
	}
	return full[:i], full[i+1:]
}

// FullName joins first, middle and last name with single spaces, skipping empty parts.
func FullName(first, middle, last string) string {
	parts := make([]string, 0, 3)
	for _, p := range []string{first, middle, last} {
		if p = collapseSpace(p); p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, " ")
}

// collapseSpace trims s and turns every run of white space (and control characters, which
// have no place in a name) into one space.
func collapseSpace(s string) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}
