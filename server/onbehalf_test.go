package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"frontdesk"
	"frontdesk/store/storetest"
)

// ticketIDFromURL reads the ticket id of the console ticket page the browser shows.
func ticketIDFromURL(t *testing.T, ctx context.Context) int64 {
	t.Helper()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(loc)
	if err != nil {
		t.Fatal(err)
	}
	id, err := strconv.ParseInt(strings.TrimPrefix(u.Path, "/console/tickets/"), 10, 64)
	if err != nil {
		t.Fatalf("not a ticket page: %s", loc)
	}
	return id
}

// C10 end to end in a real browser: from the queue an agent opens a new ticket, finds an
// existing requester by type-ahead, then creates a ticket on behalf of a NEW person filled in
// inline; person, ticket and first message exist, and the new person gets their
// confirmation mail.
func TestAgentCreatesTicketOnBehalfInBrowser_C10(t *testing.T) {
	a := newApp(t, storetest.Engines()[len(storetest.Engines())-1])
	ctx := browser(t)
	sys := frontdesk.WithActor(context.Background(), frontdesk.System)
	a.mustOwner(t, "owner@example.com", "owner-password-1")
	a.mustPersonWithPassword(t, sys, frontdesk.RoleAgent, "agent@example.com", "agent-password-1")
	rory := a.mustPerson(t, "Rory Requester", "rory@example.com", frontdesk.StateActive)
	a.logIn(t, ctx, "agent@example.com", "agent-password-1")

	run(t, ctx, "find a requester by type-ahead",
		chromedp.Navigate(a.URL+"/console/tickets"),
		chromedp.Click(chromedp.CSS("#new-ticket")),
		chromedp.WaitVisible(chromedp.CSS(`main[data-page="ticket_new"]`)),
		chromedp.SendKeys(chromedp.CSS("#requester"), "Ror"),
	)
	// The script may fill the list more than once while keys arrive: wait for Rory's option
	// by value rather than hold on to a node that can be replaced.
	wait, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	suggestion, err := chromedp.Run(wait, chromedp.Evaluate[string](`new Promise(resolve => {
		const check = () => {
			const o = document.querySelector("#people-suggestions option");
			if (o && o.value.includes("Rory")) resolve(o.value); else setTimeout(check, 50);
		};
		check();
	})`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("no suggestion: %v", err)
	}
	if want := fmt.Sprintf("#%d Rory Requester <rory@example.com>", rory.ID); suggestion != want {
		t.Fatalf("suggestion %q, want %q", suggestion, want)
	}
	screenshot(t, ctx, "ticket_new")
	run(t, ctx, "create a ticket for the suggested person",
		chromedp.SetValue(chromedp.CSS("#requester"), suggestion),
		chromedp.SendKeys(chromedp.CSS("#subject"), "VPN drops"),
		chromedp.SendKeys(chromedp.CSS("#body"), "Every hour."),
		chromedp.Click(chromedp.CSS(`form[action="/console/tickets/new"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`main[data-page="ticket"]`)),
	)
	if tk, err := a.DB.GetTicket(context.Background(), ticketIDFromURL(t, ctx)); err != nil || tk.RequesterID != rory.ID || tk.Channel != frontdesk.TicketViaConsole {
		t.Fatalf("ticket for Rory: %+v %v", tk, err)
	}

	run(t, ctx, "a new person with a bad number is shown beside the field",
		chromedp.Navigate(a.URL+"/console/tickets/new"),
		chromedp.SendKeys(chromedp.CSS("#new_first_name"), "Nina"),
		chromedp.SendKeys(chromedp.CSS("#new_email"), "nina@example.com"),
		chromedp.SendKeys(chromedp.CSS("#new_phone"), "12"),
		chromedp.SendKeys(chromedp.CSS("#subject"), "Locked out"),
		chromedp.Click(chromedp.CSS(`form[action="/console/tickets/new"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#new_phone-error")),
	)
	if _, err := a.DB.GetPersonByEmail(context.Background(), "nina@example.com"); frontdesk.ErrorCode(err) != frontdesk.ENotFound {
		t.Fatalf("a refused form created someone: %v", err)
	}
	screenshot(t, ctx, "ticket_new_errors")
	run(t, ctx, "create a ticket on behalf of a new person",
		chromedp.Clear(chromedp.CSS("#new_phone")),
		chromedp.SendKeys(chromedp.CSS("#new_phone"), "(201) 555-0188"),
		chromedp.SendKeys(chromedp.CSS("#new_last_name"), "Newcomer"),
		chromedp.SendKeys(chromedp.CSS("#body"), "Forgot my password."),
		chromedp.Click(chromedp.CSS(`form[action="/console/tickets/new"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`main[data-page="ticket"]`)),
	)
	screenshot(t, ctx, "ticket_created")
	nina, err := a.DB.GetPersonByEmail(context.Background(), "nina@example.com")
	if err != nil || nina.FullName() != "Nina Newcomer" || len(nina.Phones) != 1 || nina.Phones[0].Number != "+12015550188" || nina.Channel != frontdesk.ChannelConsole {
		t.Fatalf("the new person: %+v %v", nina, err)
	}
	tk, err := a.DB.GetTicket(context.Background(), ticketIDFromURL(t, ctx))
	if err != nil || tk.RequesterID != nina.ID || tk.Subject != "Locked out" {
		t.Fatalf("ticket for the new person: %+v %v", tk, err)
	}
	if text := mainText(t, ctx); !strings.Contains(text, "Nina Newcomer") || !strings.Contains(text, "Forgot my password.") {
		t.Errorf("the ticket page: %s", text)
	}
	if subject, _ := a.mailTo(t, "nina@example.com", 1); subject == "" {
		t.Errorf("no mail to the new person")
	}
}

// C12 end to end in a real browser: a call from a number written another way than it is
// stored is matched and logged at once as a phone ticket; a call from an unknown number asks
// for the caller, who is created with the ticket, holding the number.
func TestPhoneCallMatchedAndUnmatchedInBrowser_C12(t *testing.T) {
	a := newApp(t, storetest.Engines()[len(storetest.Engines())-1])
	ctx := browser(t)
	sys := frontdesk.WithActor(context.Background(), frontdesk.System)
	a.mustOwner(t, "owner@example.com", "owner-password-1")
	a.mustPersonWithPassword(t, sys, frontdesk.RoleAgent, "agent@example.com", "agent-password-1")
	caller := a.mustPerson(t, "Carla Caller", "carla@example.com", frontdesk.StateActive)
	if _, err := a.Flows.UpdatePerson(sys, caller.ID, frontdesk.PersonInput{Phones: &[]frontdesk.Phone{{Number: "+12015550123"}}}); err != nil {
		t.Fatal(err)
	}
	a.logIn(t, ctx, "agent@example.com", "agent-password-1")

	run(t, ctx, "log a call from a known number",
		chromedp.Navigate(a.URL+"/console/tickets"),
		chromedp.Click(chromedp.CSS("#log-call")),
		chromedp.WaitVisible(chromedp.CSS(`main[data-page="call_new"]`)),
		chromedp.SendKeys(chromedp.CSS("#number"), "(201) 555-0123"),
		chromedp.SendKeys(chromedp.CSS("#subject"), "Invoice question"),
		chromedp.SendKeys(chromedp.CSS("#notes"), "Asks about March."),
	)
	screenshot(t, ctx, "call_new")
	run(t, ctx, "send the call", chromedp.Click(chromedp.CSS(`form[action="/console/calls/new"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`main[data-page="ticket"]`)))
	tk, err := a.DB.GetTicket(context.Background(), ticketIDFromURL(t, ctx))
	if err != nil || tk.RequesterID != caller.ID || tk.Channel != frontdesk.TicketViaPhone || tk.Subject != "Invoice question" {
		t.Fatalf("matched call: %+v %v", tk, err)
	}
	if text := mainText(t, ctx); !strings.Contains(text, "Asks about March.") || !strings.Contains(text, "phone") {
		t.Errorf("the ticket page: %s", text)
	}

	run(t, ctx, "log a call from an unknown number",
		chromedp.Navigate(a.URL+"/console/calls/new"),
		chromedp.SendKeys(chromedp.CSS("#number"), "202.555.0147"),
		chromedp.SendKeys(chromedp.CSS("#subject"), "Wants a quote"),
		chromedp.SendKeys(chromedp.CSS("#notes"), "For 20 seats."),
		chromedp.Click(chromedp.CSS(`form[action="/console/calls/new"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#new-caller")),
	)
	screenshot(t, ctx, "call_unmatched")
	if n, _ := a.DB.PeopleByPhone(context.Background(), "+12025550147"); len(n) != 0 {
		t.Fatalf("someone was created before the agent asked: %+v", n)
	}
	run(t, ctx, "create the caller with the call",
		chromedp.SendKeys(chromedp.CSS("#new_first_name"), "Quincy"),
		chromedp.SendKeys(chromedp.CSS("#new_last_name"), "Quote"),
		chromedp.Click(chromedp.CSS(`form[action="/console/calls/new"] button[name=create]`)),
		chromedp.WaitVisible(chromedp.CSS(`main[data-page="ticket"]`)),
	)
	holders, err := a.DB.PeopleByPhone(context.Background(), "+12025550147")
	if err != nil || len(holders) != 1 || holders[0].FullName() != "Quincy Quote" {
		t.Fatalf("the new caller: %+v %v", holders, err)
	}
	tk, err = a.DB.GetTicket(context.Background(), ticketIDFromURL(t, ctx))
	if err != nil || tk.RequesterID != holders[0].ID || tk.Channel != frontdesk.TicketViaPhone {
		t.Fatalf("unmatched call: %+v %v", tk, err)
	}

	// A bad number is shown beside its field.
	run(t, ctx, "a bad number",
		chromedp.Navigate(a.URL+"/console/calls/new"),
		chromedp.SendKeys(chromedp.CSS("#number"), "12"),
		chromedp.SendKeys(chromedp.CSS("#subject"), "x"),
		chromedp.Click(chromedp.CSS(`form[action="/console/calls/new"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#number-error")),
	)
}

// C11 in a real browser: the "Change end user" dialog makes a new person, created inline,
// the ticket's requester.
func TestChangeEndUserInBrowser_C11(t *testing.T) {
	a := newApp(t, storetest.Engines()[len(storetest.Engines())-1])
	ctx := browser(t)
	sys := frontdesk.WithActor(context.Background(), frontdesk.System)
	a.mustOwner(t, "owner@example.com", "owner-password-1")
	a.mustPersonWithPassword(t, sys, frontdesk.RoleAgent, "agent@example.com", "agent-password-1")
	general := a.mustPerson(t, "Front Desk", "frontdesk@example.com", frontdesk.StateActive)
	tk, err := a.Flows.CreateTicket(sys, frontdesk.TicketInput{RequesterID: general.ID, Subject: "Walk-in"}, frontdesk.TicketViaConsole)
	if err != nil {
		t.Fatal(err)
	}
	a.logIn(t, ctx, "agent@example.com", "agent-password-1")
	run(t, ctx, "open the dialog",
		chromedp.Navigate(fmt.Sprintf("%s/console/tickets/%d", a.URL, tk.ID)),
		chromedp.Click(chromedp.CSS("#change-requester")),
		chromedp.WaitVisible(chromedp.CSS(`main[data-page="ticket_requester"]`)),
		chromedp.SendKeys(chromedp.CSS("#new_first_name"), "Wanda"),
		chromedp.SendKeys(chromedp.CSS("#new_last_name"), "Walkin"),
		chromedp.SendKeys(chromedp.CSS("#new_email"), "wanda@example.com"),
	)
	screenshot(t, ctx, "ticket_requester")
	run(t, ctx, "change the end user",
		chromedp.Click(chromedp.CSS(`main form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`main[data-page="ticket"]`)),
	)
	screenshot(t, ctx, "ticket_after_change")
	wanda, err := a.DB.GetPersonByEmail(context.Background(), "wanda@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := a.DB.GetTicket(context.Background(), tk.ID); got.RequesterID != wanda.ID {
		t.Fatalf("requester %d, want %d", got.RequesterID, wanda.ID)
	}
	if text := mainText(t, ctx); !strings.Contains(text, "Wanda Walkin") || !strings.Contains(text, "End user changed.") {
		t.Errorf("the ticket page: %s", text)
	}
}

// C10, C11, C12 over plain HTTP on both engines: the profile links to a new ticket with the
// person preselected; inline creation off is refused with a clear error and creates nothing;
// the general user's caller with a name becomes a person of the general user's organization;
// requester_dialog_only leaves only the dialog on the ticket page; the queue's assignee=none;
// a contact and a collaborator get none of the pages and change nothing.
func TestConsoleOnBehalf_C10_C11_C12(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			a := newApp(t, engine)
			ctx := context.Background()
			sys := frontdesk.WithActor(ctx, frontdesk.System)
			a.mustOwner(t, "owner@example.com", "owner-password-1")
			agent := a.mustPersonWithPassword(t, sys, frontdesk.RoleAgent, "agent@example.com", "agent-password-1")
			a.mustPersonWithPassword(t, sys, frontdesk.RoleCollaborator, "collab@example.com", "collab-password-1")
			contact := a.mustPersonWithPassword(t, sys, frontdesk.RoleContact, "contact@example.com", "contact-password-1")
			ann := a.mustPerson(t, "Ann Asker", "ann@example.com", frontdesk.StateActive)
			c := a.client(t)
			c.mustLogIn("agent@example.com", "agent-password-1")

			if p := c.get(fmt.Sprintf("/console/people/%d", ann.ID)); !strings.Contains(p.Body, fmt.Sprintf(`href="/console/tickets/new?requester_id=%d"`, ann.ID)) {
				t.Errorf("the profile does not link to a new ticket for the person")
			}
			if p := c.get(fmt.Sprintf("/console/tickets/new?requester_id=%d", ann.ID)); !strings.Contains(p.Body, fmt.Sprintf(`value="#%d Ann Asker &lt;ann@example.com&gt;"`, ann.ID)) {
				t.Errorf("the person is not preselected: %s", p.Body)
			}
			// Without JavaScript: an address in the requester field.
			p := c.post("/console/tickets/new", url.Values{"requester": {"ann@example.com"}, "subject": {"By address"}})
			if p.Status != http.StatusSeeOther {
				t.Fatalf("by address: %d %s", p.Status, p.Body)
			}
			if p := c.post("/console/tickets/new", url.Values{"requester": {"nobody@example.com"}, "subject": {"x"}}); p.Status != 422 || !strings.Contains(p.Body, `id="requester-error"`) {
				t.Errorf("an unknown address: %d", p.Status)
			}

			off := false
			if _, err := a.DB.UpdateSettings(ctx, frontdesk.SettingsInput{InlinePersonCreate: &off}); err != nil {
				t.Fatal(err)
			}
			if p := c.get("/console/tickets/new"); strings.Contains(p.Body, `id="new_email"`) {
				t.Errorf("inline fields offered with the setting off")
			}
			p = c.post("/console/tickets/new", url.Values{"new_first_name": {"Otto"}, "new_email": {"otto@example.com"}, "subject": {"x"}})
			if p.Status != http.StatusForbidden || !strings.Contains(p.Body, "inline_person_create") {
				t.Errorf("inline with the setting off: %d %s", p.Status, p.Body)
			}
			if _, err := a.DB.GetPersonByEmail(ctx, "otto@example.com"); frontdesk.ErrorCode(err) != frontdesk.ENotFound {
				t.Errorf("a refused form created a person: %v", err)
			}

			// The general user's caller.
			org := &frontdesk.Organization{Name: "Walk-ins"}
			if err := a.DB.CreateOrganization(ctx, org); err != nil {
				t.Fatal(err)
			}
			general := a.mustPerson(t, "General User", "general@example.com", frontdesk.StateActive)
			if _, err := a.DB.UpdatePerson(ctx, general.ID, func(p *frontdesk.Person) error { p.OrganizationID = &org.ID; return nil }); err != nil {
				t.Fatal(err)
			}
			on := true
			if _, err := a.DB.UpdateSettings(ctx, frontdesk.SettingsInput{GeneralUserID: frontdesk.RefTo(general.ID), GeneralUserNewPerson: &on}); err != nil {
				t.Fatal(err)
			}
			p = c.post("/console/tickets/new", url.Values{"requester": {fmt.Sprintf("#%d", general.ID)}, "new_first_name": {"Gil"}, "new_last_name": {"Guest"}, "subject": {"At the counter"}})
			if p.Status != http.StatusSeeOther {
				t.Fatalf("general user with a name: %d %s", p.Status, p.Body)
			}
			id, _ := strconv.ParseInt(strings.TrimPrefix(strings.SplitN(p.Location, "?", 2)[0], "/console/tickets/"), 10, 64)
			tk, err := a.DB.GetTicket(ctx, id)
			if err != nil || tk.RequesterID == general.ID || tk.OrganizationID == nil || *tk.OrganizationID != org.ID {
				t.Fatalf("general user's ticket: %+v %v", tk, err)
			}
			if gil, _ := a.DB.GetPerson(ctx, tk.RequesterID); gil.FullName() != "Gil Guest" || gil.OrganizationID == nil || *gil.OrganizationID != org.ID {
				t.Errorf("the general user's caller: %+v", gil)
			}

			// C11: the quick field and the dialog; with requester_dialog_only only the dialog.
			tpath := fmt.Sprintf("/console/tickets/%d", tk.ID)
			if p := c.get(tpath); !strings.Contains(p.Body, `id="quick-requester"`) || !strings.Contains(p.Body, `id="change-requester"`) {
				t.Errorf("the ticket page lacks the requester forms")
			}
			if p := c.post(tpath+"/requester", url.Values{"requester": {fmt.Sprint(ann.ID)}}); p.Status != http.StatusSeeOther {
				t.Fatalf("quick change: %d %s", p.Status, p.Body)
			}
			if got, _ := a.DB.GetTicket(ctx, tk.ID); got.RequesterID != ann.ID {
				t.Errorf("requester %d, want %d", got.RequesterID, ann.ID)
			}
			if _, err := a.DB.UpdateSettings(ctx, frontdesk.SettingsInput{RequesterDialogOnly: &on}); err != nil {
				t.Fatal(err)
			}
			if p := c.get(tpath); strings.Contains(p.Body, `id="quick-requester"`) || !strings.Contains(p.Body, `id="change-requester"`) {
				t.Errorf("with requester_dialog_only the page still offers the quick field, or no dialog")
			}
			if p := c.get(tpath + "/requester"); p.Status != 200 || strings.Contains(p.Body, `id="new_email"`) {
				t.Errorf("the dialog with inline creation off: %d", p.Status)
			}

			// The queue's unassigned filter.
			assigned, err := a.Flows.CreateTicket(sys, frontdesk.TicketInput{RequesterID: ann.ID, Subject: "Taken", AssigneeID: &agent.ID}, frontdesk.TicketViaConsole)
			if err != nil {
				t.Fatal(err)
			}
			for _, q := range []string{"assignee=none", "assignee_id=none"} {
				p := c.get("/console/tickets?" + q)
				if p.Status != 200 || !strings.Contains(p.Body, fmt.Sprintf(`data-ticket="%d"`, tk.ID)) || strings.Contains(p.Body, fmt.Sprintf(`data-ticket="%d"`, assigned.ID)) {
					t.Errorf("%s: %d", q, p.Status)
				}
			}
			if p := c.get("/console/tickets?assignee=someone"); p.Status != 422 || !strings.Contains(p.Body, `id="assignee-error"`) {
				t.Errorf("assignee=someone: %d", p.Status)
			}

			// C12: a shared line offers its holders; the pick counts only for the number it was
			// offered for.
			var holders []*frontdesk.Person
			for _, email := range []string{"desk1@example.com", "desk2@example.com"} {
				h := a.mustPerson(t, "Desk Phone", email, frontdesk.StateActive)
				if _, err := a.Flows.UpdatePerson(sys, h.ID, frontdesk.PersonInput{Phones: &[]frontdesk.Phone{{Number: "+12015550166"}}}); err != nil {
					t.Fatal(err)
				}
				holders = append(holders, h)
			}
			p = c.post("/console/calls/new", url.Values{"number": {"201-555-0166"}, "subject": {"Shared"}})
			if p.Status != 200 || !strings.Contains(p.Body, fmt.Sprintf(`name="requester_id" value="%d"`, holders[1].ID)) || !strings.Contains(p.Body, `name="matched" value="&#43;12015550166"`) {
				t.Fatalf("shared line: %d %s", p.Status, p.Body)
			}
			p = c.post("/console/calls/new", url.Values{"number": {"202-555-0199"}, "subject": {"Shared"}, "matched": {"+12015550166"}, "requester_id": {fmt.Sprint(holders[1].ID)}})
			if p.Status != 200 || !strings.Contains(p.Body, `id="new-caller"`) {
				t.Errorf("a pick for another number was used: %d %s", p.Status, p.Location)
			}
			p = c.post("/console/calls/new", url.Values{"number": {"201-555-0166"}, "subject": {"Shared"}, "matched": {"+12015550166"}, "requester_id": {fmt.Sprint(holders[1].ID)}})
			if p.Status != http.StatusSeeOther {
				t.Fatalf("pick: %d %s", p.Status, p.Body)
			}
			id, _ = strconv.ParseInt(strings.TrimPrefix(strings.SplitN(p.Location, "?", 2)[0], "/console/tickets/"), 10, 64)
			if got, err := a.DB.GetTicket(ctx, id); err != nil || got.RequesterID != holders[1].ID || got.Channel != frontdesk.TicketViaPhone {
				t.Errorf("picked call: %+v %v", got, err)
			}

			// Who lacks tickets.answer gets none of it.
			before, _ := a.DB.GetTicket(ctx, tk.ID)
			for email, password := range map[string]string{"collab@example.com": "collab-password-1", "contact@example.com": "contact-password-1"} {
				o := a.client(t)
				o.mustLogIn(email, password)
				for _, r := range []struct {
					path string
					form url.Values
				}{
					{"/console/tickets/new", url.Values{"requester": {fmt.Sprint(contact.ID)}, "subject": {"mine"}}},
					{tpath + "/requester", url.Values{"requester": {fmt.Sprint(contact.ID)}}},
					{"/console/calls/new", url.Values{"number": {"+12015550123"}, "subject": {"x"}, "matched": {"+12015550123"}, "create": {"1"}, "new_first_name": {"Sly"}}},
				} {
					if p := o.get(r.path); p.Status != http.StatusForbidden {
						t.Errorf("%s GET %s: %d", email, r.path, p.Status)
					}
					if p := o.post(r.path, r.form); p.Status != http.StatusForbidden {
						t.Errorf("%s POST %s: %d", email, r.path, p.Status)
					}
				}
			}
			if got, _ := a.DB.GetTicket(ctx, tk.ID); got.RequesterID != before.RequesterID {
				t.Errorf("the requester changed")
			}
			if n, _ := a.DB.PeopleByPhone(ctx, "+12015550123"); len(n) != 0 {
				t.Errorf("a caller was created: %+v", n)
			}
		})
	}
}

// C10, C11, C12: the new pages, empty, with errors beside their fields and at each step of a
// call, pass axe-core; so do the queue's unassigned view and the ticket page with its
// requester forms.
func TestOnBehalfPagesPassAxe_C10_C11_C12(t *testing.T) {
	axe := axeSource(t)
	a := newApp(t, storetest.Engines()[len(storetest.Engines())-1])
	ctx := browser(t)
	sys := frontdesk.WithActor(context.Background(), frontdesk.System)
	a.mustOwner(t, "owner@example.com", "owner-password-1")
	a.mustPersonWithPassword(t, sys, frontdesk.RoleAgent, "agent@example.com", "agent-password-1")
	for _, email := range []string{"one@example.com", "two@example.com"} {
		p := a.mustPerson(t, "Shared Line", email, frontdesk.StateActive)
		if _, err := a.Flows.UpdatePerson(sys, p.ID, frontdesk.PersonInput{Phones: &[]frontdesk.Phone{{Number: "+12015550199"}}}); err != nil {
			t.Fatal(err)
		}
	}
	req := a.mustPerson(t, "Rory Requester", "rory@example.com", frontdesk.StateActive)
	tk, err := a.Flows.CreateTicket(sys, frontdesk.TicketInput{RequesterID: req.ID, Subject: "Axe"}, frontdesk.TicketViaConsole)
	if err != nil {
		t.Fatal(err)
	}
	a.logIn(t, ctx, "agent@example.com", "agent-password-1")
	visit := func(what, path string, extra ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		run(t, ctx, what, append([]chromedp.Action[chromedp.Void]{chromedp.Navigate(a.URL + path), chromedp.WaitVisible(chromedp.CSS("main"))}, extra...)...)
		checkA11y(t, ctx, axe, what)
	}
	submit := func(form string) chromedp.Action[chromedp.Void] {
		return chromedp.Click(chromedp.CSS(`form[action="` + form + `"] button[type=submit]`))
	}
	tpath := fmt.Sprintf("/console/tickets/%d", tk.ID)
	visit("new ticket", "/console/tickets/new")
	visit("new ticket with errors", "/console/tickets/new",
		chromedp.SendKeys(chromedp.CSS("#requester"), "nobody at all"),
		chromedp.SendKeys(chromedp.CSS("#new_phone"), "12"),
		submit("/console/tickets/new"), chromedp.WaitVisible(chromedp.CSS("#requester-error")))
	visit("change end user", tpath+"/requester")
	visit("change end user with errors", tpath+"/requester",
		chromedp.SendKeys(chromedp.CSS("#requester"), "nobody@example.com"),
		submit(tpath+"/requester"), chromedp.WaitVisible(chromedp.CSS("#requester-error")))
	visit("ticket page", tpath)
	visit("unassigned queue", "/console/tickets?assignee=none")
	visit("log a call", "/console/calls/new")
	visit("call with a bad number", "/console/calls/new",
		chromedp.SendKeys(chromedp.CSS("#number"), "12"),
		submit("/console/calls/new"), chromedp.WaitVisible(chromedp.CSS("#number-error")))
	visit("call from a shared line", "/console/calls/new",
		chromedp.SendKeys(chromedp.CSS("#number"), "201 555 0199"),
		chromedp.SendKeys(chromedp.CSS("#subject"), "Who?"),
		submit("/console/calls/new"), chromedp.WaitVisible(chromedp.CSS("#call-matches")))
	screenshot(t, ctx, "call_matches")
	visit("call from nobody known", "/console/calls/new",
		chromedp.SendKeys(chromedp.CSS("#number"), "202 555 0147"),
		chromedp.SendKeys(chromedp.CSS("#subject"), "New"),
		submit("/console/calls/new"), chromedp.WaitVisible(chromedp.CSS("#new-caller")),
		chromedp.SendKeys(chromedp.CSS("#new_email"), "x@example.com"),
		chromedp.Clear(chromedp.CSS("#subject")),
		chromedp.Click(chromedp.CSS(`button[name=create]`)), chromedp.WaitVisible(chromedp.CSS("#subject-error")))
	screenshot(t, ctx, "call_unmatched_errors")
}
