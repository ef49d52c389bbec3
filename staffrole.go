package frontdesk

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// StaffRole is a custom staff role (R2): a named set of permissions over a built-in base
// role. A staff member who carries one holds exactly its permissions and ranks as its base
// role, so that R3 (nobody above their own role) still compares built-in ranks.
type StaffRole struct {
	ID          int64        `json:"id"`
	Name        string       `json:"name"`
	BaseRole    Role         `json:"base_role"`
	Permissions []Permission `json:"permissions"`
	CreatedAt   time.Time    `json:"created_at"`
	UpdatedAt   time.Time    `json:"updated_at"`
}

// StaffRoleInput creates a custom staff role or changes one: on update, only the fields
// present change.
type StaffRoleInput struct {
	Name        *string       `json:"name"`
	BaseRole    *Role         `json:"base_role"`
	Permissions *[]Permission `json:"permissions"`
}

// StaffRoleBases lists the built-in roles a custom staff role may rank as: never contact,
// who is no staff, and never owner, of whom there is exactly one (P2).
var StaffRoleBases = []Role{RoleCollaborator, RoleAgent, RoleAdmin}

// ApplyStaffRole applies in to r and validates the result, reporting every problem at once.
// Permissions are kept in the order of Permissions, without repeats.
func ApplyStaffRole(r *StaffRole, in StaffRoleInput, create bool) error {
	var probs Problems
	if in.Name != nil {
		r.Name = CleanText(&probs, "name", *in.Name, 100, OneLine)
	}
	if (create || in.Name != nil) && r.Name == "" && !probs.Has("name") {
		probs.Add("name", "a staff role needs a name of 1 to 100 characters")
	}
	if in.BaseRole != nil {
		if !slices.Contains(StaffRoleBases, *in.BaseRole) {
			probs.Add("base_role", "must be one of %v", StaffRoleBases)
		} else {
			r.BaseRole = *in.BaseRole
		}
	} else if create {
		probs.Add("base_role", "is required: one of %v", StaffRoleBases)
	}
	if in.Permissions != nil {
		var unknown []string
		for _, p := range *in.Permissions {
			if !slices.Contains(Permissions, p) {
				unknown = append(unknown, fmt.Sprintf("%q", p))
			}
		}
		if len(unknown) > 0 {
			probs.Add("permissions", "unknown permission %s; expected some of %v", strings.Join(unknown, ", "), Permissions)
		} else {
			r.Permissions = []Permission{}
			for _, p := range Permissions {
				if slices.Contains(*in.Permissions, p) {
					r.Permissions = append(r.Permissions, p)
				}
			}
		}
	} else if create {
		r.Permissions = []Permission{}
	}
	return probs.Err()
}

// CheckStaffRole decides whether a may create, change, grant or take away the custom staff
// role r (R3): a needs roles.assign and settings.manage to define roles, roles.assign to
// grant them, and never gives out a rank above their own or a permission they lack.
func (a Actor) CheckStaffRole(r *StaffRole) error {
	if !a.Can(PermRolesAssign) {
		return Errorf(EForbidden, "staff roles need the %s permission", PermRolesAssign)
	}
	if r.BaseRole.Outranks(a.Role) {
		return Errorf(EForbidden, "the staff role %q ranks as %s, above %s", r.Name, r.BaseRole, a.RoleName())
	}
	if p, ok := a.lacksAny(r.Permissions); ok {
		return Errorf(EForbidden, "the staff role %q carries the %s permission, which %s lacks", r.Name, p, a.RoleName())
	}
	return nil
}
