// Package imports runs uploaded imports (B1-B4) as durable jobs and is the one door the API
// and the console go through: an upload is stored by package importer and its run is a job
// of kind "import" that any instance may take, resumed from the import's checkpoint after a
// crash or a restart. Every function checks the actor's permission itself, so that both
// doors get the same answer.
package imports

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"

	"frontdesk"
	"frontdesk/importer"
	"frontdesk/jobs"
	"frontdesk/store"
)

// JobKind is the kind of the jobs that run imports.
const JobKind = "import"

// MaxAttempts is how many runs an import's job gets. Each resumes from the checkpoint, and a
// run cut by a crash counts, so it is generous.
const MaxAttempts = 50

// View is an import with the job that runs it and the links of its resources.
type View struct {
	*importer.Import
	// Job is the newest job of the import (nil for an import of the command line, which
	// runs in its own process).
	Job   *frontdesk.Job `json:"job"`
	Links Links          `json:"links"`
}

// Links are where an import's resources are in the API.
type Links struct {
	Self       string `json:"self"`
	Rejections string `json:"rejections"`
}

// Service uploads, runs and shows imports.
type Service struct {
	db  *store.DB
	im  *importer.Importer
	run *jobs.Runner
	log *slog.Logger
}

// New returns the service and registers the handler of import jobs on runner.
func New(db *store.DB, im *importer.Importer, runner *jobs.Runner, log *slog.Logger) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Service{db: db, im: im, run: runner, log: log.With("component", "imports")}
	runner.Handle(JobKind, s.handle)
	return s
}

type payload struct {
	ImportID int64 `json:"import_id"`
}

func jobKey(id int64) string { return "import:" + strconv.FormatInt(id, 10) }

// may says whether the actor may see and run imports.
func may(ctx context.Context) error {
	a := frontdesk.ActorFrom(ctx)
	if !a.Can(frontdesk.PermImportsRun) {
		return frontdesk.Errorf(frontdesk.EForbidden, "imports need the %s permission, which %s lacks", frontdesk.PermImportsRun, a.RoleName())
	}
	return nil
}

// Upload stores the file r (named name) as an import with opts and queues the job that runs
// it. The importer checks the actor's permissions, the size limit and the format, and keeps
// nothing when it refuses.
func (s *Service) Upload(ctx context.Context, name string, r io.Reader, opts importer.Options) (*View, error) {
	if err := may(ctx); err != nil {
		return nil, err
	}
	imp, err := s.im.Create(ctx, name, r, opts)
	if err != nil {
		return nil, err
	}
	// The upload is stored and queued already: should this process die right here, Recover
	// in the next start of any instance queues its job.
	job, err := s.enqueue(ctx, imp.ID)
	if err != nil {
		return nil, err
	}
	return s.view(imp, job), nil
}

func (s *Service) enqueue(ctx context.Context, id int64) (*frontdesk.Job, error) {
	job, err := jobs.Enqueue(ctx, s.db, JobKind, payload{ImportID: id}, jobs.Options{UniqueKey: jobKey(id), MaxAttempts: MaxAttempts})
	if err != nil {
		return nil, err
	}
	s.run.Wake()
	return job, nil
}

// Retry queues a new run of a failed import, which resumes from its checkpoint. An import
// that is done, or whose job is still pending, is answered as it is.
func (s *Service) Retry(ctx context.Context, id int64) (*View, error) {
	if err := may(ctx); err != nil {
		return nil, err
	}
	rec, err := s.db.GetImport(ctx, id)
	if err != nil {
		return nil, err
	}
	if rec.LocalPath != "" {
		return nil, frontdesk.Errorf(frontdesk.EConflict, "import %d reads a file of the command line; run the command again", id)
	}
	if rec.State == importer.StateFailed || rec.State == importer.StateQueued || rec.State == importer.StateRunning {
		if _, err := s.enqueue(ctx, id); err != nil {
			return nil, err
		}
	}
	return s.Get(ctx, id)
}

// Get returns an import with its job.
func (s *Service) Get(ctx context.Context, id int64) (*View, error) {
	if err := may(ctx); err != nil {
		return nil, err
	}
	imp, err := s.im.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	job, err := s.latestJob(ctx, id)
	if err != nil {
		return nil, err
	}
	return s.view(imp, job), nil
}

func (s *Service) latestJob(ctx context.Context, id int64) (*frontdesk.Job, error) {
	job, err := s.db.LatestJob(ctx, jobKey(id))
	if frontdesk.ErrorCode(err) == frontdesk.ENotFound {
		return nil, nil
	}
	return job, err
}

// List returns imports newest first with their jobs, and the cursor of the next page.
func (s *Service) List(ctx context.Context, page frontdesk.Page) ([]*View, int64, error) {
	if err := may(ctx); err != nil {
		return nil, 0, err
	}
	list, next, err := s.im.List(ctx, page)
	if err != nil {
		return nil, 0, err
	}
	out := make([]*View, 0, len(list))
	for _, imp := range list {
		job, err := s.latestJob(ctx, imp.ID)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, s.view(imp, job))
	}
	return out, next, nil
}

// WriteRejections writes the rejected rows of an import as CSV.
func (s *Service) WriteRejections(ctx context.Context, id int64, w io.Writer) error {
	if err := may(ctx); err != nil {
		return err
	}
	return s.im.WriteRejections(ctx, id, w)
}

// WriteSample writes the sample file of kind in format (csv or xlsx). Anyone who may import
// may have it.
func (s *Service) WriteSample(ctx context.Context, w io.Writer, kind importer.Kind, format string) error {
	if err := may(ctx); err != nil {
		return err
	}
	if kind != importer.KindPeople && kind != importer.KindOrganizations {
		return frontdesk.Errorf(frontdesk.ENotFound, "there is no sample of %q: people or organizations", kind)
	}
	if format != importer.FormatCSV && format != importer.FormatXLSX {
		return frontdesk.Errorf(frontdesk.ENotFound, "samples are .csv or .xlsx")
	}
	return importer.WriteSample(w, kind, format)
}

func (s *Service) view(imp *importer.Import, job *frontdesk.Job) *View {
	self := "/api/v1/imports/" + strconv.FormatInt(imp.ID, 10)
	return &View{Import: imp, Job: job, Links: Links{Self: self, Rejections: self + "/rejections"}}
}

// Recover queues a job for every uploaded import left queued or running without a pending
// job: one whose uploader died between storing it and queueing its job, or whose job gave
// up. The server calls it at start; unique keys make it harmless in every instance at once.
func (s *Service) Recover(ctx context.Context) error {
	page := frontdesk.Page{Limit: frontdesk.MaxPageSize}
	for {
		recs, next, err := s.db.ListImports(ctx, page)
		if err != nil {
			return err
		}
		for _, rec := range recs {
			if rec.LocalPath != "" || (rec.State != importer.StateQueued && rec.State != importer.StateRunning) {
				continue
			}
			job, err := jobs.Enqueue(ctx, s.db, JobKind, payload{ImportID: rec.ID}, jobs.Options{UniqueKey: jobKey(rec.ID), MaxAttempts: MaxAttempts})
			if err != nil {
				return err
			}
			if job.Attempts == 0 && job.State == frontdesk.JobQueued {
				s.log.Info("import queued again", "import", rec.ID, "job", job.ID)
			}
		}
		if next == 0 {
			return nil
		}
		page.After = next
	}
}

// handle runs an import job: the import's own checkpoint says where to resume. Errors that
// say the file or the import is wrong (a bad file, a refused permission, no such import) are
// final; others are retried: the database, and a conflict with work running beside it (two
// imports creating the same address at once), which the next run finds done.
func (s *Service) handle(ctx context.Context, job *frontdesk.Job) error {
	var p payload
	if err := json.Unmarshal(job.Payload, &p); err != nil || p.ImportID <= 0 {
		return jobs.Permanent(fmt.Errorf("the job's payload names no import: %s", job.Payload))
	}
	// The system runs it; the importer acts as the import's creator, as they are now.
	ctx = frontdesk.WithActor(ctx, frontdesk.System)
	err := s.im.Run(ctx, p.ImportID, nil)
	var fe *frontdesk.Error
	if err != nil && ctx.Err() == nil && errors.As(err, &fe) && fe.Code != frontdesk.EConflict && fe.Code != frontdesk.EInternal {
		return jobs.Permanent(err)
	}
	return err
}
