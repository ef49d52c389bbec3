package api

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"frontdesk"
)

// Files in JSON (T2): POST /api/v1/requests (the embed form too) and POST
// /api/v1/tickets/{id}/messages take "attachments": [{"filename", "content_type", "data"}]
// with data in base64. Their bodies may be as large as the attachment setting allows; the
// rest of the body keeps its own limit, so that text alone cannot grow without bound.

// uploadInput is one file as JSON brings it.
type uploadInput struct {
	Filename    string `json:"filename"`
	ContentType string `json:"content_type"`
	Data        string `json:"data"`
}

var ticketMessagesPath = regexp.MustCompile(`^/api/v1/tickets/[^/]+/messages$`)

// takesUploads reports whether a POST to path may carry files.
func takesUploads(path string) bool {
	return path == "/api/v1/requests" || ticketMessagesPath.MatchString(path)
}

// UploadBodyLimit is the largest body that carries files of up to maxMB each: room for two
// files at the limit in base64 (or one over it, to be named in the answer) and the text.
func UploadBodyLimit(maxMB int) int64 {
	return 2*base64Len(int64(maxMB)<<20) + MaxRequestBytes
}

func base64Len(n int64) int64 { return (n + 2) / 3 * 4 }

func (s *Server) uploadBodyLimit(ctx context.Context) int64 {
	set, err := s.db.GetSettings(ctx)
	if err != nil {
		set = frontdesk.DefaultSettings
	}
	return UploadBodyLimit(set.MaxAttachmentMB)
}

// checkTextSize refuses a body whose part besides the files' data is over textLimit (413),
// as a body without files over that limit always was. A body that is not JSON passes, for
// the decoder to describe.
func checkTextSize(body []byte, textLimit int) error {
	if len(body) <= textLimit {
		return nil
	}
	var files struct {
		Attachments []struct {
			Data json.RawMessage `json:"data"`
		} `json:"attachments"`
	}
	if json.Unmarshal(body, &files) != nil {
		return nil
	}
	n := len(body)
	for _, f := range files.Attachments {
		n -= len(f.Data)
	}
	if n > textLimit {
		return &frontdesk.Error{Code: frontdesk.ETooLarge, Message: fmt.Sprintf("the body is larger than %d bytes without its attachments", textLimit),
			Fields: []frontdesk.FieldError{{Field: "body", Message: fmt.Sprintf("exceeds %d bytes besides the attachments", textLimit)}}}
	}
	return nil
}

// uploads decodes and checks the files of a body: base64 that does not decode, an empty
// or oversize file, each named by its index.
func (s *Server) uploads(ctx context.Context, in []uploadInput) ([]*frontdesk.Attachment, error) {
	if len(in) == 0 {
		return nil, nil
	}
	set, err := s.db.GetSettings(ctx)
	if err != nil {
		return nil, err
	}
	var probs frontdesk.Problems
	files := make([]frontdesk.Upload, len(in))
	limit := int64(set.MaxAttachmentMB) << 20
	for i, f := range in {
		files[i] = frontdesk.Upload{Filename: f.Filename, ContentType: f.ContentType}
		data := strings.TrimSpace(f.Data)
		if n := int64(base64.StdEncoding.DecodedLen(len(data))); n > limit+3 {
			files[i].Size = n // over the limit whatever it decodes to: named below, not decoded
			continue
		}
		b, err := base64.StdEncoding.DecodeString(data)
		if err != nil {
			probs.Add(fmt.Sprintf("attachments[%d].data", i), "is not base64 (RFC 4648, with padding)")
			files[i].Size = 1 // named already; not empty
			continue
		}
		files[i].Content = b
		if b == nil {
			files[i].Content = []byte{}
		}
	}
	out, err := frontdesk.CheckUploads(files, set.MaxAttachmentMB)
	if err != nil {
		probs = append(probs, err.(*frontdesk.Error).Fields...)
	}
	if err := probs.Err(); err != nil {
		return nil, err
	}
	return out, nil
}
