package frontdesk

import (
	"fmt"
	"mime"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Files people upload with a request or a reply (T2): the help-center forms, the embed form,
// the API and agents' replies all check them here, so that every channel names the same
// problems the same way and stores the same cleaned names.

// MaxAttachmentsPerMessage bounds how many files one form or API call brings.
const MaxAttachmentsPerMessage = 10

// maxFilenameLen bounds a stored file name, in characters.
const maxFilenameLen = 200

// Upload is one file as a channel received it, before it is checked.
type Upload struct {
	Filename    string
	ContentType string
	// Size is the file's size; Content may be nil when the size alone refuses it.
	Size    int64
	Content []byte
}

// CheckUploads checks the files of one message against the per-file limit of maxMB and
// returns them as attachments to store, reporting every problem at once under
// attachments[i], e.g. "attachments[0]: report.pdf is 30 MB, over the 25 MB limit".
func CheckUploads(files []Upload, maxMB int) ([]*Attachment, error) {
	var p Problems
	if len(files) > MaxAttachmentsPerMessage {
		p.Add("attachments", "holds %d files; at most %d are allowed", len(files), MaxAttachmentsPerMessage)
		return nil, p.Err()
	}
	limit := int64(maxMB) << 20
	var out []*Attachment
	for i, f := range files {
		field := fmt.Sprintf("attachments[%d]", i)
		name := CleanFilename(f.Filename)
		size := f.Size
		if f.Content != nil {
			size = int64(len(f.Content))
		}
		switch {
		case size > limit:
			p.Add(field, "%s is %s, over the %d MB limit", name, FormatSize(size), maxMB)
			continue
		case size == 0:
			p.Add(field, "%s is empty", name)
			continue
		}
		out = append(out, &Attachment{Filename: name, ContentType: cleanContentType(f.ContentType, name),
			Size: size, Content: f.Content})
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// CleanFilename keeps the last element of a name a browser or client sent (never a path),
// without control or invisible characters, at most 200 characters; "file" when nothing is
// left.
func CleanFilename(name string) string {
	name = strings.ToValidUTF8(name, "")
	name = strings.ReplaceAll(name, `\`, "/") // Windows browsers send C:\Users\...\report.pdf
	name = path.Base("/" + name)
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || invisible(r) {
			return -1
		}
		return r
	}, name)
	name = strings.TrimSpace(strings.Trim(name, "."))
	if name == "" || name == "/" {
		return "file"
	}
	if utf8.RuneCountInString(name) > maxFilenameLen {
		ext := path.Ext(name)
		if utf8.RuneCountInString(ext) > 20 {
			ext = ""
		}
		r := []rune(strings.TrimSuffix(name, ext))
		name = string(r[:maxFilenameLen-utf8.RuneCountInString(ext)]) + ext
	}
	return name
}

// cleanContentType keeps a well-formed media type, lower case, without parameters but the
// charset; else it guesses from the name's extension, else application/octet-stream.
func cleanContentType(ct, name string) string {
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt == "" || !strings.Contains(mt, "/") {
		if g := mime.TypeByExtension(strings.ToLower(path.Ext(name))); g != "" {
			return g
		}
		return "application/octet-stream"
	}
	if cs := params["charset"]; cs != "" && strings.HasPrefix(mt, "text/") {
		return mime.FormatMediaType(mt, map[string]string{"charset": cs})
	}
	return mt
}

// harmlessTypes are the types a browser shows without running anything: served as stored.
var harmlessTypes = map[string]bool{
	"image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true, "image/avif": true, "image/bmp": true,
	"application/pdf": true, "text/plain": true,
}

// ServedContentType is the Content-Type an attachment is served with: the stored type when
// it is harmless (images but SVG, PDF, plain text), else application/octet-stream, so that a
// sender's HTML or SVG never runs in the helpdesk's origin.
func (a *Attachment) ServedContentType() string {
	mt, params, err := mime.ParseMediaType(a.ContentType)
	if err != nil || !harmlessTypes[mt] {
		return "application/octet-stream"
	}
	if mt == "text/plain" {
		cs := strings.ToLower(params["charset"])
		if cs == "" {
			cs = "utf-8"
		}
		return mime.FormatMediaType(mt, map[string]string{"charset": cs})
	}
	return mt
}

// ContentDisposition is the Content-Disposition an attachment is served with: always a
// download (attachment), with the name in RFC 5987 form and a plain-ASCII fallback.
func (a *Attachment) ContentDisposition() string {
	ascii := strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' || r == '%' || r == ';' {
			return '_'
		}
		return r
	}, CleanFilename(a.Filename))
	return mime.FormatMediaType("attachment", map[string]string{"filename": ascii}) +
		"; filename*=UTF-8''" + pathEscapeRFC5987(CleanFilename(a.Filename))
}

// pathEscapeRFC5987 percent-encodes all but RFC 5987's attr-char.
func pathEscapeRFC5987(s string) string {
	const attr = "!#$&+-.^_`|~"
	var b strings.Builder
	for _, c := range []byte(s) {
		if c < 0x80 && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte(attr, c) >= 0) {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// FormatSize writes a size for people: 512 bytes, 12 KB, 3.4 MB, 30 MB.
func FormatSize(n int64) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%d bytes", n)
	case n < 1<<20:
		return fmt.Sprintf("%d KB", (n+1<<10-1)>>10)
	case n < 10<<20:
		return strings.TrimSuffix(fmt.Sprintf("%.1f", float64(n)/(1<<20)), ".0") + " MB"
	}
	return fmt.Sprintf("%d MB", (n+1<<20-1)>>20)
}

// NewSuppression checks a suppression added by hand (X3) and returns it, reporting every
// problem at once; the store normalizes the address.
func NewSuppression(in SuppressionInput, by int64) (*Suppression, error) {
	var p Problems
	a, err := NormalizeEmail(in.Address)
	if err != nil {
		p.Add("address", "%v", err)
	}
	diag := CleanText(&p, "diagnostic", in.Diagnostic, 2000, MultiLine)
	s := &Suppression{Address: a, Reason: SuppressedByStaff, Diagnostic: strings.TrimSpace(diag)}
	if by != 0 {
		s.CreatedBy = &by
	}
	return s, p.Err()
}
