package web

import (
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"frontdesk"
	"frontdesk/api"
)

// Files on the pages (T2): the help center's request and reply forms and the console's
// reply form take files (multipart/form-data, field "attachments"), checked as every
// channel checks them (frontdesk.CheckUploads); files download from /attachments/{id} to
// whoever may see the ticket (flow.Attachment decides), and from
// /requests/ticket/attachments/{id} to a guest whose link opened it (the link's cookie
// reaches only /requests).

// multipartMemory is how much of a form is held in memory; larger files go to temporary
// files until the handler is done.
const multipartMemory = 8 << 20

// formUploads reads a form that may carry files, within the body limit the attachment
// setting allows, and returns its checked files. A form that is not multipart has none, and
// textLimit bounds it.
func (s *Server) formUploads(w http.ResponseWriter, r *http.Request, textLimit int64) ([]*frontdesk.Attachment, error) {
	set, err := s.db.GetSettings(r.Context())
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		r.Body = http.MaxBytesReader(w, r.Body, textLimit)
		if err := r.ParseForm(); err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				return nil, frontdesk.Errorf(frontdesk.ETooLarge, "the form is larger than %d KiB: shorten the message", textLimit>>10)
			}
			return nil, frontdesk.Errorf(frontdesk.EInvalid, "the form could not be read")
		}
		return nil, nil
	}
	limit := api.UploadBodyLimit(set.MaxAttachmentMB)
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	if err := r.ParseMultipartForm(multipartMemory); err != nil {
		return nil, uploadFormError(err, limit)
	}
	var files []frontdesk.Upload
	for _, fh := range r.MultipartForm.File["attachments"] {
		if fh.Filename == "" && fh.Size == 0 {
			continue // the empty input a browser sends when no file was chosen
		}
		u := frontdesk.Upload{Filename: fh.Filename, ContentType: fh.Header.Get("Content-Type"), Size: fh.Size}
		if fh.Size <= int64(set.MaxAttachmentMB)<<20 {
			if u.Content, err = readPart(fh); err != nil {
				return nil, err
			}
		}
		files = append(files, u)
	}
	return frontdesk.CheckUploads(files, set.MaxAttachmentMB)
}

func readPart(fh *multipart.FileHeader) ([]byte, error) {
	f, err := fh.Open()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if b == nil {
		b = []byte{}
	}
	return b, err
}

func uploadFormError(err error, limit int64) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return &frontdesk.Error{Code: frontdesk.ETooLarge, Message: "the form is larger than " + frontdesk.FormatSize(limit) + ": send fewer or smaller files",
			Fields: []frontdesk.FieldError{{Field: "attachments", Message: "together are larger than " + frontdesk.FormatSize(limit)}}}
	}
	return frontdesk.Errorf(frontdesk.EInvalid, "the form could not be read")
}

// AttachmentErrors are the problems of a form's files, each file's and all of them, in order.
func (p *page) AttachmentErrors() []string {
	var keys []string
	for k := range p.Errors {
		if k == "attachments" || strings.HasPrefix(k, "attachments[") {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = p.Errors[k]
	}
	return out
}

// MaxAttachmentMB is the per-file limit the forms state beside their file input.
func (s *Server) maxAttachmentMB(r *http.Request) int {
	set, err := s.db.GetSettings(r.Context())
	if err != nil {
		return frontdesk.DefaultSettings.MaxAttachmentMB
	}
	return set.MaxAttachmentMB
}

// downloadAttachment serves a file to staff who may read its ticket and to the people who
// may see the ticket in the help center.
func (s *Server) downloadAttachment(w http.ResponseWriter, r *http.Request) {
	if !s.requireLogin(w, r) {
		return
	}
	s.serveAttachment(w, r)
}

// guestAttachment serves a file of the ticket a guest's link opened (X5).
func (s *Server) guestAttachment(w http.ResponseWriter, r *http.Request) {
	gr, _, ok := s.guestTicketContext(w, r)
	if !ok {
		return
	}
	s.serveAttachment(w, gr)
}

func (s *Server) serveAttachment(w http.ResponseWriter, r *http.Request) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	a, err := s.flows.Attachment(r.Context(), id)
	if err != nil {
		p := s.basePage(r, "File not available")
		s.render(w, s.fail(r, p, err), "message", messageView{page: p})
		return
	}
	api.ServeAttachment(w, a)
}
