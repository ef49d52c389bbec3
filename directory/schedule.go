package directory

import (
	"context"
	"time"

	"frontdesk"
	"frontdesk/jobs"
)

// Scheduled runs (B5). One durable job, under one unique key, stands for every source's
// schedule: it is due when the earliest source is (next_run_at of directory_sources), runs
// every source due then as the system (preview and apply at once), and its recurrence moves
// it to the next earliest time. The job runner makes it survive restarts and run on exactly
// one instance; a crash mid-run runs it again, which recomputes the plan and applies what
// is left.

// JobKind is the kind of the scheduled-sync job.
const JobKind = "directory.sync"

// scheduleKey is the unique key of the one scheduled-sync job.
const scheduleKey = "directory.schedule"

// idleRecheck is when the job looks again when no source is scheduled: a source saved with a
// schedule moves it earlier at once (reschedule), so this only bounds a missed move.
const idleRecheck = 24 * time.Hour

// Register has runner run the scheduled syncs.
func (s *Syncer) Register(r *jobs.Runner) {
	r.Handle(JobKind, s.runDue, jobs.Recurring(s.nextDue))
}

// Reschedule makes sure the scheduled-sync job is due at the earliest source's next run; the
// server calls it at start, SaveSource and DeleteSource after each change.
func (s *Syncer) Reschedule(ctx context.Context) error {
	at, ok, err := s.earliest(ctx)
	if err != nil || !ok {
		return err
	}
	_, err = jobs.Schedule(ctx, s.DB, JobKind, scheduleKey, at, nil)
	return err
}

func (s *Syncer) earliest(ctx context.Context) (time.Time, bool, error) {
	srcs, err := s.DB.DirectorySources(ctx)
	if err != nil {
		return time.Time{}, false, err
	}
	var at time.Time
	for _, src := range srcs {
		if src.NextRunAt != nil && (at.IsZero() || src.NextRunAt.Before(at)) {
			at = *src.NextRunAt
		}
	}
	return at, !at.IsZero(), nil
}

// nextDue is the job's recurrence: the earliest next run of any source.
func (s *Syncer) nextDue(prev time.Time) time.Time {
	at, ok, err := s.earliest(context.Background())
	if err != nil {
		s.Log.Error("directory schedule", "err", err)
		return s.now().Add(time.Hour)
	}
	if !ok {
		return s.now().Add(idleRecheck)
	}
	return at
}

// runDue runs every source whose scheduled run is due, each recorded as a run with origin
// schedule, and moves each source's next run on. A source that cannot be read gives a failed
// run and waits for its next time; the job itself fails only when the store does.
func (s *Syncer) runDue(ctx context.Context, _ *frontdesk.Job) error {
	due, err := s.DB.DueDirectorySources(ctx, s.now())
	if err != nil {
		return err
	}
	for _, id := range due {
		if err := ctx.Err(); err != nil {
			return err
		}
		src, err := s.DB.GetDirectorySource(ctx, id)
		if frontdesk.ErrorCode(err) == frontdesk.ENotFound {
			continue
		}
		if err != nil {
			return err
		}
		run, err := s.Run(ctx, id, true)
		if err != nil {
			return err
		}
		s.Log.Info("directory sync ran", "source", src.Name, "run", run.ID, "state", run.State, "error", run.Error)
		now := s.now()
		if err := s.DB.SetDirectoryRunTimes(ctx, id, now, src.NextRun(now)); err != nil {
			return err
		}
	}
	return nil
}
