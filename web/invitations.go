package web

// The people directory's bulk invitation (X8): from the filters in force, a page that says
// how many people they keep and asks what to send and how long the links last, then the
// report of flow.Invite, the same guarded path as POST /api/v1/people/invitations.

import (
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"frontdesk"
	"frontdesk/flow"
)

type invitationsView struct {
	*page
	// Filter is the filter as the form carries it on; Query is it as a link back.
	Filter []filterParam
	Query  template.URL // url.Values.Encode's, safe as a URL's query
	Count  int
	// Purpose and Hours are the choices shown; MinHours and MaxHours bound the hours.
	Purpose            string
	Hours              string
	MinHours, MaxHours int
	Report             *flow.InvitationReport
}

// invitationFilter reads the directory's filters from q as the directory does.
func (s *Server) invitationFilter(r *http.Request, q url.Values, v *invitationsView) (frontdesk.PersonFilter, error) {
	kept := url.Values{}
	for k, vs := range q {
		if slices.Contains(filterKeys, k) || strings.HasPrefix(k, "cf.") {
			for _, val := range vs {
				if val != "" {
					kept.Add(k, val)
					v.Filter = append(v.Filter, filterParam{k, val})
				}
			}
		}
	}
	slices.SortFunc(v.Filter, func(a, b filterParam) int { return strings.Compare(a.Name+"="+a.Value, b.Name+"="+b.Value) })
	v.Query = template.URL(kept.Encode())
	fields, err := s.db.CustomFieldMap(r.Context())
	if err != nil {
		return frontdesk.PersonFilter{}, err
	}
	return frontdesk.ParsePersonFilter(kept, fields)
}

func (s *Server) newInvitationsView(r *http.Request) invitationsView {
	return invitationsView{page: s.basePage(r, "Resend invitations"), MinHours: flow.MinInviteHours, MaxHours: flow.MaxInviteHours}
}

// invitationsForm asks what to send to the people the directory's filters keep, and says
// how many they are.
func (s *Server) invitationsForm(w http.ResponseWriter, r *http.Request) {
	if !s.requirePermission(w, r, frontdesk.PermPeopleUpdate) {
		return
	}
	v := s.newInvitationsView(r)
	f, err := s.invitationFilter(r, r.URL.Query(), &v)
	if err == nil {
		v.Count, err = s.db.CountPeople(r.Context(), f)
	}
	if err != nil {
		s.render(w, s.fail(r, v.page, err), "message", messageView{page: v.page, Link: &struct{ Href, Text string }{"/console/people", "Back to people"}})
		return
	}
	v.Purpose, v.Hours = flow.InvitePurposeWelcome, "72"
	s.render(w, http.StatusOK, "invitations", v)
}

// sendInvitations sends them and shows the report.
func (s *Server) sendInvitations(w http.ResponseWriter, r *http.Request) {
	if !s.requirePermission(w, r, frontdesk.PermPeopleUpdate) {
		return
	}
	v := s.newInvitationsView(r)
	if err := r.ParseForm(); err != nil {
		s.render(w, s.fail(r, v.page, frontdesk.Errorf(frontdesk.EMalformed, "the form could not be read")), "message", messageView{page: v.page})
		return
	}
	v.Purpose, v.Hours = r.PostFormValue("purpose"), strings.TrimSpace(r.PostFormValue("lifetime_hours"))
	f, err := s.invitationFilter(r, r.PostForm, &v)
	var rep *flow.InvitationReport
	if err == nil {
		hours, perr := strconv.Atoi(v.Hours)
		if perr != nil {
			hours = -1 // reported by the flow with the others
		}
		rep, err = s.flows.Invite(r.Context(), flow.Invitation{Filter: f, Purpose: v.Purpose, LifetimeHours: hours})
	}
	if err != nil {
		status := s.fail(r, v.page, err)
		if c, cerr := s.db.CountPeople(r.Context(), f); cerr == nil {
			v.Count = c
		}
		s.render(w, status, "invitations", v)
		return
	}
	v.Report, v.Count = rep, rep.Matched
	v.Notice = strconv.Itoa(rep.Sent) + " sent."
	s.render(w, http.StatusOK, "invitations", v)
}
