package server_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"frontdesk"
	"frontdesk/store"
	"frontdesk/store/storetest"
)

// createByStaff adds a contact as staff would, which mails them a confirmation link.
func (a *app) createByStaff(t *testing.T, name, email string) *frontdesk.Person {
	t.Helper()
	ctx := frontdesk.WithActor(context.Background(), frontdesk.System)
	p, err := a.Flows.PreparePerson(ctx, frontdesk.PersonInput{Name: &name, Email: &email}, frontdesk.ChannelConsole)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Flows.CreatePerson(ctx, p); err != nil {
		t.Fatal(err)
	}
	return p
}

// E1, E2: mail scanners open every link before the person does. Every link a mail carries
// answers its GET with a page holding a POST form and spends nothing; only the POST acts. A
// scanner's two GETs leave the link working for the person's click.
func TestMailLinksActOnlyOnPost_E1_E2(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			a := newApp(t, engine)
			ctx := frontdesk.WithActor(context.Background(), frontdesk.System)
			p := a.createByStaff(t, "Scan Ned", "scanned@example.com")
			if err := a.Flows.SendWelcome(ctx, p.ID); err != nil {
				t.Fatal(err)
			}
			// The worker sends over several connections: the two mails arrive in either order.
			_, first := a.mailTo(t, "scanned@example.com", 1)
			_, second := a.mailTo(t, "scanned@example.com", 2)
			confirmMail, welcomeMail := first, second
			if !strings.Contains(first, "/confirm") {
				confirmMail, welcomeMail = second, first
			}
			links := []string{linkIn(t, confirmMail, "/confirm"), linkIn(t, welcomeMail, "/welcome")}
			scanner := a.client(t)
			for _, link := range links {
				for range 2 {
					g := scanner.get(strings.TrimPrefix(link, a.URL))
					if g.Status != http.StatusOK || !linkForm.MatchString(g.Body) {
						t.Fatalf("GET %s: want a page with a POST form, got %d %s", link, g.Status, g.Body)
					}
				}
			}
			a.mustState(t, "scanned@example.com", frontdesk.StateNotActivated)
			if got := a.mustGet(t, p.ID); got.Emails[0].Verified {
				t.Fatal("a scanner's GET confirmed the address")
			}
			for _, link := range links {
				res := a.client(t).follow(link)
				if res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Location, "/onboarding?token=") {
					t.Fatalf("the click after the scanner: %d %s %s", res.Status, res.Location, res.Body)
				}
				if again := a.client(t).follow(link); again.Status == http.StatusSeeOther {
					t.Fatalf("%s worked twice", link)
				}
			}
			a.mustState(t, "scanned@example.com", frontdesk.StateActive)
			// The reset link's GET only shows the form; its POST sets the password.
			if err := a.Flows.SendReset(ctx, p.ID); err != nil {
				t.Fatal(err)
			}
			_, resetMail := a.mailTo(t, "scanned@example.com", 3)
			reset := linkIn(t, resetMail, "/reset")
			c := a.client(t)
			for range 2 {
				if g := c.get(strings.TrimPrefix(reset, a.URL)); g.Status != http.StatusOK || !strings.Contains(g.Body, `<form method="post" action="/reset">`) {
					t.Fatalf("GET reset: %d %s", g.Status, g.Body)
				}
			}
			u, _ := url.Parse(reset)
			if r := c.post("/reset", url.Values{"token": {u.Query().Get("token")}, "password": {"scanned-password-1"}}); r.Status != http.StatusOK {
				t.Fatalf("reset after the scanner: %d %s", r.Status, r.Body)
			}
			c.mustLogIn("scanned@example.com", "scanned-password-1")
		})
	}
}

// E1, E3: a link is bound to the address it was sent to and dies when staff replace that
// address: the confirmation and the reset sent to a typo'd address give nothing.
func TestLinksDieWithTheirAddress_E1_E3(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			a := newApp(t, engine)
			ctx := frontdesk.WithActor(context.Background(), frontdesk.System)
			p := a.onboardContact(t, "tpyo@example.com", "typo-password-1")
			// A fresh confirmation and a reset, both to the address about to be corrected.
			if err := a.Flows.ResendConfirmation(ctx, "tpyo@example.com", "192.0.2.10"); err != nil {
				t.Fatal(err)
			}
			if err := a.Flows.SendReset(ctx, p.ID); err != nil {
				t.Fatal(err)
			}
			_, resetMail := a.mailTo(t, "tpyo@example.com", 2)
			reset := linkIn(t, resetMail, "/reset")
			corrected := "typo@example.com"
			if _, err := a.DB.UpdatePerson(ctx, p.ID, func(q *frontdesk.Person) error {
				return frontdesk.ApplyPerson(q, frontdesk.PersonInput{Email: &corrected}, frontdesk.Rules{})
			}); err != nil {
				t.Fatal(err)
			}
			u, _ := url.Parse(reset)
			if r := a.client(t).post("/reset", url.Values{"token": {u.Query().Get("token")}, "password": {"hijacked-password-1"}}); r.Status == http.StatusOK {
				t.Fatal("a reset link sent to a replaced address still works")
			}
			// A confirmation link to the old address, issued as the mail would carry it.
			if err := a.DB.IssuePersonToken(ctx, p.ID, store.PurposeConfirm, "tpyo@example.com", "old-address-secret", time.Hour); err != nil {
				t.Fatal(err)
			}
			if _, err := a.Flows.Confirm(ctx, "old-address-secret", ""); err == nil {
				t.Fatal("a confirmation link for an address the person no longer has still works")
			}
			// Nor does it come back to life with the address.
			if _, err := a.DB.UpdatePerson(ctx, p.ID, func(q *frontdesk.Person) error {
				both := []frontdesk.Email{{Address: corrected, Primary: true, Verified: true}, {Address: "tpyo@example.com", Verified: true}}
				return frontdesk.ApplyPerson(q, frontdesk.PersonInput{Emails: &both}, frontdesk.Rules{})
			}); err != nil {
				t.Fatal(err)
			}
			if r := a.client(t).post("/reset", url.Values{"token": {u.Query().Get("token")}, "password": {"hijacked-password-1"}}); r.Status == http.StatusOK {
				t.Fatal("a reset link sent to a replaced address works again once the address is back")
			}
		})
	}
}

// C7, E1: with registration open, an attacker registers the victim's address with a password
// of their choosing. The victim confirms from their own mail: the attacker's password must
// not become the account's, and the victim chooses their own.
func TestPreRegistrationHijackFails_C7_E1(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			a := newApp(t, engine)
			ctx := frontdesk.WithActor(context.Background(), frontdesk.System)
			open := frontdesk.RegistrationOpen
			if _, err := a.DB.UpdateSettings(ctx, frontdesk.SettingsInput{Registration: &open}); err != nil {
				t.Fatal(err)
			}
			attacker := a.client(t)
			if r := attacker.post("/register", url.Values{"name": {"Vic Tim"}, "email": {"victim@example.com"}, "password": {"attacker-password-1"}}); r.Status != http.StatusOK {
				t.Fatalf("register: %d %s", r.Status, r.Body)
			}
			_, text := a.mailTo(t, "victim@example.com", 1)
			victim := a.client(t)
			res := victim.follow(linkIn(t, text, "/confirm"))
			if res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Location, "/onboarding?token=") {
				t.Fatalf("the victim's confirmation should lead to choosing a password: %d %s", res.Status, res.Location)
			}
			a.mustState(t, "victim@example.com", frontdesk.StateActive)
			if r := attacker.post("/login", url.Values{"email": {"victim@example.com"}, "password": {"attacker-password-1"}}); r.Status == http.StatusSeeOther {
				t.Fatal("the attacker logs in with the password they registered")
			}
			token, _ := url.ParseQuery(strings.TrimPrefix(res.Location, "/onboarding?"))
			if r := victim.post("/onboarding", url.Values{"token": {token.Get("token")}, "password": {"victim-password-1"}, "timezone": {"UTC"}}); r.Status != http.StatusOK {
				t.Fatalf("onboarding: %d %s", r.Status, r.Body)
			}
			victim.mustLogIn("victim@example.com", "victim-password-1")

			// The registrant who confirms in the browser that registered keeps their password.
			self := a.client(t)
			if r := self.post("/register", url.Values{"name": {"Self Reg"}, "email": {"self@example.com"}, "password": {"self-password-1"}}); r.Status != http.StatusOK {
				t.Fatalf("register: %d %s", r.Status, r.Body)
			}
			_, text = a.mailTo(t, "self@example.com", 1)
			self.follow(linkIn(t, text, "/confirm"))
			a.client(t).mustLogIn("self@example.com", "self-password-1")
		})
	}
}

// C7, E1: confirming an address ends every earlier session of the person.
func TestConfirmingEndsEarlierSessions_E1(t *testing.T) {
	a := newApp(t, storetest.Engines()[len(storetest.Engines())-1])
	ctx := frontdesk.WithActor(context.Background(), frontdesk.System)
	p := a.onboardContact(t, "sessions@example.com", "sessions-password-1")
	c := a.client(t)
	c.mustLogIn("sessions@example.com", "sessions-password-1")
	if err := a.Flows.ResendConfirmation(ctx, "sessions@example.com", "192.0.2.11"); err != nil {
		t.Fatal(err)
	}
	// ResendConfirmation sends only to people not yet active; issue one as a new address's
	// confirmation would be.
	if err := a.DB.IssuePersonToken(ctx, p.ID, store.PurposeConfirm, "sessions@example.com", "reconfirm-secret", time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Flows.Confirm(ctx, "reconfirm-secret", ""); err != nil {
		t.Fatal(err)
	}
	if r := c.get("/account/sessions"); r.Status != http.StatusSeeOther {
		t.Fatalf("a session from before the confirmation still works: %d", r.Status)
	}
}

// E3, C1: no reset and no login code goes to an address the person has not confirmed.
func TestNoLinkToUnconfirmedAddress_E3_C1(t *testing.T) {
	a := newApp(t, storetest.Engines()[len(storetest.Engines())-1])
	ctx := frontdesk.WithActor(context.Background(), frontdesk.System)
	p := a.createByStaff(t, "Un Confirmed", "unconfirmed@example.com")
	if _, err := a.DB.SetState(ctx, p.ID, store.StateChange{To: frontdesk.StateActive}); err != nil {
		t.Fatal(err)
	}
	if err := a.DB.SaveCredentials(ctx, store.Credentials{PersonID: p.ID, Method: store.LoginCode, OnboardedAt: &time.Time{}}); err != nil {
		t.Fatal(err)
	}
	if err := a.Flows.SendReset(ctx, p.ID); err == nil {
		t.Fatal("staff sent a reset to an unconfirmed address")
	}
	if err := a.Flows.SendWelcome(ctx, p.ID); err == nil {
		t.Fatal("staff sent a welcome (a reset by another name) to an unconfirmed address of an onboarded person")
	}
	if err := a.Flows.ForgotPassword(ctx, "unconfirmed@example.com", "192.0.2.12"); err != nil {
		t.Fatal(err)
	}
	if err := a.Flows.RequestLoginCode(ctx, "unconfirmed@example.com", "192.0.2.12"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // the worker polls every 20 ms in tests
	a.mailTo(t, "unconfirmed@example.com", 1)
	for _, m := range a.SMTP.Messages() {
		if s := m.Header.Get("Subject"); !strings.Contains(strings.ToLower(s), "confirm") {
			t.Fatalf("a mail other than the confirmation went to an unconfirmed address: %q", s)
		}
	}
}

var codeInMail = regexp.MustCompile(`\b(\d{6})\b`)

// codeStaff makes an active staff member who logs in by a code by email (C1).
func (a *app) codeStaff(t *testing.T, email string) *frontdesk.Person {
	t.Helper()
	ctx := frontdesk.WithActor(context.Background(), frontdesk.System)
	p := a.mustPersonWithPassword(t, ctx, frontdesk.RoleAgent, email, "unused-password-1")
	now := time.Now()
	if err := a.DB.SaveCredentials(ctx, store.Credentials{PersonID: p.ID, Method: store.LoginCode, OnboardedAt: &now}); err != nil {
		t.Fatal(err)
	}
	return p
}

// C1: the login-code mail carries a code that /login accepts once (the code form posts there); wrong codes are counted and
// kill the code after a few; the code works from another device than the one that asked.
func TestLoginCode_C1(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			a := newApp(t, engine)
			a.codeStaff(t, "coder@example.com")
			asker := a.client(t)
			if r := asker.post("/login/link", url.Values{"email": {"coder@example.com"}}); r.Status != http.StatusOK || !strings.Contains(r.Body, `id="code"`) {
				t.Fatalf("asking for a code: %d %s", r.Status, r.Body)
			}
			_, text := a.mailTo(t, "coder@example.com", 1)
			code := codeInMail.FindStringSubmatch(text)
			if code == nil {
				t.Fatalf("no code in the mail:\n%s", text)
			}
			other := a.client(t) // another device
			res := other.post("/login", url.Values{"email": {"Coder@Example.com"}, "code": {code[1][:3] + " " + code[1][3:]}, "next": {"/account/sessions"}})
			if res.Status != http.StatusSeeOther || res.Location != "/account/sessions" {
				t.Fatalf("login with the code: %d %s %s", res.Status, res.Location, res.Body)
			}
			if r := other.get("/account/sessions"); r.Status != http.StatusOK {
				t.Fatalf("logged in by code, the session does not work: %d", r.Status)
			}
			if r := a.client(t).post("/login", url.Values{"email": {"coder@example.com"}, "code": {code[1]}}); r.Status == http.StatusSeeOther {
				t.Fatal("a login code worked twice")
			}

			// Wrong guesses kill the live code, even from many clients.
			if r := asker.post("/login/link", url.Values{"email": {"coder@example.com"}}); r.Status != http.StatusOK {
				t.Fatalf("asking again: %d", r.Status)
			}
			_, text = a.mailTo(t, "coder@example.com", 2)
			good := codeInMail.FindStringSubmatch(text)[1]
			wrong := "000000"
			if good == wrong {
				wrong = "111111"
			}
			for range store.MaxLoginCodeAttempts {
				if r := a.client(t).post("/login", url.Values{"email": {"coder@example.com"}, "code": {wrong}}); r.Status == http.StatusSeeOther {
					t.Fatal("a wrong code logged in")
				}
			}
			if r := a.client(t).post("/login", url.Values{"email": {"coder@example.com"}, "code": {good}}); r.Status == http.StatusSeeOther {
				t.Fatal("the code still works after too many wrong guesses")
			}
			if r := a.client(t).post("/login", url.Values{"email": {"coder@example.com"}, "code": {"12ab56"}}); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `id="code-error"`) {
				t.Fatalf("a malformed code: %d %s", r.Status, r.Body)
			}
		})
	}
}

// C1 in the browser: a staff member who logs in by code asks for one on the login page, reads
// it from the real mail, types it, and is in.
func TestLoginCodeInBrowser_C1(t *testing.T) {
	a := newApp(t, storetest.Engines()[len(storetest.Engines())-1])
	ctx := browser(t)
	a.codeStaff(t, "browser-coder@example.com")
	run(t, ctx, "ask for a code",
		chromedp.Navigate(a.URL+"/login"),
		chromedp.SendKeys(chromedp.CSS("#link-email"), "browser-coder@example.com"),
		chromedp.Click(chromedp.CSS(`form[action="/login/link"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`main[data-page="login_code"]`)),
	)
	_, text := a.mailTo(t, "browser-coder@example.com", 1)
	code := codeInMail.FindStringSubmatch(text)[1]
	run(t, ctx, "type the code",
		chromedp.SendKeys(chromedp.CSS("#code"), code),
		chromedp.Click(chromedp.CSS(`main[data-page="login_code"] form button`)),
		chromedp.WaitVisible(chromedp.CSS(`main[data-page="home"]`)),
	)
	if got := mainText(t, ctx); !strings.Contains(got, "(agent)") {
		t.Fatalf("not logged in by the code: %s", got)
	}
}

// Issue 7 item 12: the login keeps where the person was going, and only ever sends them to
// this site.
func TestLoginKeepsSafeNext_Issue7_12(t *testing.T) {
	a := newApp(t, storetest.Engines()[len(storetest.Engines())-1])
	a.mustOwner(t, "owner@example.com", "owner-password-1")
	c := a.client(t)
	first := c.get("/console/approvals")
	if first.Status != http.StatusSeeOther || !strings.HasPrefix(first.Location, "/login?next=") {
		t.Fatalf("a page that needs a login: %d %s", first.Status, first.Location)
	}
	form := c.get(first.Location)
	if !strings.Contains(form.Body, `name="next" value="/console/approvals"`) {
		t.Fatalf("the login form lost next: %s", form.Body)
	}
	// A failed attempt keeps it too.
	if bad := c.post("/login", url.Values{"email": {"owner@example.com"}, "password": {"wrong-password"}, "next": {"/console/approvals"}}); !strings.Contains(bad.Body, `name="next" value="/console/approvals"`) {
		t.Fatalf("a failed login lost next: %s", bad.Body)
	}
	res := c.post("/login", url.Values{"email": {"owner@example.com"}, "password": {"owner-password-1"}, "next": {"/console/approvals"}})
	if res.Status != http.StatusSeeOther || res.Location != "/console/approvals" {
		t.Fatalf("after login: %d %s", res.Status, res.Location)
	}
	// The table of safeNext is in package web; here two through the real form.
	for _, evil := range []string{"/\t/evil.example", "https://evil.example/"} {
		c := a.client(t)
		res := c.post("/login", url.Values{"email": {"owner@example.com"}, "password": {"owner-password-1"}, "next": {evil}})
		if res.Status != http.StatusSeeOther || res.Location != "/" {
			t.Errorf("next %q sent the browser to %d %q", evil, res.Status, res.Location)
		}
	}
}
