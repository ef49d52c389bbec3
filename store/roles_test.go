package store_test

import (
	"context"
	"slices"
	"sync"
	"testing"

	"frontdesk"
	"frontdesk/store"
	"frontdesk/store/storetest"
)

func mustActiveStaff(t *testing.T, db *store.DB, name, email string, role frontdesk.Role) *frontdesk.Person {
	t.Helper()
	p := mustCreatePerson(t, db, frontdesk.PersonInput{Name: ptr(name), Email: ptr(email), Role: ptr(role)})
	if _, err := db.SetState(ctx, p.ID, store.StateChange{To: frontdesk.StateActive}); err != nil {
		t.Fatal(err)
	}
	return p
}

func mustStaffRole(t *testing.T, db *store.DB, name string, base frontdesk.Role, perms ...frontdesk.Permission) *frontdesk.StaffRole {
	t.Helper()
	sr := &frontdesk.StaffRole{}
	if err := frontdesk.ApplyStaffRole(sr, frontdesk.StaffRoleInput{Name: &name, BaseRole: &base, Permissions: &perms}, true); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateStaffRole(ctx, sr); err != nil {
		t.Fatal(err)
	}
	return sr
}

func actions(t *testing.T, db *store.DB, f frontdesk.AuditFilter) []string {
	t.Helper()
	entries, _, err := db.ListAudit(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Action)
	}
	return out
}

// R2, L6: a custom staff role's permissions are what authentication carries, its base role
// the rank; changing the role's set or base shows at the next request, and all is audited.
func TestCustomStaffRoleAuthentication_R2_L6(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		sr := mustStaffRole(t, db, "Triage", frontdesk.RoleAgent, frontdesk.PermPeopleManage, frontdesk.PermPeopleRead)
		if !slices.Equal(sr.Permissions, []frontdesk.Permission{frontdesk.PermPeopleRead, frontdesk.PermPeopleManage}) {
			t.Fatalf("permissions are kept in the order of frontdesk.Permissions: %v", sr.Permissions)
		}
		wantCode(t, db.CreateStaffRole(ctx, &frontdesk.StaffRole{Name: "TRIAGE", BaseRole: frontdesk.RoleAgent, Permissions: []frontdesk.Permission{}}), frontdesk.EConflict)

		p := mustActiveStaff(t, db, "Tia Triage", "tia@example.com", frontdesk.RoleCollaborator)
		secret, err := db.CreateAPIToken(ctx, p.ID, "t")
		if err != nil {
			t.Fatal(err)
		}
		a, err := db.Authenticate(ctx, secret)
		if err != nil || a.StaffRole != "" || !slices.Equal(a.Permissions, frontdesk.RoleCollaborator.Permissions()) {
			t.Fatalf("built-in collaborator: %+v %v", a, err)
		}
		if _, err := db.UpdatePerson(ctx, p.ID, func(p *frontdesk.Person) error {
			p.StaffRoleID, p.Role = &sr.ID, sr.BaseRole
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		a, err = db.Authenticate(ctx, secret)
		if err != nil || a.Role != frontdesk.RoleAgent || a.StaffRole != "Triage" {
			t.Fatalf("custom role: %+v %v", a, err)
		}
		if !a.Can(frontdesk.PermPeopleManage) || a.Can(frontdesk.PermPeopleCreate) || a.Can(frontdesk.PermPeopleUpdate) {
			t.Fatalf("custom role permissions: want the role's set, not the agent's defaults: %v", a.Permissions)
		}
		if got, err := db.ActorFor(ctx, p.ID); err != nil || !slices.Equal(got.Permissions, a.Permissions) {
			t.Fatalf("ActorFor: %+v %v", got, err)
		}

		// A new set and a new base show at once; each member's rank moves with the base.
		if _, err := db.UpdateStaffRole(ctx, sr.ID, func(old, sr *frontdesk.StaffRole) error {
			return frontdesk.ApplyStaffRole(sr, frontdesk.StaffRoleInput{BaseRole: ptr(frontdesk.RoleCollaborator),
				Permissions: &[]frontdesk.Permission{frontdesk.PermAuditRead}}, false)
		}); err != nil {
			t.Fatal(err)
		}
		a, _ = db.Authenticate(ctx, secret)
		if a.Role != frontdesk.RoleCollaborator || !a.Can(frontdesk.PermAuditRead) || a.Can(frontdesk.PermPeopleRead) {
			t.Fatalf("after the change: %+v", a)
		}
		if got, _ := db.GetPerson(ctx, p.ID); got.Role != frontdesk.RoleCollaborator || got.StaffRoleID == nil || *got.StaffRoleID != sr.ID {
			t.Fatalf("member after the base changed: %+v", got)
		}
		// A custom role with no permission at all holds none, not the base role's defaults.
		if _, err := db.UpdateStaffRole(ctx, sr.ID, func(old, sr *frontdesk.StaffRole) error {
			sr.Permissions = []frontdesk.Permission{}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		a, _ = db.Authenticate(ctx, secret)
		for _, perm := range frontdesk.Permissions {
			if a.Can(perm) {
				t.Errorf("an empty custom role can %s", perm)
			}
		}

		if got := actions(t, db, frontdesk.AuditFilter{SubjectType: "staff_role", SubjectID: sr.ID}); !slices.Equal(got, []string{"staff_role.update", "staff_role.update", "staff_role.create"}) {
			t.Errorf("staff role audit: %v", got)
		}
		if got := actions(t, db, frontdesk.AuditFilter{SubjectType: "person", SubjectID: p.ID, Action: "person.role"}); len(got) != 2 {
			t.Errorf("want 2 person.role entries (given, then moved with the base): %v", got)
		}
	})
}

// P2: the hand-over swaps owner and admin in one transaction, keeps both tokens working with
// their new roles, is audited, and refuses anyone but the owner and any target but an active
// admin. Racing hand-overs leave exactly one owner.
func TestOwnerHandOver_P2_L6(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		owner := mustActiveStaff(t, db, "Olga Owner", "olga@example.com", frontdesk.RoleOwner)
		heir := mustActiveStaff(t, db, "Hal Heir", "hal@example.com", frontdesk.RoleAdmin)
		agent := mustActiveStaff(t, db, "Ann Agent", "ann@example.com", frontdesk.RoleAgent)
		pending := mustCreatePerson(t, db, frontdesk.PersonInput{Name: ptr("Pat Pending"), Email: ptr("pat@example.com"), Role: ptr(frontdesk.RoleAdmin)})
		ownerTok, _ := db.CreateAPIToken(ctx, owner.ID, "o")
		heirTok, _ := db.CreateAPIToken(ctx, heir.ID, "h")
		octx := frontdesk.WithActor(ctx, frontdesk.Actor{ID: owner.ID, Role: frontdesk.RoleOwner, Name: "Olga Owner"})

		for _, tc := range []struct {
			name     string
			from, to int64
			code     frontdesk.Code
		}{
			{"not the owner", heir.ID, agent.ID, frontdesk.EForbidden},
			{"to an agent", owner.ID, agent.ID, frontdesk.EInvalid},
			{"to a not activated admin", owner.ID, pending.ID, frontdesk.EInvalid},
			{"to nobody", owner.ID, 999999, frontdesk.EInvalid},
			{"to themselves", owner.ID, owner.ID, frontdesk.EInvalid},
		} {
			_, _, err := db.HandOverOwnership(octx, tc.from, tc.to)
			if frontdesk.ErrorCode(err) != tc.code {
				t.Errorf("%s: want %s, got %v", tc.name, tc.code, err)
			}
		}
		if n, _ := db.CountOwners(ctx); n != 1 {
			t.Fatalf("a refused hand-over changed the owners: %d", n)
		}

		former, now, err := db.HandOverOwnership(octx, owner.ID, heir.ID)
		if err != nil || former.Role != frontdesk.RoleAdmin || now.Role != frontdesk.RoleOwner {
			t.Fatalf("hand-over: %v %v %v", former, now, err)
		}
		if a, err := db.Authenticate(ctx, ownerTok); err != nil || a.Role != frontdesk.RoleAdmin {
			t.Errorf("the former owner's token: %+v %v", a, err)
		}
		if a, err := db.Authenticate(ctx, heirTok); err != nil || a.Role != frontdesk.RoleOwner {
			t.Errorf("the new owner's token: %+v %v", a, err)
		}
		if n, _ := db.CountOwners(ctx); n != 1 {
			t.Fatalf("owners after the hand-over: %d", n)
		}
		for _, id := range []int64{owner.ID, heir.ID} {
			entries, _, _ := db.ListAudit(ctx, frontdesk.AuditFilter{SubjectType: "person", SubjectID: id, Action: "person.role"})
			if len(entries) != 1 || entries[0].ActorID == nil || *entries[0].ActorID != owner.ID {
				t.Errorf("person %d: want one person.role entry by the owner: %+v", id, entries)
			}
		}
		if got := actions(t, db, frontdesk.AuditFilter{Action: "owner.hand_over"}); len(got) != 1 {
			t.Errorf("owner.hand_over entries: %v", got)
		}
		// The former owner cannot hand over again.
		if _, _, err := db.HandOverOwnership(octx, owner.ID, heir.ID); frontdesk.ErrorCode(err) != frontdesk.EForbidden {
			t.Errorf("the former owner handed over again: %v", err)
		}

		// Racing: the owner hands over to two admins at once; one wins, one owner remains.
		a1 := mustActiveStaff(t, db, "Ada One", "a1@example.com", frontdesk.RoleAdmin)
		a2 := mustActiveStaff(t, db, "Ada Two", "a2@example.com", frontdesk.RoleAdmin)
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, to := range []int64{a1.ID, a2.ID} {
			wg.Go(func() { _, _, errs[i] = db.HandOverOwnership(context.Background(), heir.ID, to) })
		}
		wg.Wait()
		if (errs[0] == nil) == (errs[1] == nil) {
			t.Errorf("racing hand-overs: want exactly one to succeed: %v", errs)
		}
		if n, _ := db.CountOwners(ctx); n != 1 {
			t.Fatalf("owners after racing hand-overs: %d", n)
		}
	})
}

// L2: trashing a person trashes their tickets in the same transaction; restoring brings back
// exactly the tickets the trash took; disabling and re-enabling keep every ticket. L4: a
// banned person raises no new ticket.
func TestTicketsFollowTrashAndRestore_L2_L4(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		p := mustCreatePerson(t, db, frontdesk.PersonInput{Name: ptr("Tom Tickets"), Email: ptr("tom@example.com")})
		other := mustCreatePerson(t, db, frontdesk.PersonInput{Name: ptr("Oli Other"), Email: ptr("oli@example.com")})
		newTicket := func(requester int64, subject string, status frontdesk.TicketStatus) *frontdesk.Ticket {
			t.Helper()
			tk := &frontdesk.Ticket{RequesterID: requester, Subject: subject, Status: status}
			if err := db.CreateTicket(ctx, tk); err != nil {
				t.Fatal(err)
			}
			return tk
		}
		open := newTicket(p.ID, "Printer on fire", frontdesk.TicketOpen)
		pending := newTicket(p.ID, "Password", frontdesk.TicketPending)
		closed := newTicket(p.ID, "Thanks", frontdesk.TicketClosed)
		alone := newTicket(p.ID, "Spam", "")
		theirs := newTicket(other.ID, "Other's", frontdesk.TicketOpen)
		if alone.Status != frontdesk.TicketOpen {
			t.Errorf("a new ticket opens by default: %s", alone.Status)
		}
		wantCode(t, db.CreateTicket(ctx, &frontdesk.Ticket{RequesterID: p.ID, Subject: " ", Status: "lost"}), frontdesk.EInvalid)
		wantCode(t, db.CreateTicket(ctx, &frontdesk.Ticket{RequesterID: 999999, Subject: "x"}), frontdesk.EInvalid)
		if _, err := db.TrashTicket(ctx, alone.ID); err != nil {
			t.Fatal(err)
		}
		ids := func(withTrashed bool) []int64 {
			t.Helper()
			list, err := db.ListTicketsOf(ctx, p.ID, withTrashed)
			if err != nil {
				t.Fatal(err)
			}
			var out []int64
			for _, tk := range list {
				out = append(out, tk.ID)
			}
			return out
		}
		visible := []int64{open.ID, pending.ID, closed.ID}
		if got := ids(false); !slices.Equal(got, visible) {
			t.Fatalf("before: %v, want %v", got, visible)
		}

		state := func(to frontdesk.State) {
			t.Helper()
			if _, err := db.SetState(ctx, p.ID, store.StateChange{To: to}); err != nil {
				t.Fatalf("to %s: %v", to, err)
			}
		}
		state(frontdesk.StateActive)
		state(frontdesk.StateDisabled)
		if got := ids(false); !slices.Equal(got, visible) {
			t.Fatalf("disabling changed the tickets: %v", got)
		}
		state(frontdesk.StateActive)
		state(frontdesk.StateTrashed)
		if got := ids(false); len(got) != 0 {
			t.Fatalf("trashing left tickets out of the trash: %v", got)
		}
		if got := ids(true); len(got) != 4 {
			t.Fatalf("trashing lost tickets: %v", got)
		}
		if tk, _ := db.GetTicket(ctx, theirs.ID); tk.TrashedAt != nil {
			t.Fatal("trashing one person trashed another's ticket")
		}
		wantCode(t, db.CreateTicket(ctx, &frontdesk.Ticket{RequesterID: p.ID, Subject: "From the trash"}), frontdesk.EForbidden)
		state(frontdesk.StateActive) // restored to the state before the trash
		if got := ids(false); !slices.Equal(got, visible) {
			t.Fatalf("restoring brought back %v, want exactly %v", got, visible)
		}
		if tk, _ := db.GetTicket(ctx, alone.ID); tk.TrashedAt == nil {
			t.Fatal("restoring brought back a ticket trashed on its own before")
		}
		for _, id := range visible {
			if tk, _ := db.GetTicket(ctx, id); tk.TrashedAt != nil || tk.WithPerson {
				t.Errorf("ticket %d after restoring: %+v", id, tk)
			}
		}
		// A second round trip takes and brings back the same tickets again.
		state(frontdesk.StateTrashed)
		state(frontdesk.StateActive)
		if got := ids(false); !slices.Equal(got, visible) {
			t.Fatalf("second restore: %v", got)
		}
		if got := actions(t, db, frontdesk.AuditFilter{SubjectType: "person", SubjectID: p.ID, Action: "person.tickets_trashed"}); len(got) != 2 {
			t.Errorf("tickets_trashed audit: %v", got)
		}

		// L4: a banned person's new tickets are refused.
		state(frontdesk.StateBanned)
		wantCode(t, db.CreateTicket(ctx, &frontdesk.Ticket{RequesterID: p.ID, Subject: "Let me in"}), frontdesk.EForbidden)
	})
}
