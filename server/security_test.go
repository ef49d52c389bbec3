package server_test

import (
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"frontdesk"
	"frontdesk/auth"
	"frontdesk/store"
	"frontdesk/store/storetest"
)

// client is a browser without a browser: cookies kept, redirects not followed, so that each
// answer can be checked.
type client struct {
	t    *testing.T
	a    *app
	http *http.Client
}

func (a *app) client(t *testing.T) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, a: a, http: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

type page struct {
	Status   int
	Location string
	Body     string
	Header   http.Header
}

func (c *client) get(path string) page {
	c.t.Helper()
	req, _ := http.NewRequest("GET", c.a.URL+path, nil)
	return c.do(req)
}

// post submits a form as a same-origin browser would.
func (c *client) post(path string, form url.Values) page {
	c.t.Helper()
	req, _ := http.NewRequest("POST", c.a.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", c.a.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return c.do(req)
}

func (c *client) do(req *http.Request) page {
	c.t.Helper()
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return page{Status: res.StatusCode, Location: res.Header.Get("Location"), Body: string(b), Header: res.Header}
}

var linkForm = regexp.MustCompile(`<form method="post" action="(/[a-z]+)">\s*<input type="hidden" name="token" value="([^"]*)">`)

// follow opens a link from an email as a person does: the GET shows a page with a button,
// and the button's POST acts (E1, E2). Where the GET shows no button (a dead link), its page
// is the answer.
func (c *client) follow(link string) page {
	c.t.Helper()
	g := c.get(strings.TrimPrefix(link, c.a.URL))
	m := linkForm.FindStringSubmatch(g.Body)
	if g.Status != http.StatusOK || m == nil {
		return g
	}
	return c.post(m[1], url.Values{"token": {html.UnescapeString(m[2])}})
}

func (c *client) mustLogIn(email, password string) {
	c.t.Helper()
	if p := c.post("/login", url.Values{"email": {email}, "password": {password}}); p.Status != http.StatusSeeOther {
		c.t.Fatalf("log in as %s: %d %s", email, p.Status, p.Body)
	}
}

// onboardContact creates a contact through the flows and finishes their onboarding with a
// password, following the link of the real confirmation email.
func (a *app) onboardContact(t *testing.T, email, password string) *frontdesk.Person {
	t.Helper()
	ctx := frontdesk.WithActor(context.Background(), frontdesk.System)
	name := "Test Person"
	p, err := a.Flows.PreparePerson(ctx, frontdesk.PersonInput{Name: &name, Email: &email}, frontdesk.ChannelConsole)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Flows.CreatePerson(ctx, p); err != nil {
		t.Fatal(err)
	}
	_, text := a.mailTo(t, email, 1)
	c := a.client(t)
	res := c.follow(linkIn(t, text, "/confirm"))
	if res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Location, "/onboarding?token=") {
		t.Fatalf("confirm: %d %s", res.Status, res.Location)
	}
	token, _ := url.ParseQuery(strings.TrimPrefix(res.Location, "/onboarding?"))
	if r := c.post("/onboarding", url.Values{"token": {token.Get("token")}, "password": {password}, "timezone": {"UTC"}}); r.Status != http.StatusOK {
		t.Fatalf("onboarding: %d %s", r.Status, r.Body)
	}
	return a.mustState(t, email, frontdesk.StateActive)
}

// E1: a used, expired, tampered or superseded confirmation link is refused.
func TestConfirmationLinksAreSingleUseAndExpire_E1(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			a := newApp(t, engine)
			ctx := frontdesk.WithActor(context.Background(), frontdesk.System)
			name, email := "Link Tester", "links@example.com"
			p, err := a.Flows.PreparePerson(ctx, frontdesk.PersonInput{Name: &name, Email: &email}, frontdesk.ChannelConsole)
			if err != nil {
				t.Fatal(err)
			}
			if err := a.Flows.CreatePerson(ctx, p); err != nil {
				t.Fatal(err)
			}
			_, first := a.mailTo(t, email, 1)
			firstLink := linkIn(t, first, "/confirm")
			// A re-send supersedes the first link.
			if err := a.Flows.ResendConfirmation(ctx, email, "192.0.2.1"); err != nil {
				t.Fatal(err)
			}
			_, second := a.mailTo(t, email, 2)
			secondLink := linkIn(t, second, "/confirm")
			c := a.client(t)
			if r := c.follow(firstLink); r.Status == http.StatusSeeOther {
				t.Fatal("a superseded link still works")
			}
			if r := c.follow(secondLink[:len(secondLink)-2] + "xx"); r.Status == http.StatusSeeOther {
				t.Fatal("a tampered link works")
			}
			if r := c.follow(secondLink); r.Status != http.StatusSeeOther {
				t.Fatalf("the newest link: %d %s", r.Status, r.Body)
			}
			if r := c.follow(secondLink); r.Status == http.StatusSeeOther {
				t.Fatal("a used link works twice")
			}
			// An expired one: issue a token that expired a moment ago.
			if err := a.DB.IssuePersonToken(ctx, p.ID, store.PurposeConfirm, email, "expired-secret", -time.Second); err != nil {
				t.Fatal(err)
			}
			if r := c.follow("/confirm?token=expired-secret"); r.Status == http.StatusSeeOther {
				t.Fatal("an expired link works")
			}
			// Only the hash is stored.
			if _, _, err := a.DB.ConsumePersonToken(ctx, store.PurposeConfirm, store.HashToken("expired-secret")); err == nil {
				t.Fatal("the stored hash works as a secret")
			}
		})
	}
}

// E3: forgot-password answers the same for known and unknown addresses, sends a link only
// to known ones, and is rate limited; the reset link is single-use.
func TestForgotPasswordTellsNothing_E3(t *testing.T) {
	a := newApp(t, storetest.Engines()[len(storetest.Engines())-1])
	a.onboardContact(t, "known@example.com", "old-password-1")
	c := a.client(t)
	known := c.post("/forgot", url.Values{"email": {"known@example.com"}})
	unknown := c.post("/forgot", url.Values{"email": {"unknown@example.com"}})
	if known.Status != unknown.Status || known.Body != unknown.Body {
		t.Fatalf("forgot answers differ:\n%d %s\n%d %s", known.Status, known.Body, unknown.Status, unknown.Body)
	}
	_, text := a.mailTo(t, "known@example.com", 2) // 1 was the confirmation
	link := strings.TrimPrefix(linkIn(t, text, "/reset"), a.URL)
	token, _ := url.ParseQuery(strings.SplitN(link, "?", 2)[1])
	if r := c.post("/reset", url.Values{"token": {token.Get("token")}, "password": {"new-password-1"}}); r.Status != http.StatusOK {
		t.Fatalf("reset: %d %s", r.Status, r.Body)
	}
	if r := c.post("/reset", url.Values{"token": {token.Get("token")}, "password": {"another-password"}}); r.Status == http.StatusOK {
		t.Fatal("a reset link works twice")
	}
	c.mustLogIn("known@example.com", "new-password-1")
	// Rate limited per target address: a few more requests, then refused.
	var last page
	for range 5 {
		last = a.client(t).post("/forgot", url.Values{"email": {"known@example.com"}})
	}
	if last.Status != http.StatusTooManyRequests {
		t.Fatalf("forgot password is not rate limited: %d", last.Status)
	}
}

// Repeated wrong passwords are throttled, for a right password too, per address.
func TestWrongPasswordsAreThrottled(t *testing.T) {
	a := newApp(t, storetest.Engines()[len(storetest.Engines())-1])
	a.onboardContact(t, "victim@example.com", "right-password-1")
	c := a.client(t)
	for i := range 5 {
		if r := c.post("/login", url.Values{"email": {"victim@example.com"}, "password": {fmt.Sprint("guess-", i)}}); r.Status != http.StatusUnauthorized {
			t.Fatalf("wrong password %d: %d", i, r.Status)
		}
	}
	if r := c.post("/login", url.Values{"email": {"victim@example.com"}, "password": {"right-password-1"}}); r.Status != http.StatusTooManyRequests {
		t.Fatalf("after 5 wrong passwords the 6th attempt is not throttled: %d", r.Status)
	}
	// An unknown address answers like a wrong password.
	other := a.client(t)
	a.Flows.PasswordLimit = auth.NewLimiter(5, time.Minute)
	unknown := other.post("/login", url.Values{"email": {"nobody@example.com"}, "password": {"whatever-1"}})
	wrong := other.post("/login", url.Values{"email": {"victim@example.com"}, "password": {"whatever-1"}})
	// The pages differ only in the address echoed back into the form.
	if unknown.Status != wrong.Status || strings.ReplaceAll(unknown.Body, "nobody@", "victim@") != wrong.Body {
		t.Fatalf("unknown and wrong differ: %d / %d\n%s\n%s", unknown.Status, wrong.Status, unknown.Body, wrong.Body)
	}
}

// L3: a disabled, banned or trashed person's session and API token fail on their next request,
// and stay dead when the person is active again.
func TestStateChangesEndSessionsAndTokens_L3(t *testing.T) {
	for _, to := range []frontdesk.State{frontdesk.StateDisabled, frontdesk.StateBanned, frontdesk.StateTrashed} {
		t.Run(string(to), func(t *testing.T) {
			a := newApp(t, storetest.Engines()[len(storetest.Engines())-1])
			a.mustOwner(t, "owner@example.com", "owner-password-1")
			p := a.onboardContact(t, "leaver@example.com", "leaver-password-1")
			c := a.client(t)
			c.mustLogIn("leaver@example.com", "leaver-password-1")
			if r := c.get("/account/sessions"); r.Status != http.StatusOK {
				t.Fatalf("sessions page while logged in: %d", r.Status)
			}
			// The cookie is kept aside: the refused request below makes the browser drop it.
			u, _ := url.Parse(a.URL)
			oldCookies := c.http.Jar.Cookies(u)
			// A staff member with a token, to see the token end too.
			staff := a.mustStaffWithToken(t, "agent@example.com")
			ctx := frontdesk.WithActor(context.Background(), frontdesk.System)
			for _, id := range []int64{p.ID, staff.person.ID} {
				if _, err := a.DB.SetState(ctx, id, store.StateChange{To: to, BanReason: "test"}); err != nil {
					t.Fatal(err)
				}
			}
			if r := c.get("/account/sessions"); r.Status != http.StatusSeeOther {
				t.Fatalf("a %s person's session still works: %d", to, r.Status)
			}
			tokenStatus := func() int {
				req, _ := http.NewRequest("GET", a.URL+"/api/v1/people", nil)
				req.Header.Set("Authorization", "Bearer "+staff.token)
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				return res.StatusCode
			}
			if s := tokenStatus(); s != http.StatusUnauthorized {
				t.Fatalf("a %s person's API token still works: %d", to, s)
			}
			// Ended, not paused: back to active, the old session and token stay refused.
			for _, id := range []int64{p.ID, staff.person.ID} {
				if _, err := a.DB.SetState(ctx, id, store.StateChange{To: frontdesk.StateActive}); err != nil {
					t.Fatal(err)
				}
			}
			c = a.client(t)
			c.http.Jar.SetCookies(u, oldCookies)
			if r := c.get("/account/sessions"); r.Status != http.StatusSeeOther {
				t.Fatalf("the session from before %s works again: %d", to, r.Status)
			}
			if s := tokenStatus(); s != http.StatusUnauthorized {
				t.Fatalf("the API token from before %s works again: %d", to, s)
			}
		})
	}
}

type staffToken struct {
	person *frontdesk.Person
	token  string
}

func (a *app) mustStaffWithToken(t *testing.T, email string) staffToken {
	t.Helper()
	ctx := frontdesk.WithActor(context.Background(), frontdesk.System)
	p := frontdesk.NewPerson(frontdesk.ChannelCLI)
	role, name := frontdesk.RoleAgent, "Agent Smith"
	if err := frontdesk.ApplyPerson(p, frontdesk.PersonInput{Name: &name, Role: &role, Email: &email}, frontdesk.Rules{PhoneRegion: "US"}); err != nil {
		t.Fatal(err)
	}
	p.State = frontdesk.StateActive
	if err := a.DB.CreatePerson(ctx, p); err != nil {
		t.Fatal(err)
	}
	tok, err := a.DB.CreateAPIToken(ctx, p.ID, "test")
	if err != nil {
		t.Fatal(err)
	}
	return staffToken{p, tok}
}

// A state-changing request from another origin is refused (CSRF), and changes nothing.
func TestCrossSiteFormsAreRefused(t *testing.T) {
	a := newApp(t, storetest.Engines()[len(storetest.Engines())-1])
	a.mustOwner(t, "owner@example.com", "owner-password-1")
	c := a.client(t)
	c.mustLogIn("owner@example.com", "owner-password-1")
	victim := a.onboardContact(t, "victim@example.com", "victim-password-1")
	req, _ := http.NewRequest("POST", fmt.Sprintf("%s/console/people/%d/disable", a.URL, victim.ID), strings.NewReader(""))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if r := c.do(req); r.Status != http.StatusForbidden {
		t.Fatalf("a cross-site form was accepted: %d", r.Status)
	}
	a.mustState(t, "victim@example.com", frontdesk.StateActive)
	// The same form from the site itself works.
	if r := c.post(fmt.Sprintf("/console/people/%d/disable", victim.ID), nil); r.Status != http.StatusSeeOther {
		t.Fatalf("a same-site form was refused: %d %s", r.Status, r.Body)
	}
	a.mustState(t, "victim@example.com", frontdesk.StateDisabled)
}

// C3, P6, E5: machine contacts added by staff are active at once, never mailed (the
// suppression recorded), and can never log in or get a welcome or reset.
func TestMachineContactsNeverMailedNorLogIn_C3_P6_E5(t *testing.T) {
	a := newApp(t, storetest.Engines()[len(storetest.Engines())-1])
	ctx := frontdesk.WithActor(context.Background(), frontdesk.System)
	name, email, yes := "Fax Machine", "fax@example.com", true
	p, err := a.Flows.PreparePerson(ctx, frontdesk.PersonInput{Name: &name, Email: &email, Machine: &yes}, frontdesk.ChannelConsole)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Flows.CreatePerson(ctx, p); err != nil {
		t.Fatal(err)
	}
	a.mustState(t, email, frontdesk.StateActive)
	if err := a.Flows.SendWelcome(ctx, p.ID); err == nil {
		t.Fatal("a welcome email was offered to a machine contact")
	}
	if err := a.Flows.SendReset(ctx, p.ID); err == nil {
		t.Fatal("a password reset was offered to a machine contact")
	}
	if err := a.Flows.ForgotPassword(ctx, email, "192.0.2.9"); err != nil {
		t.Fatal(err)
	}
	a.Flows.Wait()
	time.Sleep(200 * time.Millisecond)
	for _, m := range a.SMTP.Messages() {
		for _, rcpt := range m.To {
			if rcpt == email {
				t.Fatalf("a machine contact was mailed: %s", m.Header.Get("Subject"))
			}
		}
	}
}

// E2: with the setting on, a new contact gets the welcome email (not a confirmation); its
// link confirms the address and leads to onboarding; staff still confirm first (C1).
func TestWelcomeOnCreate_E2(t *testing.T) {
	a := newApp(t, storetest.Engines()[len(storetest.Engines())-1])
	ctx := frontdesk.WithActor(context.Background(), frontdesk.System)
	on := true
	if _, err := a.DB.UpdateSettings(ctx, frontdesk.SettingsInput{WelcomeOnCreate: &on}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		email string
		role  frontdesk.Role
		path  string
	}{{"welcomed@example.com", frontdesk.RoleContact, "/welcome"}, {"staffer@example.com", frontdesk.RoleAgent, "/confirm"}} {
		name, email, role := "New Person", c.email, c.role
		p, err := a.Flows.PreparePerson(ctx, frontdesk.PersonInput{Name: &name, Email: &email, Role: &role}, frontdesk.ChannelConsole)
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Flows.CreatePerson(ctx, p); err != nil {
			t.Fatal(err)
		}
		_, text := a.mailTo(t, email, 1)
		res := a.client(t).follow(linkIn(t, text, c.path))
		if res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Location, "/onboarding?token=") {
			t.Fatalf("%s link: %d %s", c.path, res.Status, res.Location)
		}
	}
	a.mustState(t, "welcomed@example.com", frontdesk.StateActive)
	a.mustState(t, "staffer@example.com", frontdesk.StateNotActivated) // until the wizard ends
}

// P8, E3: a contact with no web access cannot log in, even with a valid password, is offered
// neither welcome nor reset, and a forgotten-password request sends them nothing.
func TestNoWebAccessCannotLogIn_P8_E3(t *testing.T) {
	a := newApp(t, storetest.Engines()[len(storetest.Engines())-1])
	p := a.onboardContact(t, "closed@example.com", "closed-password-1")
	ctx := frontdesk.WithActor(context.Background(), frontdesk.System)
	none := frontdesk.WebAccessNone
	if _, err := a.DB.UpdatePerson(ctx, p.ID, func(q *frontdesk.Person) error {
		return frontdesk.ApplyPerson(q, frontdesk.PersonInput{WebAccess: &none}, frontdesk.Rules{})
	}); err != nil {
		t.Fatal(err)
	}
	if r := a.client(t).post("/login", url.Values{"email": {"closed@example.com"}, "password": {"closed-password-1"}}); r.Status != http.StatusUnauthorized {
		t.Fatalf("a contact without web access logged in: %d", r.Status)
	}
	if err := a.Flows.SendWelcome(ctx, p.ID); err == nil {
		t.Fatal("a welcome was offered to a contact without web access")
	}
	if err := a.Flows.SendReset(ctx, p.ID); err == nil {
		t.Fatal("a reset was offered to a contact without web access")
	}
	if err := a.Flows.ForgotPassword(ctx, "closed@example.com", "192.0.2.7"); err != nil {
		t.Fatal(err)
	}
	a.Flows.Wait()
	time.Sleep(200 * time.Millisecond)       // the worker polls every 20 ms in tests
	if n := len(a.SMTP.Messages()); n != 1 { // only the confirmation of onboardContact
		t.Fatalf("want only the confirmation mail, got %d messages", n)
	}
}

// The onboarding form, refused (a password too short), shows the error beside the field and
// spends nothing: the same link then completes it.
func TestOnboardingErrorKeepsTheLink_C1(t *testing.T) {
	a := newApp(t, storetest.Engines()[len(storetest.Engines())-1])
	ctx := frontdesk.WithActor(context.Background(), frontdesk.System)
	name, email, role := "Otto Onboard", "otto@example.com", frontdesk.RoleAgent
	p, err := a.Flows.PreparePerson(ctx, frontdesk.PersonInput{Name: &name, Email: &email, Role: &role}, frontdesk.ChannelConsole)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Flows.CreatePerson(ctx, p); err != nil {
		t.Fatal(err)
	}
	_, text := a.mailTo(t, email, 1)
	c := a.client(t)
	res := c.follow(linkIn(t, text, "/confirm"))
	token, _ := url.ParseQuery(strings.TrimPrefix(res.Location, "/onboarding?"))
	bad := c.post("/onboarding", url.Values{"token": {token.Get("token")}, "method": {"password"}, "password": {"short"}})
	if bad.Status != http.StatusUnprocessableEntity || !strings.Contains(bad.Body, `id="password-error"`) || !strings.Contains(bad.Body, "Otto Onboard") {
		t.Fatalf("refused onboarding: %d %s", bad.Status, bad.Body)
	}
	a.mustState(t, email, frontdesk.StateNotActivated)
	if ok := c.post("/onboarding", url.Values{"token": {token.Get("token")}, "method": {"password"}, "password": {"long-enough-1"}}); ok.Status != http.StatusOK {
		t.Fatalf("onboarding after a refusal: %d %s", ok.Status, ok.Body)
	}
	a.mustState(t, email, frontdesk.StateActive)
}

// I5: health, readiness and Prometheus metrics answer; readiness fails once the database is gone.
func TestOperationsEndpoints_I5(t *testing.T) {
	a := newApp(t, storetest.Engines()[len(storetest.Engines())-1])
	c := a.client(t)
	if r := c.get("/healthz"); r.Status != http.StatusOK {
		t.Fatalf("healthz: %d", r.Status)
	}
	if r := c.get("/readyz"); r.Status != http.StatusOK {
		t.Fatalf("readyz: %d", r.Status)
	}
	c.get("/api/v1/people") // one request to count
	m := c.get("/metrics")
	if m.Status != http.StatusOK || !strings.Contains(m.Body, `frontdesk_http_requests_total{code="401",route="GET /api/v1/people"} 1`) ||
		!strings.Contains(m.Body, "go_goroutines") {
		t.Fatalf("metrics: %d\n%s", m.Status, m.Body)
	}
	a.DB.Close()
	if r := c.get("/readyz"); r.Status != http.StatusServiceUnavailable {
		t.Fatalf("readyz without a database: %d", r.Status)
	}
}
