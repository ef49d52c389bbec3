package api

import (
	"context"
	"net/http"

	"frontdesk"
)

// Custom staff roles (R2) and the owner's hand-over (P2).

// also wraps a handler with a second permission check, for routes that need two.
func also(p frontdesk.Permission, h func(w http.ResponseWriter, r *http.Request) error) func(w http.ResponseWriter, r *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		if a := frontdesk.ActorFrom(r.Context()); !a.Can(p) {
			return frontdesk.Errorf(frontdesk.EForbidden, "the %s role lacks the %s permission", a.RoleName(), p)
		}
		return h(w, r)
	}
}

func (s *Server) listStaffRoles(w http.ResponseWriter, r *http.Request) error {
	roles, err := s.db.ListStaffRoles(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(roles, 0))
	return nil
}

func (s *Server) getStaffRole(w http.ResponseWriter, r *http.Request) error {
	return getByID(w, r, s.db.GetStaffRole)
}

func (s *Server) createStaffRole(w http.ResponseWriter, r *http.Request) error {
	return s.create(w, r, func(body []byte) (creator, error) {
		var in frontdesk.StaffRoleInput
		if err := decodeBytes(body, &in); err != nil {
			return nil, err
		}
		sr := &frontdesk.StaffRole{}
		if err := frontdesk.ApplyStaffRole(sr, in, true); err != nil {
			return nil, err
		}
		if err := frontdesk.ActorFrom(r.Context()).CheckStaffRole(sr); err != nil {
			return nil, err
		}
		return func(ctx context.Context) (any, error) { return sr, s.db.CreateStaffRole(ctx, sr) }, nil
	})
}

func (s *Server) updateStaffRole(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in frontdesk.StaffRoleInput
	if err := decode(r, &in); err != nil {
		return err
	}
	actor := frontdesk.ActorFrom(r.Context())
	sr, err := s.db.UpdateStaffRole(r.Context(), id, func(old, sr *frontdesk.StaffRole) error {
		// R3: a role above the actor, before or after, is out of their reach.
		if err := actor.CheckStaffRole(old); err != nil {
			return err
		}
		if err := frontdesk.ApplyStaffRole(sr, in, false); err != nil {
			return err
		}
		return actor.CheckStaffRole(sr)
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, sr)
	return nil
}

type handOverInput struct {
	PersonID int64 `json:"person_id"`
}

// handOverOwnership gives the owner role to an active admin; only the owner may (P2).
func (s *Server) handOverOwnership(w http.ResponseWriter, r *http.Request) error {
	var in handOverInput
	if err := decode(r, &in); err != nil {
		return err
	}
	actor := frontdesk.ActorFrom(r.Context())
	if actor.Role != frontdesk.RoleOwner {
		return frontdesk.Errorf(frontdesk.EForbidden, "only the owner hands ownership over")
	}
	if in.PersonID <= 0 {
		return frontdesk.InvalidField("person_id", "is required: the id of an active admin")
	}
	former, owner, err := s.db.HandOverOwnership(r.Context(), actor.ID, in.PersonID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]personView{
		"owner":        s.viewPerson(r.Context(), owner),
		"former_owner": s.viewPerson(r.Context(), former),
	})
	return nil
}
