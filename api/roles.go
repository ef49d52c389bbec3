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

// applyStaffRole resolves the staff_role_id of an input for p, who has it as before: giving a
// custom role sets the rank to its base role; changing the role alone drops the custom role,
// whose rank no longer fits. Both the role given and the one taken pass R3.
func (s *Server) applyStaffRole(ctx context.Context, actor frontdesk.Actor, p *frontdesk.Person, in *frontdesk.PersonInput) error {
	if in.Role != nil && *in.Role != p.Role && !in.StaffRoleID.Set && p.StaffRoleID != nil {
		in.StaffRoleID = frontdesk.Ref{Set: true}
	}
	if !in.StaffRoleID.Set {
		return nil
	}
	if sameRef(p.StaffRoleID, in.StaffRoleID.ID) {
		if p.StaffRoleID != nil && in.Role != nil && *in.Role != p.Role {
			return frontdesk.InvalidField("role", "the staff role %d ranks as %s; give that role or none", *p.StaffRoleID, p.Role)
		}
		return nil
	}
	if p.StaffRoleID != nil {
		old, err := s.db.GetStaffRole(ctx, *p.StaffRoleID)
		if err != nil {
			return err
		}
		if err := actor.CheckStaffRole(old); err != nil {
			return err
		}
	}
	if in.StaffRoleID.ID == nil {
		if !actor.Can(frontdesk.PermRolesAssign) {
			return frontdesk.Errorf(frontdesk.EForbidden, "taking a staff role needs the %s permission", frontdesk.PermRolesAssign)
		}
		p.StaffRoleID = nil
		return nil
	}
	sr, err := s.db.GetStaffRole(ctx, *in.StaffRoleID.ID)
	if frontdesk.ErrorCode(err) == frontdesk.ENotFound {
		return frontdesk.InvalidField("staff_role_id", "there is no staff role %d", *in.StaffRoleID.ID)
	}
	if err != nil {
		return err
	}
	if in.Role != nil && *in.Role != sr.BaseRole {
		return frontdesk.InvalidField("role", "the staff role %q ranks as %s; give that role or none", sr.Name, sr.BaseRole)
	}
	if err := actor.CheckStaffRole(sr); err != nil {
		return err
	}
	if err := actor.CheckRoleChange(p.Role, sr.BaseRole); err != nil {
		return err
	}
	p.StaffRoleID, p.Role = &sr.ID, sr.BaseRole
	return nil
}

func sameRef(a, b *int64) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

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
