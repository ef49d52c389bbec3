package api

import (
	"context"
	"net/http"
	"strconv"

	"frontdesk"
)

func (s *Server) createCustomField(w http.ResponseWriter, r *http.Request) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	var in frontdesk.CustomFieldInput
	if err := decodeBytes(body, &in); err != nil {
		return err
	}
	f := &frontdesk.CustomField{}
	if err := frontdesk.ApplyCustomField(f, in, true); err != nil {
		return err
	}
	return s.create(w, r, body, func(ctx context.Context) (any, error) {
		return f, s.db.CreateCustomField(ctx, f)
	})
}

func (s *Server) getCustomField(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	f, err := s.db.GetCustomField(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, f)
	return nil
}

func (s *Server) updateCustomField(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in frontdesk.CustomFieldInput
	if err := decode(r, &in); err != nil {
		return err
	}
	f, err := s.db.UpdateCustomField(r.Context(), id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, f)
	return nil
}

func (s *Server) listCustomFields(w http.ResponseWriter, r *http.Request) error {
	fields, err := s.db.ListCustomFields(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(fields, 0))
	return nil
}

func (s *Server) createSegment(w http.ResponseWriter, r *http.Request) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	var in frontdesk.SegmentInput
	if err := decodeBytes(body, &in); err != nil {
		return err
	}
	fields, err := s.db.CustomFieldMap(r.Context())
	if err != nil {
		return err
	}
	seg := &frontdesk.Segment{}
	if err := frontdesk.ApplySegment(seg, in, fields); err != nil {
		return err
	}
	return s.create(w, r, body, func(ctx context.Context) (any, error) {
		return seg, s.db.CreateSegment(ctx, seg)
	})
}

func (s *Server) getSegment(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	seg, err := s.db.GetSegment(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, seg)
	return nil
}

func (s *Server) updateSegment(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in frontdesk.SegmentInput
	if err := decode(r, &in); err != nil {
		return err
	}
	seg, err := s.db.UpdateSegment(r.Context(), id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, seg)
	return nil
}

func (s *Server) listSegments(w http.ResponseWriter, r *http.Request) error {
	segs, err := s.db.ListSegments(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(segs, 0))
	return nil
}

// listSegmentPeople lists the people a saved segment matches now (L7).
func (s *Server) listSegmentPeople(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	seg, err := s.db.GetSegment(r.Context(), id)
	if err != nil {
		return err
	}
	pg, err := page(r)
	if err != nil {
		return err
	}
	return s.writePeople(w, r, seg.Filter, pg)
}

// listAudit lists the audit log newest first (L6).
func (s *Server) listAudit(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	pg, err := page(r)
	if err != nil {
		return err
	}
	f := frontdesk.AuditFilter{SubjectType: q.Get("subject_type"), Action: q.Get("action"), After: pg.After, Limit: pg.Limit}
	var probs frontdesk.Problems
	for name, dst := range map[string]*int64{"subject_id": &f.SubjectID, "actor_id": &f.ActorID} {
		if v := q.Get(name); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n <= 0 {
				probs.Add(name, "must be a positive integer id")
			}
			*dst = n
		}
	}
	if err := probs.Err(); err != nil {
		return err
	}
	entries, err := s.db.ListAudit(r.Context(), f)
	if err != nil {
		return err
	}
	var next int64
	limit := f.Limit
	if limit == 0 {
		limit = frontdesk.DefaultPageSize
	}
	if len(entries) == limit {
		next = entries[len(entries)-1].ID
	}
	writeJSON(w, http.StatusOK, newList(entries, next))
	return nil
}
