package web

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"frontdesk"
	"frontdesk/api"
	"frontdesk/importer"
	"frontdesk/imports"
)

// The console's imports (B1-B4): the list with the upload form and the sample files, and a
// page per import that follows its job (a small script polls the import's status and moves
// the progress bar; without script, a link shows the page again). imports.Service checks the
// permission, as it does for the API.

//go:embed static/import-progress.js
var importProgressJS []byte

func (s *Server) importProgressScript(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	http.ServeContent(w, r, "import-progress.js", time.Time{}, bytes.NewReader(importProgressJS))
}

type importsView struct {
	*page
	Imports []*imports.View
	Next    int64
	Keys    []frontdesk.ImportKey
	// DefaultKey is the import_key setting, which an empty key follows.
	DefaultKey frontdesk.ImportKey
	MaxMB      int
}

func (s *Server) importsPage(r *http.Request, v *importsView) error {
	var err error
	pg := frontdesk.Page{Limit: 50}
	if a, e := strconv.ParseInt(r.URL.Query().Get("after"), 10, 64); e == nil && a > 0 {
		pg.After = a
	}
	if v.Imports, v.Next, err = s.Imports.List(r.Context(), pg); err != nil {
		return err
	}
	set, err := s.db.GetSettings(r.Context())
	if err != nil {
		return err
	}
	v.Keys, v.DefaultKey, v.MaxMB = frontdesk.ImportKeys, set.ImportKey, set.ImportMaxMB
	if v.Values == nil {
		v.Values = map[string]string{"kind": "people"}
	}
	return nil
}

func (s *Server) importsList(w http.ResponseWriter, r *http.Request) {
	if !s.requirePermission(w, r, frontdesk.PermImportsRun) {
		return
	}
	v := importsView{page: s.basePage(r, "Imports")}
	if err := s.importsPage(r, &v); err != nil {
		s.render(w, s.fail(r, v.page, err), "message", messageView{page: v.page})
		return
	}
	s.render(w, http.StatusOK, "imports", v)
}

// uploadImport streams the form's file into the import: the option fields come first in the
// form, so that the file is read once, as it arrives.
func (s *Server) uploadImport(w http.ResponseWriter, r *http.Request) {
	if !s.requirePermission(w, r, frontdesk.PermImportsRun) {
		return
	}
	v := importsView{page: s.basePage(r, "Imports")}
	v.Values = map[string]string{}
	set, err := s.db.GetSettings(r.Context())
	if err != nil {
		s.render(w, s.fail(r, v.page, err), "message", messageView{page: v.page})
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, int64(set.ImportMaxMB)<<20+64<<10)
	fail := func(err error) {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			err = &frontdesk.Error{Code: frontdesk.ETooLarge, Message: fmt.Sprintf("The file is larger than the import limit of %d MB; import larger files with the command line (frontdesk import).", set.ImportMaxMB),
				Fields: []frontdesk.FieldError{{Field: "file", Message: fmt.Sprintf("is over %d MB", set.ImportMaxMB)}}}
		}
		status := s.fail(r, v.page, err)
		if lerr := s.importsPage(r, &v); lerr != nil {
			s.render(w, status, "message", messageView{page: v.page})
			return
		}
		s.render(w, status, "imports", v)
	}
	mr, err := r.MultipartReader()
	if err != nil {
		fail(frontdesk.InvalidField("file", "is required: choose a CSV or XLSX file"))
		return
	}
	var opts importer.Options
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			fail(frontdesk.InvalidField("file", "is required: choose a CSV or XLSX file"))
			return
		}
		if err != nil {
			fail(err)
			return
		}
		name := part.FormName()
		if name != "file" {
			b, _ := io.ReadAll(io.LimitReader(part, 1024))
			val := strings.TrimSpace(string(b))
			v.Values[name] = val
			switch name {
			case "kind":
				opts.Kind = importer.Kind(val)
			case "key":
				opts.Key = val
			case "dry_run":
				opts.DryRun = val != ""
			case "send_welcome":
				opts.SendWelcome = val != ""
			}
			continue
		}
		if part.FileName() == "" {
			fail(frontdesk.InvalidField("file", "is required: choose a CSV or XLSX file"))
			return
		}
		view, err := s.Imports.Upload(r.Context(), part.FileName(), part, opts)
		if err != nil {
			fail(err)
			return
		}
		http.Redirect(w, r, "/console/imports/"+strconv.FormatInt(view.ID, 10), http.StatusSeeOther)
		return
	}
}

type importView struct {
	*page
	Import *imports.View
	// Percent is how far the import is, by the bytes of its file read.
	Percent  int
	Finished bool
}

func importProgress(v *imports.View) (int, bool) {
	finished := v.State == importer.StateDone || v.State == importer.StateFailed
	switch {
	case v.State == importer.StateDone:
		return 100, true
	case v.Size > 0:
		return int(min(v.BytesDone*100/v.Size, 99)), finished
	}
	return 0, finished
}

func (s *Server) importPage(w http.ResponseWriter, r *http.Request) {
	if !s.requirePermission(w, r, frontdesk.PermImportsRun) {
		return
	}
	p := s.basePage(r, "Import")
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		s.render(w, s.fail(r, p, frontdesk.Errorf(frontdesk.ENotFound, "There is no such import.")), "message", messageView{page: p})
		return
	}
	imp, err := s.Imports.Get(r.Context(), id)
	if err != nil {
		s.render(w, s.fail(r, p, err), "message", messageView{page: p})
		return
	}
	p.Title = "Import of " + imp.FileName
	v := importView{page: p, Import: imp}
	v.Percent, v.Finished = importProgress(imp)
	if r.URL.Query().Get("done") == "retried" {
		v.Notice = "The import runs again from where it stopped."
	}
	s.render(w, http.StatusOK, "import", v)
}

// importStatus is what the page's script reads while the import runs.
type importStatus struct {
	State    string          `json:"state"`
	Percent  int             `json:"percent"`
	Finished bool            `json:"finished"`
	RowsDone int             `json:"rows_done"`
	Counts   importer.Counts `json:"counts"`
	Job      string          `json:"job"`
}

// importFile serves what lies under an import's page: status (JSON for the script),
// rejections (CSV), and under samples the sample files. One route holds them: the patterns
// would overlap (samples/rejections) and the router refuses that.
func (s *Server) importFile(w http.ResponseWriter, r *http.Request) {
	if !s.requirePermission(w, r, frontdesk.PermImportsRun) {
		return
	}
	p := s.basePage(r, "Import")
	sub := r.PathValue("file")
	if r.PathValue("id") == "samples" {
		kind, format, _ := strings.Cut(sub, ".")
		var buf bytes.Buffer
		if err := s.Imports.WriteSample(r.Context(), &buf, importer.Kind(kind), format); err != nil {
			s.render(w, s.fail(r, p, err), "message", messageView{page: p})
			return
		}
		w.Header().Set("Content-Type", api.SampleContentType(format))
		w.Header().Set("Content-Disposition", `attachment; filename="`+kind+`-sample.`+format+`"`)
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Write(buf.Bytes())
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 || (sub != "status" && sub != "rejections") {
		s.render(w, s.fail(r, p, frontdesk.Errorf(frontdesk.ENotFound, "There is no such page.")), "message", messageView{page: p})
		return
	}
	imp, err := s.Imports.Get(r.Context(), id)
	if err != nil {
		s.render(w, s.fail(r, p, err), "message", messageView{page: p})
		return
	}
	if sub == "status" {
		st := importStatus{State: imp.State, RowsDone: imp.RowsDone, Counts: imp.Counts}
		st.Percent, st.Finished = importProgress(imp)
		if imp.Job != nil {
			st.Job = string(imp.Job.State)
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		json.NewEncoder(w).Encode(st)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="import-`+strconv.FormatInt(id, 10)+`-rejections.csv"`)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "private, no-store")
	if err := s.Imports.WriteRejections(r.Context(), id, w); err != nil {
		s.log.Error("writing rejections", "import", id, "err", err)
	}
}

func (s *Server) retryImport(w http.ResponseWriter, r *http.Request) {
	if !s.requirePermission(w, r, frontdesk.PermImportsRun) {
		return
	}
	p := s.basePage(r, "Import")
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if _, err := s.Imports.Retry(r.Context(), id); err != nil {
		s.render(w, s.fail(r, p, err), "message", messageView{page: p, Link: &struct{ Href, Text string }{"/console/imports", "Back to the imports"}})
		return
	}
	http.Redirect(w, r, "/console/imports/"+strconv.FormatInt(id, 10)+"?done=retried", http.StatusSeeOther)
}
