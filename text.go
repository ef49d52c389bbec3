package frontdesk

// Every text field of every input passes through CleanText, so that each has a length limit
// counted on what is stored, and none can carry characters a reader cannot see: control
// characters, bidirectional overrides and zero-width characters make one value look like
// another, or hide text in logs and lists.

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// TextKind says how a text field is normalized before its length is checked, and whether
// it may hold line breaks and tabs.
type TextKind int

const (
	// OneLine fields (names, labels) are trimmed, with runs of white space collapsed to one
	// space; no control character is allowed, tabs and line breaks included.
	OneLine TextKind = iota
	// Trimmed fields (ids) lose surrounding white space only; no control character either.
	Trimmed
	// MultiLine fields (notes, streets, custom text) are kept as given and may hold tabs
	// and line breaks, but no other control character.
	MultiLine
)

// CleanText normalizes one text field as kind says and returns it; when the raw value
// holds a character no text field may hold, or the normalized value is longer than max
// characters, it adds a problem naming field to probs. What it returns then is only for the
// caller to drop.
func CleanText(probs *Problems, field, raw string, max int, kind TextKind) string {
	if msg := textProblem(raw, kind == MultiLine); msg != "" {
		probs.Add(field, "%s", msg)
		return raw
	}
	v := raw
	switch kind {
	case OneLine:
		v = collapseSpace(raw)
	case Trimmed:
		v = strings.TrimSpace(raw)
	}
	if n := utf8.RuneCountInString(v); n > max {
		probs.Add(field, "is longer than %d characters (it has %d)", max, n)
	}
	return v
}

// textProblem says what makes s unfit for any text field, or "" when nothing does: invalid
// UTF-8, a control character (tab, CR and LF are allowed when lines is true), or an
// invisible formatting character such as a bidirectional override or a zero-width space.
func textProblem(s string, lines bool) string {
	if !utf8.ValidString(s) {
		return "is not valid UTF-8"
	}
	for _, r := range s {
		if lines && (r == '\t' || r == '\n' || r == '\r') {
			continue
		}
		if unicode.IsControl(r) {
			if lines {
				return fmt.Sprintf("holds the control character %U; only tabs and line breaks are allowed", r)
			}
			return fmt.Sprintf("holds the control character %U (tabs and line breaks included), which is not allowed here", r)
		}
		if invisible(r) {
			return fmt.Sprintf("holds %U, an invisible formatting character (a bidirectional override, a zero-width character or the like), which is not allowed", r)
		}
	}
	return ""
}

// invisible reports whether r is a formatting character that changes how text around it
// shows without showing itself. The zero-width joiner and non-joiner are kept: Persian, the
// Indic scripts and emoji need them.
func invisible(r rune) bool {
	return unicode.Is(unicode.Cf, r) && r != '\u200c' && r != '\u200d'
}

// checkCount adds a problem when a list holds more than max items.
func checkCount(probs *Problems, field string, n, max int) bool {
	if n > max {
		probs.Add(field, "holds %d items; at most %d are allowed", n, max)
		return false
	}
	return true
}
