package server_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"frontdesk"
	"frontdesk/auth"
	"frontdesk/jobs"
	"frontdesk/server"
	"frontdesk/store/storetest"
)

// B1-B4 in a real browser: the imports page with its upload form and sample files, a file
// uploaded through it, and the import's page following its job by itself (the job waits
// behind another until the test lets it go: the page moves from queued to done with nobody
// reloading it), with its counts, unknown headers and rejected rows; a refused upload shows
// its error beside the field. Every page passes axe-core; with FRONTDESK_TEST_SCREENSHOTS
// set, each is saved at a phone's and a desktop's width.
func TestImportsConsoleInBrowser_B1_B3_B4(t *testing.T) {
	axe := axeSource(t)
	a := newAppWith(t, storetest.Engines()[len(storetest.Engines())-1], func(c *server.Config) {
		// One job at a time, so that the import waits behind the test's own job.
		c.Jobs = jobs.Config{Concurrency: 1, Poll: 50 * time.Millisecond}
	})
	ctx := browser(t)
	a.Flows.LoginLimit = auth.NewLimiter(100, time.Second)
	sys := frontdesk.WithActor(context.Background(), frontdesk.System)
	a.mustOwner(t, "owner@example.com", "owner-password-1")
	org := &frontdesk.Organization{Name: "Acme", Domains: []string{}}
	if err := a.DB.CreateOrganization(sys, org); err != nil {
		t.Fatal(err)
	}
	if err := a.DB.CreateSite(sys, &frontdesk.Site{OrganizationID: org.ID, Name: "Berlin"}); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "people.csv")
	content := "name,email,phone,organization,site,external_id,shoe_size\n" +
		"Ada Lovelace,ada@import.example,,Acme,Berlin,,37\n" +
		"Bad Address,not-an-address,,Acme,Berlin,,40\n" +
		"Grace Hopper,grace@import.example,,Acme,Berlin,,38\n"
	if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	// The test's job holds the runner's one slot until released.
	entered, release := make(chan struct{}), make(chan struct{})
	a.Jobs.Handle("test-hold", func(ctx context.Context, j *frontdesk.Job) error {
		close(entered)
		<-release
		return nil
	})
	if _, err := jobs.Enqueue(sys, a.DB, "test-hold", nil, jobs.Options{}); err != nil {
		t.Fatal(err)
	}
	a.Jobs.Wake()
	<-entered

	a.logIn(t, ctx, "owner@example.com", "owner-password-1")
	run(t, ctx, "open Imports from the navigation",
		chromedp.Click(chromedp.CSS(`nav a[href="/console/imports"]`)),
		chromedp.WaitVisible(chromedp.CSS("#import-form")),
	)
	checkA11y(t, ctx, axe, "/console/imports")
	shots(t, ctx, "imports-empty")

	// A refused upload: no file.
	run(t, ctx, "upload nothing",
		chromedp.Click(chromedp.CSS(`#import-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#file-error")),
	)
	checkA11y(t, ctx, axe, "refused upload")
	shots(t, ctx, "imports-refused")

	run(t, ctx, "upload a file",
		chromedp.SetValue(chromedp.CSS("#kind"), "people"),
		chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{file}),
		chromedp.Click(chromedp.CSS(`#import-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#import-progress")),
	)
	state, valueNow := textOf(t, ctx, "#import-state"), attr(t, ctx, "#import-progress", "aria-valuenow")
	if state != "queued" || valueNow != "0" {
		t.Errorf("while its job waits: state %q, aria-valuenow %q", state, valueNow)
	}
	checkA11y(t, ctx, axe, "import queued")
	shots(t, ctx, "import-queued")

	// The job runs; the page follows by itself.
	close(release)
	run(t, ctx, "wait for the page to show the import done",
		chromedp.WaitVisible(chromedp.CSS("#rejections-link")),
	)
	text := mainText(t, ctx)
	for _, want := range []string{"done", "shoe_size", "Download the 1 rejected rows"} {
		if !strings.Contains(text, want) {
			t.Errorf("the finished import's page lacks %q: %s", want, text)
		}
	}
	created, rejected := textOf(t, ctx, "#count-created"), textOf(t, ctx, "#count-rejected")
	valueNow = attr(t, ctx, "#import-progress", "aria-valuenow")
	if created != "2" || rejected != "1" || valueNow != "100" {
		t.Errorf("counts: created %q, rejected %q, aria-valuenow %q", created, rejected, valueNow)
	}
	checkA11y(t, ctx, axe, "import done")
	shots(t, ctx, "import-done")
	for _, email := range []string{"ada@import.example", "grace@import.example"} {
		if _, err := a.DB.GetPersonByEmail(sys, email); err != nil {
			t.Errorf("%s: %v", email, err)
		}
	}

	// The list shows it, and the rejected rows download through the session.
	run(t, ctx, "back to the list",
		chromedp.Navigate(a.URL+"/console/imports"),
		chromedp.WaitVisible(chromedp.CSS("#imports")),
	)
	checkA11y(t, ctx, axe, "/console/imports with an import")
	shots(t, ctx, "imports-list")
	c := a.client(t)
	c.mustLogIn("owner@example.com", "owner-password-1")
	var id int64
	list, _, _ := a.Imports.List(sys, frontdesk.Page{Limit: 1})
	if len(list) == 1 {
		id = list[0].ID
	}
	rej := c.get(fmt.Sprintf("/console/imports/%d/rejections", id))
	if rej.Status != 200 || !strings.Contains(rej.Body, "not-an-address") || !strings.HasPrefix(rej.Body, "line,column,reason") {
		t.Errorf("rejections download: %d %s", rej.Status, rej.Body)
	}
	sample := c.get("/console/imports/samples/people.csv")
	if sample.Status != 200 || !strings.HasPrefix(sample.Body, "name,email,phone,organization,site,external_id") {
		t.Errorf("sample: %d %s", sample.Status, sample.Body)
	}
}

func textOf(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}
