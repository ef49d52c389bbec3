package api

import (
	"context"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
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
	q := r.URL.Query()
	f, err := frontdesk.ParsePersonFilter(q, fields)
	if text := q.Get("q"); text != "" {
		return s.searchPeople(w, r, text, f, err)
	}
	pg, perr := page(r)
	if err != nil {
		return err
	}
	if perr != nil {
		return perr
	}
	return s.writePeople(w, r, f, pg)
}

// searchPeople answers a list with q (P5, L7): the people whose address or name starts with
// q and who pass the filter, in the search's order. Its cursor is the search's own; every
// problem of the filter, q, cursor and limit is answered at once.
func (s *Server) searchPeople(w http.ResponseWriter, r *http.Request, text string, f frontdesk.PersonFilter, ferr error) error {
	var probs frontdesk.Problems
	if fe, ok := ferr.(*frontdesk.Error); ok {
		probs = fe.Fields
	} else if ferr != nil {
		return ferr
	}
	text = frontdesk.CleanText(&probs, "q", text, 254, frontdesk.OneLine)
	q := r.URL.Query()
	var after string
	if c := q.Get("cursor"); c != "" {
		b, err := base64.RawURLEncoding.DecodeString(c)
		cur, ok := strings.CutPrefix(string(b), "search:")
		if _, perr := store.ParseSearchCursor(cur); err != nil || !ok || cur == "" || perr != nil {
			probs.Add("cursor", "is not a cursor this API gave")
		}
		after = cur
	}
	q.Del("cursor")
	r2 := r.Clone(r.Context())
	r2.URL.RawQuery = q.Encode()
	pg, perr := page(r2)
	if fe, ok := perr.(*frontdesk.Error); ok {
		probs = append(probs, fe.Fields...)
	}
	if err := probs.Err(); err != nil {
		return err
	}
	people, next, err := s.db.SearchPeople(r.Context(), text, f, after, pg.Limit)
	if err != nil {
		return err
	}
	l := newList(s.viewPeople(r.Context(), people), 0)
	if next != "" {
		c := base64.RawURLEncoding.EncodeToString([]byte("search:" + next))
		l.NextCursor = &c
	}
	writeJSON(w, http.StatusOK, l)
	return nil
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
