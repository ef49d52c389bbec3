package server_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"frontdesk"
	"frontdesk/auth"
	"frontdesk/store/storetest"
)

// browser starts a real headless Chromium (Debian's chromium package). Without one the test
// is skipped, unless FRONTDESK_TEST_REQUIRE_BROWSER is set, as CI sets it.
func browser(t *testing.T) context.Context {
	t.Helper()
	path := os.Getenv("FRONTDESK_TEST_CHROMIUM")
	if path == "" {
		path, _ = exec.LookPath("chromium")
	}
	if path == "" {
		if os.Getenv("FRONTDESK_TEST_REQUIRE_BROWSER") != "" {
			t.Fatal("chromium is required but not installed")
		}
		t.Skip("chromium is not installed")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.UserDataDir(t.TempDir()),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 5*time.Minute)
	t.Cleanup(func() {
		cancelTimeout()
		cancel()
		cancelAlloc()
	})
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

func run(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	step, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(step, actions...); err != nil {
		body, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
		t.Fatalf("%s: %v\npage: %s", what, err, body)
	}
}

func mainText(t *testing.T, ctx context.Context) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
	if err != nil {
		t.Fatalf("read the page: %v", err)
	}
	return s
}

func (a *app) logIn(t *testing.T, ctx context.Context, email, password string) {
	t.Helper()
	run(t, ctx, "log in as "+email,
		chromedp.Navigate(a.URL+"/login"),
		chromedp.SendKeys(chromedp.CSS("#email"), email),
		chromedp.SendKeys(chromedp.CSS("#password"), password),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`main[data-page="home"]`)),
	)
}

func (a *app) logOut(t *testing.T, ctx context.Context) {
	t.Helper()
	run(t, ctx, "log out",
		chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`main[data-page="login"]`)),
	)
}

// addPerson adds a person in the console, as an admin does.
func (a *app) addPerson(t *testing.T, ctx context.Context, name, email, role string) {
	t.Helper()
	run(t, ctx, "add "+email,
		chromedp.Navigate(a.URL+"/console/people/new"),
		chromedp.SendKeys(chromedp.CSS("#name"), name),
		chromedp.SendKeys(chromedp.CSS("#email"), email),
		chromedp.SetValue(chromedp.CSS("#role"), role),
		chromedp.Click(chromedp.CSS(`form[action="/console/people/new"] button`)),
		chromedp.WaitVisible(chromedp.CSS("#state")),
	)
}

// onboard completes the onboarding wizard the link led to.
func (a *app) onboard(t *testing.T, ctx context.Context, password, preferred, tz string) {
	t.Helper()
	run(t, ctx, "complete the onboarding wizard",
		chromedp.WaitVisible(chromedp.CSS(`form[action="/onboarding"]`)),
		chromedp.SendKeys(chromedp.CSS("#password"), password),
		chromedp.SendKeys(chromedp.CSS("#preferred_name"), preferred),
		chromedp.SetValue(chromedp.CSS("#timezone"), tz),
		chromedp.Click(chromedp.CSS(`form[action="/onboarding"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`main[data-page="message"]`)),
	)
}

// openLink opens a link from an email as a person does: the page shows a button (E1: the GET
// that a mail scanner makes spends nothing), and the click goes on.
func (a *app) openLink(t *testing.T, ctx context.Context, link string) {
	t.Helper()
	run(t, ctx, "open "+link,
		chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.CSS(`main[data-page="link"] form button`)),
		chromedp.Click(chromedp.CSS(`main[data-page="link"] form button`)),
		chromedp.WaitNotPresent(chromedp.CSS(`main[data-page="link"]`)),
	)
}

func (a *app) mustState(t *testing.T, email string, want frontdesk.State) *frontdesk.Person {
	t.Helper()
	p, err := a.DB.GetPersonByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	if p.State != want {
		t.Fatalf("%s is %s, want %s", email, p.State, want)
	}
	return p
}

// C1, C2, C7 end to end in a real browser, with the mail read from a real SMTP server.
func TestEndToEndInBrowser_C1_C2_C7(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) { endToEnd(t, newApp(t, engine)) })
	}
}

func endToEnd(t *testing.T, a *app) {
	ctx := browser(t)
	a.Flows.LoginLimit = auth.NewLimiter(100, time.Second) // this test logs in often; the limit has its own test
	a.mustOwner(t, "owner@example.com", "owner-password-1")

	t.Run("C1 staff member", func(t *testing.T) {
		a.logIn(t, ctx, "owner@example.com", "owner-password-1")
		a.addPerson(t, ctx, "Sam Staff", "sam@example.com", "agent")
		a.logOut(t, ctx)
		a.mustState(t, "sam@example.com", frontdesk.StateNotActivated)

		_, text := a.mailTo(t, "sam@example.com", 1)
		a.openLink(t, ctx, linkIn(t, text, "/confirm"))
		if got := mainText(t, ctx); !strings.Contains(got, "Finish your account to start working") {
			t.Fatalf("staff onboarding is not mandatory: %s", got)
		}
		// Still not active until the wizard ends (C1).
		a.mustState(t, "sam@example.com", frontdesk.StateNotActivated)
		a.onboard(t, ctx, "sam-password-1", "Sammy", "Europe/Paris")
		p := a.mustState(t, "sam@example.com", frontdesk.StateActive)
		if p.PreferredName != "Sammy" || p.Timezone != "Europe/Paris" || !p.Emails[0].Verified {
			t.Fatalf("onboarding did not finish the account: %+v", p)
		}
		a.logIn(t, ctx, "sam@example.com", "sam-password-1")
		if got := mainText(t, ctx); !strings.Contains(got, "(agent)") {
			t.Fatalf("the new staff member is not logged in: %s", got)
		}
		a.logOut(t, ctx)
	})

	t.Run("C2 contact", func(t *testing.T) {
		a.logIn(t, ctx, "owner@example.com", "owner-password-1")
		a.addPerson(t, ctx, "Cora Contact", "cora@example.com", "contact")
		a.logOut(t, ctx)
		_, text := a.mailTo(t, "cora@example.com", 1)
		a.openLink(t, ctx, linkIn(t, text, "/confirm"))
		// The contact is active once confirmed; onboarding is offered, not forced (C2).
		a.mustState(t, "cora@example.com", frontdesk.StateActive)
		if got := mainText(t, ctx); !strings.Contains(got, "skip this for now") {
			t.Fatalf("contact onboarding should be optional: %s", got)
		}
		a.onboard(t, ctx, "cora-password-1", "Cora", "America/New_York")
		a.logIn(t, ctx, "cora@example.com", "cora-password-1")
		if got := mainText(t, ctx); !strings.Contains(got, "(contact)") {
			t.Fatalf("the contact is not logged in: %s", got)
		}
		a.logOut(t, ctx)
	})

	t.Run("C7 self-registration with approval", func(t *testing.T) {
		mode := frontdesk.RegistrationApproval
		if _, err := a.DB.UpdateSettings(frontdesk.WithActor(context.Background(), frontdesk.System), frontdesk.SettingsInput{Registration: &mode}); err != nil {
			t.Fatal(err)
		}
		run(t, ctx, "register",
			chromedp.Navigate(a.URL+"/register"),
			chromedp.SendKeys(chromedp.CSS("#name"), "Rita Registrant"),
			chromedp.SendKeys(chromedp.CSS("#email"), "rita@example.com"),
			chromedp.SendKeys(chromedp.CSS("#password"), "rita-password-1"),
			chromedp.Click(chromedp.CSS(`form[action="/register"] button`)),
			chromedp.WaitVisible(chromedp.CSS(`main[data-page="message"]`)),
		)
		if got := mainText(t, ctx); !strings.Contains(got, "Check your email") {
			t.Fatalf("registration: %s", got)
		}
		_, text := a.mailTo(t, "rita@example.com", 1)
		if strings.Contains(text, "rita-password-1") {
			t.Fatal("the password was sent by mail")
		}
		a.openLink(t, ctx, linkIn(t, text, "/confirm"))
		a.mustState(t, "rita@example.com", frontdesk.StateAwaitingApproval)
		// Not yet: a registrant waiting for approval cannot log in.
		run(t, ctx, "try to log in too early",
			chromedp.Navigate(a.URL+"/login"),
			chromedp.SendKeys(chromedp.CSS("#email"), "rita@example.com"),
			chromedp.SendKeys(chromedp.CSS("#password"), "rita-password-1"),
			chromedp.Click(chromedp.CSS(`form[action="/login"] button`)),
			chromedp.WaitVisible(chromedp.CSS("#form-error")),
		)
		a.logIn(t, ctx, "owner@example.com", "owner-password-1")
		run(t, ctx, "approve",
			chromedp.Navigate(a.URL+"/console/approvals"),
			chromedp.Click(chromedp.CSS(`form[action$="/approve"] button`)),
			chromedp.WaitVisible(chromedp.CSS(`#approvals-empty`)),
		)
		a.mustState(t, "rita@example.com", frontdesk.StateActive)
		a.logOut(t, ctx)
		a.logIn(t, ctx, "rita@example.com", "rita-password-1")
		if got := mainText(t, ctx); !strings.Contains(got, "(contact)") {
			t.Fatalf("the approved registrant is not logged in: %s", got)
		}
	})
}
