package api

import (
	"context"
	"encoding/json"
	"net/http"

	"frontdesk"
	"frontdesk/flow"
)

const bulkPeoplePath = "/api/v1/people/bulk"

// MaxBulkBodyBytes bounds the body of a bulk request: room for flow.MaxBulkItems people of
// a generous size each.
const MaxBulkBodyBytes = 16 << 20

// bulkInput is a bulk request: the key that matches existing people, and the items, each
// read on its own so that a malformed item fails alone.
type bulkInput struct {
	Key   string            `json:"key"`
	Items []json.RawMessage `json:"items"`
}

// bulkPeople creates or updates up to flow.MaxBulkItems people in one transaction (X7). The
// answer lists every item in request order; with an Idempotency-Key, a retry replays it.
func (s *Server) bulkPeople(w http.ResponseWriter, r *http.Request) error {
	return s.createWith(w, r, http.StatusOK, func(body []byte) (creator, error) {
		var in bulkInput
		if err := decodeBytes(body, &in); err != nil {
			return nil, err
		}
		if in.Key == "" {
			in.Key = flow.BulkKeyExternalID
		}
		items := make([]flow.BulkItem, len(in.Items))
		for i, raw := range in.Items {
			// An item that cannot be read fails alone; its fields are named within the item.
			items[i].Problem = decodeBytes(raw, &items[i].Input)
		}
		return func(ctx context.Context) (any, error) {
			return s.cfg.Flows.BulkPeople(ctx, in.Key, items, frontdesk.ChannelAPI)
		}, nil
	})
}

// invitationInput is a bulk invitation: a filter as the people list reads it, or the id of
// a saved segment, with the purpose and the link lifetime.
type invitationInput struct {
	Filter        *frontdesk.PersonFilter `json:"filter"`
	SegmentID     int64                   `json:"segment_id"`
	Purpose       string                  `json:"purpose"`
	LifetimeHours int                     `json:"lifetime_hours"`
}

// inviteSegment sends the confirmation or the welcome again to every person of a segment
// who needs it (X8) and answers how many were sent, suppressed and skipped.
func (s *Server) inviteSegment(w http.ResponseWriter, r *http.Request) error {
	var in invitationInput
	if err := decode(r, &in); err != nil {
		return err
	}
	inv := flow.Invitation{Purpose: in.Purpose, LifetimeHours: in.LifetimeHours}
	switch {
	case in.SegmentID != 0 && in.Filter != nil:
		return frontdesk.InvalidField("segment_id", "give a filter or a segment, not both")
	case in.SegmentID != 0:
		seg, err := s.db.GetSegment(r.Context(), in.SegmentID)
		if frontdesk.ErrorCode(err) == frontdesk.ENotFound {
			return frontdesk.InvalidField("segment_id", "there is no segment %d", in.SegmentID)
		}
		if err != nil {
			return err
		}
		inv.Filter = seg.Filter
	case in.Filter != nil:
		inv.Filter = *in.Filter
	default:
		return frontdesk.InvalidField("filter", "is required: a filter of the people list ({} for everyone) or a segment_id")
	}
	rep, err := s.cfg.Flows.Invite(r.Context(), inv)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}
