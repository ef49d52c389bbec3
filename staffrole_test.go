package frontdesk

import (
	"slices"
	"testing"
)

// R2: an actor's effective permissions, when set, are the only ones Can answers from; a
// custom role with none holds none, whatever its base role.
func TestActorCanUsesEffectivePermissions_R2(t *testing.T) {
	a := Actor{Role: RoleAdmin, Permissions: []Permission{PermPeopleRead}, StaffRole: "Reader"}
	if !a.Can(PermPeopleRead) || a.Can(PermPeopleManage) || a.Can(PermRolesAssign) {
		t.Errorf("custom set: %v", a.Permissions)
	}
	empty := Actor{Role: RoleAdmin, Permissions: []Permission{}}
	for _, p := range Permissions {
		if empty.Can(p) {
			t.Errorf("an empty set can %s", p)
		}
	}
	if a.RoleName() != "Reader" || (Actor{Role: RoleAgent}).RoleName() != "agent" {
		t.Errorf("role names: %q", a.RoleName())
	}
	if !slices.Equal(RoleAdmin.Permissions(), Permissions) {
		t.Errorf("admin defaults: %v", RoleAdmin.Permissions())
	}
}

// R2: a custom staff role needs a name and a base role among collaborator, agent and admin,
// and names known permissions only; every problem is reported at once.
func TestApplyStaffRole_R2(t *testing.T) {
	var sr StaffRole
	err := ApplyStaffRole(&sr, StaffRoleInput{Name: ptrTo(" "), BaseRole: ptrTo(RoleOwner), Permissions: &[]Permission{"people.fly"}}, true)
	e, _ := err.(*Error)
	if e == nil || len(e.Fields) != 3 {
		t.Fatalf("want three problems: %v", err)
	}
	for _, base := range []Role{RoleContact, RoleOwner, "wizard"} {
		if err := ApplyStaffRole(&StaffRole{}, StaffRoleInput{Name: ptrTo("X"), BaseRole: &base}, true); ErrorCode(err) != EInvalid {
			t.Errorf("base %q: %v", base, err)
		}
	}
	sr = StaffRole{}
	if err := ApplyStaffRole(&sr, StaffRoleInput{Name: ptrTo("  Night   shift "), BaseRole: ptrTo(RoleAgent),
		Permissions: &[]Permission{PermAuditRead, PermPeopleRead, PermAuditRead}}, true); err != nil {
		t.Fatal(err)
	}
	if sr.Name != "Night shift" || !slices.Equal(sr.Permissions, []Permission{PermPeopleRead, PermAuditRead}) {
		t.Errorf("normalized: %+v", sr)
	}
	if err := ApplyStaffRole(&sr, StaffRoleInput{}, false); err != nil || sr.Name != "Night shift" {
		t.Errorf("an empty update changes nothing: %+v %v", sr, err)
	}
}

// R3: nobody defines, gives or takes a custom role ranking above them or carrying a
// permission they lack; roles.assign is needed at all.
func TestCheckStaffRole_R3(t *testing.T) {
	support := &StaffRole{Name: "Support", BaseRole: RoleAgent, Permissions: []Permission{PermPeopleRead, PermPeopleManage}}
	lead := &StaffRole{Name: "Lead", BaseRole: RoleAdmin, Permissions: []Permission{PermPeopleRead}}
	mgr := Actor{Role: RoleAgent, Permissions: []Permission{PermRolesAssign, PermPeopleRead, PermPeopleManage}}
	tests := []struct {
		name  string
		actor Actor
		role  *StaffRole
		want  Code
	}{
		{"owner defines anything below owner", Actor{Role: RoleOwner}, lead, ""},
		{"admin defines an agent role", Actor{Role: RoleAdmin}, support, ""},
		{"agent lacks roles.assign", Actor{Role: RoleAgent}, support, EForbidden},
		{"custom agent with the permissions", mgr, support, ""},
		{"custom agent cannot define an admin role", mgr, lead, EForbidden},
		{"custom admin lacking a permission", Actor{Role: RoleAdmin, Permissions: []Permission{PermRolesAssign, PermPeopleRead}}, support, EForbidden},
		{"nobody", Actor{}, support, EForbidden},
		{"system", System, lead, ""},
	}
	for _, tt := range tests {
		err := tt.actor.CheckStaffRole(tt.role)
		if tt.want == "" && err != nil || tt.want != "" && ErrorCode(err) != tt.want {
			t.Errorf("%s: got %v, want %q", tt.name, err, tt.want)
		}
	}
}

// R3: with effective permissions, a built-in role is given or taken only by an actor who
// holds every permission it carries.
func TestActorCheckRoleChangeUsesPermissions_R3(t *testing.T) {
	partialAdmin := Actor{Role: RoleAdmin, Permissions: append(RoleAgent.Permissions(), PermRolesAssign)}
	if err := partialAdmin.CheckRoleChange(RoleContact, RoleAgent); err != nil {
		t.Errorf("giving agent: %v", err)
	}
	if err := partialAdmin.CheckRoleChange(RoleContact, RoleAdmin); ErrorCode(err) != EForbidden {
		t.Errorf("giving admin without every admin permission: %v", err)
	}
	if err := partialAdmin.CheckRoleChange(RoleAdmin, RoleAgent); ErrorCode(err) != EForbidden {
		t.Errorf("taking admin without every admin permission: %v", err)
	}
	noAssign := Actor{Role: RoleAdmin, Permissions: []Permission{PermPeopleRead}}
	if err := noAssign.CheckRoleChange(RoleContact, RoleCollaborator); ErrorCode(err) != EForbidden {
		t.Errorf("an admin-rank role without roles.assign gave a staff role: %v", err)
	}
}

func ptrTo[T any](v T) *T { return &v }
