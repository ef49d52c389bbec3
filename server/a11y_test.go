package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"frontdesk"
	"frontdesk/auth"
	"frontdesk/store"
	"frontdesk/store/storetest"
)

// axeSource returns axe-core, installed from the npm registry by .ci/run into
// testdata/axe/node_modules. Without it the check is skipped, unless the browser tests are
// required, where a missing checker is a failure.
func axeSource(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "axe", "node_modules", "axe-core", "axe.min.js"))
	if err != nil {
		if os.Getenv("FRONTDESK_TEST_REQUIRE_BROWSER") != "" {
			t.Fatalf("axe-core is required: run `npm ci --prefix server/testdata/axe` (%v)", err)
		}
		t.Skip("axe-core is not installed (npm ci --prefix server/testdata/axe)")
	}
	return string(b)
}

type axeViolation struct {
	ID    string `json:"id"`
	Help  string `json:"help"`
	Nodes []struct {
		Target []any `json:"target"`
	} `json:"nodes"`
}

// checkA11y runs axe-core on the page the browser shows and fails on any WCAG 2 A or AA
// violation, naming the rule and the elements.
func checkA11y(t *testing.T, ctx context.Context, axe, what string) {
	t.Helper()
	step, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	script := axe + `;axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}}).then(r => JSON.stringify(r.violations))`
	raw, err := chromedp.Run(step, chromedp.Evaluate[string](script, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("axe on %s: %v", what, err)
	}
	var violations []axeViolation
	if err := json.Unmarshal([]byte(raw), &violations); err != nil {
		t.Fatalf("axe on %s: %v", what, err)
	}
	for _, v := range violations {
		var where []string
		for _, n := range v.Nodes {
			where = append(where, fmt.Sprint(n.Target...))
		}
		t.Errorf("%s: %s (%s) at %s", what, v.ID, v.Help, strings.Join(where, ", "))
	}
}

// Every page, as a stranger, a contact and the owner see it, has no axe-core violation of
// WCAG 2 A or AA, with its errors shown where a form has them.
func TestPagesPassAxe(t *testing.T) {
	axe := axeSource(t)
	a := newApp(t, storetest.Engines()[len(storetest.Engines())-1])
	ctx := browser(t)
	a.Flows.LoginLimit = auth.NewLimiter(100, time.Second)
	sys := frontdesk.WithActor(context.Background(), frontdesk.System)
	a.mustOwner(t, "owner@example.com", "owner-password-1")
	contact := a.createByStaff(t, "Axe Contact", "axe@example.com")
	if err := a.DB.IssuePersonToken(sys, contact.ID, store.PurposeConfirm, "axe@example.com", "axe-confirm", time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := a.DB.IssuePersonToken(sys, contact.ID, store.PurposeOnboarding, "axe@example.com", "axe-onboarding", time.Hour); err != nil {
		t.Fatal(err)
	}
	open := frontdesk.RegistrationOpen
	if _, err := a.DB.UpdateSettings(sys, frontdesk.SettingsInput{Registration: &open}); err != nil {
		t.Fatal(err)
	}
	visit := func(path string, extra ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		run(t, ctx, "open "+path, append([]chromedp.Action[chromedp.Void]{chromedp.Navigate(a.URL + path), chromedp.WaitVisible(chromedp.CSS("main"))}, extra...)...)
		checkA11y(t, ctx, axe, path)
	}
	for _, path := range []string{"/", "/login", "/login/code", "/forgot", "/reset?token=x", "/register",
		"/confirm?token=axe-confirm", "/confirm?token=dead", "/onboarding?token=axe-onboarding"} {
		visit(path)
	}
	// A form refused shows its errors beside the fields.
	visit("/register", chromedp.Click(chromedp.CSS(`form[action="/register"] button`)))
	run(t, ctx, "a refused login",
		chromedp.Navigate(a.URL+"/login"),
		chromedp.SendKeys(chromedp.CSS("#email"), "owner@example.com"),
		chromedp.SendKeys(chromedp.CSS("#password"), "wrong-password"),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button`)),
		chromedp.WaitVisible(chromedp.CSS("#form-error")),
	)
	checkA11y(t, ctx, axe, "refused login")

	a.logIn(t, ctx, "owner@example.com", "owner-password-1")
	for _, path := range []string{"/", "/account/sessions", "/console/people/new", fmt.Sprintf("/console/people/%d", contact.ID),
		"/console/approvals", "/console/mailbox", "/console/people", "/console/people?q=axe", "/console/people?q=nobody",
		"/console/people?state=sleeping", fmt.Sprintf("/console/people/%d/edit", contact.ID)} {
		visit(path)
	}
	visit(fmt.Sprintf("/console/people/%d/edit", contact.ID),
		chromedp.SetValue(chromedp.CSS("#email"), "not an address"),
		chromedp.SetValue(chromedp.CSS("#other_emails"), "nope"),
		chromedp.SetValue(chromedp.CSS("#timezone"), "Mars/Olympus"),
		chromedp.Click(chromedp.CSS(`main form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#timezone-error")),
	)
}

// L7, P4: the people directory with every filter, a saved segment and a refused save, and
// the profile editor with sites, postal addresses and custom fields, with and without errors
// beside them, pass axe-core.
func TestDirectoryPagesPassAxe_L7_P4(t *testing.T) {
	axe := axeSource(t)
	a := newApp(t, storetest.Engines()[len(storetest.Engines())-1])
	ctx := browser(t)
	a.Flows.LoginLimit = auth.NewLimiter(100, time.Second)
	sys := frontdesk.WithActor(context.Background(), frontdesk.System)
	a.mustOwner(t, "owner@example.com", "owner-password-1")
	org := &frontdesk.Organization{}
	if err := frontdesk.ApplyOrganization(org, frontdesk.OrganizationInput{Name: ptr("Acme"), Domains: &[]string{}}); err != nil {
		t.Fatal(err)
	}
	if err := a.DB.CreateOrganization(sys, org); err != nil {
		t.Fatal(err)
	}
	site := &frontdesk.Site{}
	if err := frontdesk.ApplySite(site, frontdesk.SiteInput{OrganizationID: &org.ID, Name: ptr("Acme HQ")}, true); err != nil {
		t.Fatal(err)
	}
	if err := a.DB.CreateSite(sys, site); err != nil {
		t.Fatal(err)
	}
	for _, f := range []*frontdesk.CustomField{
		{Key: "seats", Label: "Seats", Type: frontdesk.FieldNumber, Options: []string{}},
		{Key: "vip", Label: "VIP", Type: frontdesk.FieldCheckbox, Options: []string{}},
		{Key: "plan", Label: "Plan", Type: frontdesk.FieldDropdown, Options: []string{"free", "pro"}},
		{Key: "since", Label: "Customer since", Type: frontdesk.FieldDate, Options: []string{}},
		{Key: "nick", Label: "Nickname", Type: frontdesk.FieldText, Options: []string{}},
	} {
		if err := a.DB.CreateCustomField(sys, f); err != nil {
			t.Fatal(err)
		}
	}
	seg := &frontdesk.Segment{Name: "Active contacts", Filter: frontdesk.PersonFilter{States: []frontdesk.State{frontdesk.StateActive}, Kind: "contact"}}
	if err := a.DB.CreateSegment(sys, seg); err != nil {
		t.Fatal(err)
	}
	contact := a.createByStaff(t, "Axe Contact", "axe@example.com")
	if _, err := a.DB.UpdatePerson(sys, contact.ID, func(p *frontdesk.Person) error {
		p.OrganizationID = &org.ID
		p.Addresses = []frontdesk.PostalAddress{{Label: "office", Street: "1 Main St", City: "Springfield", Country: "US"}}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	visit := func(path string, extra ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		run(t, ctx, "open "+path, append([]chromedp.Action[chromedp.Void]{chromedp.Navigate(a.URL + path), chromedp.WaitVisible(chromedp.CSS("main"))}, extra...)...)
		checkA11y(t, ctx, axe, path)
	}
	a.logIn(t, ctx, "owner@example.com", "owner-password-1")
	for _, path := range []string{
		fmt.Sprintf("/console/people?q=axe&state=not_activated&kind=contact&organization_id=%d&site_id=%d&channel=console&cf.plan=free", org.ID, site.ID),
		fmt.Sprintf("/console/people?segment=%d", seg.ID),
		"/console/people?cf.plan=platinum&cf.seats=many",
		"/console/people?segment=999",
		fmt.Sprintf("/console/people/%d", contact.ID),
		fmt.Sprintf("/console/people/%d/edit", contact.ID),
	} {
		visit(path)
	}
	// A segment saved with a taken name shows its error beside the name.
	visit("/console/people?kind=contact",
		chromedp.SetValue(chromedp.CSS("#segment_name"), "active CONTACTS"),
		chromedp.Click(chromedp.CSS(`form[action="/console/people/segments"] button`)),
		chromedp.WaitVisible(chromedp.CSS("#segment_name-error")),
	)
	visit(fmt.Sprintf("/console/people/%d/edit", contact.ID),
		chromedp.SetValue(chromedp.CSS(`[id="addresses[0].country"]`), "ZZ"),
		chromedp.SetValue(chromedp.CSS(`[id="custom.seats"]`), "many"),
		chromedp.SetValue(chromedp.CSS(`[id="custom.since"]`), ""),
		chromedp.Click(chromedp.CSS(`main form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[id="custom.seats-error"]`)),
	)
}
