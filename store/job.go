package store

// Durable jobs (package jobs runs them). A job is written in the transaction of the change
// that asks for it, then claimed by one runner under a lease, as the outbox's messages are:
// on PostgreSQL rows another instance is claiming are skipped (FOR UPDATE SKIP LOCKED), on
// SQLite the single writer serializes claims. Every write of a runner names the token of its
// claim, so that one that lost its lease (it hung, or was cut off from the database past
// the lease) finds no row to write and stops.

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"frontdesk"
)

// ErrLeaseLost says that the job is no longer the caller's: its lease ran out and another
// runner claimed it, or it was finished meanwhile.
var ErrLeaseLost = errors.New("the job's lease was lost")

const jobColumns = `id, kind, payload, state, unique_key, attempts, max_attempts, run_at, locked_by, lease_until,
	lease_token, cancel_requested, last_error, created_at, updated_at, started_at, finished_at`

func scanJob(r rowScanner) (*frontdesk.Job, error) {
	var j frontdesk.Job
	var payload string
	var key, lockedBy, token sql.NullString
	var lease, started, finished sql.NullInt64
	var runAt, created, updated int64
	var cancel int
	err := r.Scan(&j.ID, &j.Kind, &payload, &j.State, &key, &j.Attempts, &j.MaxAttempts, &runAt, &lockedBy, &lease,
		&token, &cancel, &j.LastError, &created, &updated, &started, &finished)
	if err != nil {
		return nil, err
	}
	j.Payload = json.RawMessage(payload)
	j.UniqueKey, j.LockedBy, j.LeaseToken = key.String, lockedBy.String, token.String
	j.CancelRequested = cancel != 0
	j.RunAt, j.CreatedAt, j.UpdatedAt = fromMicros(runAt), fromMicros(created), fromMicros(updated)
	j.LeaseUntil, j.StartedAt, j.FinishedAt = fromNullMicros(lease), fromNullMicros(started), fromNullMicros(finished)
	return &j, nil
}

func scanJobs(rows *sql.Rows) ([]*frontdesk.Job, error) {
	defer rows.Close()
	out := []*frontdesk.Job{}
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, j)
	}
	return out, rows.Err()
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// EnqueueJob stores j as queued, in the transaction of ctx when there is one, so that a job
// commits with the rows that asked for it. j.Kind and j.MaxAttempts must be set; a zero
// RunAt means now. When j.UniqueKey is set and an unfinished job holds that key, nothing is
// stored: j becomes that job and created is false.
func (db *DB) EnqueueJob(ctx context.Context, j *frontdesk.Job) (created bool, err error) {
	if j.Kind == "" || j.MaxAttempts <= 0 {
		return false, errors.New("enqueue job: kind and max attempts must be set")
	}
	if len(j.Payload) == 0 {
		j.Payload = json.RawMessage("{}")
	}
	if !json.Valid(j.Payload) {
		return false, frontdesk.Errorf(frontdesk.EInvalid, "a job's payload must be JSON")
	}
	err = db.inTx(ctx, func(tx *Tx) error {
		runAt := j.RunAt
		if runAt.IsZero() {
			runAt = tx.now
		}
		// The conflict target names the partial unique index, so a finished job's key is free.
		rows, err := tx.QueryContext(ctx, `INSERT INTO jobs (kind, payload, state, unique_key, max_attempts, run_at, created_at, updated_at)
			VALUES (?, ?, 'queued', ?, ?, ?, ?, ?)
			ON CONFLICT (unique_key) WHERE unique_key IS NOT NULL AND state IN ('queued', 'running') DO NOTHING
			RETURNING `+jobColumns,
			j.Kind, string(j.Payload), nullString(j.UniqueKey), j.MaxAttempts, micros(runAt), micros(tx.now), micros(tx.now))
		if err != nil {
			return fmt.Errorf("enqueue job: %w", err)
		}
		got, err := scanJobs(rows)
		if err != nil {
			return fmt.Errorf("enqueue job: %w", err)
		}
		if len(got) == 1 {
			*j, created = *got[0], true
			return nil
		}
		open, err := scanJob(tx.QueryRowContext(ctx, `SELECT `+jobColumns+` FROM jobs
			WHERE unique_key = ? AND state IN ('queued', 'running')`, j.UniqueKey))
		if isNoRows(err) {
			// The holder finished between the two statements: the caller may try again.
			return frontdesk.Errorf(frontdesk.EConflict, "a job with unique key %q was finishing; try again", j.UniqueKey)
		}
		if err != nil {
			return fmt.Errorf("enqueue job: %w", err)
		}
		*j = *open
		return nil
	})
	return created, err
}

// ScheduleJob makes sure one unfinished job of j's unique key exists and is due at j.RunAt:
// a queued one moves to that time (and takes j's payload), a running one is left alone (its
// handler's recurrence sets the run after it), and without either j is enqueued. j becomes
// the job as stored.
func (db *DB) ScheduleJob(ctx context.Context, j *frontdesk.Job) error {
	if j.UniqueKey == "" {
		return errors.New("schedule job: a unique key is required")
	}
	if len(j.Payload) == 0 {
		j.Payload = json.RawMessage("{}")
	}
	want := *j
	return db.inTx(ctx, func(tx *Tx) error {
		created, err := db.EnqueueJob(context.WithValue(ctx, txKey{}, tx), j)
		if err != nil || created || j.State != frontdesk.JobQueued {
			return err
		}
		runAt := want.RunAt
		if runAt.IsZero() {
			runAt = tx.now
		}
		got, err := scanJob(tx.QueryRowContext(ctx, `UPDATE jobs SET run_at = ?, payload = ?, updated_at = ?
			WHERE id = ? AND state = 'queued' RETURNING `+jobColumns, micros(runAt), string(want.Payload), micros(tx.now), j.ID))
		if err != nil {
			return fmt.Errorf("schedule job: %w", err)
		}
		*j = *got
		return nil
	})
}

// GetJob returns the job of id.
func (db *DB) GetJob(ctx context.Context, id int64) (*frontdesk.Job, error) {
	j, err := scanJob(db.reader(ctx).QueryRowContext(ctx, `SELECT `+jobColumns+` FROM jobs WHERE id = ?`, id))
	if isNoRows(err) {
		return nil, notFound("job", id)
	}
	return j, err
}

// ListJobs returns up to limit jobs of kind ("" for all), newest first, before id before
// (0 for the newest).
func (db *DB) ListJobs(ctx context.Context, kind string, before int64, limit int) ([]*frontdesk.Job, error) {
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	q := `SELECT ` + jobColumns + ` FROM jobs WHERE (? = '' OR kind = ?) AND (? = 0 OR id < ?) ORDER BY id DESC LIMIT ?`
	rows, err := db.reader(ctx).QueryContext(ctx, q, kind, kind, before, before, limit)
	if err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	return scanJobs(rows)
}

// The claim queries, with %s for the kinds' placeholders and %s for PostgreSQL's row lock.
// Like the outbox's, the picked rows are a CTE so that the LIMIT applies once.
const (
	failExpiredJobs = `UPDATE jobs SET state = 'failed', locked_by = NULL, lease_until = NULL, lease_token = NULL,
			last_error = ?, finished_at = ?, updated_at = ?
		WHERE state = 'running' AND lease_until <= ? AND attempts >= max_attempts`
	claimExpiredJobs = `WITH picked AS (SELECT id FROM jobs WHERE state = 'running' AND lease_until <= ? AND kind IN (%s)
			ORDER BY lease_until LIMIT ?%s)
		UPDATE jobs SET locked_by = ?, lease_until = ?, lease_token = ?, attempts = attempts + 1, started_at = ?, updated_at = ?
		WHERE state = 'running' AND id IN (SELECT id FROM picked)
		RETURNING ` + jobColumns
	claimDueJobs = `WITH picked AS (SELECT id FROM jobs WHERE state = 'queued' AND run_at <= ? AND kind IN (%s)
			ORDER BY run_at, id LIMIT ?%s)
		UPDATE jobs SET state = 'running', locked_by = ?, lease_until = ?, lease_token = ?, attempts = attempts + 1,
			started_at = ?, updated_at = ?
		WHERE state = 'queued' AND id IN (SELECT id FROM picked)
		RETURNING ` + jobColumns
)

func newLeaseToken() string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// ClaimJobs takes up to n jobs of the given kinds for worker, until now+lease: first those
// whose lease ran out (their instance died or hung), then due queued ones in order of their
// time. Each claimed job counts one more attempt and gets a fresh lease token. A running job
// whose lease ran out on its last attempt fails instead, with the reason recorded.
func (db *DB) ClaimJobs(ctx context.Context, worker string, kinds []string, n int, lease time.Duration) ([]*frontdesk.Job, error) {
	if worker == "" || n <= 0 || lease <= 0 || len(kinds) == 0 {
		return nil, errors.New("claim jobs: worker, kinds, n and lease must be set")
	}
	lock := ""
	if db.engine == Postgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(kinds)), ", ")
	var out []*frontdesk.Job
	err := db.inTx(ctx, func(tx *Tx) error {
		now, until := micros(tx.now), micros(tx.now.Add(lease))
		if _, err := tx.ExecContext(ctx, failExpiredJobs, "the instance running the job stopped on its last attempt (its lease ran out)",
			now, now, now); err != nil {
			return fmt.Errorf("claim jobs: %w", err)
		}
		claim := func(query string, limit int) error {
			// Each job gets its own token; the statement gives them one, and each is then
			// made its own below.
			args := []any{now}
			for _, k := range kinds {
				args = append(args, k)
			}
			args = append(args, limit, worker, until, newLeaseToken(), now, now)
			rows, err := tx.QueryContext(ctx, fmt.Sprintf(query, marks, lock), args...)
			if err != nil {
				return fmt.Errorf("claim jobs: %w", err)
			}
			got, err := scanJobs(rows)
			if err != nil {
				return err
			}
			for _, j := range got {
				if len(got) > 1 {
					j.LeaseToken = newLeaseToken()
					if _, err := tx.ExecContext(ctx, `UPDATE jobs SET lease_token = ? WHERE id = ?`, j.LeaseToken, j.ID); err != nil {
						return fmt.Errorf("claim jobs: %w", err)
					}
				}
				out = append(out, j)
			}
			return nil
		}
		if err := claim(claimExpiredJobs, n); err != nil {
			return err
		}
		if len(out) == n {
			return nil
		}
		return claim(claimDueJobs, n-len(out))
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// RenewJobLease extends the lease of the job held under token to now+lease, in the
// transaction of ctx when there is one, and says whether a cancellation was asked for. It
// returns ErrLeaseLost when the job is not held under token any more. Run in a handler's
// transaction, the check and the row lock it takes make the transaction commit only while
// the job is still the handler's.
func (db *DB) RenewJobLease(ctx context.Context, id int64, token string, lease time.Duration) (cancel bool, err error) {
	err = db.inTx(ctx, func(tx *Tx) error {
		var c int
		err := tx.QueryRowContext(ctx, `UPDATE jobs SET lease_until = ? WHERE id = ? AND state = 'running' AND lease_token = ?
			RETURNING cancel_requested`, micros(tx.now.Add(lease)), id, token).Scan(&c)
		if isNoRows(err) {
			return ErrLeaseLost
		}
		cancel = c != 0
		return err
	})
	return cancel, err
}

// JobOutcome is how a run of a job ended.
type JobOutcome struct {
	// State is the job's new state: succeeded, failed or cancelled; queued means a retry at
	// RetryAt.
	State   frontdesk.JobState
	Error   string
	RetryAt time.Time
	// Release gives the job back untried, as at shutdown: queued, due now, and the attempt
	// it took is not counted.
	Release bool
	// Next, when set on a final state, is the next run of a recurring job, enqueued in the
	// same transaction with the same kind, key, payload and attempts.
	Next time.Time
}

// FinishJob records the outcome of the run of the job held under token, and enqueues its
// next run when asked. It returns ErrLeaseLost when the job is not held under token any more.
func (db *DB) FinishJob(ctx context.Context, id int64, token string, o JobOutcome) error {
	return db.inTx(ctx, func(tx *Tx) error {
		now := micros(tx.now)
		var res sql.Result
		var err error
		switch {
		case o.Release:
			res, err = tx.ExecContext(ctx, `UPDATE jobs SET state = 'queued', run_at = ?, attempts = attempts - 1,
				locked_by = NULL, lease_until = NULL, lease_token = NULL, updated_at = ?
				WHERE id = ? AND state = 'running' AND lease_token = ?`, now, now, id, token)
		case o.State == frontdesk.JobQueued:
			res, err = tx.ExecContext(ctx, `UPDATE jobs SET state = 'queued', run_at = ?, last_error = ?,
				locked_by = NULL, lease_until = NULL, lease_token = NULL, updated_at = ?
				WHERE id = ? AND state = 'running' AND lease_token = ?`, micros(o.RetryAt), o.Error, now, id, token)
		case o.State.Finished():
			res, err = tx.ExecContext(ctx, `UPDATE jobs SET state = ?, last_error = ?, finished_at = ?,
				locked_by = NULL, lease_until = NULL, lease_token = NULL, updated_at = ?
				WHERE id = ? AND state = 'running' AND lease_token = ?`, o.State, o.Error, now, now, id, token)
		default:
			return fmt.Errorf("finish job: state %q", o.State)
		}
		if err != nil {
			return fmt.Errorf("finish job: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return ErrLeaseLost
		}
		if o.Next.IsZero() || o.Release || !o.State.Finished() {
			return nil
		}
		// The finished job freed its key: the next run takes it.
		_, err = tx.ExecContext(ctx, `INSERT INTO jobs (kind, payload, state, unique_key, max_attempts, run_at, created_at, updated_at)
			SELECT kind, payload, 'queued', unique_key, max_attempts, ?, ?, ? FROM jobs WHERE id = ?
			ON CONFLICT (unique_key) WHERE unique_key IS NOT NULL AND state IN ('queued', 'running') DO NOTHING`,
			micros(o.Next), now, now, id)
		if err != nil {
			return fmt.Errorf("finish job: next run: %w", err)
		}
		return nil
	})
}

// ReleaseWorkerJobs gives back, due at once, the jobs worker held when it stopped: a runner
// that starts again under the same name (no other live runner uses it) takes back its jobs
// without waiting for their leases. The attempts they took stay counted: the run died.
func (db *DB) ReleaseWorkerJobs(ctx context.Context, worker string) (int64, error) {
	var n int64
	err := db.inTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE jobs SET state = 'queued', run_at = ?, locked_by = NULL, lease_until = NULL,
			lease_token = NULL, updated_at = ?, last_error = 'the instance running the job stopped'
			WHERE state = 'running' AND locked_by = ?`, micros(tx.now), micros(tx.now), worker)
		if err != nil {
			return fmt.Errorf("release jobs: %w", err)
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}

// CancelJob cancels the job of id: a queued one at once, a running one by asking its runner,
// which stops the handler at its next heartbeat. A finished job stays as it is. It returns
// the job as it now stands.
func (db *DB) CancelJob(ctx context.Context, id int64) (*frontdesk.Job, error) {
	var j *frontdesk.Job
	err := db.inTx(ctx, func(tx *Tx) error {
		now := micros(tx.now)
		if _, err := tx.ExecContext(ctx, `UPDATE jobs SET state = 'cancelled', finished_at = ?, updated_at = ?,
			last_error = 'cancelled before it ran' WHERE id = ? AND state = 'queued'`, now, now, id); err != nil {
			return fmt.Errorf("cancel job: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE jobs SET cancel_requested = 1, updated_at = ? WHERE id = ? AND state = 'running'`,
			now, id); err != nil {
			return fmt.Errorf("cancel job: %w", err)
		}
		var err error
		j, err = scanJob(tx.QueryRowContext(ctx, `SELECT `+jobColumns+` FROM jobs WHERE id = ?`, id))
		if isNoRows(err) {
			return notFound("job", id)
		}
		return err
	})
	return j, err
}
