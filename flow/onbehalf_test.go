package flow

import (
	"context"
	"net/url"
	"testing"

	"frontdesk"
	"frontdesk/store"
	"frontdesk/store/storetest"
)

func agentCtx() context.Context {
	return frontdesk.WithActor(context.Background(), frontdesk.Actor{ID: 900, Role: frontdesk.RoleAgent, Name: "Agent"})
}

func strp(s string) *string { return &s }

func countPeople(t *testing.T, db *store.DB) int {
	t.Helper()
	list, _, err := db.ListPeople(context.Background(), frontdesk.PersonFilter{}, frontdesk.Page{Limit: frontdesk.MaxPageSize})
	if err != nil {
		t.Fatal(err)
	}
	return len(list)
}

func mustSettings(t *testing.T, db *store.DB, in frontdesk.SettingsInput) {
	t.Helper()
	if _, err := db.UpdateSettings(context.Background(), in); err != nil {
		t.Fatal(err)
	}
}

func hasField(err error, field string) bool {
	e, ok := err.(*frontdesk.Error)
	return ok && frontdesk.Problems(e.Fields).Has(field)
}

// C10: an agent opens a ticket for a person created inline; person, ticket and first message
// exist together, the message in the new requester's name, and the new person gets the
// mail any person staff add gets.
func TestCreateTicketWithInlineRequester_C10(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFlows(t, db)
		tk, p, err := f.CreateTicketWithRequester(agentCtx(), frontdesk.TicketInput{Subject: "Printer on fire", Body: "Smoke everywhere.",
			Requester: &frontdesk.PersonInput{FirstName: strp("Ines"), LastName: strp("Ortega"), Email: strp("ines@example.com"),
				Phones: &[]frontdesk.Phone{{Number: "(201) 555-0123"}}}}, frontdesk.TicketViaConsole)
		if err != nil {
			t.Fatal(err)
		}
		if p == nil || tk.RequesterID != p.ID || p.Channel != frontdesk.ChannelConsole || tk.Channel != frontdesk.TicketViaConsole {
			t.Fatalf("ticket %+v, person %+v", tk, p)
		}
		stored, err := db.GetPersonByEmail(context.Background(), "ines@example.com")
		if err != nil || stored.ID != p.ID || len(stored.Phones) != 1 || stored.Phones[0].Number != "+12015550123" {
			t.Fatalf("stored person %+v: %v", stored, err)
		}
		thread, _ := db.TicketMessages(context.Background(), tk.ID, true)
		if len(thread) != 1 || thread[0].AuthorID != p.ID || !thread[0].Public || thread[0].Body != "Smoke everywhere." {
			t.Fatalf("thread %+v", thread)
		}
		if len(mailTo(t, f, "ines@example.com")) != 1 {
			t.Errorf("the new requester got no confirmation mail")
		}
	})
}

// C10: with inline_person_create off, the inline person is refused and nothing is created;
// requester_id and requester together, or neither, are field errors; the person's problems
// and the ticket's come back together, the person's named requester.FIELD.
func TestCreateTicketInlineRefused_C10(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFlows(t, db)
		existing := mustPerson(t, f, "ex@example.com", "correct horse battery")
		before := countPeople(t, db)
		off := false
		mustSettings(t, db, frontdesk.SettingsInput{InlinePersonCreate: &off})
		in := frontdesk.TicketInput{Subject: "Help", Requester: &frontdesk.PersonInput{Name: strp("Nora New"), Email: strp("nora@example.com")}}
		if _, _, err := f.CreateTicketWithRequester(agentCtx(), in, frontdesk.TicketViaConsole); frontdesk.ErrorCode(err) != frontdesk.EForbidden {
			t.Errorf("inline creation with the setting off: %v", err)
		}
		on := true
		mustSettings(t, db, frontdesk.SettingsInput{InlinePersonCreate: &on})
		both := in
		both.RequesterID = existing.ID
		if _, _, err := f.CreateTicketWithRequester(agentCtx(), both, frontdesk.TicketViaConsole); !hasField(err, "requester") {
			t.Errorf("requester_id and requester: %v", err)
		}
		if _, _, err := f.CreateTicketWithRequester(agentCtx(), frontdesk.TicketInput{Subject: "Help"}, frontdesk.TicketViaConsole); !hasField(err, "requester_id") {
			t.Errorf("no requester: %v", err)
		}
		bad := frontdesk.TicketInput{Subject: "", Requester: &frontdesk.PersonInput{Name: strp("Nora"), Email: strp("not an address")}}
		_, _, err := f.CreateTicketWithRequester(agentCtx(), bad, frontdesk.TicketViaConsole)
		if !hasField(err, "subject") || !hasField(err, "requester.email") {
			t.Errorf("every problem at once: %v", err)
		}
		if n := countPeople(t, db); n != before {
			t.Errorf("%d people after refusals, want %d", n, before)
		}
	})
}

// C10: a failure after the person is prepared (here an assignee who is no agent, found
// inside the transaction) leaves no person, no ticket and no mail.
func TestCreateTicketFailureLeavesNoPerson_C10(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFlows(t, db)
		contact := mustPerson(t, f, "c@example.com", "correct horse battery")
		before := countPeople(t, db)
		in := frontdesk.TicketInput{Subject: "Help", Body: "Please", AssigneeID: &contact.ID,
			Requester: &frontdesk.PersonInput{Name: strp("Gone Soon"), Email: strp("gone@example.com")}}
		if _, _, err := f.CreateTicketWithRequester(agentCtx(), in, frontdesk.TicketViaConsole); !hasField(err, "assignee_id") {
			t.Fatalf("want an assignee error, got %v", err)
		}
		in = frontdesk.TicketInput{Subject: "Help", OrganizationID: &contact.ID,
			Requester: &frontdesk.PersonInput{Name: strp("Gone Soon"), Email: strp("gone@example.com")}}
		if _, _, err := f.CreateTicketWithRequester(agentCtx(), in, frontdesk.TicketViaConsole); frontdesk.ErrorCode(err) != frontdesk.EInvalid {
			t.Fatalf("want an organization error, got %v", err)
		}
		if n := countPeople(t, db); n != before {
			t.Errorf("%d people, want %d: a person was half-created", n, before)
		}
		if _, err := db.GetPersonByEmail(context.Background(), "gone@example.com"); frontdesk.ErrorCode(err) != frontdesk.ENotFound {
			t.Errorf("the person exists: %v", err)
		}
		if len(mailTo(t, f, "gone@example.com")) != 0 {
			t.Errorf("mail went to a person who does not exist")
		}
		if list, _, _ := db.ListTickets(context.Background(), frontdesk.TicketFilter{}, frontdesk.Page{Limit: 10}); len(list) != 0 {
			t.Errorf("tickets: %+v", list)
		}
	})
}

// C10: a ticket against the general user with a name, with general_user_new_person on,
// creates a new person under the general user's organization and site, and the ticket is
// theirs; without a name, or with the setting off, the ticket stays the general user's.
func TestGeneralUserNewPerson_C10(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFlows(t, db)
		org := &frontdesk.Organization{Name: "Walk-ins"}
		if err := db.CreateOrganization(ctx, org); err != nil {
			t.Fatal(err)
		}
		site := &frontdesk.Site{OrganizationID: org.ID, Name: "Front counter"}
		if err := db.CreateSite(ctx, site); err != nil {
			t.Fatal(err)
		}
		general := mustPerson(t, f, "general@example.com", "correct horse battery")
		if _, err := db.UpdatePerson(ctx, general.ID, func(p *frontdesk.Person) error {
			p.OrganizationID, p.SiteID = &org.ID, &site.ID
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		mustSettings(t, db, frontdesk.SettingsInput{GeneralUserID: frontdesk.RefTo(general.ID)})
		named := frontdesk.TicketInput{RequesterID: general.ID, Subject: "Walk-in",
			Requester: &frontdesk.PersonInput{FirstName: strp("Walter"), LastName: strp("In")}}
		if _, _, err := f.CreateTicketWithRequester(agentCtx(), named, frontdesk.TicketViaConsole); !hasField(err, "requester") {
			t.Errorf("general user with a name and the setting off: %v", err)
		}
		on := true
		mustSettings(t, db, frontdesk.SettingsInput{GeneralUserNewPerson: &on})
		tk, p, err := f.CreateTicketWithRequester(agentCtx(), named, frontdesk.TicketViaConsole)
		if err != nil {
			t.Fatal(err)
		}
		if p == nil || tk.RequesterID != p.ID || p.FullName() != "Walter In" || p.OrganizationID == nil || *p.OrganizationID != org.ID ||
			p.SiteID == nil || *p.SiteID != site.ID || tk.SiteID == nil || *tk.SiteID != site.ID {
			t.Errorf("ticket %+v for %+v", tk, p)
		}
		plain, p2, err := f.CreateTicketWithRequester(agentCtx(), frontdesk.TicketInput{RequesterID: general.ID, Subject: "Anonymous"}, frontdesk.TicketViaConsole)
		if err != nil || p2 != nil || plain.RequesterID != general.ID {
			t.Errorf("general user without a name: %+v %+v %v", plain, p2, err)
		}
		noName := frontdesk.TicketInput{RequesterID: general.ID, Subject: "x", Requester: &frontdesk.PersonInput{Email: strp("x@example.com")}}
		if _, _, err := f.CreateTicketWithRequester(agentCtx(), noName, frontdesk.TicketViaConsole); !hasField(err, "requester.name") {
			t.Errorf("general user with an address but no name: %v", err)
		}
	})
}

// C10, C11, C12: a contact, and a collaborator (no tickets.answer), can do none of it; an
// agent without people.create (a custom role) creates no person inline.
func TestOnBehalfNeedsPermissions_C10_C11_C12(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFlows(t, db)
		sys := frontdesk.WithActor(context.Background(), frontdesk.System)
		req := mustPerson(t, f, "r@example.com", "correct horse battery")
		tk, err := f.CreateTicket(sys, frontdesk.TicketInput{RequesterID: req.ID, Subject: "Mine"}, frontdesk.TicketViaWeb)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.UpdatePerson(sys, req.ID, frontdesk.PersonInput{Phones: &[]frontdesk.Phone{{Number: "+12015550177"}}}); err != nil {
			t.Fatal(err)
		}
		before := countPeople(t, db)
		newP := &frontdesk.PersonInput{Name: strp("Sneaky"), Email: strp("sneaky@example.com")}
		for _, a := range []frontdesk.Actor{{ID: req.ID, Role: frontdesk.RoleContact}, {ID: 901, Role: frontdesk.RoleCollaborator}} {
			ctx := frontdesk.WithActor(context.Background(), a)
			if _, _, err := f.CreateTicketWithRequester(ctx, frontdesk.TicketInput{Subject: "x", Requester: newP}, frontdesk.TicketViaConsole); frontdesk.ErrorCode(err) != frontdesk.EForbidden {
				t.Errorf("%s created a ticket: %v", a.Role, err)
			}
			if _, _, err := f.ChangeRequester(ctx, tk.ID, 0, newP); frontdesk.ErrorCode(err) != frontdesk.EForbidden {
				t.Errorf("%s changed the requester: %v", a.Role, err)
			}
			if _, err := f.UpdateTicket(ctx, tk.ID, frontdesk.TicketUpdate{RequesterID: &req.ID}); frontdesk.ErrorCode(err) != frontdesk.EForbidden {
				t.Errorf("%s changed the requester by update: %v", a.Role, err)
			}
			if _, err := f.LogCall(ctx, CallInput{Number: "+12015550123", Subject: "x", Requester: newP}); frontdesk.ErrorCode(err) != frontdesk.EForbidden {
				t.Errorf("%s logged a call: %v", a.Role, err)
			}
			// Nor looks a number up.
			if res, err := f.LogCall(ctx, CallInput{Number: "+12015550178", Subject: "x"}); frontdesk.ErrorCode(err) != frontdesk.EForbidden {
				t.Errorf("%s looked a number up: %+v %v", a.Role, res, err)
			}
		}
		noCreate := frontdesk.WithActor(context.Background(), frontdesk.Actor{ID: 902, Role: frontdesk.RoleAgent,
			Permissions: []frontdesk.Permission{frontdesk.PermTicketsRead, frontdesk.PermTicketsAnswer}})
		if _, _, err := f.CreateTicketWithRequester(noCreate, frontdesk.TicketInput{Subject: "x", Requester: newP}, frontdesk.TicketViaConsole); frontdesk.ErrorCode(err) != frontdesk.EForbidden {
			t.Errorf("an agent without people.create created a person: %v", err)
		}
		if n := countPeople(t, db); n != before {
			t.Errorf("%d people, want %d", n, before)
		}
		if got, _ := db.GetTicket(context.Background(), tk.ID); got.RequesterID != req.ID {
			t.Errorf("requester changed to %d", got.RequesterID)
		}
	})
}

// C11: the end user changes to an existing person or to one created inline; organization and
// site follow the new requester unless they were set by hand; banned and trashed people are
// refused; the change is audited; with the setting off the inline person is refused.
func TestChangeRequester_C11(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFlows(t, db)
		sys := frontdesk.WithActor(ctx, frontdesk.System)
		orgA, orgB := &frontdesk.Organization{Name: "A"}, &frontdesk.Organization{Name: "B"}
		for _, o := range []*frontdesk.Organization{orgA, orgB} {
			if err := db.CreateOrganization(ctx, o); err != nil {
				t.Fatal(err)
			}
		}
		inOrg := func(p *frontdesk.Person, o *frontdesk.Organization) {
			if _, err := db.UpdatePerson(ctx, p.ID, func(p *frontdesk.Person) error { p.OrganizationID = &o.ID; return nil }); err != nil {
				t.Fatal(err)
			}
		}
		first := mustPerson(t, f, "first@example.com", "correct horse battery")
		second := mustPerson(t, f, "second@example.com", "correct horse battery")
		banned := mustPerson(t, f, "banned@example.com", "correct horse battery")
		inOrg(first, orgA)
		inOrg(second, orgB)
		if _, err := f.SetState(sys, banned.ID, store.StateChange{To: frontdesk.StateBanned, BanReason: "abuse"}); err != nil {
			t.Fatal(err)
		}
		follows, err := f.CreateTicket(sys, frontdesk.TicketInput{RequesterID: first.ID, Subject: "Follows"}, frontdesk.TicketViaWeb)
		if err != nil {
			t.Fatal(err)
		}
		byHand, err := f.CreateTicket(sys, frontdesk.TicketInput{RequesterID: first.ID, Subject: "By hand", OrganizationID: &orgB.ID}, frontdesk.TicketViaWeb)
		if err != nil {
			t.Fatal(err)
		}
		got, _, err := f.ChangeRequester(agentCtx(), follows.ID, second.ID, nil)
		if err != nil || got.RequesterID != second.ID || got.OrganizationID == nil || *got.OrganizationID != orgB.ID {
			t.Fatalf("changed: %+v %v", got, err)
		}
		// Organization B was set by hand (first is in A): it stays with a requester of none.
		third := mustPerson(t, f, "third@example.com", "correct horse battery")
		got, _, err = f.ChangeRequester(agentCtx(), byHand.ID, third.ID, nil)
		if err != nil || got.RequesterID != third.ID || got.OrganizationID == nil || *got.OrganizationID != orgB.ID {
			t.Fatalf("by hand: %+v %v", got, err)
		}
		if _, _, err := f.ChangeRequester(agentCtx(), follows.ID, banned.ID, nil); frontdesk.ErrorCode(err) != frontdesk.EForbidden {
			t.Errorf("a banned person became requester: %v", err)
		}
		if _, err := f.UpdateTicket(agentCtx(), follows.ID, frontdesk.TicketUpdate{RequesterID: &banned.ID}); frontdesk.ErrorCode(err) != frontdesk.EForbidden {
			t.Errorf("a banned person became requester by update: %v", err)
		}
		missing := int64(99999)
		if _, err := f.UpdateTicket(agentCtx(), follows.ID, frontdesk.TicketUpdate{RequesterID: &missing}); !hasField(err, "requester_id") {
			t.Errorf("an unknown person became requester: %v", err)
		}
		got, p, err := f.ChangeRequester(agentCtx(), follows.ID, 0, &frontdesk.PersonInput{Name: strp("Fresh Face"), Email: strp("fresh@example.com")})
		if err != nil || p == nil || got.RequesterID != p.ID || got.OrganizationID != nil {
			t.Fatalf("inline: %+v %+v %v", got, p, err)
		}
		off := false
		mustSettings(t, db, frontdesk.SettingsInput{InlinePersonCreate: &off})
		before := countPeople(t, db)
		if _, _, err := f.ChangeRequester(agentCtx(), follows.ID, 0, &frontdesk.PersonInput{Name: strp("Nope")}); frontdesk.ErrorCode(err) != frontdesk.EForbidden {
			t.Errorf("inline with the setting off: %v", err)
		}
		if _, _, err := f.ChangeRequester(agentCtx(), 424242, 0, nil); !hasField(err, "requester_id") {
			t.Errorf("no requester: %v", err)
		}
		on := true
		mustSettings(t, db, frontdesk.SettingsInput{InlinePersonCreate: &on})
		if _, _, err := f.ChangeRequester(agentCtx(), 424242, 0, &frontdesk.PersonInput{Name: strp("Orphan"), Email: strp("orphan@example.com")}); frontdesk.ErrorCode(err) != frontdesk.ENotFound {
			t.Errorf("unknown ticket: %v", err)
		}
		if n := countPeople(t, db); n != before {
			t.Errorf("%d people, want %d: a refused change left a person", n, before)
		}
		entries, _, err := db.ListAudit(ctx, frontdesk.AuditFilter{Action: "ticket.requester", Limit: 10})
		if err != nil || len(entries) != 3 {
			t.Errorf("audit: %d entries, %v", len(entries), err)
		}
	})
}

// C12: a call from a number written another way matches the person holding it in E.164;
// the ticket is of channel phone with the notes as its first message. Several holders wait
// for the agent's pick; nobody waits for the caller to be created, which then happens with
// the ticket, number included. A bad number is a field error.
func TestLogCall_C12(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFlows(t, db)
		sys := frontdesk.WithActor(ctx, frontdesk.System)
		caller := mustPerson(t, f, "caller@example.com", "correct horse battery")
		if _, err := f.UpdatePerson(sys, caller.ID, frontdesk.PersonInput{Phones: &[]frontdesk.Phone{{Number: "+12015550123"}}}); err != nil {
			t.Fatal(err)
		}
		res, err := f.LogCall(agentCtx(), CallInput{Number: "(201) 555-0123", Subject: "Password", Notes: "Locked out again."})
		if err != nil {
			t.Fatal(err)
		}
		if res.Number != "+12015550123" || res.Ticket == nil || res.Ticket.RequesterID != caller.ID || res.Ticket.Channel != frontdesk.TicketViaPhone || res.Created != nil {
			t.Fatalf("matched call: %+v", res)
		}
		thread, _ := db.TicketMessages(ctx, res.Ticket.ID, true)
		if len(thread) != 1 || thread[0].Body != "Locked out again." {
			t.Errorf("thread %+v", thread)
		}

		if _, err := f.LogCall(agentCtx(), CallInput{Number: "555-CALL-ME", Subject: "x"}); !hasField(err, "number") {
			t.Errorf("bad number: %v", err)
		}
		if _, err := f.LogCall(agentCtx(), CallInput{Number: "12", Subject: ""}); !hasField(err, "number") || !hasField(err, "subject") {
			t.Errorf("every problem at once: %v", err)
		}

		colleague := mustPerson(t, f, "colleague@example.com", "correct horse battery")
		if _, err := f.UpdatePerson(sys, colleague.ID, frontdesk.PersonInput{Phones: &[]frontdesk.Phone{{Number: "201.555.0123"}}}); err != nil {
			t.Fatal(err)
		}
		res, err = f.LogCall(agentCtx(), CallInput{Number: "+1 201 555 0123", Subject: "Shared line"})
		if err != nil || res.Ticket != nil || len(res.Matches) != 2 {
			t.Fatalf("two holders: %+v %v", res, err)
		}
		res, err = f.LogCall(agentCtx(), CallInput{Number: "+1 201 555 0123", Subject: "Shared line", RequesterID: colleague.ID})
		if err != nil || res.Ticket == nil || res.Ticket.RequesterID != colleague.ID {
			t.Fatalf("picked: %+v %v", res, err)
		}

		before := countPeople(t, db)
		res, err = f.LogCall(agentCtx(), CallInput{Number: "202-555-0147", Subject: "New caller"})
		if err != nil || res.Ticket != nil || len(res.Matches) != 0 || countPeople(t, db) != before {
			t.Fatalf("unmatched: %+v %v", res, err)
		}
		// The caller is created even with inline creation off: C12 has no such setting.
		off := false
		mustSettings(t, db, frontdesk.SettingsInput{InlinePersonCreate: &off})
		res, err = f.LogCall(agentCtx(), CallInput{Number: "202-555-0147", Subject: "New caller", Notes: "Wants a quote.",
			Requester: &frontdesk.PersonInput{FirstName: strp("Cal"), LastName: strp("Ler"), Phones: &[]frontdesk.Phone{{Number: "+12025550147", Label: "mobile"}}}})
		if err != nil || res.Ticket == nil || res.Created == nil || res.Ticket.RequesterID != res.Created.ID {
			t.Fatalf("created: %+v %v", res, err)
		}
		holders, err := db.PeopleByPhone(ctx, "+12025550147")
		if err != nil || len(holders) != 1 || holders[0].ID != res.Created.ID || len(holders[0].Phones) != 1 || holders[0].Phones[0].Label != "mobile" {
			t.Errorf("the new caller holds the number: %+v %v", holders, err)
		}
		if _, err := db.PeopleByPhone(ctx, "2025550147"); frontdesk.ErrorCode(err) != frontdesk.EInvalid {
			t.Errorf("a number not in E.164: %v", err)
		}
	})
}

// T1, issue 8: assignee=none lists exactly the tickets nobody is assigned to, alongside the
// other filters.
func TestUnassignedFilter_T1(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFlows(t, db)
		sys := frontdesk.WithActor(ctx, frontdesk.System)
		req := mustPerson(t, f, "q@example.com", "correct horse battery")
		agent := mustPerson(t, f, "agent@example.com", "correct horse battery")
		role := frontdesk.RoleAgent
		if _, err := f.UpdatePerson(sys, agent.ID, frontdesk.PersonInput{Role: &role}); err != nil {
			t.Fatal(err)
		}
		free, _ := f.CreateTicket(sys, frontdesk.TicketInput{RequesterID: req.ID, Subject: "Free"}, frontdesk.TicketViaWeb)
		f.CreateTicket(sys, frontdesk.TicketInput{RequesterID: req.ID, Subject: "Taken", AssigneeID: &agent.ID}, frontdesk.TicketViaWeb)
		closed := frontdesk.TicketClosed
		shut, _ := f.CreateTicket(sys, frontdesk.TicketInput{RequesterID: req.ID, Subject: "Shut", Status: closed}, frontdesk.TicketViaWeb)
		for q, want := range map[string][]int64{
			"assignee=none":               {free.ID, shut.ID},
			"assignee_id=none":            {free.ID, shut.ID},
			"assignee=none&status=closed": {shut.ID},
		} {
			filter, err := frontdesk.ParseTicketFilter(mustQuery(t, q))
			if err != nil {
				t.Fatal(err)
			}
			list, _, err := f.ListTickets(sys, filter, frontdesk.Page{Limit: 10})
			var ids []int64
			for _, tk := range list {
				ids = append(ids, tk.ID)
			}
			if err != nil || len(ids) != len(want) || ids[0] != want[0] {
				t.Errorf("%s: %v %v, want %v", q, ids, err, want)
			}
		}
		for _, q := range []string{"assignee=someone", "assignee=none&assignee_id=3"} {
			if _, err := frontdesk.ParseTicketFilter(mustQuery(t, q)); !hasField(err, "assignee") {
				t.Errorf("%s: %v", q, err)
			}
		}
	})
}

func mustQuery(t *testing.T, q string) url.Values {
	t.Helper()
	v, err := url.ParseQuery(q)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
