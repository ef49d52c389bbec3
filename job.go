package frontdesk

import (
	"encoding/json"
	"time"
)

// JobState is where a durable job stands.
type JobState string

// Job states. Queued and running jobs are unfinished; the others are final.
const (
	JobQueued    JobState = "queued"
	JobRunning   JobState = "running"
	JobSucceeded JobState = "succeeded"
	JobFailed    JobState = "failed"
	JobCancelled JobState = "cancelled"
)

// Finished reports whether the state is final.
func (s JobState) Finished() bool {
	return s == JobSucceeded || s == JobFailed || s == JobCancelled
}

// Job is a piece of long work (an import, a directory sync) kept in the database, so that it
// survives restarts and runs on one instance at a time. Package jobs runs them.
type Job struct {
	ID      int64           `json:"id"`
	Kind    string          `json:"kind"`
	Payload json.RawMessage `json:"-"`
	State   JobState        `json:"state"`
	// UniqueKey, when set, allows one unfinished job with it at a time.
	UniqueKey   string `json:"unique_key,omitempty"`
	Attempts    int    `json:"attempts"`
	MaxAttempts int    `json:"max_attempts"`
	// RunAt is when the job is due (its next try, after a failure).
	RunAt time.Time `json:"run_at"`
	// LockedBy names the instance running it, until LeaseUntil.
	LockedBy   string     `json:"locked_by,omitempty"`
	LeaseUntil *time.Time `json:"lease_until,omitempty"`
	// LeaseToken is the claim's own token: every write of a runner names it, so that a runner
	// whose lease another took over writes nothing more.
	LeaseToken      string     `json:"-"`
	CancelRequested bool       `json:"cancel_requested,omitempty"`
	LastError       string     `json:"last_error,omitempty"`
	CreatedAt       time.Time  `json:"created_at"`
	UpdatedAt       time.Time  `json:"updated_at"`
	StartedAt       *time.Time `json:"started_at,omitempty"`
	FinishedAt      *time.Time `json:"finished_at,omitempty"`
}
