package api

import (
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"

	"frontdesk"
)

// The suppression list (X3): addresses no mail goes to, with the reason and the bounce's
// diagnostic; staff add and remove addresses by hand. And the bounces received, matched to
// a message of ours or not (a forged one matches nothing and suppresses nobody).

// addressPage reads the cursor and limit of a list ordered by address.
func addressPage(r *http.Request) (after string, limit int, err error) {
	var probs frontdesk.Problems
	if c := r.URL.Query().Get("cursor"); c != "" {
		b, err := base64.RawURLEncoding.DecodeString(c)
		if err != nil || !strings.HasPrefix(string(b), "addr:") {
			probs.Add("cursor", "is not a cursor this API gave")
		}
		after = strings.TrimPrefix(string(b), "addr:")
	}
	if l := r.URL.Query().Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > frontdesk.MaxPageSize {
			probs.Add("limit", "must be a number from 1 to %d", frontdesk.MaxPageSize)
		}
		limit = n
	}
	return after, limit, probs.Err()
}

func (s *Server) listSuppressions(w http.ResponseWriter, r *http.Request) error {
	after, limit, err := addressPage(r)
	if err != nil {
		return err
	}
	items, next, err := s.db.Suppressions(r.Context(), after, limit)
	if err != nil {
		return err
	}
	out := list[*frontdesk.Suppression]{Data: items}
	if next != "" {
		c := base64.RawURLEncoding.EncodeToString([]byte("addr:" + next))
		out.NextCursor = &c
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// addSuppression puts an address on the list by hand (reason manual, by the caller); an
// address already there keeps its first reason and is answered as it is (200).
func (s *Server) addSuppression(w http.ResponseWriter, r *http.Request) error {
	var in frontdesk.SuppressionInput
	if err := decode(r, &in); err != nil {
		return err
	}
	sup, added, err := s.cfg.Inbox.Suppress(r.Context(), in)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if added {
		status = http.StatusCreated
	}
	writeJSON(w, status, sup)
	return nil
}

// removeSuppression takes an address off the list; one that is not on it (or is no address
// at all) is not found.
func (s *Server) removeSuppression(w http.ResponseWriter, r *http.Request) error {
	a := r.PathValue("address")
	if _, err := frontdesk.NormalizeEmail(a); err != nil {
		return frontdesk.Errorf(frontdesk.ENotFound, "%q is not on the suppression list", a)
	}
	if err := s.cfg.Inbox.Unsuppress(r.Context(), a); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// listBounces lists the recent bounces, of one ?address= or all, newest first.
func (s *Server) listBounces(w http.ResponseWriter, r *http.Request) error {
	_, limit, err := addressPage(r)
	if err != nil {
		return err
	}
	a := strings.TrimSpace(r.URL.Query().Get("address"))
	if a != "" {
		n, err := frontdesk.NormalizeEmail(a)
		if err != nil {
			return frontdesk.InvalidField("address", "%v", err)
		}
		a = n
	}
	items, err := s.db.Bounces(r.Context(), a, limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(items, 0))
	return nil
}
