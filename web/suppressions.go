package web

import (
	"net/http"
	"strings"

	"frontdesk"
)

// The console's suppression list (X3): addresses no mail goes to and why, added and removed
// by hand, and the recent bounces, matched to a message of ours or not (a forged bounce
// matches nothing and suppresses nobody).

type suppressionsView struct {
	*page
	Suppressions []*frontdesk.Suppression
	// Next is the address after which the next page starts, "" at the end.
	Next    string
	Bounces []*frontdesk.Bounce
}

func (s *Server) suppressionsPage(r *http.Request, v *suppressionsView) error {
	var err error
	after := r.URL.Query().Get("after")
	if v.Suppressions, v.Next, err = s.db.Suppressions(r.Context(), after, 100); err != nil {
		return err
	}
	v.Bounces, err = s.db.Bounces(r.Context(), "", 20)
	return err
}

func (s *Server) suppressions(w http.ResponseWriter, r *http.Request) {
	if !s.requirePermission(w, r, frontdesk.PermSettingsManage) {
		return
	}
	v := suppressionsView{page: s.basePage(r, "Suppression list")}
	if err := s.suppressionsPage(r, &v); err != nil {
		s.render(w, s.fail(r, v.page, err), "message", messageView{page: v.page})
		return
	}
	switch q := r.URL.Query(); q.Get("done") {
	case "added":
		v.Notice = q.Get("address") + " is suppressed: no mail goes to it."
	case "exists":
		v.Notice = q.Get("address") + " was suppressed already; it keeps its first reason."
	case "removed":
		v.Notice = q.Get("address") + " is no longer suppressed."
	}
	s.render(w, http.StatusOK, "suppressions", v)
}

func (s *Server) addSuppression(w http.ResponseWriter, r *http.Request) {
	if !s.requirePermission(w, r, frontdesk.PermSettingsManage) {
		return
	}
	v := suppressionsView{page: s.basePage(r, "Suppression list")}
	v.Values = formValues(r, "address", "diagnostic")
	sup, added, err := s.Inbox.Suppress(r.Context(), frontdesk.SuppressionInput{Address: v.Values["address"], Diagnostic: v.Values["diagnostic"]})
	if err != nil {
		status := s.fail(r, v.page, err)
		if lerr := s.suppressionsPage(r, &v); lerr != nil {
			s.render(w, status, "message", messageView{page: v.page})
			return
		}
		s.render(w, status, "suppressions", v)
		return
	}
	done := "exists"
	if added {
		done = "added"
	}
	http.Redirect(w, r, "/console/suppressions?done="+done+"&address="+urlQuery(sup.Address), http.StatusSeeOther)
}

func (s *Server) removeSuppression(w http.ResponseWriter, r *http.Request) {
	if !s.requirePermission(w, r, frontdesk.PermSettingsManage) {
		return
	}
	a := strings.TrimSpace(r.PostFormValue("address"))
	if err := s.Inbox.Unsuppress(r.Context(), a); err != nil {
		p := s.basePage(r, "Suppression list")
		s.render(w, s.fail(r, p, err), "message", messageView{page: p, Link: &struct{ Href, Text string }{"/console/suppressions", "Back to the suppression list"}})
		return
	}
	http.Redirect(w, r, "/console/suppressions?done=removed&address="+urlQuery(a), http.StatusSeeOther)
}
