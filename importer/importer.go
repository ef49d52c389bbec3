// Package importer imports people, and organizations with their sites, from CSV and XLSX
// files (B1-B4). A file streams through in batches: each batch is validated by the same
// domain code as a person typed in the console (frontdesk.ApplyPerson), written through the
// store's bulk paths, and committed in one transaction with the import's checkpoint and the
// batch's rejected rows. A crash loses at most the batch in flight, and Run starts again from
// the checkpoint; running the same file again from scratch finds everyone by the upsert key.
//
// File formats (the sample files, WriteSample, show them):
//   - people: one row per person. Required header columns: name, email, phone, organization,
//     site, external_id (and the key column, when the key is username). Optional: first_name,
//     last_name, username, timezone, locale, notes, web_access, machine, do_not_email, and
//     custom fields by their key. organization and site are names of existing ones, compared
//     case-insensitively. An empty cell leaves the field as it is on update.
//   - organizations: one row per site (or per organization without a site). Required: name
//     (the organization's), site. Optional: domains (separated by spaces, commas or
//     semicolons), external_id, notes, site_timezone, site_street, site_city, site_region,
//     site_postal_code, site_country. Organizations are found by name, sites by name within
//     their organization; a repeated organization adds its sites.
//
// A key repeated in a file: the later row wins; the earlier row is reported as rejected,
// "superseded by line N", and counted as rejected instead of what it did.
package importer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"frontdesk"
	"frontdesk/flow"
	"frontdesk/store"
)

// Kind is what a file holds.
type Kind string

// Kinds of import.
const (
	KindPeople        Kind = "people"
	KindOrganizations Kind = "organizations"
)

// States of an import.
const (
	StateUploading = "uploading" // the file is being stored
	StateQueued    = "queued"
	StateRunning   = "running"
	StateDone      = "done"
	StateFailed    = "failed"
)

// Options say how to import.
type Options struct {
	Kind   Kind `json:"kind"`
	DryRun bool `json:"dry_run"`
	// Key is the upsert key of people (email, external_id, username); "" follows the setting.
	Key string `json:"key"`
	// SendWelcome sends the welcome email (E2) to each new contact with web access.
	SendWelcome bool `json:"send_welcome"`
}

// Counts are an import's figures so far: rows read, and what became of them.
type Counts struct {
	Rows      int `json:"rows"`
	Created   int `json:"created"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
	Rejected  int `json:"rejected"`
}

// Import is one import: its file, options, state, checkpoint and counts.
type Import struct {
	ID             int64      `json:"id"`
	Kind           Kind       `json:"kind"`
	State          string     `json:"state"`
	FileName       string     `json:"file_name"`
	Size           int64      `json:"size"`
	SHA256         string     `json:"sha256"`
	Format         string     `json:"format"`
	Options        Options    `json:"options"`
	Counts         Counts     `json:"counts"`
	RowsDone       int        `json:"rows_done"`
	BytesDone      int64      `json:"bytes_done"`
	UnknownHeaders []string   `json:"unknown_headers"`
	Error          string     `json:"error"`
	CreatedBy      *int64     `json:"created_by"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
	FinishedAt     *time.Time `json:"finished_at"`
}

// Importer runs imports.
type Importer struct {
	db    *store.DB
	flows *flow.Flows
	// BatchSize is how many rows one transaction commits.
	BatchSize int
	// afterBatch, when set (tests), runs after each committed batch; an error stops the run
	// as a crash would.
	afterBatch func(n int) error
}

// DefaultBatchSize is the rows of one batch: large enough that a commit's cost spreads thin,
// small enough that memory stays flat and a crash loses little.
const DefaultBatchSize = 5000

// New returns an importer over db; flows send the welcome email and know the phone region.
func New(db *store.DB, flows *flow.Flows) *Importer {
	return &Importer{db: db, flows: flows, BatchSize: DefaultBatchSize}
}

func fromRecord(r *store.ImportRecord) (*Import, error) {
	im := &Import{ID: r.ID, Kind: Kind(r.Kind), State: r.State, FileName: r.FileName, Size: r.Size, SHA256: r.SHA256, Format: r.Format,
		RowsDone: r.RowsDone, BytesDone: r.BytesDone, Error: r.Error, CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt,
		UpdatedAt: r.UpdatedAt, FinishedAt: r.FinishedAt, UnknownHeaders: []string{}}
	if err := errors.Join(json.Unmarshal([]byte(r.Options), &im.Options), json.Unmarshal([]byte(r.Counts), &im.Counts),
		json.Unmarshal([]byte(r.UnknownHeaders), &im.UnknownHeaders)); err != nil {
		return nil, fmt.Errorf("import %d: %w", r.ID, err)
	}
	return im, nil
}

// check refuses options that make no sense and an actor who may not run them: an import
// needs imports.run; people need people.create, and people.update since rows may update
// (and the welcome email needs it too); organizations need people.update, which covers them.
func check(actor frontdesk.Actor, opts *Options) error {
	var probs frontdesk.Problems
	switch opts.Kind {
	case KindPeople:
		if opts.Key != "" && !frontdesk.ImportKey(opts.Key).Valid() {
			probs.Add("key", "must be one of %v", frontdesk.ImportKeys)
		}
	case KindOrganizations:
		if opts.Key != "" {
			probs.Add("key", "organizations are found by name; give no key")
		}
		if opts.SendWelcome {
			probs.Add("send_welcome", "applies to people only")
		}
	default:
		probs.Add("kind", "must be people or organizations")
	}
	if err := probs.Err(); err != nil {
		return err
	}
	need := []frontdesk.Permission{frontdesk.PermImportsRun, frontdesk.PermPeopleUpdate}
	if opts.Kind == KindPeople {
		need = append(need, frontdesk.PermPeopleCreate)
	}
	for _, p := range need {
		if !actor.Can(p) {
			return frontdesk.Errorf(frontdesk.EForbidden, "importing %s needs the %s permission, which %s lacks", opts.Kind, p, actor.RoleName())
		}
	}
	return nil
}

// cleanName keeps the base name of an uploaded file, one line, bounded.
func cleanName(name string) string {
	name = filepath.Base(strings.ReplaceAll(name, `\`, "/"))
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, name)
	if len(name) > 255 {
		name = name[:255]
	}
	if name == "" || name == "." || name == "/" {
		name = "upload"
	}
	return name
}

// Create stores an uploaded file in the database and queues its import, so that any
// instance can run it later (Run). The actor in ctx needs the permissions of the import; a
// file larger than the import_max_mb setting, or one that is not CSV (UTF-8) or XLSX, is
// refused and nothing is kept.
func (im *Importer) Create(ctx context.Context, name string, r io.Reader, opts Options) (*Import, error) {
	if err := check(frontdesk.ActorFrom(ctx), &opts); err != nil {
		return nil, err
	}
	s, err := im.db.GetSettings(ctx)
	if err != nil {
		return nil, err
	}
	limit := int64(s.ImportMaxMB) << 20
	optJSON, _ := json.Marshal(opts)
	rec := &store.ImportRecord{Kind: string(opts.Kind), State: StateUploading, FileName: cleanName(name), Options: string(optJSON)}
	if err := im.db.CreateImport(ctx, rec); err != nil {
		return nil, err
	}
	insp := newInspector()
	buf := make([]byte, store.ImportChunkSize)
	var size int64
	fail := func(err error) (*Import, error) {
		// The half-stored file goes; the import never existed for anyone but the audit log.
		if derr := im.db.DeleteImport(context.WithoutCancel(ctx), rec.ID); derr != nil {
			err = errors.Join(err, derr)
		}
		return nil, err
	}
	for seq := 0; ; seq++ {
		n, rerr := io.ReadFull(r, buf)
		if n > 0 {
			size += int64(n)
			if size > limit {
				return fail(fileErrorf("the file is larger than the import limit of %d MB (setting import_max_mb); import larger files with the command line", s.ImportMaxMB))
			}
			insp.Write(buf[:n])
			if insp.err != nil {
				return fail(insp.err)
			}
			if err := im.db.AppendImportChunk(ctx, rec.ID, seq, buf[:n]); err != nil {
				return fail(err)
			}
		}
		if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
			break
		}
		if rerr != nil {
			return fail(fmt.Errorf("reading the upload: %w", rerr))
		}
	}
	format, sum, err := insp.Finish()
	if err != nil {
		return fail(err)
	}
	if err := im.db.FinishImportUpload(ctx, rec.ID, size, sum, format); err != nil {
		return fail(err)
	}
	return im.Get(ctx, rec.ID)
}

// ImportFile imports a local file (the command line): it is read in place, not copied into
// the database, with the same checkpoints as an upload. An unfinished import of the same file
// with the same options is resumed rather than started again.
func (im *Importer) ImportFile(ctx context.Context, path string, opts Options, progress func(*Import)) (*Import, error) {
	if err := check(frontdesk.ActorFrom(ctx), &opts); err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(abs)
	if err != nil {
		return nil, fileErrorf("cannot open %s: %v", path, unwrapPathError(err))
	}
	insp := newInspector()
	size, err := io.Copy(insp, f)
	f.Close()
	if err != nil {
		return nil, fileErrorf("cannot read %s: %v", path, unwrapPathError(err))
	}
	format, sum, err := insp.Finish()
	if err != nil {
		return nil, err
	}
	optJSON, _ := json.Marshal(opts)
	rec, err := im.db.FindResumableImport(ctx, abs, sum, string(opts.Kind), string(optJSON))
	if frontdesk.ErrorCode(err) == frontdesk.ENotFound {
		rec = &store.ImportRecord{Kind: string(opts.Kind), State: StateQueued, FileName: filepath.Base(abs), LocalPath: abs,
			Size: size, SHA256: sum, Format: format, Options: string(optJSON)}
		err = im.db.CreateImport(ctx, rec)
	}
	if err != nil {
		return nil, err
	}
	runErr := im.Run(ctx, rec.ID, progress)
	out, err := im.Get(context.WithoutCancel(ctx), rec.ID)
	if err != nil {
		return nil, errors.Join(runErr, err)
	}
	return out, runErr
}

func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Get returns one import.
func (im *Importer) Get(ctx context.Context, id int64) (*Import, error) {
	rec, err := im.db.GetImport(ctx, id)
	if err != nil {
		return nil, err
	}
	return fromRecord(rec)
}

// List returns imports newest first, and the cursor of the next page (zero on the last).
func (im *Importer) List(ctx context.Context, page frontdesk.Page) ([]*Import, int64, error) {
	recs, next, err := im.db.ListImports(ctx, page)
	if err != nil {
		return nil, 0, err
	}
	out := make([]*Import, 0, len(recs))
	for _, r := range recs {
		i, err := fromRecord(r)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, i)
	}
	return out, next, nil
}

// Run imports a queued import from its checkpoint to its end, reporting progress after each
// batch. It is safe to call again after a crash or a failure: committed batches are skipped,
// and the batch that was in flight is done again. A finished import is left as it is.
func (im *Importer) Run(ctx context.Context, id int64, progress func(*Import)) error {
	rec, err := im.db.GetImport(ctx, id)
	if err != nil {
		return err
	}
	switch rec.State {
	case StateDone:
		return nil
	case StateUploading:
		return frontdesk.Errorf(frontdesk.EConflict, "import %d is still being uploaded", id)
	}
	imp, err := fromRecord(rec)
	if err != nil {
		return err
	}
	ctx, err = im.actorFor(ctx, rec)
	if err == nil {
		err = check(frontdesk.ActorFrom(ctx), &imp.Options)
	}
	if err != nil {
		im.db.SetImportState(context.WithoutCancel(ctx), id, StateFailed, err.Error(), rec.UnknownHeaders, true)
		return err
	}
	if err := im.db.SetImportState(ctx, id, StateRunning, "", rec.UnknownHeaders, false); err != nil {
		return err
	}
	r := &run{im: im, rec: rec, imp: imp, progress: progress}
	err = r.run(ctx)
	switch {
	case err == nil:
		unknown, _ := json.Marshal(imp.UnknownHeaders)
		err = im.db.SetImportState(ctx, id, StateDone, "", string(unknown), true)
	case ctx.Err() != nil:
		// Stopped from outside (shutdown): the import stays running, to be resumed.
	default:
		unknown, _ := json.Marshal(imp.UnknownHeaders)
		msg := err.Error()
		var fe *frontdesk.Error
		if !errors.As(err, &fe) {
			msg = "the import stopped: " + msg
		}
		if serr := im.db.SetImportState(context.WithoutCancel(ctx), id, StateFailed, msg, string(unknown), true); serr != nil {
			err = errors.Join(err, serr)
		}
	}
	return err
}

// actorFor decides who a run acts as: the actor in ctx, unless that is the system running a
// job for someone, who is then the import's creator, as they are now (their permissions may
// have changed since the upload).
func (im *Importer) actorFor(ctx context.Context, rec *store.ImportRecord) (context.Context, error) {
	a := frontdesk.ActorFrom(ctx)
	if rec.CreatedBy == nil || (!a.System && a.ID != 0) {
		return ctx, nil
	}
	creator, err := im.db.ActorFor(ctx, *rec.CreatedBy)
	if err != nil {
		return ctx, frontdesk.Errorf(frontdesk.EForbidden, "the creator of import %d can no longer run it: %v", rec.ID, err)
	}
	return frontdesk.WithActor(ctx, creator), nil
}

// WriteRejections writes the rejected rows of an import as CSV: line, column, reason, then
// the row's cells under the file's own header. Cells a spreadsheet would take for a formula
// are neutralised.
func (im *Importer) WriteRejections(ctx context.Context, id int64, w io.Writer) error {
	rec, err := im.db.GetImport(ctx, id)
	if err != nil {
		return err
	}
	var cols []string
	if rec.Header != "" {
		if err := json.Unmarshal([]byte(rec.Header), &cols); err != nil {
			return err
		}
	}
	cw := newReportWriter(w)
	if err := cw.header(cols); err != nil {
		return err
	}
	err = im.db.EachImportRejection(ctx, id, func(r store.ImportRejection) error {
		var cells []string
		if err := json.Unmarshal([]byte(r.Cells), &cells); err != nil {
			return err
		}
		for len(cells) < len(cols) {
			cells = append(cells, "") // every record as wide as the header
		}
		return cw.row(r.Line, r.Column, r.Reason, cells)
	})
	if err != nil {
		return err
	}
	return cw.flush()
}
