package web

// The console's organizations and their domains (X6): adding a domain shows first whom it
// would move, with a box for each person (ticked for those moved by default), and moves
// them when confirmed, through flow.PreviewDomains and flow.ApplyDomains, the same guarded
// paths as the API's.

import (
	"net/http"
	"slices"
	"strconv"

	"frontdesk"
	"frontdesk/flow"
)

type organizationsView struct {
	*page
	Orgs []*frontdesk.Organization
	Next int64
}

// organizations lists the organizations with their domains.
func (s *Server) organizations(w http.ResponseWriter, r *http.Request) {
	if !s.requirePermission(w, r, frontdesk.PermPeopleRead) {
		return
	}
	v := organizationsView{page: s.basePage(r, "Organizations")}
	after, _ := strconv.ParseInt(r.URL.Query().Get("after"), 10, 64)
	var err error
	if v.Orgs, v.Next, err = s.db.ListOrganizations(r.Context(), frontdesk.Page{After: after, Limit: 100}); err != nil {
		s.render(w, s.fail(r, v.page, err), "message", messageView{page: v.page})
		return
	}
	s.render(w, http.StatusOK, "organizations", v)
}

type organizationView struct {
	*page
	Org       *frontdesk.Organization
	CanChange bool
	// Preview is set once a domain is asked for; Domain is what was typed.
	Preview *flow.DomainPreview
	Domain  string
}

func (s *Server) organizationPage(w http.ResponseWriter, r *http.Request, perm frontdesk.Permission) (organizationView, bool) {
	v := organizationView{page: s.basePage(r, "Organization")}
	if !s.requirePermission(w, r, perm) {
		return v, false
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err == nil {
		v.Org, err = s.db.GetOrganization(r.Context(), id)
	} else {
		err = frontdesk.Errorf(frontdesk.ENotFound, "no such organization")
	}
	if err != nil {
		s.render(w, s.fail(r, v.page, err), "message", messageView{page: v.page, Link: &struct{ Href, Text string }{"/console/organizations", "Back to organizations"}})
		return v, false
	}
	v.Title = v.Org.Name
	a := viewerActor(r)
	v.CanChange = a.Can(frontdesk.PermPeopleUpdate)
	return v, true
}

// organization shows an organization, its domains and the form to add one.
func (s *Server) organization(w http.ResponseWriter, r *http.Request) {
	v, ok := s.organizationPage(w, r, frontdesk.PermPeopleRead)
	if !ok {
		return
	}
	if n := r.URL.Query().Get("moved"); n != "" {
		if _, err := strconv.Atoi(n); err == nil {
			v.Notice = "The domain is added; " + n + " moved to " + v.Org.Name + "."
		}
	}
	s.render(w, http.StatusOK, "organization", v)
}

// previewDomain shows whom the domain typed would move, and the form that moves them.
func (s *Server) previewDomain(w http.ResponseWriter, r *http.Request) {
	v, ok := s.organizationPage(w, r, frontdesk.PermPeopleUpdate)
	if !ok {
		return
	}
	v.Domain = r.PostFormValue("domain")
	v.Values["domain"] = v.Domain
	pv, err := s.flows.PreviewDomains(r.Context(), v.Org.ID, []string{v.Domain})
	if err != nil {
		s.render(w, s.domainFail(r, v.page, err), "organization", v)
		return
	}
	v.Preview = pv
	s.render(w, http.StatusOK, "organization", v)
}

// domainFail shows a problem with the one domain beside its field.
func (s *Server) domainFail(r *http.Request, p *page, err error) int {
	status := s.fail(r, p, err)
	for k, msg := range p.Errors {
		if k == "domains" || k == "domains[0]" {
			p.Errors["domain"] = msg
		}
	}
	return status
}

// applyDomain adds the domain and moves the people ticked.
func (s *Server) applyDomain(w http.ResponseWriter, r *http.Request) {
	v, ok := s.organizationPage(w, r, frontdesk.PermPeopleUpdate)
	if !ok {
		return
	}
	v.Domain = r.PostFormValue("domain")
	v.Values["domain"] = v.Domain
	pv, err := s.flows.PreviewDomains(r.Context(), v.Org.ID, []string{v.Domain})
	if err != nil {
		s.render(w, s.domainFail(r, v.page, err), "organization", v)
		return
	}
	var chosen []int64
	for _, x := range r.PostForm["move"] {
		if id, err := strconv.ParseInt(x, 10, 64); err == nil {
			chosen = append(chosen, id)
		}
	}
	c := flow.DomainChange{Domains: []string{v.Domain}}
	for _, m := range pv.People {
		picked := slices.Contains(chosen, m.PersonID)
		switch {
		case m.Default && !picked:
			c.Exclude = append(c.Exclude, m.PersonID)
		case !m.Default && picked:
			c.Include = append(c.Include, m.PersonID)
		}
	}
	res, err := s.flows.ApplyDomains(r.Context(), v.Org.ID, c)
	if err != nil {
		v.Preview = pv
		s.render(w, s.domainFail(r, v.page, err), "organization", v)
		return
	}
	http.Redirect(w, r, "/console/organizations/"+strconv.FormatInt(v.Org.ID, 10)+"?moved="+strconv.Itoa(len(res.Moved)), http.StatusSeeOther)
}
