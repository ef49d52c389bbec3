package api

import (
	"net/http"

	"frontdesk/flow"
)

// domainsInput names the domains to add to an organization ([] or none: its own).
type domainsInput struct {
	Domains []string `json:"domains"`
}

// previewOrganizationDomains answers whom adding domains would move (X6); nothing changes.
func (s *Server) previewOrganizationDomains(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in domainsInput
	if err := decode(r, &in); err != nil {
		return err
	}
	pv, err := s.cfg.Flows.PreviewDomains(r.Context(), id, in.Domains)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pv)
	return nil
}

// applyOrganizationDomains adds the domains and moves the people (X6).
func (s *Server) applyOrganizationDomains(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in flow.DomainChange
	if err := decode(r, &in); err != nil {
		return err
	}
	res, err := s.cfg.Flows.ApplyDomains(r.Context(), id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}
