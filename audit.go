package frontdesk

import (
	"encoding/json"
	"time"
)

// AuditEntry records one change: who, when, what, before and after (L6).
type AuditEntry struct {
	ID          int64           `json:"id"`
	At          time.Time       `json:"at"`
	ActorID     *int64          `json:"actor_id"`
	ActorName   string          `json:"actor_name"`
	Action      string          `json:"action"`
	SubjectType string          `json:"subject_type"`
	SubjectID   int64           `json:"subject_id"`
	Before      json.RawMessage `json:"before"`
	After       json.RawMessage `json:"after"`
}

// AuditFilter narrows a listing of the audit log.
type AuditFilter struct {
	SubjectType string
	SubjectID   int64
	ActorID     int64
	Action      string
	After       int64 // cursor: entries with a smaller id (newest first)
	Limit       int
}
