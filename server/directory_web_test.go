package server_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"frontdesk/auth"
	"frontdesk/directory/ldaptest"
	"frontdesk/store/storetest"
)

// B5: an admin adds a directory source in the console, previews a run (the changes with
// their fields, nothing written yet), applies it, and reads the run history; every page,
// and the form with its errors beside the fields, passes axe-core. With
// FRONTDESK_TEST_SCREENSHOTS set, the pages are saved at a phone's and a desktop's width.
func TestB5ConsoleDirectorySync(t *testing.T) {
	axe := axeSource(t)
	l := ldaptest.Start(t)
	l.AddPerson(t, ldaptest.Person{UID: "nina", Given: "Nina", SN: "Console", Mail: "nina@corp.test", Phone: "+1 202 555 0199"})
	omar := l.AddPerson(t, ldaptest.Person{UID: "omar", Given: "Omar", SN: "Console", Mail: "omar@corp.test"})
	a := newApp(t, storetest.Engines()[len(storetest.Engines())-1])
	ctx := browser(t)
	a.Flows.LoginLimit = auth.NewLimiter(100, time.Second)
	a.mustOwner(t, "owner@example.com", "owner-password-1")
	a.logIn(t, ctx, "owner@example.com", "owner-password-1")
	visit := func(path string, extra ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		run(t, ctx, "open "+path, append([]chromedp.Action[chromedp.Void]{chromedp.Navigate(a.URL + path), chromedp.WaitVisible(chromedp.CSS("main"))}, extra...)...)
		checkA11y(t, ctx, axe, path)
	}
	visit("/console/directories")
	// A form with mistakes shows each beside its field, and saves nothing.
	visit("/console/directories/new",
		chromedp.SetValue(chromedp.CSS("#name"), "Corp"),
		chromedp.SetValue(chromedp.CSS("#url"), "ldap://ldap.example.com"),
		chromedp.SetValue(chromedp.CSS("#tls"), "none"),
		chromedp.SetValue(chromedp.CSS("#rules"), "group cn=owners,dc=x => role=owner\nsomething else"),
		chromedp.Click(chromedp.CSS(`#directory-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#rules-error")),
	)
	errs := textOf(t, ctx, "main")
	for _, want := range []string{"line 2", "rule 1 (role)", "the directory account Frontdesk reads with", "clear text"} {
		if !strings.Contains(errs, want) && !strings.Contains(strings.ToLower(errs), want) {
			t.Errorf("the refused form does not say %q:\n%s", want, errs)
		}
	}
	shots(t, ctx, "b5-directory-form-errors")
	if srcs, err := a.DB.DirectorySources(context.Background()); err != nil || len(srcs) != 0 {
		t.Fatalf("a refused form saved a source: %v %v", srcs, err)
	}

	visit("/console/directories/new",
		chromedp.SetValue(chromedp.CSS("#name"), "Corp directory"),
		chromedp.SetValue(chromedp.CSS("#url"), l.URL),
		chromedp.SetValue(chromedp.CSS("#tls"), "starttls"),
		chromedp.SetValue(chromedp.CSS("#ca_cert"), l.CAPEM),
		chromedp.SetValue(chromedp.CSS("#bind_dn"), ldaptest.ReaderDN),
		chromedp.SetValue(chromedp.CSS("#bind_password"), ldaptest.ReaderPassword),
		chromedp.SetValue(chromedp.CSS("#base_dn"), "ou=people,"+ldaptest.Suffix),
		chromedp.SetValue(chromedp.CSS("#dialect"), "openldap"),
		chromedp.SetValue(chromedp.CSS("#page_size"), "5"),
		chromedp.SetValue(chromedp.CSS("#rules"), "attribute mail contains nina => role=agent"),
		chromedp.Click(chromedp.CSS(`#directory-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#directories")),
	)
	shots(t, ctx, "b5-directories")
	srcs, err := a.DB.DirectorySources(context.Background())
	if err != nil || len(srcs) != 1 || srcs[0].Password != ldaptest.ReaderPassword || len(srcs[0].Rules) != 1 {
		t.Fatalf("saved source: %+v %v", srcs, err)
	}
	id := srcs[0].ID
	visit(fmt.Sprintf("/console/directories/%d", id))
	if strings.Contains(mustHTML(t, ctx), ldaptest.ReaderPassword) {
		t.Fatal("the form shows the bind password")
	}

	// Preview: the changes, nothing written.
	visit("/console/directories", chromedp.Click(chromedp.CSS(`form[action$="/preview"] button`)), chromedp.WaitVisible(chromedp.CSS("#changes")))
	changes := textOf(t, ctx, "#changes")
	for _, want := range []string{"Create", "Nina Console", "nina@corp.test", "+12025550199", "role: agent", "Omar Console"} {
		if !strings.Contains(changes, want) {
			t.Errorf("the preview does not show %q:\n%s", want, changes)
		}
	}
	if _, err := a.DB.GetPersonByEmail(context.Background(), "nina@corp.test"); err == nil {
		t.Fatal("the preview created nina")
	}
	shots(t, ctx, "b5-preview")
	run(t, ctx, "apply", chromedp.Click(chromedp.CSS("#apply")), chromedp.WaitVisible(chromedp.CSS("p.notice")))
	checkA11y(t, ctx, axe, "applied run")
	nina, err := a.DB.GetPersonByEmail(context.Background(), "nina@corp.test")
	if err != nil || nina.Role != "agent" || nina.Username != "nina" {
		t.Fatalf("nina after apply: %+v %v", nina, err)
	}
	shots(t, ctx, "b5-applied")

	// The directory changes: an update shows old and new, a leaver is to be disabled.
	l.Modify(t, "uid=nina,ou=people,"+ldaptest.Suffix, map[string][]string{"sn": {"Renamed"}})
	l.Remove(t, omar)
	visit(fmt.Sprintf("/console/directories/%d/runs", id), chromedp.Click(chromedp.CSS(`form[action$="/preview"] button`)), chromedp.WaitVisible(chromedp.CSS("#changes")))
	changes = textOf(t, ctx, "#changes")
	for _, want := range []string{"Update", "last_name: Console → Renamed", "Disable", "state: not_activated → disabled"} {
		if !strings.Contains(changes, want) {
			t.Errorf("the second preview does not show %q:\n%s", want, changes)
		}
	}
	shots(t, ctx, "b5-preview-update")
	visit(fmt.Sprintf("/console/directories/%d/runs", id))
	runs := textOf(t, ctx, "#directory-runs")
	if !strings.Contains(runs, "applied") {
		t.Errorf("run history: %s", runs)
	}
	shots(t, ctx, "b5-runs")
}
