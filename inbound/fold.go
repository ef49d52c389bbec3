package inbound

import (
	"regexp"
	"strings"
)

// Quoted history and signatures (T2). A reply by mail carries the whole conversation below
// it; the thread keeps that text but folds it away, so that each entry shows what its
// author wrote this time.

var (
	// "On Mon, 2 Dec 2026 at 10:00, Ann <ann@example.com> wrote:" and its translations;
	// mail clients wrap it over two lines, so the pattern is tried on a line and the next.
	attribution = regexp.MustCompile(`(?i)^(on|am|le|el|il|op|em|den|på)\s.{4,300}(wrote|schrieb|a écrit|escribió|ha scritto|schreef|escreveu|skrev)(\s.{1,200})?\s?:\s*$`)
	// Outlook's header block and separators.
	outlookSeparator = regexp.MustCompile(`^(-{3,}\s*(Original Message|Ursprüngliche Nachricht|Message d'origine|Forwarded message)\s*-{3,}|_{10,})\s*$`)
	outlookFrom      = regexp.MustCompile(`^\*?(From|Von|De|Van)\s?:\*?\s.+`)
	outlookSent      = regexp.MustCompile(`^\*?(Sent|Date|Gesendet|Envoyé|Enviado|Verzonden)\s?:\*?\s.+`)
	mobileSignature  = regexp.MustCompile(`(?i)^(sent from my \w+|get outlook for \w+|sent from (mail|yahoo mail|outlook) for \w+)`)
)

// Fold splits the text of a reply into what its author wrote and what is folded away:
// quoted history and the signature. When nothing would be left above the fold, nothing is
// folded.
func Fold(text string) (reply, folded string) {
	lines := strings.Split(text, "\n")
	cut := -1
	for i, l := range lines {
		t := strings.TrimSpace(l)
		switch {
		case t == "-- " || l == "-- " || l == "--":
			cut = i // RFC 3676's signature delimiter
		case attribution.MatchString(t):
			cut = i
		case i+1 < len(lines) && attribution.MatchString(t+" "+strings.TrimSpace(lines[i+1])) && !strings.HasPrefix(t, ">"):
			cut = i
		case outlookSeparator.MatchString(t):
			cut = i
		case outlookFrom.MatchString(t) && nextMatches(lines, i, outlookSent):
			cut = i
		case mobileSignature.MatchString(t):
			cut = i
		case strings.HasPrefix(t, ">") && quotedToEnd(lines[i:]):
			cut = i
		}
		if cut >= 0 {
			break
		}
	}
	if cut < 0 {
		return text, ""
	}
	reply = strings.TrimRight(strings.Join(lines[:cut], "\n"), " \n\t")
	if strings.TrimSpace(reply) == "" {
		return text, ""
	}
	return reply, strings.Trim(strings.Join(lines[cut:], "\n"), "\n")
}

// nextMatches reports whether one of the few lines after i matches re.
func nextMatches(lines []string, i int, re *regexp.Regexp) bool {
	for j := i + 1; j < len(lines) && j <= i+3; j++ {
		if re.MatchString(strings.TrimSpace(lines[j])) {
			return true
		}
	}
	return false
}

// quotedToEnd reports whether every non-blank line from here on is quoted.
func quotedToEnd(lines []string) bool {
	for _, l := range lines {
		t := strings.TrimSpace(l)
		if t != "" && !strings.HasPrefix(t, ">") {
			return false
		}
	}
	return true
}
