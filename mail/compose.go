package mail

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	netmail "net/mail"
	"net/textproto"
	"strings"

	"frontdesk"
)

// Compose returns m as an RFC 5322 message: multipart/alternative with the text and HTML
// bodies (text only when there is no HTML), and the headers Date, From, To, Subject (RFC 2047
// encoded when not ASCII), Message-ID, and Reply-To the signed reply address of the ticket m
// is about (T2; key is AddressKey's, none when it is empty). Everything in it comes from the
// stored message, the key, the date and the MIME boundary included, so every delivery of one
// message is the same bytes. Mail is marked automatic (RFC 3834) unless a person wrote it.
func Compose(m *frontdesk.Message, key []byte) []byte {
	var b bytes.Buffer
	header := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	header("Date", m.CreatedAt.Format("Mon, 02 Jan 2006 15:04:05 -0700"))
	from := m.From
	if a, err := netmail.ParseAddress(m.From); err == nil {
		from = a.String()
	}
	header("From", from)
	header("To", (&netmail.Address{Name: m.ToName, Address: m.To}).String())
	if m.TicketID != nil && len(key) > 0 {
		// Answers go to the ticket's own address, so they thread even when the customer's
		// client keeps no In-Reply-To; the display name stays the helpdesk's.
		if a, err := netmail.ParseAddress(m.From); err == nil {
			header("Reply-To", (&netmail.Address{Name: a.Name, Address: ReplyAddress(key, a.Address, *m.TicketID)}).String())
		}
	}
	header("Subject", encodeHeader(m.Subject))
	header("Message-ID", m.MessageID)
	header("MIME-Version", "1.0")
	if Automatic(m.Template) {
		// Automatic mail (RFC 3834): well-behaved responders do not answer it, so no loop
		// starts. Out-of-office and auto-replies are suppressed, delivery reports are not:
		// a bounce is how an address gets on the suppression list (X3).
		header("Auto-Submitted", "auto-generated")
		header("X-Auto-Response-Suppress", "OOF, AutoReply")
	}
	if m.HTML == "" {
		header("Content-Type", "text/plain; charset=utf-8")
		header("Content-Transfer-Encoding", "quoted-printable")
		b.WriteString("\r\n")
		writeQP(&b, m.Text)
		return b.Bytes()
	}
	sum := sha256.Sum256([]byte(m.MessageID))
	boundary := "fd-" + hex.EncodeToString(sum[:12])
	header("Content-Type", mime.FormatMediaType("multipart/alternative", map[string]string{"boundary": boundary}))
	b.WriteString("\r\n")
	mw := multipart.NewWriter(&b)
	mw.SetBoundary(boundary)
	for _, part := range []struct{ typ, body string }{{"text/plain", m.Text}, {"text/html", m.HTML}} {
		w, _ := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {part.typ + "; charset=utf-8"},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		var pb bytes.Buffer
		writeQP(&pb, part.body)
		w.Write(pb.Bytes())
	}
	mw.Close()
	return b.Bytes()
}

// Automatic reports whether mail of a template is sent by Frontdesk on its own, rather than
// written by a person: an agent's reply to a ticket is a person's answer, and may be answered.
func Automatic(template string) bool { return template != TicketReply }

// writeQP writes s quoted-printable with CRLF line ends, so that no line is too long for SMTP
// and no byte is outside ASCII.
func writeQP(b *bytes.Buffer, s string) {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\n", "\r\n")
	w := quotedprintable.NewWriter(b)
	w.Write([]byte(s))
	w.Close()
	if !bytes.HasSuffix(b.Bytes(), []byte("\r\n")) {
		b.WriteString("\r\n")
	}
}

// envelopeAddress is the bare address of a From header, for SMTP's MAIL FROM.
func envelopeAddress(from string) string {
	if a, err := netmail.ParseAddress(from); err == nil {
		return a.Address
	}
	return from
}

// encodeHeader returns s as it may stand in a header: as it is when it is printable ASCII,
// else as RFC 2047 Q encoded words of at most 60 characters, one per folded line, so that no
// line passes the 76 characters RFC 2047 allows and no character is split between words.
func encodeHeader(s string) string {
	if mime.QEncoding.Encode("utf-8", s) == s {
		return s
	}
	const maxWord = 60
	var words []string
	var cur strings.Builder
	flush := func() {
		if cur.Len() > 0 {
			words = append(words, "=?utf-8?q?"+cur.String()+"?=")
			cur.Reset()
		}
	}
	for _, r := range s {
		var enc strings.Builder
		for _, c := range []byte(string(r)) {
			switch {
			case c == ' ':
				enc.WriteByte('_')
			case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', strings.IndexByte("!*+-/", c) >= 0:
				enc.WriteByte(c)
			default:
				fmt.Fprintf(&enc, "=%02X", c)
			}
		}
		if len("=?utf-8?q?")+cur.Len()+enc.Len()+len("?=") > maxWord {
			flush()
		}
		cur.WriteString(enc.String())
	}
	flush()
	return strings.Join(words, "\r\n ")
}
