package api

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"frontdesk"
)

func (s *Server) createCustomField(w http.ResponseWriter, r *http.Request) error {
	return s.create(w, r, func(body []byte) (creator, error) {
		var in frontdesk.CustomFieldInput
		if err := decodeBytes(body, &in); err != nil {
			return nil, err
		}
		f := &frontdesk.CustomField{}
		if err := frontdesk.ApplyCustomField(f, in, true); err != nil {
			return nil, err
		}
		return func(ctx context.Context) (any, error) { return f, s.db.CreateCustomField(ctx, f) }, nil
	})
}

func (s *Server) getCustomField(w http.ResponseWriter, r *http.Request) error {
	return getByID(w, r, s.db.GetCustomField)
}

func (s *Server) updateCustomField(w http.ResponseWriter, r *http.Request) error {
	return updateByID(w, r, s.db.UpdateCustomField)
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
	return s.create(w, r, func(body []byte) (creator, error) {
		var in frontdesk.SegmentInput
		if err := decodeBytes(body, &in); err != nil {
			return nil, err
		}
		fields, err := s.db.CustomFieldMap(r.Context())
		if err != nil {
			return nil, err
		}
		seg := &frontdesk.Segment{}
		if err := frontdesk.ApplySegment(seg, in, fields); err != nil {
			return nil, err
		}
		return func(ctx context.Context) (any, error) { return seg, s.db.CreateSegment(ctx, seg) }, nil
	})
}

func (s *Server) getSegment(w http.ResponseWriter, r *http.Request) error {
	return getByID(w, r, s.db.GetSegment)
}

func (s *Server) updateSegment(w http.ResponseWriter, r *http.Request) error {
	return updateByID(w, r, s.db.UpdateSegment)
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
	entries, next, err := s.db.ListAudit(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(entries, next))
	return nil
}

// settingsTTL bounds how long another instance's change of settings takes to show here.
const settingsTTL = 2 * time.Second

// settings returns the helpdesk's settings, read at most every settingsTTL. A failed read
// falls back to the defaults, logged: a display choice must not fail a request.
func (s *Server) settings(ctx context.Context) frontdesk.Settings {
	s.settingsMu.Lock()
	defer s.settingsMu.Unlock()
	if time.Since(s.cachedAt) < settingsTTL {
		return s.cached
	}
	st, err := s.db.GetSettings(ctx)
	if err != nil {
		s.log.Error("read settings", "err", err)
		return frontdesk.DefaultSettings
	}
	s.cached, s.cachedAt = st, time.Now()
	return st
}

func (s *Server) getSettings(w http.ResponseWriter, r *http.Request) error {
	st, err := s.db.GetSettings(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

func (s *Server) updateSettings(w http.ResponseWriter, r *http.Request) error {
	var in frontdesk.SettingsInput
	if err := decode(r, &in); err != nil {
		return err
	}
	st, err := s.db.UpdateSettings(r.Context(), in)
	if err != nil {
		return err
	}
	s.settingsMu.Lock()
	s.cached, s.cachedAt = st, time.Now()
	s.settingsMu.Unlock()
	writeJSON(w, http.StatusOK, st)
	return nil
}
