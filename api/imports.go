package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"frontdesk"
	"frontdesk/importer"
	"frontdesk/imports"
)

// Imports (B1-B4): POST /api/v1/imports takes a file, as multipart/form-data (the options as
// fields before the part named "file") or as the raw body (the options and filename in the
// query), stores it and answers 202 with the import and the job that runs it; GET shows its
// state, rows done and counts as the job goes. imports.Service checks the permissions.

const importsPath = "/api/v1/imports"

// importFormSlack is room for the multipart framing and the option fields around the file.
const importFormSlack = 64 << 10

// importLimit is the largest file an upload may carry (the import_max_mb setting).
func (s *Server) importLimit(ctx context.Context) (int64, int) {
	set, err := s.db.GetSettings(ctx)
	if err != nil {
		set = frontdesk.DefaultSettings
	}
	return int64(set.ImportMaxMB) << 20, set.ImportMaxMB
}

func tooLargeImport(mb int) error {
	return &frontdesk.Error{Code: frontdesk.ETooLarge,
		Message: fmt.Sprintf("the file is larger than the import limit of %d MB (setting import_max_mb); import larger files with the command line (frontdesk import)", mb),
		Fields:  []frontdesk.FieldError{{Field: "file", Message: fmt.Sprintf("exceeds %d MB", mb)}}}
}

// errTooLarge is what capReader returns past its limit.
var errTooLarge = errors.New("the upload is over the limit")

// capReader reads at most left bytes and fails with errTooLarge when more follow, so that an
// upload over the limit is refused as such, whatever the importer reads it with.
type capReader struct {
	r    io.Reader
	left int64
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		var one [1]byte
		n, err := c.r.Read(one[:])
		if n > 0 {
			return 0, errTooLarge
		}
		return 0, err
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}

// importOptions reads one option; it reports whether name is one.
func importOption(opts *importer.Options, probs *frontdesk.Problems, name, value string) bool {
	boolean := func(dst *bool) {
		switch strings.ToLower(strings.TrimSpace(value)) {
		case "true", "1", "on", "yes":
			*dst = true
		case "false", "0", "off", "no", "":
			*dst = false
		default:
			probs.Add(name, "must be true or false")
		}
	}
	switch name {
	case "kind":
		opts.Kind = importer.Kind(strings.TrimSpace(value))
	case "key":
		opts.Key = strings.TrimSpace(value)
	case "dry_run":
		boolean(&opts.DryRun)
	case "send_welcome":
		boolean(&opts.SendWelcome)
	default:
		return false
	}
	return true
}

func (s *Server) createImport(w http.ResponseWriter, r *http.Request) error {
	limit, mb := s.importLimit(r.Context())
	if r.ContentLength > limit+importFormSlack {
		return tooLargeImport(mb)
	}
	var opts importer.Options
	var probs frontdesk.Problems
	q := r.URL.Query()
	for name, vs := range q {
		if name != "filename" && !importOption(&opts, &probs, name, vs[0]) {
			probs.Add(name, "is not an option of an import (kind, dry_run, key, send_welcome, filename)")
		}
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "application/json" {
		return &frontdesk.Error{Code: frontdesk.EMalformed, Message: "an import takes the file itself (text/csv, XLSX, application/octet-stream) or multipart/form-data, not JSON",
			Fields: []frontdesk.FieldError{{Field: "Content-Type", Message: "must be the file's type or multipart/form-data"}}}
	}
	var view *imports.View
	var err error
	upload := func(name string, body io.Reader) error {
		if err := probs.Err(); err != nil {
			return err
		}
		view, err = s.cfg.Imports.Upload(r.Context(), name, &capReader{r: body, left: limit}, opts)
		var tooBig *http.MaxBytesError
		if errors.Is(err, errTooLarge) || errors.As(err, &tooBig) {
			return tooLargeImport(mb)
		}
		return err
	}
	if ct == "multipart/form-data" {
		mr, merr := r.MultipartReader()
		if merr != nil {
			return frontdesk.InvalidField("Content-Type", "is multipart/form-data without a boundary")
		}
		for view == nil {
			part, perr := mr.NextPart()
			if perr == io.EOF {
				return frontdesk.InvalidField("file", "is required: a part named file, after the option fields")
			}
			var tooBig *http.MaxBytesError
			if errors.As(perr, &tooBig) {
				return tooLargeImport(mb)
			}
			if perr != nil {
				return &frontdesk.Error{Code: frontdesk.EMalformed, Message: "the multipart body cannot be read: " + perr.Error()}
			}
			name := part.FormName()
			if name == "file" {
				if err := upload(part.FileName(), part); err != nil {
					return err
				}
				break
			}
			value, _ := io.ReadAll(io.LimitReader(part, 1024))
			if !importOption(&opts, &probs, name, string(value)) {
				probs.Add(name, "is not a field of an import upload (kind, dry_run, key, send_welcome, file)")
			}
		}
	} else {
		name := q.Get("filename")
		if name == "" {
			if _, params, err := mime.ParseMediaType(r.Header.Get("Content-Disposition")); err == nil {
				name = params["filename"]
			}
		}
		if name == "" {
			name = "upload"
		}
		if err := upload(name, r.Body); err != nil {
			return err
		}
	}
	w.Header().Set("Location", view.Links.Self)
	writeJSON(w, http.StatusAccepted, view)
	return nil
}

func (s *Server) listImports(w http.ResponseWriter, r *http.Request) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	items, next, err := s.cfg.Imports.List(r.Context(), pg)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(items, next))
	return nil
}

func (s *Server) getImport(w http.ResponseWriter, r *http.Request) error {
	return getByID(w, r, s.cfg.Imports.Get)
}

func (s *Server) retryImport(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	v, err := s.cfg.Imports.Retry(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, v)
	return nil
}

// importFile serves the files under an import's path: GET /api/v1/imports/{id}/rejections,
// the rejected rows of an import as CSV, and GET /api/v1/imports/samples/{kind}.csv|.xlsx,
// the sample files. One route holds both: the two patterns would overlap (samples/rejections)
// and the router refuses that.
func (s *Server) importFile(w http.ResponseWriter, r *http.Request) error {
	id, file := r.PathValue("id"), r.PathValue("file")
	if id == "samples" {
		return s.importSample(w, r, file)
	}
	if file != "rejections" {
		return frontdesk.Errorf(frontdesk.ENotFound, "there is no endpoint %s %s", r.Method, r.URL.Path)
	}
	n, err := pathID(r)
	if err != nil {
		return err
	}
	// Found first, so that an unknown import is a 404 rather than a started download.
	if _, err := s.cfg.Imports.Get(r.Context(), n); err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="import-`+strconv.FormatInt(n, 10)+`-rejections.csv"`)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "private, no-store")
	if err := s.cfg.Imports.WriteRejections(r.Context(), n, w); err != nil {
		s.log.Error("writing rejections", "import", n, "err", err)
	}
	return nil
}

// SampleContentType is the media type of a sample file of format.
func SampleContentType(format string) string {
	if format == importer.FormatXLSX {
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	return "text/csv; charset=utf-8"
}

func (s *Server) importSample(w http.ResponseWriter, r *http.Request, file string) error {
	kind, format, _ := strings.Cut(file, ".")
	var buf strings.Builder
	if err := s.cfg.Imports.WriteSample(r.Context(), &buf, importer.Kind(kind), format); err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", SampleContentType(format))
	h.Set("Content-Disposition", `attachment; filename="`+kind+`-sample.`+format+`"`)
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	io.WriteString(w, buf.String())
	return nil
}
