package inbound

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset" // the charsets mail comes in (x/text encodings)
	gomail "github.com/emersion/go-message/mail"

	"frontdesk"
)

// Parsed is what processing reads from a message: who sent it, about what, the text (a
// safe plain version: a sender's HTML is never kept to be rendered), the files, and the
// Message-IDs it names for threading. problems are what is wrong with it that holds it for
// staff; a message staff released is processed despite them, as well as it can be.
type Parsed struct {
	Header      gomail.Header
	From        string // the normalized address
	FromName    string
	Subject     string
	MessageID   string
	InReplyTo   []string
	References  []string
	Text        string
	Attachments []*frontdesk.Attachment
	problems    []string
}

// Problem is why a message cannot be processed as it is: the first of its problems.
func (p *Parsed) Problem() string {
	if len(p.problems) == 0 {
		return ""
	}
	return strings.Join(p.problems, "; ")
}

func (p *Parsed) problem(format string, args ...any) {
	p.problems = append(p.problems, fmt.Sprintf(format, args...))
}

// maxParts bounds the parts one message may have: a bomb of nested multiparts is held,
// not walked forever.
const maxParts = 500

// headerSection returns the header bytes of raw.
func headerSection(raw []byte) []byte {
	for _, sep := range []string{"\r\n\r\n", "\n\n"} {
		if i := bytes.Index(raw, []byte(sep)); i >= 0 {
			return raw[:i]
		}
	}
	return raw
}

// ParseHeader reads only the header, as classifying a message (bounce, auto-reply) needs.
func ParseHeader(raw []byte) (gomail.Header, error) {
	e, err := message.Read(bytes.NewReader(headerSection(raw)))
	if e == nil {
		return gomail.Header{}, err
	}
	return gomail.Header{Header: e.Header}, nil
}

// Parse reads a whole message. maxAttachment bounds each file; a larger one is a problem
// and, when lenient (staff released the message), is dropped with a note in the text.
func Parse(raw []byte, maxAttachment int64, lenient bool) *Parsed {
	p := &Parsed{}
	if !utf8.Valid(headerSection(raw)) {
		p.problem("the header holds 8-bit bytes that are not UTF-8")
		if lenient {
			raw = append(bytes.ToValidUTF8(headerSection(raw), []byte("\uFFFD")), raw[len(headerSection(raw)):]...)
		}
	}
	e, err := message.Read(bytes.NewReader(raw))
	if e == nil {
		p.problem("the message cannot be read: %v", err)
		return p
	}
	if err != nil {
		p.noteDecodeError("the message", err)
	}
	p.Header = gomail.Header{Header: e.Header}
	p.readHeader()
	var plain, html []string
	parts := 0
	var walk func(e *message.Entity, depth int)
	walk = func(e *message.Entity, depth int) {
		parts++
		if parts > maxParts || depth > 20 {
			if parts == maxParts+1 || depth == 21 {
				p.problem("the message has more than %d parts or is nested more than 20 deep", maxParts)
			}
			return
		}
		if mr := e.MultipartReader(); mr != nil {
			for {
				part, err := mr.NextPart()
				if errors.Is(err, io.EOF) {
					return
				}
				if part == nil {
					p.problem("the MIME structure is broken: %v", err)
					return
				}
				if err != nil {
					p.noteDecodeError("a part", err)
				}
				walk(part, depth+1)
			}
		}
		p.readPart(e, &plain, &html, maxAttachment, lenient)
	}
	walk(e, 0)
	switch {
	case len(plain) > 0:
		p.Text = strings.Join(plain, "\n\n")
	case len(html) > 0:
		p.Text = strings.Join(html, "\n\n")
	}
	p.Text = cleanBody(p.Text)
	return p
}

func (p *Parsed) noteDecodeError(what string, err error) {
	switch {
	case message.IsUnknownCharset(err):
		p.problem("%s is in a charset Frontdesk does not know (%v)", what, errors.Unwrap(err))
	case message.IsUnknownEncoding(err):
		p.problem("%s has a transfer encoding Frontdesk does not know (%v)", what, errors.Unwrap(err))
	default:
		p.problem("%s cannot be read: %v", what, err)
	}
}

func (p *Parsed) readHeader() {
	h := p.Header
	switch from, err := h.AddressList("From"); {
	case h.Get("From") == "":
		p.problem("the message has no From header")
	case err != nil || len(from) == 0:
		// Some senders write a bare address with stray text: take the address if one is there.
		if a := looseAddress(h.Get("From")); a != "" {
			p.From = a
		} else if err != nil {
			p.problem("the From header cannot be read (%v): %q", err, clip(h.Get("From"), 120))
		} else {
			p.problem("the From header names no address: %q", clip(h.Get("From"), 120))
		}
	default:
		n, err := frontdesk.NormalizeEmail(from[0].Address)
		if err != nil {
			p.problem("the From address %q is not an address: %v", clip(from[0].Address, 120), err)
		} else {
			p.From, p.FromName = n, strings.TrimSpace(from[0].Name)
		}
	}
	if s, err := h.Subject(); err == nil {
		p.Subject = s
	} else {
		p.Subject = h.Get("Subject")
	}
	p.Subject = strings.Join(strings.Fields(strings.ToValidUTF8(p.Subject, "\uFFFD")), " ")
	p.MessageID = strings.TrimSpace(h.Get("Message-Id"))
	p.InReplyTo = msgIDs(h.Get("In-Reply-To"))
	p.References = msgIDs(h.Get("References"))
}

// looseAddress finds one address in a From header that does not parse.
func looseAddress(v string) string {
	for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == '<' || r == '>' || unicode.IsSpace(r) || r == '"' }) {
		if strings.Count(f, "@") == 1 {
			if n, err := frontdesk.NormalizeEmail(f); err == nil {
				return n
			}
		}
	}
	return ""
}

// msgIDs returns the <...> Message-IDs of a header, brackets kept.
func msgIDs(v string) []string {
	var out []string
	for {
		i := strings.IndexByte(v, '<')
		if i < 0 {
			return out
		}
		j := strings.IndexByte(v[i:], '>')
		if j < 0 {
			return out
		}
		out = append(out, v[i:i+j+1])
		v = v[i+j+1:]
	}
}

// readPart takes one leaf part: text of the body, or a file.
func (p *Parsed) readPart(e *message.Entity, plain, html *[]string, maxAttachment int64, lenient bool) {
	typ, params, _ := e.Header.ContentType()
	if typ == "" {
		typ = "text/plain"
	}
	disp, dparams, _ := e.Header.ContentDisposition()
	isBody := disp != "attachment" && (typ == "text/plain" || typ == "text/html") && dparams["filename"] == "" && params["name"] == ""
	limit := maxAttachment
	if isBody {
		limit = frontdesk.MaxMessageBodyLen * 8 // decoded text; cut to the thread's limit later
	}
	body, err := io.ReadAll(io.LimitReader(e.Body, limit+1))
	if err != nil {
		p.noteDecodeError("a "+typ+" part", err)
		if !lenient {
			return
		}
	}
	if isBody {
		text := strings.ToValidUTF8(string(body), "\uFFFD")
		if typ == "text/html" {
			*html = append(*html, htmlToText(text))
		} else {
			*plain = append(*plain, text)
		}
		return
	}
	name := attachmentName(e.Header, dparams, params, typ, len(p.Attachments))
	if int64(len(body)) > maxAttachment {
		p.problem("attachment %s is %s, over the %d MB limit", name, frontdesk.FormatSize(int64(len(body))), maxAttachment>>20)
		if lenient {
			*plain = append(*plain, fmt.Sprintf("[The attachment %s was over the %d MB limit and was not kept.]", name, maxAttachment>>20))
		}
		return
	}
	p.Attachments = append(p.Attachments, &frontdesk.Attachment{Filename: name, ContentType: typ, Content: body,
		Inline: disp == "inline", ContentID: strings.Trim(e.Header.Get("Content-Id"), "<> ")})
}

// attachmentName is the file's name as its sender gave it, made safe to offer for download:
// no folders, no control characters, not too long.
func attachmentName(h message.Header, dparams, params map[string]string, typ string, index int) string {
	name := dparams["filename"]
	if name == "" {
		name = params["name"]
	}
	if name != "" {
		if dec, err := new(mime.WordDecoder).DecodeHeader(name); err == nil {
			name = dec
		}
	}
	if strings.TrimSpace(name) == "" {
		ext := ".bin"
		if exts, _ := mime.ExtensionsByType(typ); len(exts) > 0 {
			ext = exts[0]
		}
		return fmt.Sprintf("attachment-%d%s", index+1, ext)
	}
	return frontdesk.CleanFilename(name)
}

// cleanBody makes the text a thread can hold: line ends as \n, no control characters but
// tabs, no trailing blank lines, at most MaxMessageBodyLen bytes with a note when cut.
func cleanBody(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' || !unicode.IsControl(r) {
			return r
		}
		return -1
	}, s)
	s = strings.TrimSpace(s)
	const note = "\n\n[The message was cut here: it is longer than a ticket message may be.]"
	if len(s) > frontdesk.MaxMessageBodyLen {
		s = strings.ToValidUTF8(s[:frontdesk.MaxMessageBodyLen-len(note)], "") + note
	}
	return s
}

func clip(s string, n int) string {
	if len(s) > n {
		return strings.ToValidUTF8(s[:n], "") + "…"
	}
	return s
}
