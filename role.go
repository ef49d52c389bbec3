package frontdesk

import (
	"slices"
)

// Role is what a person is in the helpdesk (P1): a contact, or staff with one of the
// built-in staff roles, ordered from least to most powerful.
type Role string

// Built-in roles.
const (
	RoleContact      Role = "contact"
	RoleCollaborator Role = "collaborator"
	RoleAgent        Role = "agent"
	RoleAdmin        Role = "admin"
	RoleOwner        Role = "owner"
)

// Roles lists the built-in roles from least to most powerful.
var Roles = []Role{RoleContact, RoleCollaborator, RoleAgent, RoleAdmin, RoleOwner}

// Valid reports whether r is a built-in role.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// IsStaff reports whether r is a staff role.
func (r Role) IsStaff() bool { return r.Valid() && r != RoleContact }

// rank orders roles so that nobody raises anyone above their own role (R3).
func (r Role) rank() int { return slices.Index(Roles, r) }

// Outranks reports whether r is strictly above other.
func (r Role) Outranks(other Role) bool { return r.rank() > other.rank() }

// Permission is a named, checkable staff permission (R2).
type Permission string

// Permissions.
const (
	PermPeopleRead     Permission = "people.read"
	PermPeopleCreate   Permission = "people.create"
	PermPeopleUpdate   Permission = "people.update" // people and organizations
	PermPeopleManage   Permission = "people.manage" // activate, disable, ban, trash
	PermRolesAssign    Permission = "roles.assign"
	PermSettingsManage Permission = "settings.manage"
	PermImportsRun     Permission = "imports.run"
	PermAuditRead      Permission = "audit.read"
	PermTicketsRead    Permission = "tickets.read"   // see tickets and their threads, notes included
	PermTicketsNote    Permission = "tickets.note"   // add private notes
	PermTicketsAnswer  Permission = "tickets.answer" // reply, create on behalf, status, assignee, spam
	PermMailInbound    Permission = "mail.inbound"   // hand received mail to Frontdesk (an MTA's pipe)
	// PermSCIMProvision lets an identity provider create, change and deprovision people and
	// groups through /scim/v2 (B6).
	PermSCIMProvision Permission = "scim.provision"
)

// Permissions lists every permission.
var Permissions = []Permission{PermPeopleRead, PermPeopleCreate, PermPeopleUpdate, PermPeopleManage,
	PermRolesAssign, PermSettingsManage, PermImportsRun, PermAuditRead, PermTicketsRead, PermTicketsNote, PermTicketsAnswer,
	PermMailInbound, PermSCIMProvision}

// defaultPermissions are the sets the built-in roles carry (R1, R2): collaborators see
// tickets and add private notes; agents also answer them, create them on behalf of contacts
// and manage queues.
var defaultPermissions = map[Role][]Permission{
	RoleContact:      nil,
	RoleCollaborator: {PermPeopleRead, PermTicketsRead, PermTicketsNote},
	RoleAgent:        {PermPeopleRead, PermPeopleCreate, PermPeopleUpdate, PermTicketsRead, PermTicketsNote, PermTicketsAnswer},
	RoleAdmin:        Permissions,
	RoleOwner:        Permissions,
}

// Can reports whether role r carries permission p by default.
func (r Role) Can(p Permission) bool { return slices.Contains(defaultPermissions[r], p) }

// Permissions returns a copy of the set role r carries by default.
func (r Role) Permissions() []Permission { return slices.Clone(defaultPermissions[r]) }

// CheckRoleChange decides whether a may give role to to someone who has role from (R3): only
// with the roles.assign permission, never above a's own role or with a permission a lacks,
// and never the owner role, which moves only by the owner's hand-over (P2).
func (a Actor) CheckRoleChange(from, to Role) error {
	if !to.Valid() {
		return InvalidField("role", "unknown role %q; expected one of %v", to, Roles)
	}
	if from == to {
		return nil
	}
	if to == RoleOwner || from == RoleOwner {
		return Errorf(EForbidden, "the owner role changes hands only through the owner's hand-over")
	}
	if (to.IsStaff() || from.IsStaff()) && !a.Can(PermRolesAssign) {
		return Errorf(EForbidden, "changing a staff role needs the %s permission", PermRolesAssign)
	}
	higher := to
	if from.Outranks(to) {
		higher = from
	}
	if higher.Outranks(a.Role) {
		return Errorf(EForbidden, "a %s cannot give or take the %s role", a.RoleName(), higher)
	}
	for _, r := range []Role{from, to} {
		if p, ok := a.lacksAny(defaultPermissions[r]); ok {
			return Errorf(EForbidden, "the %s role carries the %s permission, which %s lacks", r, p, a.RoleName())
		}
	}
	return nil
}

// lacksAny returns the first of perms that a does not hold.
func (a Actor) lacksAny(perms []Permission) (Permission, bool) {
	for _, p := range perms {
		if !a.Can(p) {
			return p, true
		}
	}
	return "", false
}
