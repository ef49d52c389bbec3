package api

import (
	"context"
	"net/http"
	"strconv"

	"frontdesk"
)

func (s *Server) createOrganization(w http.ResponseWriter, r *http.Request) error {
	return s.create(w, r, func(body []byte) (creator, error) {
		var in frontdesk.OrganizationInput
		if err := decodeBytes(body, &in); err != nil {
			return nil, err
		}
		o := &frontdesk.Organization{}
		if err := frontdesk.ApplyOrganization(o, in); err != nil {
			return nil, err
		}
		return func(ctx context.Context) (any, error) { return o, s.db.CreateOrganization(ctx, o) }, nil
	})
}

func (s *Server) getOrganization(w http.ResponseWriter, r *http.Request) error {
	return getByID(w, r, s.db.GetOrganization)
}

func (s *Server) updateOrganization(w http.ResponseWriter, r *http.Request) error {
	return updateByID(w, r, s.db.UpdateOrganization)
}

func (s *Server) listOrganizations(w http.ResponseWriter, r *http.Request) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	orgs, next, err := s.db.ListOrganizations(r.Context(), pg)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(orgs, next))
	return nil
}

func (s *Server) listOrganizationSites(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if _, err := s.db.GetOrganization(r.Context(), id); err != nil {
		return err
	}
	return s.writeSites(w, r, id)
}

func (s *Server) listSites(w http.ResponseWriter, r *http.Request) error {
	return s.writeSites(w, r, 0)
}

func (s *Server) writeSites(w http.ResponseWriter, r *http.Request, org int64) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	sites, next, err := s.db.ListSites(r.Context(), org, pg)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(sites, next))
	return nil
}

func (s *Server) createSite(w http.ResponseWriter, r *http.Request) error {
	return s.create(w, r, func(body []byte) (creator, error) {
		var in frontdesk.SiteInput
		if err := decodeBytes(body, &in); err != nil {
			return nil, err
		}
		site := &frontdesk.Site{}
		if err := frontdesk.ApplySite(site, in, true); err != nil {
			return nil, err
		}
		return func(ctx context.Context) (any, error) { return site, s.db.CreateSite(ctx, site) }, nil
	})
}

func (s *Server) getSite(w http.ResponseWriter, r *http.Request) error {
	return getByID(w, r, s.db.GetSite)
}

func (s *Server) updateSite(w http.ResponseWriter, r *http.Request) error {
	return updateByID(w, r, s.db.UpdateSite)
}

// copyAddressToSite makes one of a person's postal addresses the address of their site (P4).
func (s *Server) copyAddressToSite(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	index, err := strconv.Atoi(r.PathValue("index"))
	if err != nil || index < 0 {
		return frontdesk.Errorf(frontdesk.ENotFound, "%q is not an address index", r.PathValue("index"))
	}
	var site *frontdesk.Site
	err = s.db.WithTx(r.Context(), func(ctx context.Context) error {
		p, err := s.db.GetPerson(ctx, id)
		if err != nil {
			return err
		}
		if index >= len(p.Addresses) {
			return frontdesk.Errorf(frontdesk.ENotFound, "person %d has no address %d", id, index)
		}
		if p.SiteID == nil {
			return frontdesk.InvalidField("site_id", "person %d belongs to no site", id)
		}
		a := p.Addresses[index]
		site, err = s.db.UpdateSite(ctx, *p.SiteID, frontdesk.SiteInput{Address: &a})
		return err
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, site)
	return nil
}
