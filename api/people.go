package api

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"frontdesk"
	"frontdesk/flow"
	"frontdesk/store"
)

// personView is a person as the API shows them, with the full name spelled out and the name
// that lists show under the name display setting (P3).
type personView struct {
	*frontdesk.Person
	Name        string `json:"name"`
	DisplayName string `json:"display_name"`
}

func (s *Server) viewPerson(ctx context.Context, p *frontdesk.Person) personView {
	return personView{Person: p, Name: p.FullName(), DisplayName: p.DisplayName(s.settings(ctx).NameDisplay == frontdesk.NameDisplayPreferred)}
}

func (s *Server) viewPeople(ctx context.Context, people []*frontdesk.Person) []personView {
	out := make([]personView, len(people))
	for i, p := range people {
		out[i] = s.viewPerson(ctx, p)
	}
	return out
}

func (s *Server) createPerson(w http.ResponseWriter, r *http.Request) error {
	return s.create(w, r, func(body []byte) (creator, error) {
		var in frontdesk.PersonInput
		if err := decodeBytes(body, &in); err != nil {
			return nil, err
		}
		p, err := s.cfg.Flows.PreparePerson(r.Context(), in, frontdesk.ChannelAPI)
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context) (any, error) {
			// The mail that creation causes is queued in the same transaction.
			if err := s.cfg.Flows.CreatePerson(ctx, p); err != nil {
				return nil, err
			}
			return s.viewPerson(ctx, p), nil
		}, nil
	})
}

func (s *Server) getPerson(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	p, err := s.db.GetPerson(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.viewPerson(r.Context(), p))
	return nil
}

func (s *Server) updatePerson(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in frontdesk.PersonInput
	if err := decode(r, &in); err != nil {
		return err
	}
	p, err := s.cfg.Flows.UpdatePerson(r.Context(), id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.viewPerson(r.Context(), p))
	return nil
}

type stateInput struct {
	State       frontdesk.State `json:"state"`
	BanReason   string          `json:"ban_reason"`
	BannedUntil *string         `json:"banned_until"` // RFC 3339; read here so a bad one is named
}

// setPersonState moves a person through the transition table (L1).
func (s *Server) setPersonState(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in stateInput
	if err := decode(r, &in); err != nil {
		return err
	}
	c := store.StateChange{To: in.State, BanReason: in.BanReason}
	var badTime bool
	if in.BannedUntil != nil {
		t, err := time.Parse(time.RFC3339, *in.BannedUntil)
		badTime = err != nil
		c.BannedUntil = &t
	}
	probs := flow.StateChangeProblems(&c)
	if badTime {
		probs.Add("banned_until", "must be a time written as RFC 3339, such as 2030-01-31T12:00:00Z")
	}
	if err := probs.Err(); err != nil {
		return err
	}
	p, err := s.cfg.Flows.SetState(r.Context(), id, c)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.viewPerson(r.Context(), p))
	return nil
}

func (s *Server) listPeople(w http.ResponseWriter, r *http.Request) error {
	fields, err := s.db.CustomFieldMap(r.Context())
	if err != nil {
		return err
	}
	f, err := frontdesk.ParsePersonFilter(r.URL.Query(), fields)
	pg, perr := page(r)
	if err != nil {
		return err
	}
	if perr != nil {
		return perr
	}
	return s.writePeople(w, r, f, pg)
}

func (s *Server) writePeople(w http.ResponseWriter, r *http.Request, f frontdesk.PersonFilter, pg frontdesk.Page) error {
	people, next, err := s.db.ListPeople(r.Context(), f, pg)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(s.viewPeople(r.Context(), people), next))
	return nil
}

// suggestPeople answers while staff type an address or a name (P5).
func (s *Server) suggestPeople(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query().Get("q")
	if q == "" {
		return frontdesk.InvalidField("q", "is required: the start of an address or a name")
	}
	var probs frontdesk.Problems
	if q = frontdesk.CleanText(&probs, "q", q, 254, frontdesk.OneLine); probs.Err() != nil {
		return probs.Err()
	}
	limit := 10
	if l := r.URL.Query().Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 50 {
			return frontdesk.InvalidField("limit", "must be a number from 1 to 50")
		}
		limit = n
	}
	people, err := s.db.SuggestPeople(r.Context(), q, limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(s.viewPeople(r.Context(), people), 0))
	return nil
}
