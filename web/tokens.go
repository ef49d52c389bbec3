package web

import (
	"net/http"
	"strconv"
	"time"

	"frontdesk"
	"frontdesk/store"
)

// tokenRow is one API token in a list, with what the viewer may do with it.
type tokenRow struct {
	frontdesk.APIToken
	State     string
	CanRevoke bool
}

type tokensView struct {
	*page
	Tokens []tokenRow
	// Everyone marks the console's list of everyone's tokens; else the viewer's own.
	Everyone bool
	// CanSeeEveryone offers the link to everyone's tokens.
	CanSeeEveryone bool
	// Created and Secret show a token just made, this once.
	Created *frontdesk.APIToken
	Secret  string
	// Older is the link to the next page, "" on the last.
	Older string
}

// requireStaff lets a logged-in staff member through: API tokens are staff's alone.
func (s *Server) requireStaff(w http.ResponseWriter, r *http.Request) bool {
	if !s.requireLogin(w, r) {
		return false
	}
	if !viewerActor(r).Role.IsStaff() {
		s.message(w, r, http.StatusForbidden, "Not allowed", "API tokens are for staff members.", "/", "Home")
		return false
	}
	return true
}

// tokensPage lists the viewer's tokens, or everyone's, one page at a time.
func (s *Server) tokensPage(r *http.Request, everyone bool) (tokensView, error) {
	actor := viewerActor(r)
	v := tokensView{page: s.basePage(r, "Your API tokens"), Everyone: everyone, CanSeeEveryone: actor.CanListTokensOf(0)}
	f := store.APITokenFilter{PersonID: actor.ID}
	path := "/account/tokens"
	if everyone {
		v.Title, f.PersonID, path = "Everyone's API tokens", 0, "/console/tokens"
	}
	after, _ := strconv.ParseInt(r.URL.Query().Get("after"), 10, 64)
	list, next, err := s.db.ListAPITokens(r.Context(), f, frontdesk.Page{After: after, Limit: frontdesk.MaxPageSize})
	if err != nil {
		return v, err
	}
	now := time.Now()
	for _, t := range list {
		state := t.StateAt(now)
		v.Tokens = append(v.Tokens, tokenRow{APIToken: t, State: state,
			CanRevoke: state != frontdesk.TokenRevoked && actor.CheckTokenRevoke(&t) == nil})
	}
	if next != 0 {
		v.Older = path + "?after=" + strconv.FormatInt(next, 10)
	}
	if r.URL.Query().Get("done") == "revoked" {
		v.Notice = "The token is revoked; it no longer opens the API."
	}
	return v, nil
}

func (s *Server) tokens(w http.ResponseWriter, r *http.Request) {
	if !s.requireStaff(w, r) {
		return
	}
	s.showTokens(w, r, false)
}

func (s *Server) everyonesTokens(w http.ResponseWriter, r *http.Request) {
	if !s.requirePermission(w, r, frontdesk.PermPeopleManage) {
		return
	}
	s.showTokens(w, r, true)
}

func (s *Server) showTokens(w http.ResponseWriter, r *http.Request, everyone bool) {
	v, err := s.tokensPage(r, everyone)
	if err != nil {
		s.render(w, s.fail(r, v.page, err), "message", messageView{page: v.page})
		return
	}
	s.render(w, http.StatusOK, "tokens", v)
}

// createToken makes a token for the viewer and shows its secret on the answer to the form,
// once: the secret is not stored, so no later page can show it.
func (s *Server) createToken(w http.ResponseWriter, r *http.Request) {
	if !s.requireStaff(w, r) {
		return
	}
	values := formValues(r, "name", "expires_at")
	t, secret, err := s.db.IssueAPIToken(r.Context(), viewerActor(r).ID, frontdesk.APITokenInput{Name: values["name"], ExpiresAt: values["expires_at"]})
	v, lerr := s.tokensPage(r, false)
	if err == nil {
		err = lerr
	}
	if err != nil {
		v.Values = values
		s.render(w, s.fail(r, v.page, err), "tokens", v)
		return
	}
	v.Created, v.Secret = t, secret
	s.render(w, http.StatusOK, "tokens", v)
}

func (s *Server) revokeOwnToken(w http.ResponseWriter, r *http.Request) {
	if !s.requireStaff(w, r) {
		return
	}
	s.revokeToken(w, r, "/account/tokens")
}

func (s *Server) revokeAnyToken(w http.ResponseWriter, r *http.Request) {
	if !s.requirePermission(w, r, frontdesk.PermPeopleManage) {
		return
	}
	s.revokeToken(w, r, "/console/tokens")
}

// revokeToken ends a token if the domain lets the viewer: their own, or, with people.manage,
// one of someone strictly below them.
func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request, back string) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if _, err := s.db.RevokeAPIToken(r.Context(), id, viewerActor(r).CheckTokenRevoke); err != nil {
		p := s.basePage(r, "The token was not revoked")
		s.render(w, s.fail(r, p, err), "message", messageView{page: p, Link: &struct{ Href, Text string }{back, "Back to the tokens"}})
		return
	}
	http.Redirect(w, r, back+"?done=revoked", http.StatusSeeOther)
}
