package frontdesk

import (
	"errors"
	"testing"
)

// TestDefaultPermissions_R1_R2 checks the default set of every built-in role against every
// permission: collaborators read people and tickets and add notes (R1); agents read, create
// and update people and answer tickets; admins and the
// owner hold every permission (people and their roles, R1); contacts hold none.
func TestDefaultPermissions_R1_R2(t *testing.T) {
	all := map[Permission]bool{}
	for _, p := range Permissions {
		all[p] = true
	}
	want := map[Role]map[Permission]bool{
		RoleContact:      {},
		RoleCollaborator: {PermPeopleRead: true, PermTicketsRead: true, PermTicketsNote: true},
		RoleAgent: {PermPeopleRead: true, PermPeopleCreate: true, PermPeopleUpdate: true,
			PermTicketsRead: true, PermTicketsNote: true, PermTicketsAnswer: true},
		RoleAdmin: all,
		RoleOwner: all,
	}
	// R2 names at least these permissions; each must exist and be checkable.
	for _, p := range []Permission{PermPeopleRead, PermPeopleCreate, PermPeopleUpdate, PermPeopleManage,
		PermRolesAssign, PermSettingsManage, PermImportsRun} {
		if !all[p] {
			t.Errorf("permission %s required by R2 is missing from Permissions", p)
		}
	}
	for _, r := range Roles {
		for _, p := range Permissions {
			if got := r.Can(p); got != want[r][p] {
				t.Errorf("%s.Can(%s) = %v, want %v", r, p, got, want[r][p])
			}
		}
	}
	// Unknown roles and permissions carry nothing.
	for _, r := range []Role{"", "superuser", "Admin"} {
		for _, p := range Permissions {
			if r.Can(p) {
				t.Errorf("unknown role %q.Can(%s) = true", r, p)
			}
		}
	}
	for _, r := range Roles {
		if r.Can("people.delete") || r.Can("") {
			t.Errorf("%s can an unknown permission", r)
		}
	}
}

// TestRoleOrder_P1_R3: contacts are not staff; staff roles rank collaborator < agent < admin
// < owner.
func TestRoleOrder_P1_R3(t *testing.T) {
	if RoleContact.IsStaff() {
		t.Error("contact.IsStaff() = true")
	}
	for _, r := range []Role{RoleCollaborator, RoleAgent, RoleAdmin, RoleOwner} {
		if !r.IsStaff() {
			t.Errorf("%s.IsStaff() = false", r)
		}
	}
	if Role("superuser").IsStaff() || Role("").IsStaff() {
		t.Error("an unknown role is staff")
	}
	order := []Role{RoleContact, RoleCollaborator, RoleAgent, RoleAdmin, RoleOwner}
	for i, a := range order {
		for j, b := range order {
			if got, want := a.Outranks(b), i > j; got != want {
				t.Errorf("%s.Outranks(%s) = %v, want %v", a, b, got, want)
			}
		}
	}
}

// TestCheckRoleChange_R3_P2 walks chosen cases of who may change whose role to what.
func TestCheckRoleChange_R3_P2(t *testing.T) {
	const (
		contact = RoleContact
		collab  = RoleCollaborator
		agent   = RoleAgent
		admin   = RoleAdmin
		owner   = RoleOwner
	)
	tests := []struct {
		name            string
		actor, from, to Role
		want            Code // "" means allowed
	}{
		// The owner manages every role below owner.
		{"R3 owner makes an agent", owner, contact, agent, ""},
		{"R3 owner makes an admin", owner, agent, admin, ""},
		{"R3 owner demotes an admin", owner, admin, agent, ""},
		{"R3 owner turns an admin into a contact", owner, admin, contact, ""},
		{"R3 owner makes a collaborator", owner, contact, collab, ""},
		// The owner role moves only by the hand-over (P2).
		{"P2 owner cannot make a second owner", owner, admin, owner, EForbidden},
		{"P2 owner cannot demote themselves", owner, owner, admin, EForbidden},
		{"P2 owner role cannot become contact", owner, owner, contact, EForbidden},
		{"P2 admin cannot make an owner", admin, admin, owner, EForbidden},
		{"P2 admin cannot demote the owner", admin, owner, admin, EForbidden},
		{"P2 contact cannot become owner", admin, contact, owner, EForbidden},
		// Admins manage roles up to their own.
		{"R3 admin makes an agent", admin, contact, agent, ""},
		{"R3 admin promotes agent to admin", admin, agent, admin, ""},
		{"R3 admin makes a collaborator", admin, contact, collab, ""},
		{"R3 admin demotes agent to contact", admin, agent, contact, ""},
		{"R3 admin demotes collaborator to contact", admin, collab, contact, ""},
		// An admin may take the admin role from another admin: that raises nobody above the
		// actor's own role.
		{"R3 admin demotes another admin", admin, admin, agent, ""},
		// Agents have no roles.assign and so cannot touch staff roles.
		{"R3 agent cannot make an agent", agent, contact, agent, EForbidden},
		{"R3 agent cannot make a collaborator", agent, contact, collab, EForbidden},
		{"R3 agent cannot demote an agent", agent, agent, contact, EForbidden},
		{"R3 agent cannot promote a collaborator", agent, collab, agent, EForbidden},
		{"R3 agent cannot make an admin", agent, agent, admin, EForbidden},
		// Nor can collaborators or contacts.
		{"R3 collaborator cannot make a collaborator", collab, contact, collab, EForbidden},
		{"R3 collaborator cannot demote a collaborator", collab, collab, contact, EForbidden},
		{"R3 contact cannot make an agent", contact, contact, agent, EForbidden},
		{"R3 contact cannot make an admin", contact, contact, admin, EForbidden},
		// An actor whose role is unknown holds no permission.
		{"R3 unknown actor role", "superuser", contact, agent, EForbidden},
		// Keeping the same role is no change and needs no permission.
		{"R3 same role is no change", agent, admin, admin, ""},
		{"R3 contact stays contact", contact, contact, contact, ""},
		// Unknown target roles are invalid input, whoever asks.
		{"R3 unknown target role", owner, contact, "superuser", EInvalid},
		{"R3 empty target role", owner, contact, "", EInvalid},
		{"R3 target role is case-sensitive", owner, contact, "Admin", EInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Actor{Role: tt.actor}.CheckRoleChange(tt.from, tt.to)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("CheckRoleChange(actor %s, %s -> %s) = %v, want allowed", tt.actor, tt.from, tt.to, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("CheckRoleChange(actor %s, %s -> %s) allowed, want %s", tt.actor, tt.from, tt.to, tt.want)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v (%T) is not a *frontdesk.Error", err, err)
			}
			if e.Code != tt.want {
				t.Fatalf("CheckRoleChange(actor %s, %s -> %s) code %s (%v), want %s", tt.actor, tt.from, tt.to, e.Code, err, tt.want)
			}
		})
	}
}

// TestCheckRoleChangeNeverAboveActor_R3_P2 walks every (actor, from, to) of the built-in roles
// and checks the rules as invariants: an allowed real change needs roles.assign, raises nobody
// above the actor, takes nobody down from above the actor, and never involves the owner role.
func TestCheckRoleChangeNeverAboveActor_R3_P2(t *testing.T) {
	allowedCount := 0
	for _, actor := range Roles {
		for _, from := range Roles {
			for _, to := range Roles {
				err := Actor{Role: actor}.CheckRoleChange(from, to)
				if from == to {
					if err != nil {
						t.Errorf("CheckRoleChange(actor %s, %s -> %s) = %v for no change", actor, from, to, err)
					}
					continue
				}
				if err != nil {
					if ErrorCode(err) != EForbidden {
						t.Errorf("CheckRoleChange(actor %s, %s -> %s) code %s, want %s", actor, from, to, ErrorCode(err), EForbidden)
					}
					continue
				}
				allowedCount++
				switch {
				case !actor.Can(PermRolesAssign):
					t.Errorf("actor %s without %s changed %s -> %s", actor, PermRolesAssign, from, to)
				case to.Outranks(actor):
					t.Errorf("actor %s raised someone to %s, above their own role", actor, to)
				case from.Outranks(actor):
					t.Errorf("actor %s changed the role of a %s, who outranks them", actor, from)
				case to == RoleOwner || from == RoleOwner:
					t.Errorf("actor %s moved the owner role (%s -> %s) outside the hand-over", actor, from, to)
				}
			}
		}
	}
	if allowedCount == 0 {
		t.Fatal("no role change is allowed at all")
	}
}
