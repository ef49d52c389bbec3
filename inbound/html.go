package inbound

import (
	"strings"

	"golang.org/x/net/html"
)

// htmlToText is the text of an HTML-only message: what a reader sees, with paragraphs and
// line breaks kept, links written out, and nothing of scripts, styles or markup. The
// sender's HTML itself is never kept to be shown.
func htmlToText(src string) string {
	z := html.NewTokenizer(strings.NewReader(src))
	var b strings.Builder
	skip := 0 // inside script, style, head, title
	newline := func(n int) {
		s := b.String()
		have := len(s) - len(strings.TrimRight(s, "\n"))
		if len(s) == 0 {
			return
		}
		for ; have < n; have++ {
			b.WriteByte('\n')
		}
	}
	var href []string
	for {
		switch z.Next() {
		case html.ErrorToken:
			return collapseBlank(b.String())
		case html.TextToken:
			if skip > 0 {
				continue
			}
			raw := z.Text()
			text := strings.Join(strings.Fields(string(raw)), " ")
			s := b.String()
			spaced := len(s) == 0 || strings.HasSuffix(s, "\n") || strings.HasSuffix(s, " ")
			if text == "" {
				if !spaced {
					b.WriteByte(' ')
				}
				continue
			}
			if !spaced && isSpace(raw[0]) {
				b.WriteByte(' ')
			}
			b.WriteString(text)
			if isSpace(raw[len(raw)-1]) {
				b.WriteByte(' ')
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			tag := string(name)
			switch tag {
			case "script", "style", "head", "title", "template", "noscript":
				skip++
			case "br":
				b.WriteByte('\n')
			case "p", "div", "table", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "ul", "ol", "pre", "hr":
				newline(2)
				if tag == "blockquote" {
					b.WriteString("> ")
				}
			case "li":
				newline(1)
				b.WriteString("- ")
			case "td", "th":
				b.WriteByte(' ')
			case "a":
				link := ""
				for hasAttr {
					var k, v []byte
					k, v, hasAttr = z.TagAttr()
					if string(k) == "href" {
						link = string(v)
					}
				}
				href = append(href, link)
			case "img":
				alt := ""
				for hasAttr {
					var k, v []byte
					k, v, hasAttr = z.TagAttr()
					if string(k) == "alt" {
						alt = string(v)
					}
				}
				if alt != "" {
					b.WriteString("[" + alt + "]")
				}
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			switch tag := string(name); tag {
			case "script", "style", "head", "title", "template", "noscript":
				if skip > 0 {
					skip--
				}
			case "p", "div", "table", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "ul", "ol", "pre":
				newline(2)
			case "a":
				if n := len(href); n > 0 {
					link := href[n-1]
					href = href[:n-1]
					if (strings.HasPrefix(link, "http://") || strings.HasPrefix(link, "https://")) && !strings.Contains(b.String()[max(0, b.Len()-len(link)):], link) {
						b.WriteString(" (" + link + ")")
					}
				}
			}
		}
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\t' || c == '\r' }

// collapseBlank trims every line and keeps at most one blank line between paragraphs.
func collapseBlank(s string) string {
	lines := strings.Split(s, "\n")
	out := make([]string, 0, len(lines))
	blank := 0
	for _, l := range lines {
		l = strings.TrimSpace(l)
		if l == "" {
			blank++
			if blank > 1 {
				continue
			}
		} else {
			blank = 0
		}
		out = append(out, l)
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}
