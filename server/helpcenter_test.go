package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"frontdesk"
	"frontdesk/auth"
	"frontdesk/store"
	"frontdesk/store/storetest"
)

// helpCenter is an organization with two sites, contacts of every web access level in it, a
// contact of another organization, and a ticket raised by each.
type helpCenter struct {
	a                                *app
	own, site, org, outsider, nobody *frontdesk.Person
	// Tickets by requester: own's (site 1), site's (site 1), org's (site 2), outsider's.
	ownT, siteT, orgT, outsiderT *frontdesk.Ticket
	agent                        *frontdesk.Person
}

const hcPassword = "contact-password-1"

// mustContactIn makes an active, onboarded contact of a web access level in an organization
// and site (0 for none), with hcPassword.
func (a *app) mustContactIn(t *testing.T, email string, access frontdesk.WebAccess, org, site int64) *frontdesk.Person {
	t.Helper()
	ctx := frontdesk.WithActor(context.Background(), frontdesk.System)
	p := frontdesk.NewPerson(frontdesk.ChannelCLI)
	name := "Contact " + strings.Split(email, "@")[0]
	in := frontdesk.PersonInput{Name: &name, Email: &email, WebAccess: &access}
	if org != 0 {
		in.OrganizationID = frontdesk.Ref{Set: true, ID: &org}
	}
	if site != 0 {
		in.SiteID = frontdesk.Ref{Set: true, ID: &site}
	}
	if err := frontdesk.ApplyPerson(p, in, frontdesk.Rules{PhoneRegion: "US"}); err != nil {
		t.Fatal(err)
	}
	p.State = frontdesk.StateActive
	p.Emails[0].Verified = true
	if err := a.DB.CreatePerson(ctx, p); err != nil {
		t.Fatal(err)
	}
	hash, err := auth.HashPassword(hcPassword)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if err := a.DB.SaveCredentials(ctx, store.Credentials{PersonID: p.ID, Method: store.LoginPassword, PasswordHash: hash, OnboardedAt: &now}); err != nil {
		t.Fatal(err)
	}
	return p
}

func newHelpCenter(t *testing.T, engine store.Engine) *helpCenter {
	t.Helper()
	a := newApp(t, engine)
	a.Flows.LoginLimit = auth.NewLimiter(1000, time.Millisecond)
	sys := frontdesk.WithActor(context.Background(), frontdesk.System)
	orgA, orgB := &frontdesk.Organization{Name: "Acme"}, &frontdesk.Organization{Name: "Globex"}
	for _, o := range []*frontdesk.Organization{orgA, orgB} {
		if err := a.DB.CreateOrganization(sys, o); err != nil {
			t.Fatal(err)
		}
	}
	site1, site2 := &frontdesk.Site{OrganizationID: orgA.ID, Name: "North"}, &frontdesk.Site{OrganizationID: orgA.ID, Name: "South"}
	for _, s := range []*frontdesk.Site{site1, site2} {
		if err := a.DB.CreateSite(sys, s); err != nil {
			t.Fatal(err)
		}
	}
	h := &helpCenter{a: a}
	h.own = a.mustContactIn(t, "own@example.com", frontdesk.WebAccessOwn, orgA.ID, site1.ID)
	h.site = a.mustContactIn(t, "site@example.com", frontdesk.WebAccessSite, orgA.ID, site1.ID)
	h.org = a.mustContactIn(t, "org@example.com", frontdesk.WebAccessOrganization, orgA.ID, site2.ID)
	h.outsider = a.mustContactIn(t, "outsider@example.com", frontdesk.WebAccessOwn, orgB.ID, 0)
	h.nobody = a.mustContactIn(t, "nobody@example.com", frontdesk.WebAccessNone, orgA.ID, site1.ID)
	h.agent = a.mustPersonWithPassword(t, sys, frontdesk.RoleAgent, "agent@example.com", "agent-password-1")
	mk := func(p *frontdesk.Person, subject string) *frontdesk.Ticket {
		tk, err := a.Flows.CreateTicket(sys, frontdesk.TicketInput{RequesterID: p.ID, Subject: subject, Body: "Body of " + subject}, frontdesk.TicketViaWeb)
		if err != nil {
			t.Fatal(err)
		}
		return tk
	}
	h.ownT, h.siteT, h.orgT, h.outsiderT = mk(h.own, "Own printer jam"), mk(h.site, "Site door badge"), mk(h.org, "Org invoice copy"), mk(h.outsider, "Outsider secret plan")
	// With no web access one sees nothing, not even one's own ticket.
	mk(h.nobody, "Nobody asks")
	return h
}

func (h *helpCenter) loggedIn(t *testing.T, p *frontdesk.Person) *client {
	c := h.a.client(t)
	c.mustLogIn(p.PrimaryEmail(), hcPassword)
	return c
}

func (h *helpCenter) actor(p *frontdesk.Person) context.Context {
	return frontdesk.WithActor(context.Background(), frontdesk.Actor{ID: p.ID, Role: p.Role, Name: p.FullName(), Permissions: []frontdesk.Permission{}})
}

// P8, T3: "My tickets" lists what the contact's web access level allows: their own tickets,
// their site's, or their organization's; with no web access, nothing. A ticket they may not see
// is not found, its content never shown; a stranger is sent to log in.
func TestMyTicketsFollowWebAccess_P8_T3(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			h := newHelpCenter(t, engine)
			all := []*frontdesk.Ticket{h.ownT, h.siteT, h.orgT, h.outsiderT}
			for _, tc := range []struct {
				who  *frontdesk.Person
				sees []*frontdesk.Ticket
			}{
				{h.own, []*frontdesk.Ticket{h.ownT}},
				{h.site, []*frontdesk.Ticket{h.ownT, h.siteT}},
				{h.org, []*frontdesk.Ticket{h.ownT, h.siteT, h.orgT}},
				{h.outsider, []*frontdesk.Ticket{h.outsiderT}},
			} {
				c := h.loggedIn(t, tc.who)
				list := c.get("/tickets")
				if list.Status != 200 {
					t.Fatalf("%s: /tickets %d %s", tc.who.PrimaryEmail(), list.Status, list.Body)
				}
				for _, tk := range all {
					want := false
					for _, s := range tc.sees {
						want = want || s.ID == tk.ID
					}
					path := fmt.Sprintf("/tickets/%d", tk.ID)
					listed := strings.Contains(list.Body, `href="`+path+`"`)
					one := c.get(path)
					if want && (!listed || one.Status != 200 || !strings.Contains(one.Body, "Body of "+tk.Subject)) {
						t.Errorf("%s does not see %q: listed %v, page %d", tc.who.PrimaryEmail(), tk.Subject, listed, one.Status)
					}
					if !want && (listed || one.Status != http.StatusNotFound || strings.Contains(one.Body, tk.Subject) || strings.Contains(list.Body, tk.Subject)) {
						t.Errorf("%s sees %q: listed %v, page %d", tc.who.PrimaryEmail(), tk.Subject, listed, one.Status)
					}
				}
			}
			// No web access: the contact cannot log in (P8), and the flow shows them nothing.
			if list, _, err := h.a.Flows.MyTickets(h.actor(h.nobody), frontdesk.Page{}); err != nil || len(list) != 0 {
				t.Errorf("no web access sees %d tickets (%v)", len(list), err)
			}
			if _, _, err := h.a.Flows.RequesterTicket(h.actor(h.nobody), h.ownT.ID); frontdesk.ErrorCode(err) != frontdesk.ENotFound {
				t.Errorf("no web access opens a ticket: %v", err)
			}
			// A stranger is sent to log in; staff are sent to the console.
			for _, path := range []string{"/tickets", fmt.Sprintf("/tickets/%d", h.ownT.ID)} {
				if p := h.a.client(t).get(path); p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Location, "/login?next=") {
					t.Errorf("stranger on %s: %d %s", path, p.Status, p.Location)
				}
			}
			staff := h.a.client(t)
			staff.mustLogIn("agent@example.com", "agent-password-1")
			if p := staff.get(fmt.Sprintf("/tickets/%d", h.ownT.ID)); p.Status != http.StatusSeeOther || p.Location != fmt.Sprintf("/console/tickets/%d", h.ownT.ID) {
				t.Errorf("staff on the help center's ticket: %d %s", p.Status, p.Location)
			}
			// An empty list says so.
			lone := h.a.mustContactIn(t, "lone@example.com", frontdesk.WebAccessOwn, 0, 0)
			if p := h.loggedIn(t, lone).get("/tickets"); !strings.Contains(p.Body, `id="no-tickets"`) {
				t.Errorf("empty list: %s", p.Body)
			}
		})
	}
}

// T3: the help center's thread shows public replies only, never private notes; a reply
// appends to it and opens a pending ticket again; only the requester closes; a rating is
// taken only once closed, then shown instead of the form. Another contact's ticket refuses
// every action as not found.
func TestMyTicketReplyCloseRate_T3(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			h := newHelpCenter(t, engine)
			a := h.a
			agentCtx := frontdesk.WithActor(context.Background(), frontdesk.Actor{ID: h.agent.ID, Role: frontdesk.RoleAgent, Name: h.agent.FullName()})
			private, public := false, true
			if _, err := a.Flows.AddMessage(agentCtx, h.ownT.ID, frontdesk.MessageInput{Body: "Internal: customer is grumpy", Public: &private}); err != nil {
				t.Fatal(err)
			}
			if _, err := a.Flows.AddMessage(agentCtx, h.ownT.ID, frontdesk.MessageInput{Body: "Have you tried turning it off?", Public: &public}); err != nil {
				t.Fatal(err)
			}
			pending := frontdesk.TicketPending
			if _, err := a.Flows.UpdateTicket(agentCtx, h.ownT.ID, frontdesk.TicketUpdate{Status: &pending}); err != nil {
				t.Fatal(err)
			}
			path := fmt.Sprintf("/tickets/%d", h.ownT.ID)
			owner, colleague := h.loggedIn(t, h.own), h.loggedIn(t, h.site)
			for who, c := range map[string]*client{"requester": owner, "colleague": colleague} {
				p := c.get(path)
				if p.Status != 200 || !strings.Contains(p.Body, "Have you tried turning it off?") {
					t.Errorf("%s: the public reply is missing: %d", who, p.Status)
				}
				if strings.Contains(p.Body, "grumpy") {
					t.Errorf("%s sees a private note", who)
				}
			}
			if p := owner.post(path+"/reply", url.Values{"body": {"Yes, twice."}}); p.Status != http.StatusSeeOther {
				t.Fatalf("reply: %d %s", p.Status, p.Body)
			}
			if p := owner.get(path); !strings.Contains(p.Body, "Yes, twice.") || !strings.Contains(p.Body, `id="ticket-status">open`) {
				t.Errorf("after the reply: %s", p.Body)
			}
			if p := owner.post(path+"/reply", url.Values{"body": {"   "}}); p.Status != 422 || !strings.Contains(p.Body, `id="body-error"`) {
				t.Errorf("empty reply: %d", p.Status)
			}
			if p := owner.post(path+"/rate", url.Values{"rating": {"good"}}); p.Status != http.StatusConflict {
				t.Errorf("rating an open ticket: %d", p.Status)
			}
			// A colleague sees but does not close, and is offered no close button.
			if p := colleague.get(path); strings.Contains(p.Body, path+"/close") {
				t.Errorf("the colleague is offered the close button")
			}
			if p := colleague.post(path+"/close", url.Values{}); p.Status != http.StatusForbidden {
				t.Errorf("colleague closes: %d", p.Status)
			}
			// Another organization's contact: not found for every action, and nothing changes.
			stranger := h.loggedIn(t, h.outsider)
			for _, action := range []string{"/reply", "/close", "/rate"} {
				p := stranger.post(path+action, url.Values{"body": {"Mine now"}, "rating": {"bad"}})
				if p.Status != http.StatusNotFound || strings.Contains(p.Body, "Own printer jam") {
					t.Errorf("outsider %s: %d", action, p.Status)
				}
			}
			if p := owner.get(path); !strings.Contains(p.Body, path+"/close") {
				t.Errorf("the requester is not offered the close button")
			}
			if p := owner.post(path+"/close", url.Values{}); p.Status != http.StatusSeeOther {
				t.Fatalf("close: %d %s", p.Status, p.Body)
			}
			p := owner.get(path)
			if !strings.Contains(p.Body, `id="ticket-status">closed`) || !strings.Contains(p.Body, path+"/rate") {
				t.Errorf("closed ticket page without a rating form: %s", p.Body)
			}
			if p := owner.post(path+"/rate", url.Values{"rating": {"meh"}}); p.Status != 422 || !strings.Contains(p.Body, `id="rating-error"`) {
				t.Errorf("bad rating: %d", p.Status)
			}
			if p := owner.post(path+"/rate", url.Values{"rating": {"good"}, "comment": {"Quick and kind"}}); p.Status != http.StatusSeeOther {
				t.Fatalf("rate: %d %s", p.Status, p.Body)
			}
			p = owner.get(path)
			if !strings.Contains(p.Body, `id="ticket-rating">good: Quick and kind`) || strings.Contains(p.Body, path+"/rate") {
				t.Errorf("after rating: %s", p.Body)
			}
			got, _ := a.DB.GetTicket(context.Background(), h.ownT.ID)
			if got.Status != frontdesk.TicketClosed || got.Rating == nil || *got.Rating != frontdesk.RatingGood {
				t.Errorf("stored: %+v", got)
			}
			thread, _ := a.DB.TicketMessages(context.Background(), h.ownT.ID, true)
			if last := thread[len(thread)-1]; last.Body != "Yes, twice." || !last.Public || last.AuthorID != h.own.ID {
				t.Errorf("last message: %+v", last)
			}
			for _, m := range a.SMTP.Messages() {
				for _, rcpt := range m.To {
					if rcpt == "own@example.com" && strings.Contains(string(m.Data), "Yes, twice.") {
						t.Errorf("the requester was mailed their own reply")
					}
				}
			}
		})
	}
}

// T3 in a real browser: a contact logs in, opens My tickets, opens a closed ticket, rates it
// good with a comment and sees the rating; the pages pass axe on the way, and screenshots at
// a phone's and a desktop's width are written when FRONTDESK_TEST_SCREENSHOTS names a folder.
func TestHelpCenterRatingInBrowser_T3(t *testing.T) {
	axe := axeSource(t)
	h := newHelpCenter(t, storetest.Engines()[len(storetest.Engines())-1])
	ctx := browser(t)
	agentCtx := frontdesk.WithActor(context.Background(), frontdesk.Actor{ID: h.agent.ID, Role: frontdesk.RoleAgent, Name: h.agent.FullName()})
	public, closed := true, frontdesk.TicketClosed
	if _, err := h.a.Flows.AddMessage(agentCtx, h.siteT.ID, frontdesk.MessageInput{Body: "Your badge works again.", Public: &public}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.a.Flows.UpdateTicket(agentCtx, h.siteT.ID, frontdesk.TicketUpdate{Status: &closed}); err != nil {
		t.Fatal(err)
	}
	h.a.logIn(t, ctx, "site@example.com", hcPassword)
	shots := os.Getenv("FRONTDESK_TEST_SCREENSHOTS")
	shoot := func(name string) {
		if shots == "" {
			return
		}
		for _, width := range []int64{400, 1280} {
			if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 900)); err != nil {
				t.Fatal(err)
			}
			buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(fmt.Sprintf("%s/%s-%d.png", shots, name, width), buf, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	run(t, ctx, "open My tickets",
		chromedp.Click(chromedp.CSS(`nav a[href="/tickets"]`)),
		chromedp.WaitVisible(chromedp.CSS(`main[data-page="my_tickets"]`)),
	)
	checkA11y(t, ctx, axe, "/tickets")
	shoot("my-tickets")
	path := fmt.Sprintf("/tickets/%d", h.siteT.ID)
	run(t, ctx, "open the closed ticket",
		chromedp.Click(chromedp.CSS(`a[href="`+path+`"]`)),
		chromedp.WaitVisible(chromedp.CSS(`form[action="`+path+`/rate"]`)),
	)
	checkA11y(t, ctx, axe, path)
	run(t, ctx, "an empty reply",
		chromedp.Click(chromedp.CSS(`form[action$="/reply"] button`)),
		chromedp.WaitVisible(chromedp.CSS("#body-error")),
	)
	checkA11y(t, ctx, axe, path+" refused")
	shoot("my-ticket")
	run(t, ctx, "rate it good",
		chromedp.Click(chromedp.CSS(`input[name="rating"][value="good"]`)),
		chromedp.SendKeys(chromedp.CSS("#comment"), "Fixed within the hour"),
		chromedp.Click(chromedp.CSS(`form[action$="/rate"] button`)),
		chromedp.WaitVisible(chromedp.CSS("#ticket-rating")),
	)
	if s := mainText(t, ctx); !strings.Contains(s, "good: Fixed within the hour") || !strings.Contains(s, "Thank you for your rating.") {
		t.Errorf("after rating: %s", s)
	}
	checkA11y(t, ctx, axe, path+" rated")
	shoot("my-ticket-rated")
}

// T3: "My tickets" goes by cursor pages, each ticket once, with a link to the next page while
// more follow; a cursor that is not one is refused by name.
func TestMyTicketsPageByCursor_T3(t *testing.T) {
	a := newApp(t, storetest.Engines()[0])
	sys := frontdesk.WithActor(context.Background(), frontdesk.System)
	p := a.mustContactIn(t, "many@example.com", frontdesk.WebAccessOwn, 0, 0)
	const n = frontdesk.DefaultPageSize + 3
	for i := range n {
		if _, err := a.Flows.CreateTicket(sys, frontdesk.TicketInput{RequesterID: p.ID, Subject: fmt.Sprintf("Question %d", i)}, frontdesk.TicketViaWeb); err != nil {
			t.Fatal(err)
		}
	}
	c := a.client(t)
	c.mustLogIn("many@example.com", hcPassword)
	seen, path := map[string]bool{}, "/tickets"
	for pages := 0; path != ""; pages++ {
		if pages > 3 {
			t.Fatal("the pages do not end")
		}
		res := c.get(path)
		if res.Status != 200 {
			t.Fatalf("%s: %d", path, res.Status)
		}
		for _, m := range regexp.MustCompile(`href="/tickets/(\d+)"`).FindAllStringSubmatch(res.Body, -1) {
			if seen[m[1]] {
				t.Errorf("ticket %s listed twice", m[1])
			}
			seen[m[1]] = true
		}
		path = ""
		if m := regexp.MustCompile(`href="(/tickets\?after=\d+)"`).FindStringSubmatch(res.Body); m != nil {
			path = m[1]
		}
	}
	if len(seen) != n {
		t.Errorf("saw %d tickets over the pages, want %d", len(seen), n)
	}
	if res := c.get("/tickets?after=x"); res.Status != 422 || !strings.Contains(res.Body, "after") {
		t.Errorf("bad cursor: %d", res.Status)
	}
}
