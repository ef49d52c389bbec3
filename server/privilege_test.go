package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"frontdesk"
	"frontdesk/flow"
	"frontdesk/store"
	"frontdesk/store/storetest"
)

// Staff acting on staff through the console and the API: every path goes through the one
// flow, with its permission and rank checks (R3, R4, L1, C7).

// mustCustomMember makes an active agent-rank staff member with a password who carries a
// custom staff role holding people.manage (R2).
func (a *app) mustCustomMember(t *testing.T, ctx context.Context, email, password string) *frontdesk.Person {
	t.Helper()
	sr := &frontdesk.StaffRole{Name: "Moderator " + email, BaseRole: frontdesk.RoleAgent,
		Permissions: []frontdesk.Permission{frontdesk.PermPeopleRead, frontdesk.PermPeopleManage}}
	if err := a.DB.CreateStaffRole(ctx, sr); err != nil {
		t.Fatal(err)
	}
	p := a.mustPersonWithPassword(t, ctx, frontdesk.RoleAgent, email, password)
	p, err := a.DB.UpdatePerson(ctx, p.ID, func(p *frontdesk.Person) error {
		p.StaffRoleID = &sr.ID
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// mustAwaiting makes a contact who registered and waits for approval (C7).
func (a *app) mustAwaiting(t *testing.T, ctx context.Context, email string) *frontdesk.Person {
	t.Helper()
	p := frontdesk.NewPerson(frontdesk.ChannelHelpCenter)
	name := "Reggie Registrant"
	if err := frontdesk.ApplyPerson(p, frontdesk.PersonInput{Name: &name, Email: &email}, frontdesk.Rules{PhoneRegion: "US"}); err != nil {
		t.Fatal(err)
	}
	p.Emails[0].Verified = true
	if err := a.DB.CreatePerson(ctx, p); err != nil {
		t.Fatal(err)
	}
	p, err := a.DB.SetState(ctx, p.ID, store.StateChange{To: frontdesk.StateAwaitingApproval})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (a *app) mustGet(t *testing.T, id int64) *frontdesk.Person {
	t.Helper()
	p, err := a.DB.GetPerson(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// The approval queue takes only people awaiting approval, and only below the actor: an admin
// or a custom role with people.manage cannot reject or approve the owner, an admin or an
// active contact by posting their id; each answers 4xx and changes nothing.
func TestConsoleApprovalTakesOnlyAwaiting_C7_R3_R4_L1(t *testing.T) {
	a := newApp(t, storetest.Engines()[len(storetest.Engines())-1])
	ctx := frontdesk.WithActor(context.Background(), frontdesk.System)
	owner := a.mustOwner(t, "owner@example.com", "owner-password-1")
	admin := a.mustPersonWithPassword(t, ctx, frontdesk.RoleAdmin, "admin@example.com", "admin-password-1")
	other := a.mustPersonWithPassword(t, ctx, frontdesk.RoleAdmin, "admin2@example.com", "admin-password-2")
	a.mustCustomMember(t, ctx, "mod@example.com", "mod-password-1")
	contact := a.mustPersonWithPassword(t, ctx, frontdesk.RoleContact, "carl@example.com", "carl-password-1")
	waiting := a.mustAwaiting(t, ctx, "reggie@example.com")

	asAdmin := a.client(t)
	asAdmin.mustLogIn("admin@example.com", "admin-password-1")
	asMod := a.client(t)
	asMod.mustLogIn("mod@example.com", "mod-password-1")

	for _, c := range []struct {
		who    string
		client *client
		target *frontdesk.Person
	}{
		{"admin", asAdmin, owner}, {"admin", asAdmin, other}, {"admin", asAdmin, admin}, {"admin", asAdmin, contact},
		{"moderator", asMod, owner}, {"moderator", asMod, admin}, {"moderator", asMod, contact},
	} {
		for _, decision := range []string{"reject", "approve"} {
			before := a.mustGet(t, c.target.ID)
			res := c.client.post(fmt.Sprintf("/console/approvals/%d/%s", c.target.ID, decision), url.Values{})
			if res.Status < 400 || res.Status >= 500 {
				t.Errorf("%s %s a %s %s: want 4xx, got %d %s", c.who, decision+"s", before.Role, before.State, res.Status, res.Location)
			}
			if after := a.mustGet(t, c.target.ID); after.State != before.State || after.Role != before.Role {
				t.Errorf("%s %s a %s: %s became %s", c.who, decision+"s", before.Role, before.State, after.State)
			}
		}
	}
	// The one it is for: a registrant awaiting approval is rejected into the trash.
	if res := asMod.post(fmt.Sprintf("/console/approvals/%d/reject", waiting.ID), url.Values{}); res.Status != http.StatusSeeOther {
		t.Fatalf("reject a registrant: %d %s", res.Status, res.Body)
	}
	if p := a.mustGet(t, waiting.ID); p.State != frontdesk.StateTrashed {
		t.Fatalf("the rejected registrant is %s", p.State)
	}
}

// R3, R2: changing a role in the console drops the custom staff role, whose permissions
// (here people.manage) no longer belong to the new rank.
func TestConsoleRoleChangeDropsCustomRole_R2_R3(t *testing.T) {
	a := newApp(t, storetest.Engines()[len(storetest.Engines())-1])
	ctx := frontdesk.WithActor(context.Background(), frontdesk.System)
	a.mustOwner(t, "owner@example.com", "owner-password-1")
	mod := a.mustCustomMember(t, ctx, "mod@example.com", "mod-password-1")
	c := a.client(t)
	c.mustLogIn("owner@example.com", "owner-password-1")
	if res := c.post(fmt.Sprintf("/console/people/%d/role", mod.ID), url.Values{"role": {"collaborator"}}); res.Status != http.StatusSeeOther {
		t.Fatalf("role change: %d %s", res.Status, res.Body)
	}
	p := a.mustGet(t, mod.ID)
	if p.Role != frontdesk.RoleCollaborator || p.StaffRoleID != nil {
		t.Fatalf("after demotion: role %s, staff role %v", p.Role, p.StaffRoleID)
	}
	actor, err := a.DB.ActorFor(ctx, mod.ID)
	if err != nil {
		t.Fatal(err)
	}
	if actor.Can(frontdesk.PermPeopleManage) {
		t.Fatalf("a demoted collaborator keeps people.manage: %+v", actor)
	}
}

// R3: staff of the same rank cannot take over each other: an agent cannot change another
// agent's address through the API, nor send them a reset or welcome link through the API or
// the console; the owner can change an admin.
func TestSameRankCannotTakeOver_R3(t *testing.T) {
	a := newApp(t, storetest.Engines()[len(storetest.Engines())-1])
	ctx := frontdesk.WithActor(context.Background(), frontdesk.System)
	owner := a.mustOwner(t, "owner@example.com", "owner-password-1")
	mallory := a.mustPersonWithPassword(t, ctx, frontdesk.RoleAgent, "mallory@example.com", "mallory-password-1")
	victim := a.mustPersonWithPassword(t, ctx, frontdesk.RoleAgent, "victim@example.com", "victim-password-1")
	tok, err := a.DB.CreateAPIToken(ctx, mallory.ID, "test")
	if err != nil {
		t.Fatal(err)
	}
	api := func(method, path, body string) int {
		t.Helper()
		req, _ := http.NewRequest(method, a.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	vpath := fmt.Sprintf("/api/v1/people/%d", victim.ID)
	if s := api("PATCH", vpath, `{"email":"mallory+2@example.com"}`); s != http.StatusForbidden {
		t.Errorf("an agent changed another agent's address: %d", s)
	}
	if s := api("POST", vpath+"/password-reset", ``); s != http.StatusForbidden {
		t.Errorf("an agent sent another agent a reset: %d", s)
	}
	if s := api("POST", vpath+"/welcome", ``); s != http.StatusForbidden {
		t.Errorf("an agent sent another agent a welcome link: %d", s)
	}
	c := a.client(t)
	c.mustLogIn("mallory@example.com", "mallory-password-1")
	for _, act := range []string{"send-reset", "send-welcome"} {
		if res := c.post(fmt.Sprintf("/console/people/%d/%s", victim.ID, act), url.Values{}); res.Status != http.StatusForbidden {
			t.Errorf("console %s to another agent: %d", act, res.Status)
		}
	}
	if p := a.mustGet(t, victim.ID); p.PrimaryEmail() != "victim@example.com" {
		t.Fatalf("the victim's address changed: %s", p.PrimaryEmail())
	}
	n, _, err := a.DB.ListMail(ctx, frontdesk.MailFilter{PersonID: victim.ID}, frontdesk.Page{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(n) != 0 {
		t.Fatalf("mail went to the victim: %d messages", len(n))
	}
	// Strictly below is reachable: an agent changes a contact, the owner an admin.
	contact := a.mustPersonWithPassword(t, ctx, frontdesk.RoleContact, "carl@example.com", "carl-password-1")
	if s := api("PATCH", fmt.Sprintf("/api/v1/people/%d", contact.ID), `{"notes":"called"}`); s != http.StatusOK {
		t.Errorf("an agent could not change a contact: %d", s)
	}
	admin := a.mustPersonWithPassword(t, ctx, frontdesk.RoleAdmin, "admin@example.com", "admin-password-1")
	if _, err := a.Flows.UpdatePerson(frontdesk.WithActor(ctx, frontdesk.Actor{ID: owner.ID, Role: frontdesk.RoleOwner}), admin.ID,
		frontdesk.PersonInput{Notes: ptr("fine")}); err != nil {
		t.Errorf("the owner could not change an admin: %v", err)
	}
}

func ptr[T any](v T) *T { return &v }

// R3, E1: an address staff type in is unverified, whatever the input says, and gets a
// confirmation in the same change; no reset link goes to it until it is confirmed.
func TestChangedAddressIsUnverifiedAndConfirmed_R3_E1(t *testing.T) {
	a := newApp(t, storetest.Engines()[len(storetest.Engines())-1])
	ctx := frontdesk.WithActor(context.Background(), frontdesk.System)
	owner := a.mustOwner(t, "owner@example.com", "owner-password-1")
	contact := a.onboardContact(t, "carl@example.com", "carl-password-1")
	staff := frontdesk.WithActor(context.Background(), frontdesk.Actor{ID: owner.ID, Role: frontdesk.RoleOwner})
	p, err := a.Flows.UpdatePerson(staff, contact.ID, frontdesk.PersonInput{Emails: &[]frontdesk.Email{
		{Address: "carl@example.com"}, {Address: "carl@new.example", Primary: true, Verified: true}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range p.Emails {
		if want := e.Address == "carl@example.com"; e.Verified != want {
			t.Errorf("%s verified=%v, want %v", e.Address, e.Verified, want)
		}
	}
	if err := a.Flows.SendReset(staff, contact.ID); frontdesk.ErrorCode(err) != frontdesk.EInvalid {
		t.Fatalf("a reset to the unconfirmed address: %v", err)
	}
	_, text := a.mailTo(t, "carl@new.example", 1)
	if _, err := a.Flows.Confirm(ctx, tokenOf(t, linkIn(t, text, "/confirm")), ""); err != nil {
		t.Fatal(err)
	}
	if err := a.Flows.SendReset(staff, contact.ID); err != nil {
		t.Fatalf("a reset to the confirmed address: %v", err)
	}
}

func tokenOf(t *testing.T, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get("token")
}

// C7: the registration email an approval sends carries a one-time link that works: it leads
// to onboarding, where the registrant sets a password and then logs in with it.
func TestApprovalMailLinkWorks_C7(t *testing.T) {
	a := newApp(t, storetest.Engines()[len(storetest.Engines())-1])
	ctx := frontdesk.WithActor(context.Background(), frontdesk.System)
	a.mustOwner(t, "owner@example.com", "owner-password-1")
	waiting := a.mustAwaiting(t, ctx, "reggie@example.com")
	c := a.client(t)
	c.mustLogIn("owner@example.com", "owner-password-1")
	if res := c.post(fmt.Sprintf("/console/approvals/%d/approve", waiting.ID), url.Values{}); res.Status != http.StatusSeeOther {
		t.Fatalf("approve: %d %s", res.Status, res.Body)
	}
	_, text := a.mailTo(t, "reggie@example.com", 1)
	next, err := a.Flows.Welcome(context.Background(), tokenOf(t, linkIn(t, text, "/welcome")))
	if err != nil {
		t.Fatalf("the approval link: %v", err)
	}
	if next.OnboardingToken == "" {
		t.Fatal("the approval link leads to no onboarding")
	}
	if _, err := a.Flows.CompleteOnboarding(context.Background(), next.OnboardingToken,
		flow.OnboardingInput{Password: "reggie-password-1", Timezone: "UTC"}); err != nil {
		t.Fatal(err)
	}
	a.client(t).mustLogIn("reggie@example.com", "reggie-password-1")
	// Approving again is refused: the registrant no longer waits.
	if res := c.post(fmt.Sprintf("/console/approvals/%d/approve", waiting.ID), url.Values{}); res.Status != http.StatusConflict {
		t.Fatalf("a second approval: %d", res.Status)
	}
}
