package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"frontdesk"
	"frontdesk/store/storetest"
)

// T1, R1: on the console's ticket page an agent replies (mailed to the requester), adds a
// note, changes status and assignee; a collaborator adds notes but cannot reply, and is
// shown no form that needs tickets.answer; bad input is shown beside its field.
func TestConsoleTicketPage_T1_R1(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			a := newApp(t, engine)
			sys := frontdesk.WithActor(context.Background(), frontdesk.System)
			a.mustOwner(t, "owner@example.com", "owner-password-1")
			agent := a.mustPersonWithPassword(t, sys, frontdesk.RoleAgent, "agent@example.com", "agent-password-1")
			a.mustPersonWithPassword(t, sys, frontdesk.RoleCollaborator, "collab@example.com", "collab-password-1")
			req := a.mustPerson(t, "Rory Requester", "rory@example.com", frontdesk.StateActive)
			tk, err := a.Flows.CreateTicket(sys, frontdesk.TicketInput{RequesterID: req.ID, Subject: "Wifi is down", Body: "Since noon."}, frontdesk.TicketViaConsole)
			if err != nil {
				t.Fatal(err)
			}
			path := fmt.Sprintf("/console/tickets/%d", tk.ID)

			c := a.client(t)
			c.mustLogIn("agent@example.com", "agent-password-1")
			if p := c.get(fmt.Sprintf("/console/people/%d", req.ID)); !strings.Contains(p.Body, `href="`+path+`"`) {
				t.Errorf("the requester's profile does not link to the ticket: %s", p.Body)
			}
			if p := c.get(path); p.Status != 200 || !strings.Contains(p.Body, "Wifi is down") || !strings.Contains(p.Body, "Since noon.") {
				t.Fatalf("ticket page: %d %s", p.Status, p.Body)
			}
			if p := c.post(path+"/messages", url.Values{"body": {"Router restarted."}, "public": {"1"}}); p.Status != http.StatusSeeOther {
				t.Fatalf("reply: %d %s", p.Status, p.Body)
			}
			if _, text := a.mailTo(t, "rory@example.com", 1); !strings.Contains(text, "Router restarted.") {
				t.Errorf("reply mail: %s", text)
			}
			if p := c.post(path+"/update", url.Values{"status": {"pending"}, "assignee_id": {fmt.Sprint(agent.ID)}}); p.Status != http.StatusSeeOther {
				t.Fatalf("update: %d %s", p.Status, p.Body)
			}
			if p := c.post(path+"/messages", url.Values{"body": {"  "}, "public": {"0"}}); p.Status != 422 || !strings.Contains(p.Body, `id="body-error"`) {
				t.Errorf("empty note: %d %s", p.Status, p.Body)
			}
			got, _ := a.DB.GetTicket(context.Background(), tk.ID)
			if got.Status != frontdesk.TicketPending || got.AssigneeID == nil || *got.AssigneeID != agent.ID {
				t.Errorf("after update: %+v", got)
			}

			co := a.client(t)
			co.mustLogIn("collab@example.com", "collab-password-1")
			page := co.get(path)
			if page.Status != 200 || strings.Contains(page.Body, "/update") || strings.Contains(page.Body, "/spam") || strings.Contains(page.Body, `name="public" value="1"`) {
				t.Errorf("collaborator's page offers what they cannot do: %d", page.Status)
			}
			if p := co.post(path+"/messages", url.Values{"body": {"Customer called twice."}, "public": {"0"}}); p.Status != http.StatusSeeOther {
				t.Errorf("collaborator's note: %d %s", p.Status, p.Body)
			}
			if p := co.post(path+"/messages", url.Values{"body": {"Hi!"}, "public": {"1"}}); p.Status != http.StatusForbidden {
				t.Errorf("collaborator's reply: %d", p.Status)
			}
			thread, _ := a.DB.TicketMessages(context.Background(), tk.ID, true)
			if len(thread) != 3 || thread[2].Public || thread[2].Body != "Customer called twice." {
				t.Errorf("thread: %+v", thread)
			}
			if p := c.get(path); !strings.Contains(p.Body, "Customer called twice.") || !strings.Contains(p.Body, "Private note by") {
				t.Errorf("the agent sees the note: %s", p.Body)
			}
		})
	}
}

// The ticket page passes axe, as it first shows and with a refused form's errors.
func TestTicketPagePassesAxe_T1(t *testing.T) {
	axe := axeSource(t)
	a := newApp(t, storetest.Engines()[len(storetest.Engines())-1])
	ctx := browser(t)
	sys := frontdesk.WithActor(context.Background(), frontdesk.System)
	a.mustOwner(t, "owner@example.com", "owner-password-1")
	req := a.mustPerson(t, "Axe Requester", "axe.req@example.com", frontdesk.StateActive)
	tk, err := a.Flows.CreateTicket(sys, frontdesk.TicketInput{RequesterID: req.ID, Subject: "Screen flickers", Body: "Mostly mornings."}, frontdesk.TicketViaPhone)
	if err != nil {
		t.Fatal(err)
	}
	a.logIn(t, ctx, "owner@example.com", "owner-password-1")
	path := fmt.Sprintf("/console/tickets/%d", tk.ID)
	run(t, ctx, "open "+path, chromedp.Navigate(a.URL+path), chromedp.WaitVisible(chromedp.CSS("main")))
	checkA11y(t, ctx, axe, path)
	run(t, ctx, "an empty reply",
		chromedp.Click(chromedp.CSS(`form[action$="/messages"] button`)),
		chromedp.WaitVisible(chromedp.CSS("#body-error")),
	)
	checkA11y(t, ctx, axe, path+" refused")
	profile := fmt.Sprintf("/console/people/%d", req.ID)
	run(t, ctx, "open "+profile, chromedp.Navigate(a.URL+profile), chromedp.WaitVisible(chromedp.CSS("#person-tickets")))
	checkA11y(t, ctx, axe, profile+" with tickets")
}
