package server_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"frontdesk"
	"frontdesk/auth"
	"frontdesk/store/storetest"
)

var ticketRowID = regexp.MustCompile(`data-ticket="(\d+)"`)

// ticketIDs returns the ids of the tickets a queue page shows, in order.
func ticketIDs(body string) []int64 {
	var out []int64
	for _, m := range ticketRowID.FindAllStringSubmatch(body, -1) {
		id, _ := strconv.ParseInt(m[1], 10, 64)
		out = append(out, id)
	}
	return out
}

// ticketPages follows the queue's Next links from path and returns every ticket shown and
// the number of pages.
func ticketPages(t *testing.T, c *client, path string) ([]int64, int) {
	t.Helper()
	var seen []int64
	pages := 0
	for path != "" {
		res := c.get(path)
		if res.Status != http.StatusOK {
			t.Fatalf("%s: %d %s", path, res.Status, res.Body)
		}
		ids := ticketIDs(res.Body)
		if len(ids) > frontdesk.DefaultPageSize {
			t.Fatalf("a page of %d tickets", len(ids))
		}
		seen = append(seen, ids...)
		path = ""
		if m := regexp.MustCompile(`id="next-page" href="([^"]+)"`).FindStringSubmatch(res.Body); m != nil {
			path = strings.ReplaceAll(m[1], "&amp;", "&")
		}
		if pages++; pages > 20 {
			t.Fatal("the pages do not end")
		}
	}
	return seen, pages
}

// queueFixture is an organization, an agent and tickets of every status and assignee.
type queueFixture struct {
	org                                 *frontdesk.Organization
	owner, agent, requester             *frontdesk.Person
	assignedToAgent, pending, ownersOne *frontdesk.Ticket
	// lateClosed comes after the bulk, so that a filter lost on the way to page two shows.
	lateClosed *frontdesk.Ticket
	all        []int64
}

func (a *app) mustQueue(t *testing.T, bulk int) queueFixture {
	t.Helper()
	sys := frontdesk.WithActor(context.Background(), frontdesk.System)
	var f queueFixture
	f.owner = a.mustOwner(t, "owner@example.com", "owner-password-1")
	f.agent = a.mustPersonWithPassword(t, sys, frontdesk.RoleAgent, "agent@example.com", "agent-password-1")
	a.mustPersonWithPassword(t, sys, frontdesk.RoleContact, "cleo@example.com", "cleo-password-1")
	f.org = &frontdesk.Organization{}
	if err := frontdesk.ApplyOrganization(f.org, frontdesk.OrganizationInput{Name: ptr("Acme"), Domains: &[]string{}}); err != nil {
		t.Fatal(err)
	}
	if err := a.DB.CreateOrganization(sys, f.org); err != nil {
		t.Fatal(err)
	}
	f.requester = a.mustPerson(t, "Rory Requester", "rory@example.com", frontdesk.StateActive)
	mk := func(in frontdesk.TicketInput) *frontdesk.Ticket {
		t.Helper()
		in.RequesterID = f.requester.ID
		if in.Body == "" {
			in.Body = "Please help."
		}
		tk, err := a.Flows.CreateTicket(sys, in, frontdesk.TicketViaConsole)
		if err != nil {
			t.Fatal(err)
		}
		f.all = append(f.all, tk.ID)
		return tk
	}
	f.assignedToAgent = mk(frontdesk.TicketInput{Subject: "Printer on fire", OrganizationID: &f.org.ID, AssigneeID: &f.agent.ID})
	f.pending = mk(frontdesk.TicketInput{Subject: "Waiting on a quote", Status: frontdesk.TicketPending})
	f.ownersOne = mk(frontdesk.TicketInput{Subject: "Old invoice", Status: frontdesk.TicketClosed, AssigneeID: &f.owner.ID})
	for i := range bulk {
		mk(frontdesk.TicketInput{Subject: fmt.Sprintf("Bulk question %03d", i)})
	}
	f.lateClosed = mk(frontdesk.TicketInput{Subject: "Solved by itself", Status: frontdesk.TicketClosed})
	return f
}

// T1, R4 (issue 8's ticket queue): staff list the tickets page by page, each once; the
// status, assignee ("mine" included) and organization filters each narrow the list; a bad
// filter is refused beside its field; a contact is refused and a stranger sent to log in.
func TestConsoleTicketQueue_T1_R4(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			a := newApp(t, engine)
			a.Flows.LoginLimit = auth.NewLimiter(100, time.Second)
			f := a.mustQueue(t, frontdesk.DefaultPageSize+2)

			c := a.client(t)
			c.mustLogIn("owner@example.com", "owner-password-1")
			seen, pages := ticketPages(t, c, "/console/tickets")
			if pages != 2 || !slices.Equal(seen, f.all) {
				t.Fatalf("%d pages showed %v, want 2 pages showing %v once each", pages, seen, f.all)
			}
			first := c.get("/console/tickets")
			for _, want := range []string{
				fmt.Sprintf(`<a href="/console/tickets/%d">Printer on fire</a>`, f.assignedToAgent.ID),
				fmt.Sprintf(`<a href="/console/people/%d">Rory Requester</a>`, f.requester.ID),
				`<a href="/console/tickets">Tickets</a>`, // in the navigation
			} {
				if !strings.Contains(first.Body, want) {
					t.Errorf("the queue lacks %s", want)
				}
			}

			org := fmt.Sprint(f.org.ID)
			for _, tc := range []struct {
				query string
				want  []int64
			}{
				{"status=pending", []int64{f.pending.ID}},
				{"status=closed", []int64{f.ownersOne.ID, f.lateClosed.ID}},
				{"assignee_id=" + fmt.Sprint(f.agent.ID), []int64{f.assignedToAgent.ID}},
				{"assignee_id=mine", []int64{f.ownersOne.ID}},
				{"organization_id=" + org, []int64{f.assignedToAgent.ID}},
				{"status=open&organization_id=" + org, []int64{f.assignedToAgent.ID}},
				{"status=closed&organization_id=" + org, nil},
			} {
				got, _ := ticketPages(t, c, "/console/tickets?"+tc.query)
				if !slices.Equal(got, tc.want) {
					t.Errorf("%s: tickets %v, want %v", tc.query, got, tc.want)
				}
				if res := c.get("/console/tickets?" + tc.query); len(tc.want) == 0 && !strings.Contains(res.Body, `id="tickets-empty"`) {
					t.Errorf("%s: no empty-state text", tc.query)
				}
			}
			// The filter goes along with the Next link: every open ticket, over two pages.
			open, pages := ticketPages(t, c, "/console/tickets?status=open")
			if want := slices.DeleteFunc(slices.Clone(f.all), func(id int64) bool { return id == f.pending.ID || id == f.ownersOne.ID || id == f.lateClosed.ID }); pages != 2 || !slices.Equal(open, want) {
				t.Errorf("status=open: %d pages, %v; want %v", pages, open, want)
			}

			for query, field := range map[string]string{
				"status=sleeping":          "status",
				"assignee_id=someone":      "assignee_id",
				"organization_id=-3":       "organization_id",
				"after=page-two":           "after",
				"status=x&assignee_id=0.5": "assignee_id",
			} {
				res := c.get("/console/tickets?" + query)
				if res.Status != http.StatusUnprocessableEntity || len(ticketIDs(res.Body)) != 0 {
					t.Errorf("%s: %d, want 422 and no tickets", query, res.Status)
				}
				if field != "after" && !strings.Contains(res.Body, `id="`+field+`-error"`) {
					t.Errorf("%s: no error beside %s", query, field)
				}
			}

			contact := a.client(t)
			contact.mustLogIn("cleo@example.com", "cleo-password-1")
			if res := contact.get("/console/tickets"); res.Status != http.StatusForbidden || len(ticketIDs(res.Body)) != 0 || strings.Contains(res.Body, `id="assignee_id"`) {
				t.Errorf("a contact: %d, or shown the staff to filter by", res.Status)
			}
			if res := a.client(t).get("/console/tickets"); res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Location, "/login?next=") {
				t.Errorf("a stranger: %d %s", res.Status, res.Location)
			}
		})
	}
}

// T1 in a real browser: the agent opens Tickets from the navigation, filters by status and
// opens a ticket. The queue with and without filters, empty and with an error, passes
// axe-core. With FRONTDESK_TEST_SCREENSHOTS set, it is saved at a phone's and a desktop's width.
func TestConsoleTicketQueueInBrowser_T1(t *testing.T) {
	axe := axeSource(t)
	a := newApp(t, storetest.Engines()[len(storetest.Engines())-1])
	ctx := browser(t)
	a.Flows.LoginLimit = auth.NewLimiter(100, time.Second)
	f := a.mustQueue(t, 4)
	a.logIn(t, ctx, "agent@example.com", "agent-password-1")
	run(t, ctx, "open Tickets from the navigation",
		chromedp.Click(chromedp.CSS(`nav a[href="/console/tickets"]`)),
		chromedp.WaitVisible(chromedp.CSS("#tickets")),
	)
	checkA11y(t, ctx, axe, "/console/tickets")
	shots(t, ctx, "tickets-queue")
	run(t, ctx, "filter by status",
		chromedp.SetValue(chromedp.CSS("#status"), "pending"),
		chromedp.Click(chromedp.CSS(`form[action="/console/tickets"] button`)),
		// Only the filtered page has this link; the unfiltered one shows the pending row too.
		chromedp.WaitVisible(chromedp.CSS(`main p.hint a[href="/console/tickets"]`)),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`tr[data-ticket="%d"]`, f.pending.ID))),
	)
	if ids := ticketIDs(mustHTML(t, ctx)); !slices.Equal(ids, []int64{f.pending.ID}) {
		t.Fatalf("filtered by pending: %v", ids)
	}
	checkA11y(t, ctx, axe, "/console/tickets?status=pending")
	visit := func(path, wait string) {
		t.Helper()
		run(t, ctx, "open "+path, chromedp.Navigate(a.URL+path), chromedp.WaitVisible(chromedp.CSS(wait)))
		checkA11y(t, ctx, axe, path)
	}
	visit(fmt.Sprintf("/console/tickets?status=closed&assignee_id=mine&organization_id=%d", f.org.ID), "#tickets-empty")
	visit("/console/tickets?status=sleeping&assignee_id=someone", "#status-error")
	shots(t, ctx, "tickets-queue-error")
	run(t, ctx, "open a ticket",
		chromedp.Navigate(a.URL+"/console/tickets"),
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`a[href="/console/tickets/%d"]`, f.assignedToAgent.ID))),
		chromedp.WaitVisible(chromedp.CSS(`main[data-page="ticket"]`)),
	)
}
