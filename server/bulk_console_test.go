package server_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"frontdesk"
	"frontdesk/auth"
	"frontdesk/store/storetest"
)

// mustOrg stores an organization with domains.
func (a *app) mustOrg(t *testing.T, name string, domains ...string) *frontdesk.Organization {
	t.Helper()
	o := &frontdesk.Organization{}
	if err := frontdesk.ApplyOrganization(o, frontdesk.OrganizationInput{Name: &name, Domains: &domains}); err != nil {
		t.Fatal(err)
	}
	if err := a.DB.CreateOrganization(frontdesk.WithActor(context.Background(), frontdesk.System), o); err != nil {
		t.Fatal(err)
	}
	return o
}

// mustVerified stores a person whose addresses are confirmed, in org (0 for none) as source
// says.
func (a *app) mustVerified(t *testing.T, name, email string, org int64, source frontdesk.OrgSource) *frontdesk.Person {
	t.Helper()
	p := a.mustPerson(t, name, email, frontdesk.StateActive)
	p, err := a.DB.UpdatePerson(frontdesk.WithActor(context.Background(), frontdesk.System), p.ID, func(p *frontdesk.Person) error {
		p.Emails[0].Verified = true
		if org != 0 {
			p.OrganizationID, p.OrganizationSource = &org, source
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

var reportCount = regexp.MustCompile(`data-count="([a-z_]+)">(\d+)<`)

func reportCounts(body string) map[string]string {
	out := map[string]string{}
	for _, m := range reportCount.FindAllStringSubmatch(body, -1) {
		out[m[1]] = m[2]
	}
	return out
}

// X8: from the people directory's filters, a page says how many people they keep and sends
// the chosen invitation with the lifetime chosen; the report counts by reason; a second
// click sends nothing again; bad input is shown beside its field; a collaborator is refused.
func TestConsoleInvitations_X8(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			a := newApp(t, engine)
			sys := frontdesk.WithActor(context.Background(), frontdesk.System)
			a.mustOwner(t, "owner@example.com", "owner-password-1")
			a.mustPersonWithPassword(t, sys, frontdesk.RoleCollaborator, "collab@example.com", "collab-password-1")
			org := a.mustOrg(t, "Acme")
			for i, email := range []string{"n1@example.com", "n2@example.com", "n3@example.com"} {
				p := a.mustPerson(t, fmt.Sprintf("New Person%d", i), email, frontdesk.StateNotActivated)
				if _, err := a.DB.UpdatePerson(sys, p.ID, func(p *frontdesk.Person) error {
					p.OrganizationID = &org.ID
					p.DoNotEmail = i == 2
					return nil
				}); err != nil {
					t.Fatal(err)
				}
			}
			a.mustPerson(t, "Else Where", "else@example.com", frontdesk.StateNotActivated)
			c := a.client(t)
			c.mustLogIn("owner@example.com", "owner-password-1")
			filter := fmt.Sprintf("organization_id=%d&state=not_activated", org.ID)
			dir := c.get("/console/people?" + filter)
			m := regexp.MustCompile(`id="resend-invitations" href="([^"]+)"`).FindStringSubmatch(dir.Body)
			if m == nil {
				t.Fatalf("no resend link on the directory: %s", dir.Body)
			}
			link := html.UnescapeString(m[1])
			form := c.get(link)
			if form.Status != 200 || !strings.Contains(form.Body, "These filters keep <strong>3</strong> people") || !strings.Contains(form.Body, "Resend invitations to these 3 people") {
				t.Fatalf("confirm page: %d %s", form.Status, form.Body)
			}
			post := url.Values{"organization_id": {fmt.Sprint(org.ID)}, "state": {"not_activated"}, "purpose": {"welcome"}, "lifetime_hours": {"24"}}
			res := c.post("/console/people/invitations", post)
			got := reportCounts(res.Body)
			if res.Status != 200 || got["sent"] != "2" || got["do_not_email"] != "1" {
				t.Fatalf("report: %d %v %s", res.Status, got, res.Body)
			}
			if subject, _ := a.mailTo(t, "n1@example.com", 1); subject == "" {
				t.Errorf("no welcome to n1")
			}
			again := reportCounts(c.post("/console/people/invitations", post).Body)
			if again["sent"] != "0" || again["recently_sent"] != "2" {
				t.Errorf("second click: %v", again)
			}
			bad := c.post("/console/people/invitations", url.Values{"state": {"not_activated"}, "purpose": {"welcome"}, "lifetime_hours": {"9999"}})
			if bad.Status != http.StatusUnprocessableEntity || !strings.Contains(bad.Body, `id="lifetime_hours-error"`) {
				t.Errorf("a lifetime out of bounds: %d %s", bad.Status, bad.Body)
			}
			col := a.client(t)
			col.mustLogIn("collab@example.com", "collab-password-1")
			if r := col.post("/console/people/invitations", post); r.Status != http.StatusForbidden {
				t.Errorf("collaborator: %d", r.Status)
			}
			if strings.Contains(col.get("/console/people").Body, "resend-invitations") {
				t.Errorf("a collaborator is offered the resend")
			}
		})
	}
}

// X6: the organization page previews a domain, with the people placed by hand unticked,
// and moves those ticked when confirmed.
func TestConsoleOrganizationDomains_X6(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			a := newApp(t, engine)
			a.mustOwner(t, "owner@example.com", "owner-password-1")
			acme := a.mustOrg(t, "Acme")
			other := a.mustOrg(t, "Other")
			free := a.mustVerified(t, "Fay Free", "fay@acme.example", 0, "")
			manual := a.mustVerified(t, "Han Manual", "han@acme.example", other.ID, frontdesk.OrgSourceManual)
			dir := a.mustVerified(t, "Dir Ectory", "dir@acme.example", other.ID, frontdesk.OrgSourceDirectory)
			c := a.client(t)
			c.mustLogIn("owner@example.com", "owner-password-1")
			if list := c.get("/console/organizations"); !strings.Contains(list.Body, fmt.Sprintf(`href="/console/organizations/%d"`, acme.ID)) {
				t.Fatalf("the list: %s", list.Body)
			}
			path := fmt.Sprintf("/console/organizations/%d/domains/", acme.ID)
			pv := c.post(path+"preview", url.Values{"domain": {"acme.example"}})
			if pv.Status != 200 {
				t.Fatalf("preview: %d %s", pv.Status, pv.Body)
			}
			for _, p := range []*frontdesk.Person{free, manual, dir} {
				box := regexp.MustCompile(fmt.Sprintf(`id="move-%d" name="move" value="%d"( checked)?`, p.ID, p.ID)).FindStringSubmatch(pv.Body)
				if box == nil || (box[1] != "") != (p == free) {
					t.Errorf("person %s: box %v", p.FullName(), box)
				}
			}
			if !strings.Contains(pv.Body, "organization set by hand") || !strings.Contains(pv.Body, "organization set by the directory") {
				t.Errorf("no reasons shown: %s", pv.Body)
			}
			res := c.post(path+"apply", url.Values{"domain": {"acme.example"}, "move": {fmt.Sprint(free.ID), fmt.Sprint(dir.ID)}})
			if res.Status != http.StatusSeeOther || !strings.Contains(res.Location, "moved=2") {
				t.Fatalf("apply: %d %s %s", res.Status, res.Location, res.Body)
			}
			for p, want := range map[*frontdesk.Person]int64{free: acme.ID, dir: acme.ID, manual: other.ID} {
				got, _ := a.DB.GetPerson(context.Background(), p.ID)
				if got.OrganizationID == nil || *got.OrganizationID != want {
					t.Errorf("%s in %v, want %d", p.FullName(), got.OrganizationID, want)
				}
			}
			if bad := c.post(path+"preview", url.Values{"domain": {"not a domain"}}); bad.Status != 422 || !strings.Contains(bad.Body, `id="domain-error"`) {
				t.Errorf("a bad domain: %d", bad.Status)
			}
		})
	}
}

// X6, X8: the new console pages pass axe-core, with their errors shown; screenshots at a
// phone's and a desktop's width when FRONTDESK_TEST_SCREENSHOTS is set.
func TestBulkConsolePagesPassAxe_X6_X8(t *testing.T) {
	axe := axeSource(t)
	a := newApp(t, storetest.Engines()[len(storetest.Engines())-1])
	ctx := browser(t)
	a.Flows.LoginLimit = auth.NewLimiter(100, time.Second)
	a.mustOwner(t, "owner@example.com", "owner-password-1")
	acme := a.mustOrg(t, "Acme", "acme.example")
	other := a.mustOrg(t, "Other")
	a.mustVerified(t, "Fay Free", "fay@newco.example", 0, "")
	a.mustVerified(t, "Han Manual", "han@newco.example", other.ID, frontdesk.OrgSourceManual)
	a.mustPerson(t, "Nia New", "nia@example.com", frontdesk.StateNotActivated)
	a.mustPerson(t, "Ned New", "ned@example.com", frontdesk.StateNotActivated)
	a.logIn(t, ctx, "owner@example.com", "owner-password-1")

	run(t, ctx, "filter the directory and ask to resend",
		chromedp.Navigate(a.URL+"/console/people?state=not_activated"),
		chromedp.Click(chromedp.CSS("#resend-invitations")),
		chromedp.WaitVisible(chromedp.CSS("#invitations-form")),
	)
	checkA11y(t, ctx, axe, "invitations form")
	shots(t, ctx, "invitations-form")
	run(t, ctx, "a lifetime out of bounds",
		chromedp.SetValue(chromedp.CSS("#lifetime_hours"), "0"),
		chromedp.Click(chromedp.CSS("#invitations-form button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("#lifetime_hours-error")),
	)
	checkA11y(t, ctx, axe, "invitations form with an error")
	run(t, ctx, "send",
		chromedp.SetValue(chromedp.CSS("#lifetime_hours"), "48"),
		chromedp.Click(chromedp.CSS("#purpose-confirmation")),
		chromedp.Click(chromedp.CSS("#invitations-form button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("#invitation-report")),
	)
	checkA11y(t, ctx, axe, "invitations report")
	shots(t, ctx, "invitations-report")

	run(t, ctx, "open the organizations",
		chromedp.Navigate(a.URL+"/console/people"),
		chromedp.Click(chromedp.CSS(`a[href="/console/organizations"]`)),
		chromedp.WaitVisible(chromedp.CSS("#organizations")),
	)
	checkA11y(t, ctx, axe, "organizations")
	run(t, ctx, "open Acme and add a bad domain",
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`a[href="/console/organizations/%d"]`, acme.ID))),
		chromedp.WaitVisible(chromedp.CSS("#add-domain")),
		chromedp.SetValue(chromedp.CSS("#domain"), "not a domain"),
		chromedp.Click(chromedp.CSS("#add-domain button")),
		chromedp.WaitVisible(chromedp.CSS("#domain-error")),
	)
	checkA11y(t, ctx, axe, "organization with an error")
	run(t, ctx, "preview a domain",
		chromedp.SetValue(chromedp.CSS("#domain"), "newco.example"),
		chromedp.Click(chromedp.CSS("#add-domain button")),
		chromedp.WaitVisible(chromedp.CSS("#domain-preview")),
	)
	checkA11y(t, ctx, axe, "domain preview")
	shots(t, ctx, "domain-preview")
	run(t, ctx, "apply",
		chromedp.Click(chromedp.CSS("#apply-domain button")),
		chromedp.WaitVisible(chromedp.CSS("#domains")),
	)
	checkA11y(t, ctx, axe, "organization after the move")
	shots(t, ctx, "organization-moved")
	if text := mainText(t, ctx); !strings.Contains(text, "1 moved to Acme") || !strings.Contains(text, "newco.example") {
		t.Errorf("after the move: %s", text)
	}
}
