package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"frontdesk"
	"frontdesk/auth"
	"frontdesk/store"
	"frontdesk/store/storetest"
)

// R4: every page is called as nobody and as every role, and each is allowed or refused as
// the table says. A page route without a row fails the test.
func TestEveryPageAsEveryRole_R4(t *testing.T) {
	a := newApp(t, storetest.Engines()[len(storetest.Engines())-1])
	a.Flows.LoginLimit = auth.NewLimiter(1000, time.Millisecond)
	a.mustOwner(t, "owner@example.com", "owner-password-1")
	ctx := frontdesk.WithActor(context.Background(), frontdesk.System)
	roles := []frontdesk.Role{frontdesk.RoleContact, frontdesk.RoleCollaborator, frontdesk.RoleAgent, frontdesk.RoleAdmin, frontdesk.RoleOwner}
	clients := map[frontdesk.Role]*client{}
	for _, role := range roles {
		c := a.client(t)
		email := string(role) + "@example.com"
		if role != frontdesk.RoleOwner {
			a.mustPersonWithPassword(t, ctx, role, email, "password-for-"+string(role))
			c.mustLogIn(email, "password-for-"+string(role))
		} else {
			c.mustLogIn(email, "owner-password-1")
		}
		clients[role] = c
	}
	open := frontdesk.RegistrationOpen
	if _, err := a.DB.UpdateSettings(ctx, frontdesk.SettingsInput{Registration: &open}); err != nil {
		t.Fatal(err)
	}
	target := a.mustPersonWithPassword(t, ctx, frontdesk.RoleContact, "target@example.com", "target-password-1")

	const (
		public  = "public"  // anyone, logged in or not
		session = "session" // anyone logged in
		staff   = "staff"   // any staff member logged in
	)
	// Who may use each page: public, session, staff, or a permission.
	rules := map[string]string{
		"GET /{$}": public, "GET /login": public, "POST /login": public, "POST /login/link": public, "GET /login/code": public,
		"POST /logout": public, "GET /forgot": public, "POST /forgot": public, "GET /reset": public, "POST /reset": public,
		"GET /confirm": public, "POST /confirm": public, "POST /confirm/resend": public, "GET /welcome": public, "POST /welcome": public, "GET /onboarding": public, "POST /onboarding": public,
		"GET /register": public, "POST /register": public,
		"GET /account/sessions": session, "POST /account/sessions/{id}/revoke": session,
		"GET /account/tokens": staff, "POST /account/tokens": staff, "POST /account/tokens/{id}/revoke": staff,
		"GET /console/tokens":                              string(frontdesk.PermPeopleManage),
		"POST /console/tokens/{id}/revoke":                 string(frontdesk.PermPeopleManage),
		"GET /console/people":                              string(frontdesk.PermPeopleRead),
		"GET /console/people/new":                          string(frontdesk.PermPeopleCreate),
		"POST /console/people/new":                         string(frontdesk.PermPeopleCreate),
		"GET /console/people/{id}":                         string(frontdesk.PermPeopleRead),
		"GET /console/people/{id}/edit":                    string(frontdesk.PermPeopleUpdate),
		"POST /console/people/{id}/edit":                   string(frontdesk.PermPeopleUpdate),
		"POST /console/people/{id}/{action}":               string(frontdesk.PermPeopleManage),
		"POST /console/people/segments":                    string(frontdesk.PermPeopleRead),
		"GET /console/people/invitations":                  string(frontdesk.PermPeopleUpdate), // X8
		"POST /console/people/invitations":                 string(frontdesk.PermPeopleUpdate),
		"GET /console/organizations":                       string(frontdesk.PermPeopleRead), // X6
		"GET /console/organizations/{id}":                  string(frontdesk.PermPeopleRead),
		"POST /console/organizations/{id}/domains/preview": string(frontdesk.PermPeopleUpdate),
		"POST /console/organizations/{id}/domains/apply":   string(frontdesk.PermPeopleUpdate),
		"GET /console/approvals":                           string(frontdesk.PermPeopleManage),
		"POST /console/approvals/{id}/{decision}":          string(frontdesk.PermPeopleManage),
		"GET /console/mailbox":                             string(frontdesk.PermSettingsManage),
		"GET /console/mailbox/{id}":                        string(frontdesk.PermSettingsManage),
		"GET /console/tickets":                             string(frontdesk.PermTicketsRead),
		"GET /console/tickets/{id}":                        string(frontdesk.PermTicketsRead),
		"POST /console/tickets/{id}/messages":              string(frontdesk.PermTicketsRead), // a note; a reply needs tickets.answer
		"POST /console/tickets/{id}/update":                string(frontdesk.PermTicketsAnswer),
		"POST /console/tickets/{id}/spam":                  string(frontdesk.PermTicketsAnswer),
		// C10, C11, C12: on behalf of requesters; the type-ahead reads people.
		"GET /console/tickets/new":             string(frontdesk.PermTicketsAnswer),
		"POST /console/tickets/new":            string(frontdesk.PermTicketsAnswer),
		"GET /console/tickets/{id}/requester":  string(frontdesk.PermTicketsAnswer),
		"POST /console/tickets/{id}/requester": string(frontdesk.PermTicketsAnswer),
		"GET /console/calls/new":               string(frontdesk.PermTicketsAnswer),
		"POST /console/calls/new":              string(frontdesk.PermTicketsAnswer),
		"GET /console/people/suggest":          string(frontdesk.PermPeopleRead),
		"GET /static/people-suggest.js":        public,
		// The help center's tickets: any session (staff are sent to the console); what a
		// contact sees the requester flows decide (P8).
		"GET /tickets": session, "GET /tickets/{id}": session, "POST /tickets/{id}/reply": session,
		"POST /tickets/{id}/close": session, "POST /tickets/{id}/rate": session,
		// The intake's pages (C4, C5, C6, X4, X5): the request form, the links from its mail
		// and a guest's ticket are public (the desk and the link decide); the review queue,
		// revoking guest links and the settings are staff's.
		"GET /requests/new": public, "POST /requests/new": public, "GET /requests/confirm": public, "POST /requests/confirm": public,
		"GET /requests/access": public, "POST /requests/access": public, "GET /requests/ticket": public,
		"POST /requests/ticket/reply": public, "POST /requests/ticket/close": public, "POST /requests/ticket/rate": public,
		"GET /embed.js":                           public,
		"GET /console/review":                     string(frontdesk.PermTicketsAnswer),
		"POST /console/review/{id}/release":       string(frontdesk.PermTicketsAnswer),
		"POST /console/review/{id}/discard":       string(frontdesk.PermTicketsAnswer),
		"POST /console/tickets/{id}/revoke-links": string(frontdesk.PermTicketsAnswer),
		"GET /console/settings":                   string(frontdesk.PermSettingsManage),
		"POST /console/settings":                  string(frontdesk.PermSettingsManage),
		"GET /console/ticket-types":               string(frontdesk.PermSettingsManage),
		"POST /console/ticket-types":              string(frontdesk.PermSettingsManage),
		"GET /console/ticket-types/{id}":          string(frontdesk.PermSettingsManage),
		"POST /console/ticket-types/{id}":         string(frontdesk.PermSettingsManage),
		// C8, X3, T2: mail's console pages; files download to any session (flow.Attachment
		// decides who sees which) or by a guest's link (the link decides).
		"GET /attachments/{id}": session, "GET /requests/ticket/attachments/{id}": public,
		"GET /console/mailboxes":              string(frontdesk.PermSettingsManage),
		"GET /console/mailboxes/new":          string(frontdesk.PermSettingsManage),
		"POST /console/mailboxes/new":         string(frontdesk.PermSettingsManage),
		"GET /console/mailboxes/{id}":         string(frontdesk.PermSettingsManage),
		"POST /console/mailboxes/{id}":        string(frontdesk.PermSettingsManage),
		"POST /console/mailboxes/{id}/delete": string(frontdesk.PermSettingsManage),
		"GET /console/suppressions":           string(frontdesk.PermSettingsManage),
		"POST /console/suppressions":          string(frontdesk.PermSettingsManage),
		"POST /console/suppressions/remove":   string(frontdesk.PermSettingsManage),
		"GET /console/inbound":                string(frontdesk.PermTicketsAnswer),
		"GET /console/inbound/{id}/raw":       string(frontdesk.PermTicketsAnswer),
		"POST /console/inbound/{id}/release":  string(frontdesk.PermTicketsAnswer),
		"POST /console/inbound/{id}/discard":  string(frontdesk.PermTicketsAnswer),
		// B1-B4: imports.
		"GET /console/imports":                            string(frontdesk.PermImportsRun),
		"POST /console/imports":                           string(frontdesk.PermImportsRun),
		"GET /console/imports/{id}":                       string(frontdesk.PermImportsRun),
		"GET /console/imports/{id}/{file}":                string(frontdesk.PermImportsRun),
		"POST /console/imports/{id}/retry":                string(frontdesk.PermImportsRun),
		"GET /static/import-progress.js":                  public,
		"GET /console/directories":                        string(frontdesk.PermSettingsManage),
		"GET /console/directories/new":                    string(frontdesk.PermSettingsManage),
		"POST /console/directories/new":                   string(frontdesk.PermSettingsManage),
		"GET /console/directories/{id}":                   string(frontdesk.PermSettingsManage),
		"POST /console/directories/{id}":                  string(frontdesk.PermSettingsManage),
		"POST /console/directories/{id}/delete":           string(frontdesk.PermSettingsManage),
		"POST /console/directories/{id}/preview":          string(frontdesk.PermImportsRun),
		"GET /console/directories/{id}/runs":              string(frontdesk.PermImportsRun),
		"GET /console/directories/{id}/runs/{run}":        string(frontdesk.PermImportsRun),
		"POST /console/directories/{id}/runs/{run}/apply": string(frontdesk.PermImportsRun),
	}
	concrete := strings.NewReplacer("{$}", "", "{id}", fmt.Sprint(target.ID), "{action}", "disable", "{decision}", "reject", "/mailbox/{id}", "/mailbox/1", "{file}", "status", "{run}", "1")
	// B5: directory sources hold a directory account (settings); runs need imports.run.
	for _, route := range a.Web.Routes() {
		rule, ok := rules[route]
		if !ok {
			t.Errorf("page %s has no row in the permission table", route)
			continue
		}
		method, path, _ := strings.Cut(route, " ")
		path = concrete.Replace(path)
		if strings.Contains(path, "/sessions/") {
			path = "/account/sessions/unknown/revoke"
		}
		for _, who := range append([]frontdesk.Role{""}, roles...) {
			c := a.client(t)
			if who != "" {
				c = clients[who]
				if route == "POST /logout" { // logging out would end the shared session
					c = a.client(t)
					c.mustLogIn(string(who)+"@example.com", map[bool]string{true: "owner-password-1", false: "password-for-" + string(who)}[who == frontdesk.RoleOwner])
				}
			}
			var res page
			if method == "GET" {
				res = c.get(path)
			} else {
				res = c.post(path, url.Values{})
			}
			if res.Status >= 500 {
				t.Errorf("%s as %q: %d", route, who, res.Status)
				continue
			}
			refused := res.Status == http.StatusForbidden || res.Status == http.StatusSeeOther && strings.HasPrefix(res.Location, "/login?next=")
			var allowed bool
			switch rule {
			case public:
				allowed = true
			case session:
				allowed = who != ""
			case staff:
				allowed = who != "" && who.IsStaff()
			default:
				allowed = who != "" && who.IsStaff() && who.Can(frontdesk.Permission(rule))
			}
			if allowed == refused && !(rule == public && route == "POST /logout") {
				t.Errorf("%s as %q: allowed=%v but got %d %s", route, who, allowed, res.Status, res.Location)
			}
			// Put the target back to active for the next caller.
			if p, err := a.DB.GetPerson(ctx, target.ID); err != nil {
				t.Fatal(err)
			} else if p.State != frontdesk.StateActive {
				to := frontdesk.StateActive
				if p.State == frontdesk.StateTrashed {
					to, _ = a.DB.StateBeforeTrash(ctx, target.ID)
				}
				if _, err := a.DB.SetState(ctx, target.ID, store.StateChange{To: to}); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
}

// mustPersonWithPassword makes an active, onboarded person of any role with a password.
func (a *app) mustPersonWithPassword(t testing.TB, ctx context.Context, role frontdesk.Role, email, password string) *frontdesk.Person {
	t.Helper()
	p := frontdesk.NewPerson(frontdesk.ChannelCLI)
	name := "Person " + string(role)
	if err := frontdesk.ApplyPerson(p, frontdesk.PersonInput{Name: &name, Role: &role, Email: &email}, frontdesk.Rules{PhoneRegion: "US"}); err != nil {
		t.Fatal(err)
	}
	p.State = frontdesk.StateActive
	p.Emails[0].Verified = true // a set-up account has answered its confirmation
	if err := a.DB.CreatePerson(ctx, p); err != nil {
		t.Fatal(err)
	}
	hash, err := auth.HashPassword(password)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if err := a.DB.SaveCredentials(ctx, store.Credentials{PersonID: p.ID, Method: store.LoginPassword, PasswordHash: hash, OnboardedAt: &now}); err != nil {
		t.Fatal(err)
	}
	return p
}
