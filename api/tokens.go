package api

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"frontdesk"
	"frontdesk/store"
)

// anyStaff is the permission of the routes every active staff member may call, such as
// their own API tokens; the handler decides the rest.
const anyStaff frontdesk.Permission = ""

// tokenView is a token as the API shows it: never its hash, and its secret only in the
// answer that made it.
type tokenView struct {
	*frontdesk.APIToken
	State  string `json:"state"`
	Secret string `json:"secret,omitempty"`
}

func viewToken(t *frontdesk.APIToken) tokenView {
	return tokenView{APIToken: t, State: t.StateAt(time.Now())}
}

// Replay is what an Idempotency-Key stores of a new token and answers again: the token
// without its secret, so that no secret is ever written to the database.
func (v tokenView) Replay() any {
	v.Secret = ""
	return v
}

// listTokens lists the caller's tokens, or one person's (person_id) or everyone's (all=true)
// for a caller the domain lets see them.
func (s *Server) listTokens(w http.ResponseWriter, r *http.Request) error {
	pg, err := page(r)
	var probs frontdesk.Problems
	if e, ok := err.(*frontdesk.Error); ok {
		probs = e.Fields
	}
	actor := frontdesk.ActorFrom(r.Context())
	who := actor.ID
	q := r.URL.Query()
	all := false
	if v := q.Get("all"); v != "" {
		if all, err = strconv.ParseBool(v); err != nil {
			probs.Add("all", "must be true or false")
		}
	}
	if v := q.Get("person_id"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		switch {
		case err != nil || id <= 0:
			probs.Add("person_id", "must be a positive integer id")
		case all:
			probs.Add("person_id", "leave it out to list everyone's tokens with all=true")
		default:
			who = id
		}
	}
	if err := probs.Err(); err != nil {
		return err
	}
	if all {
		who = 0
	}
	if !actor.CanListTokensOf(who) {
		return frontdesk.Errorf(frontdesk.EForbidden, "seeing other people's tokens needs the %s permission", frontdesk.PermPeopleManage)
	}
	list, next, err := s.db.ListAPITokens(r.Context(), store.APITokenFilter{PersonID: who}, pg)
	if err != nil {
		return err
	}
	views := make([]tokenView, len(list))
	for i := range list {
		views[i] = viewToken(&list[i])
	}
	writeJSON(w, http.StatusOK, newList(views, next))
	return nil
}

// createToken makes a token for the caller; it answers its secret this once.
func (s *Server) createToken(w http.ResponseWriter, r *http.Request) error {
	return s.create(w, r, func(body []byte) (creator, error) {
		var in struct {
			Name      *string `json:"name"`
			ExpiresAt *string `json:"expires_at"`
		}
		if err := decodeBytes(body, &in); err != nil {
			return nil, err
		}
		var req frontdesk.APITokenInput
		if in.Name != nil {
			req.Name = *in.Name
		}
		if in.ExpiresAt != nil {
			req.ExpiresAt = *in.ExpiresAt
		}
		return func(ctx context.Context) (any, error) {
			t, secret, err := s.db.IssueAPIToken(ctx, frontdesk.ActorFrom(ctx).ID, req)
			if err != nil {
				return nil, err
			}
			v := viewToken(t)
			v.Secret = secret
			return v, nil
		}, nil
	})
}

// revokeToken ends a token, if the domain lets the caller (their own, or below them).
func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	t, err := s.db.RevokeAPIToken(r.Context(), id, frontdesk.ActorFrom(r.Context()).CheckTokenRevoke)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewToken(t))
	return nil
}
