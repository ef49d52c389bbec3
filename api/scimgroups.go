package api

import (
	"context"
	"net/http"

	"frontdesk"
)

// SCIM groups (B6): the groups identity providers push, and the staff role or organization
// each gives its members, which staff may associate by hand.

func (s *Server) listSCIMGroups(w http.ResponseWriter, r *http.Request) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	groups, next, err := s.db.SCIMGroupsPage(r.Context(), pg)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(groups, next))
	return nil
}

func (s *Server) mapSCIMGroup(w http.ResponseWriter, r *http.Request) error {
	return updateByID(w, r, func(ctx context.Context, id int64, in frontdesk.SCIMGroupMappingInput) (*frontdesk.SCIMGroup, error) {
		return s.cfg.Flows.SetSCIMGroupMapping(ctx, id, in)
	})
}
