package server_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"frontdesk"
	"frontdesk/auth"
	"frontdesk/store"
	"frontdesk/store/storetest"
	"frontdesk/web"
)

// The intake's pages end to end: the help center's request form in both guest_requests
// modes (C4, C5), the embeddable form on another origin (C6), the honeypot, the review
// queue (X4), and the links that open one ticket to a guest (X5).

var intakeSys = frontdesk.WithActor(context.Background(), frontdesk.System)

// newIntakeApp is an app with an owner, whose limits let a test send many requests from one
// address (the limits have their own tests).
func newIntakeApp(t *testing.T, engine store.Engine) *app {
	t.Helper()
	a := newApp(t, engine)
	a.Flows.LoginLimit = auth.NewLimiter(1000, time.Millisecond)
	a.Intake.ClientLimit = auth.NewLimiter(1000, time.Millisecond)
	a.Intake.AddressLimit = auth.NewLimiter(1000, time.Millisecond)
	a.mustOwner(t, "owner@example.com", "owner-password-1")
	return a
}

func (a *app) mustSettings(t *testing.T, in frontdesk.SettingsInput) {
	t.Helper()
	if _, err := a.DB.UpdateSettings(intakeSys, in); err != nil {
		t.Fatal(err)
	}
}

// ticketsOf returns the tickets of the person who owns email, nil when nobody does.
func (a *app) ticketsOf(t *testing.T, email string) (*frontdesk.Person, []*frontdesk.Ticket) {
	t.Helper()
	p, err := a.DB.GetPersonByEmail(intakeSys, email)
	if frontdesk.ErrorCode(err) == frontdesk.ENotFound {
		return nil, nil
	}
	if err != nil {
		t.Fatal(err)
	}
	list, err := a.DB.ListTicketsOf(intakeSys, p.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	return p, list
}

func (a *app) allTickets(t *testing.T) []*frontdesk.Ticket {
	t.Helper()
	list, _, err := a.DB.ListTickets(intakeSys, frontdesk.TicketFilter{}, frontdesk.Page{})
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// sendRequestForm fills the help center's form as a guest and sends it.
func (a *app) sendRequestForm(t *testing.T, ctx context.Context, name, email, subject, body string) string {
	t.Helper()
	run(t, ctx, "send the request form",
		chromedp.Navigate(a.URL+"/"),
		chromedp.Click(chromedp.CSS(`main a[href="/requests/new"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#request-form`)),
		chromedp.SendKeys(chromedp.CSS("#name"), name),
		chromedp.SendKeys(chromedp.CSS("#email"), email),
		chromedp.SendKeys(chromedp.CSS("#subject"), subject),
		chromedp.SendKeys(chromedp.CSS("#body"), body),
		chromedp.Click(chromedp.CSS(`#request-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`main[data-page="request_sent"]`)),
	)
	return attr(t, ctx, "#request-outcome", "data-status")
}

func attr(t *testing.T, ctx context.Context, sel, name string) string {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(sel), name))
	if err != nil {
		t.Fatalf("%s[%s]: %v", sel, name, err)
	}
	return v.Value
}

// replyAsGuest replies on the guest's ticket page and checks the reply shows.
func replyAsGuest(t *testing.T, ctx context.Context, body string) {
	t.Helper()
	run(t, ctx, "reply as the guest",
		chromedp.WaitVisible(chromedp.CSS(`form[action="/requests/ticket/reply"]`)),
		chromedp.SendKeys(chromedp.CSS("#body"), body),
		chromedp.Click(chromedp.CSS(`form[action="/requests/ticket/reply"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`main[data-page="my_ticket"] .notice`)),
	)
	if got := mainText(t, ctx); !strings.Contains(got, body) {
		t.Fatalf("the reply is not in the thread: %s", got)
	}
}

// C4, C6, X5: with guest_requests open, a guest's request through the help center's form
// makes contact and ticket at once; the mail carries the link that opens the ticket (X5) and
// the welcome link that leads to onboarding; once onboarded, the ticket is in the help
// center's list.
func TestGuestRequestOpenInBrowser_C4_C6_X5(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			a := newIntakeApp(t, engine)
			ctx := browser(t)
			if got := a.sendRequestForm(t, ctx, "Gus Guest", "gus@example.com", "Printer on fire", "It smokes since noon."); got != "created" {
				t.Fatalf("outcome %q, want created", got)
			}
			if got := mainText(t, ctx); !strings.Contains(got, "We emailed you a link") {
				t.Fatalf("the guest is not told about the mail: %s", got)
			}
			p, tickets := a.ticketsOf(t, "gus@example.com")
			if p == nil || len(tickets) != 1 || tickets[0].Subject != "Printer on fire" || tickets[0].Channel != frontdesk.TicketViaWeb {
				t.Fatalf("contact and ticket were not created at once: %+v %+v", p, tickets)
			}
			_, text := a.mailTo(t, "gus@example.com", 1)
			access, welcome := linkIn(t, text, "/requests/access"), linkIn(t, text, "/welcome")

			// X5: the link opens that one ticket, with reply and close.
			a.openLink(t, ctx, access)
			run(t, ctx, "see the guest's ticket", chromedp.WaitVisible(chromedp.CSS(`main[data-page="my_ticket"]`)))
			if got := mainText(t, ctx); !strings.Contains(got, "It smokes since noon.") || strings.Contains(got, "All my tickets") {
				t.Fatalf("guest ticket page: %s", got)
			}
			replyAsGuest(t, ctx, "Now it beeps too.")
			run(t, ctx, "close as the guest",
				chromedp.Click(chromedp.CSS(`form[action="/requests/ticket/close"] button`)),
				chromedp.WaitVisible(chromedp.CSS(`form[action="/requests/ticket/rate"]`)),
			)

			// C4: the welcome link confirms the address and leads to onboarding.
			a.openLink(t, ctx, welcome)
			a.onboard(t, ctx, "gus-password-1", "Gus", "Europe/Paris")
			if p := a.mustState(t, "gus@example.com", frontdesk.StateActive); !p.Emails[0].Verified {
				t.Fatal("the welcome link did not confirm the address")
			}
			a.logIn(t, ctx, "gus@example.com", "gus-password-1")
			run(t, ctx, "the ticket in the help center",
				chromedp.Navigate(a.URL+"/tickets"),
				chromedp.WaitVisible(chromedp.CSS(`main[data-page="my_tickets"]`)),
			)
			if got := mainText(t, ctx); !strings.Contains(got, "Printer on fire") {
				t.Fatalf("the ticket is not in the help center: %s", got)
			}
			// A signed-in contact's request is theirs: no contact fields, a link to the ticket.
			run(t, ctx, "a signed-in request",
				chromedp.Navigate(a.URL+"/requests/new"),
				chromedp.WaitVisible(chromedp.CSS(`#request-form`)),
			)
			if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#request-form #email, #request-form #name').length`)); n != 0 {
				t.Fatal("a signed-in person is asked for contact details")
			}
			run(t, ctx, "send it",
				chromedp.SendKeys(chromedp.CSS("#subject"), "Toner too"),
				chromedp.SendKeys(chromedp.CSS("#body"), "And some toner please."),
				chromedp.Click(chromedp.CSS(`#request-form button[type=submit]`)),
				chromedp.WaitVisible(chromedp.CSS(`main[data-page="request_sent"] a[href^="/tickets/"]`)),
				chromedp.Click(chromedp.CSS(`main[data-page="request_sent"] a[href^="/tickets/"]`)),
				chromedp.WaitVisible(chromedp.CSS(`main[data-page="my_ticket"]`)),
			)
			if _, tickets := a.ticketsOf(t, "gus@example.com"); len(tickets) != 2 {
				t.Fatalf("the signed-in request is not the contact's: %d tickets", len(tickets))
			}
		})
	}
}

// C5, X5: with guest_requests confirm, the form creates nothing; the mail's link shows the
// request and a button (its GET changes nothing); the click makes contact and ticket
// together, confirms the address, offers onboarding and opens the ticket to the guest.
func TestGuestRequestConfirmInBrowser_C5_X5(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			a := newIntakeApp(t, engine)
			ctx := browser(t)
			confirm := frontdesk.GuestRequestsConfirm
			a.mustSettings(t, frontdesk.SettingsInput{GuestRequests: &confirm})
			if got := a.sendRequestForm(t, ctx, "Cleo Careful", "cleo@example.com", "Lost my badge", "Badge 42 is gone."); got != "pending_confirmation" {
				t.Fatalf("outcome %q, want pending_confirmation", got)
			}
			if got := mainText(t, ctx); !strings.Contains(got, "confirm your request") {
				t.Fatalf("the guest is not told to check their mail: %s", got)
			}
			nothing := func(when string) {
				t.Helper()
				if p, _ := a.ticketsOf(t, "cleo@example.com"); p != nil || len(a.allTickets(t)) != 0 {
					t.Fatalf("%s: something was created before the confirmation", when)
				}
			}
			nothing("after the form")
			_, text := a.mailTo(t, "cleo@example.com", 1)
			link := linkIn(t, text, "/requests/confirm")
			run(t, ctx, "open the confirmation link",
				chromedp.Navigate(link),
				chromedp.WaitVisible(chromedp.CSS(`main[data-page="link"] form[action="/requests/confirm"] button`)),
			)
			if got := mainText(t, ctx); !strings.Contains(got, "Lost my badge") {
				t.Fatalf("the confirmation page does not show the request: %s", got)
			}
			nothing("after the GET")
			run(t, ctx, "confirm",
				chromedp.Click(chromedp.CSS(`main[data-page="link"] form button`)),
				chromedp.WaitVisible(chromedp.CSS(`main[data-page="request_confirmed"]`)),
			)
			p, tickets := a.ticketsOf(t, "cleo@example.com")
			if p == nil || len(tickets) != 1 || p.State != frontdesk.StateActive || !p.Emails[0].Verified {
				t.Fatalf("confirming did not make an active, confirmed contact and the ticket: %+v %+v", p, tickets)
			}
			if got := mainText(t, ctx); !strings.Contains(got, fmt.Sprintf("Your request #%d is open", tickets[0].ID)) {
				t.Fatalf("confirmed page: %s", got)
			}
			onboarding := attr(t, ctx, "#set-up-account", "href")
			if !strings.HasPrefix(onboarding, "/onboarding?token=") {
				t.Fatalf("onboarding is not offered: %q", onboarding)
			}
			run(t, ctx, "open the request",
				chromedp.Click(chromedp.CSS("#open-request")),
				chromedp.WaitVisible(chromedp.CSS(`main[data-page="my_ticket"]`)),
			)
			replyAsGuest(t, ctx, "Found a spare, but still.")
			// The link works once.
			c := a.client(t)
			if res := c.post("/requests/confirm", url.Values{"token": {tokenOf(t, link)}}); res.Status != http.StatusUnprocessableEntity || strings.Contains(res.Body, "request_confirmed") {
				t.Fatalf("a used confirmation link: %d", res.Status)
			}
			// The mail that follows opens the ticket and asks for no welcome: the address is confirmed.
			_, text = a.mailTo(t, "cleo@example.com", 2)
			linkIn(t, text, "/requests/access")
			if strings.Contains(text, "/welcome?token=") {
				t.Fatalf("a confirmed guest got a welcome link:\n%s", text)
			}
			run(t, ctx, "onboarding", chromedp.Navigate(a.URL+onboarding))
			a.onboard(t, ctx, "cleo-password-1", "Cleo", "Europe/Berlin")
			a.logIn(t, ctx, "cleo@example.com", "cleo-password-1")
			run(t, ctx, "the ticket in the help center",
				chromedp.Navigate(a.URL+"/tickets"),
				chromedp.WaitVisible(chromedp.CSS(`main[data-page="my_tickets"]`)),
			)
			if got := mainText(t, ctx); !strings.Contains(got, "Lost my badge") {
				t.Fatalf("the ticket is not in the help center: %s", got)
			}
		})
	}
}

// hostPage serves a page of another origin that hosts the embed snippet of a.
func hostPage(t *testing.T, a *app) *httptest.Server {
	t.Helper()
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Acme shop: contact</title></head>
<body><main><h1>Contact us</h1>
%s
</main></body></html>`, web.EmbedSnippet(a.URL))
	}))
	t.Cleanup(hs.Close)
	return hs
}

// C6: the embed snippet on a page of another origin sends requests through the browser when
// that origin is in embed_origins, shows field errors beside the host page's fields
// accessibly, and is blocked by the browser (no ticket) from an origin not in the list.
func TestEmbedFormOnAnotherOrigin_C6(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			a := newIntakeApp(t, engine)
			ctx := browser(t)
			allowed, other := hostPage(t, a), hostPage(t, a)
			if allowed.URL == a.URL || other.URL == allowed.URL {
				t.Fatal("the host pages must be other origins")
			}
			a.mustSettings(t, frontdesk.SettingsInput{EmbedOrigins: &[]string{allowed.URL}})
			fill := func(host, name, email, subject string, files ...string) {
				t.Helper()
				steps := []chromedp.Action[chromedp.Void]{
					chromedp.Navigate(host),
					chromedp.WaitVisible(chromedp.CSS("form[data-frontdesk-form]")),
					chromedp.SendKeys(chromedp.CSS("#fd-name"), name),
					chromedp.SendKeys(chromedp.CSS("#fd-email"), email),
					chromedp.SendKeys(chromedp.CSS("#fd-subject"), subject),
					chromedp.SendKeys(chromedp.CSS("#fd-body"), "Sent from the shop's contact page."),
				}
				if len(files) > 0 {
					steps = append(steps, chromedp.SetUploadFiles(chromedp.CSS("#fd-files"), files))
				}
				run(t, ctx, "fill the embedded form on "+host, append(steps, chromedp.Click(chromedp.CSS("form[data-frontdesk-form] button")))...)
			}
			// T2: the embed form's files travel with the request.
			receipt := filepath.Join(t.TempDir(), "receipt.txt")
			if err := os.WriteFile(receipt, []byte("order 77, paid"), 0o644); err != nil {
				t.Fatal(err)
			}
			fill(allowed.URL, "Emma Embed", "emma@example.com", "Order 77 is late", receipt)
			run(t, ctx, "the answer", chromedp.WaitVisible(chromedp.CSS(`form[data-frontdesk-state="created"]`)))
			status, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`form [role="status"]`)))
			if !strings.Contains(status, "your request is received") {
				t.Fatalf("status message: %q", status)
			}
			p, tickets := a.ticketsOf(t, "emma@example.com")
			if p == nil || len(tickets) != 1 || tickets[0].Subject != "Order 77 is late" {
				t.Fatalf("the embedded form made no ticket: %+v %+v", p, tickets)
			}
			if files, err := a.DB.TicketAttachments(intakeSys, tickets[0].ID); err != nil || len(files) != 1 {
				t.Fatalf("the embedded form's file: %v %v", files, err)
			} else {
				for _, l := range files {
					if l[0].Filename != "receipt.txt" || l[0].Size != int64(len("order 77, paid")) {
						t.Errorf("the embedded form's file: %+v", l[0])
					}
				}
			}

			// Field errors beside the host page's fields, announced.
			fill(allowed.URL, "Emma Embed", "not an address", "Again")
			run(t, ctx, "the field error", chromedp.WaitVisible(chromedp.CSS(`.frontdesk-error[data-field="email"]`)))
			if got := attr(t, ctx, "#fd-email", "aria-invalid"); got != "true" {
				t.Fatalf("the email field is not marked invalid: %q", got)
			}
			if got := attr(t, ctx, "#fd-email", "aria-describedby"); got != "fd-email-error" {
				t.Fatalf("the email field is not described by its error: %q", got)
			}
			alert, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`form [role="alert"]`)))
			if !strings.Contains(alert, "correct the fields") {
				t.Fatalf("alert: %q", alert)
			}
			if axe := axeSourceIfAny(); axe != "" {
				checkA11y(t, ctx, axe, "host page with field errors")
			}

			// An origin that is not listed: the browser refuses to send, nothing is made.
			fill(other.URL, "Olga Other", "olga@example.com", "From elsewhere")
			run(t, ctx, "the refusal", chromedp.WaitVisible(chromedp.CSS(`form[data-frontdesk-state="failed"]`)))
			alert, _ = chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`form [role="alert"]`)))
			if !strings.Contains(alert, "could not be sent") {
				t.Fatalf("alert: %q", alert)
			}
			if p, _ := a.ticketsOf(t, "olga@example.com"); p != nil {
				t.Fatal("a request from an origin not in embed_origins made a person")
			}
		})
	}
}

// axeSourceIfAny is axe-core when installed, else "".
func axeSourceIfAny() string {
	b, err := os.ReadFile("testdata/axe/node_modules/axe-core/axe.min.js")
	if err != nil {
		return ""
	}
	return string(b)
}

// C6: embed.js is served to any page as JavaScript, cacheable, and revalidates by ETag.
func TestEmbedScriptServed_C6(t *testing.T) {
	a := newApp(t, storetest.Engines()[0])
	c := a.client(t)
	res := c.get("/embed.js")
	if res.Status != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/javascript") ||
		!strings.Contains(res.Header.Get("Cache-Control"), "max-age") || !strings.Contains(res.Body, "/api/v1/requests") {
		t.Fatalf("embed.js: %d %v", res.Status, res.Header)
	}
	req, _ := http.NewRequest("GET", a.URL+"/embed.js", nil)
	req.Header.Set("If-None-Match", res.Header.Get("ETag"))
	if again := c.do(req); again.Status != http.StatusNotModified {
		t.Fatalf("revalidation: %d", again.Status)
	}
}

var requestLinkForm = regexp.MustCompile(`<form method="post" action="(/[a-z/]+)">\s*<input type="hidden" name="token" value="([^"]*)">`)

// followRequestLink opens a link of the intake's mail as a person does: the GET shows a
// button, the POST acts.
func (c *client) followRequestLink(link string) page {
	c.t.Helper()
	g := c.get(strings.TrimPrefix(link, c.a.URL))
	m := requestLinkForm.FindStringSubmatch(g.Body)
	if g.Status != http.StatusOK || m == nil {
		c.t.Fatalf("no button on %s: %d %s", link, g.Status, g.Body)
	}
	return c.post(m[1], url.Values{"token": {html.UnescapeString(m[2])}})
}

// C6: the help center's form refuses a filled honeypot with nothing created, shows field
// errors beside the fields with the values kept, and refuses a post from another site.
func TestRequestFormBadInput_C6(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			a := newIntakeApp(t, engine)
			c := a.client(t)
			form := url.Values{"name": {"Robby Robot"}, "email": {"robot@example.com"}, "subject": {"Cheap pills"}, "body": {"Buy now"}, "website": {"http://spam.example"}}
			res := c.post("/requests/new", form)
			if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "people leave empty") {
				t.Fatalf("honeypot: %d", res.Status)
			}
			if p, _ := a.ticketsOf(t, "robot@example.com"); p != nil || len(a.allTickets(t)) != 0 {
				t.Fatal("a filled honeypot created something")
			}
			res = c.post("/requests/new", url.Values{"name": {"Kept Name"}, "email": {"nope"}, "subject": {""}, "body": {""}})
			for _, want := range []string{`id="email-error"`, `id="subject-error"`, `id="body-error"`, `value="Kept Name"`, `value="nope"`} {
				if !strings.Contains(res.Body, want) {
					t.Errorf("bad input page lacks %s", want)
				}
			}
			// An oversize form is refused with 413 and a clear message.
			res = c.post("/requests/new", url.Values{"name": {"Big"}, "email": {"big@example.com"}, "subject": {"Big"}, "body": {strings.Repeat("x", 300<<10)}})
			if res.Status != http.StatusRequestEntityTooLarge || !strings.Contains(res.Body, "shorten the message") {
				t.Fatalf("an oversize form: %d", res.Status)
			}
			if p, _ := a.ticketsOf(t, "big@example.com"); p != nil {
				t.Fatal("an oversize form created a person")
			}
			// A message over the length limit is a field error.
			res = c.post("/requests/new", url.Values{"name": {"Long"}, "email": {"long@example.com"}, "subject": {"Long"}, "body": {strings.Repeat("y", frontdesk.MaxMessageBodyLen+1)}})
			if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Body, `id="body-error"`) {
				t.Fatalf("an overlong message: %d", res.Status)
			}
			// A form posted from another site is refused before it reaches the intake.
			req, _ := http.NewRequest("POST", a.URL+"/requests/new", strings.NewReader(url.Values{"name": {"X"}, "email": {"x@example.com"},
				"subject": {"x"}, "body": {"x"}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Sec-Fetch-Site", "cross-site")
			req.Header.Set("Origin", "https://evil.example")
			if res := c.do(req); res.Status != http.StatusForbidden {
				t.Fatalf("a cross-site post: %d", res.Status)
			}
			if p, _ := a.ticketsOf(t, "x@example.com"); p != nil {
				t.Fatal("a cross-site post created a person")
			}
		})
	}
}

// X5: a guest's link opens that one ticket and nothing else; staff revoke it from the ticket
// page, after which neither the link nor the browser that kept it opens anything.
func TestGuestLinkRevoked_X5(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			a := newIntakeApp(t, engine)
			guest := a.client(t)
			if res := guest.post("/requests/new", url.Values{"name": {"Val Visitor"}, "email": {"val@example.com"},
				"subject": {"Broken lock"}, "body": {"Door 3 does not lock."}}); res.Status != http.StatusOK || !strings.Contains(res.Body, `data-status="created"`) {
				t.Fatalf("request: %d", res.Status)
			}
			// Someone else's ticket, which the link must not open.
			if res := a.client(t).post("/requests/new", url.Values{"name": {"Other"}, "email": {"other@example.com"},
				"subject": {"Other secret"}, "body": {"Not for Val."}}); res.Status != http.StatusOK {
				t.Fatalf("other request: %d", res.Status)
			}
			_, mine := a.ticketsOf(t, "val@example.com")
			_, theirs := a.ticketsOf(t, "other@example.com")
			_, text := a.mailTo(t, "val@example.com", 1)
			access := linkIn(t, text, "/requests/access")
			res := guest.followRequestLink(access)
			if res.Status != http.StatusSeeOther || res.Location != "/requests/ticket" {
				t.Fatalf("access: %d %s", res.Status, res.Location)
			}
			var cookie *http.Cookie
			for _, ck := range res.Header.Values("Set-Cookie") {
				if strings.HasPrefix(ck, web.GuestTicketCookie+"=") {
					cookie, _ = http.ParseSetCookie(ck)
				}
			}
			if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode || cookie.Path != "/requests" {
				t.Fatalf("guest cookie: %+v", cookie)
			}
			res = guest.get("/requests/ticket")
			if res.Status != http.StatusOK || !strings.Contains(res.Body, "Door 3 does not lock.") {
				t.Fatalf("guest ticket: %d", res.Status)
			}
			// Nothing else: not the help center's list, not another ticket.
			if res := guest.get("/tickets"); res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Location, "/login") {
				t.Fatalf("the guest reached the ticket list: %d %s", res.Status, res.Location)
			}
			if res := guest.get(fmt.Sprintf("/tickets/%d", theirs[0].ID)); strings.Contains(res.Body, "Not for Val.") {
				t.Fatal("the guest saw another ticket")
			}
			// A reply from another site is refused (CSRF); the guest's own reply works.
			req, _ := http.NewRequest("POST", a.URL+"/requests/ticket/reply", strings.NewReader("body=forged"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Sec-Fetch-Site", "cross-site")
			if res := guest.do(req); res.Status != http.StatusForbidden {
				t.Fatalf("a cross-site reply: %d", res.Status)
			}
			if res := guest.post("/requests/ticket/reply", url.Values{"body": {"Still broken."}}); res.Status != http.StatusSeeOther {
				t.Fatalf("reply: %d %s", res.Status, res.Body)
			}
			thread, err := a.DB.TicketMessages(intakeSys, mine[0].ID, false)
			if err != nil || len(thread) != 2 || thread[1].Body != "Still broken." {
				t.Fatalf("thread: %v %+v", err, thread)
			}

			// Staff revoke the links from the ticket page.
			staff := a.client(t)
			staff.mustLogIn("owner@example.com", "owner-password-1")
			if res := staff.get(fmt.Sprintf("/console/tickets/%d", mine[0].ID)); !strings.Contains(res.Body, "/revoke-links") {
				t.Fatal("the ticket page has no revoke button")
			}
			if res := staff.post(fmt.Sprintf("/console/tickets/%d/revoke-links", mine[0].ID), nil); res.Status != http.StatusOK || !strings.Contains(res.Body, "revoked") {
				t.Fatalf("revoke: %d %s", res.Status, res.Body)
			}
			for _, path := range []string{"/requests/ticket", "/requests/access?token=" + url.QueryEscape(tokenOf(t, access))} {
				res := guest.get(path)
				if res.Status == http.StatusOK || strings.Contains(res.Body, "Door 3") || !strings.Contains(res.Body, "does not open a request") {
					t.Fatalf("%s after revoking: %d %s", path, res.Status, res.Body)
				}
			}
			if res := guest.post("/requests/ticket/reply", url.Values{"body": {"After revoke."}}); res.Status == http.StatusSeeOther {
				t.Fatal("a revoked link still replies")
			}
			if thread, _ := a.DB.TicketMessages(intakeSys, mine[0].ID, false); len(thread) != 2 {
				t.Fatal("a revoked link added a reply")
			}
			// A made-up cookie opens nothing either.
			forged := a.client(t)
			u, _ := url.Parse(a.URL + "/requests/")
			forged.http.Jar.SetCookies(u, []*http.Cookie{{Name: web.GuestTicketCookie, Value: "made-up", Path: "/requests"}})
			if res := forged.get("/requests/ticket"); res.Status == http.StatusOK {
				t.Fatal("a made-up link opened a ticket")
			}
		})
	}
}

// X4: with a closed intake policy, the form's request waits for review; staff see it in
// the console's queue and release it (a ticket) or discard it (nothing).
func TestReviewQueueInBrowser_X4(t *testing.T) {
	a := newIntakeApp(t, storetest.Engines()[len(storetest.Engines())-1])
	ctx := browser(t)
	closed := frontdesk.IntakeClosed
	a.mustSettings(t, frontdesk.SettingsInput{IntakePolicy: &closed})
	for _, who := range []string{"rex", "dora"} {
		if got := a.sendRequestForm(t, ctx, who, who+"@example.com", "Help "+who, "Please help."); got != "in_review" {
			t.Fatalf("outcome %q, want in_review", got)
		}
	}
	if len(a.allTickets(t)) != 0 {
		t.Fatal("a held request became a ticket")
	}
	a.logIn(t, ctx, "owner@example.com", "owner-password-1")
	run(t, ctx, "open the review queue",
		chromedp.Click(chromedp.CSS(`nav a[href="/console/review"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#review`)),
	)
	if got := mainText(t, ctx); !strings.Contains(got, "rex@example.com") || !strings.Contains(got, "Help dora") || !strings.Contains(got, "reviewed") {
		t.Fatalf("review queue: %s", got)
	}
	run(t, ctx, "release rex",
		chromedp.Click(chromedp.CSS(`#review li:first-child form[action$="/release"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`main .notice`)),
	)
	if _, tickets := a.ticketsOf(t, "rex@example.com"); len(tickets) != 1 {
		t.Fatalf("released request: %d tickets", len(tickets))
	}
	run(t, ctx, "discard dora",
		chromedp.Click(chromedp.CSS(`form[action$="/discard"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`#review-empty`)),
	)
	if p, _ := a.ticketsOf(t, "dora@example.com"); p != nil {
		t.Fatal("a discarded request made a person")
	}
}

// C4, C5, C9, X4, X5: every page of the intake passes axe-core, with its errors shown where
// a form has them: the request form (with a type's custom fields, a type for signed-in
// people, an unknown type, refused input), what the guest is told, the confirmation and
// access links (live and dead), the guest's ticket, the review queue, the settings page with
// its snippet, and the console ticket page's revoke button. With FRONTDESK_TEST_SCREENSHOTS
// naming a folder, each page is saved there at phone and desktop width.
func TestIntakePagesPassAxe_C4_C5_C9_X4_X5(t *testing.T) {
	axe := axeSource(t)
	a := newIntakeApp(t, storetest.Engines()[len(storetest.Engines())-1])
	ctx := browser(t)
	for _, f := range []*frontdesk.CustomField{
		{Key: "plan", Label: "Your plan", Type: frontdesk.FieldDropdown, Options: []string{"free", "pro"}},
		{Key: "seats", Label: "Seats", Type: frontdesk.FieldNumber, Options: []string{}},
		{Key: "vip", Label: "VIP customer", Type: frontdesk.FieldCheckbox, Options: []string{}},
	} {
		if err := a.DB.CreateCustomField(intakeSys, f); err != nil {
			t.Fatal(err)
		}
	}
	fields, err := a.DB.CustomFieldMap(intakeSys)
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range []frontdesk.TicketTypeInput{
		{Key: ptr("billing"), Name: ptr("Billing question"), PersonFields: &[]string{"plan", "seats", "vip"}},
		{Key: ptr("internal"), Name: ptr("Account change"), HideContactFields: ptr(true)},
	} {
		if _, err := a.DB.SaveTicketType(intakeSys, 0, func(tt *frontdesk.TicketType) error { return frontdesk.ApplyTicketType(tt, in, fields) }); err != nil {
			t.Fatal(err)
		}
	}
	shots := os.Getenv("FRONTDESK_TEST_SCREENSHOTS")
	check := func(name string) {
		t.Helper()
		checkA11y(t, ctx, axe, name)
		if shots == "" {
			return
		}
		for _, width := range []int64{400, 1280} {
			run(t, ctx, "resize", chromedp.EmulateViewport(width, 900))
			buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(fmt.Sprintf("%s/intake-%s-%d.png", shots, name, width), buf, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	visit := func(name, path string, extra ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		run(t, ctx, "open "+path, append([]chromedp.Action[chromedp.Void]{chromedp.Navigate(a.URL + path), chromedp.WaitVisible(chromedp.CSS("main"))}, extra...)...)
		check(name)
	}
	visit("form", "/requests/new")
	visit("form-type", "/requests/new?type=billing")
	visit("form-signed-in-type", "/requests/new?type=internal", chromedp.WaitVisible(chromedp.CSS("#sign-in-first")))
	visit("form-unknown-type", "/requests/new?type=nope", chromedp.WaitVisible(chromedp.CSS("#type-error")))
	visit("form-errors", "/requests/new?type=billing",
		chromedp.SendKeys(chromedp.CSS("#email"), "not an address"),
		chromedp.SendKeys(chromedp.CSS(`[id="custom.seats"]`), "many"),
		chromedp.Click(chromedp.CSS(`#request-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#subject-error")),
	)
	if got := mainText(t, ctx); !strings.Contains(got, "Billing question") {
		t.Fatalf("the refused form lost its type: %s", got)
	}
	a.sendRequestForm(t, ctx, "Ada Axe", "ada@example.com", "Axe check", "Checking the pages.")
	check("sent-created")

	confirm := frontdesk.GuestRequestsConfirm
	a.mustSettings(t, frontdesk.SettingsInput{GuestRequests: &confirm})
	a.sendRequestForm(t, ctx, "Bea Axe", "bea@example.com", "Confirm check", "Checking the confirm pages.")
	check("sent-confirm")
	_, text := a.mailTo(t, "bea@example.com", 1)
	link := linkIn(t, text, "/requests/confirm")
	visit("confirm-dead", "/requests/confirm?token=dead")
	visit("confirm", strings.TrimPrefix(link, a.URL))
	run(t, ctx, "confirm", chromedp.Click(chromedp.CSS(`main[data-page="link"] form button`)), chromedp.WaitVisible(chromedp.CSS("#open-request")))
	check("confirmed")
	run(t, ctx, "open the request", chromedp.Click(chromedp.CSS("#open-request")), chromedp.WaitVisible(chromedp.CSS(`main[data-page="my_ticket"]`)))
	check("guest-ticket")
	run(t, ctx, "reply with nothing", chromedp.Click(chromedp.CSS(`form[action="/requests/ticket/reply"] button`)), chromedp.WaitVisible(chromedp.CSS("#body-error")))
	check("guest-ticket-error")
	run(t, ctx, "close", chromedp.Navigate(a.URL+"/requests/ticket"), chromedp.Click(chromedp.CSS(`form[action="/requests/ticket/close"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/requests/ticket/rate"]`)))
	check("guest-ticket-closed")
	run(t, ctx, "rate", chromedp.Click(chromedp.CSS(`form[action="/requests/ticket/rate"] button`)), chromedp.WaitVisible(chromedp.CSS("#ticket-rating")))
	_, text = a.mailTo(t, "bea@example.com", 2)
	access := linkIn(t, text, "/requests/access")
	visit("access", strings.TrimPrefix(access, a.URL))
	visit("access-dead", "/requests/access?token=dead")
	_, beaTickets := a.ticketsOf(t, "bea@example.com")

	closed := frontdesk.IntakeClosed
	a.mustSettings(t, frontdesk.SettingsInput{IntakePolicy: &closed, GuestRequests: ptr(frontdesk.GuestRequestsOpen)})
	a.sendRequestForm(t, ctx, "Cy Axe", "cy@example.com", "Review check", "Checking the review queue.")
	check("sent-review")

	a.logIn(t, ctx, "owner@example.com", "owner-password-1")
	visit("review", "/console/review", chromedp.WaitVisible(chromedp.CSS("#review")))
	visit("settings", "/console/settings")
	visit("settings-errors", "/console/settings",
		chromedp.SetValue(chromedp.CSS("#guest_request_hours"), "soon"),
		chromedp.SetValue(chromedp.CSS("#embed_origins"), "not an origin"),
		chromedp.SetValue(chromedp.CSS("#blocked_domains"), "no_domain!"),
		chromedp.Click(chromedp.CSS(`#settings-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#embed_origins-error")),
	)
	for _, id := range []string{"#guest_request_hours-error", "#blocked_domains-error"} {
		if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('`+id+`').length`)); n != 1 {
			t.Errorf("settings errors: %s is not shown with the others", id)
		}
	}
	visit("ticket-types", "/console/ticket-types")
	visit("ticket-type-errors", "/console/ticket-types",
		chromedp.SendKeys(chromedp.CSS("#name"), "Billing again"),
		chromedp.SendKeys(chromedp.CSS("#key"), "billing"),
		chromedp.Click(chromedp.CSS(`#ticket-type-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#key-error")),
	)
	run(t, ctx, "edit a type", chromedp.Click(chromedp.CSS(`#ticket-types li[data-type="billing"] a`)), chromedp.WaitVisible(chromedp.CSS(`#pf-plan:checked`)))
	check("ticket-type-edit")
	visit("console-ticket", fmt.Sprintf("/console/tickets/%d", beaTickets[0].ID))
	run(t, ctx, "revoke", chromedp.Click(chromedp.CSS(`form[action$="/revoke-links"] button`)), chromedp.WaitVisible(chromedp.CSS(`main[data-page="message"]`)))
	check("revoked")
	run(t, ctx, "release", chromedp.Navigate(a.URL+"/console/review"), chromedp.Click(chromedp.CSS(`form[action$="/release"] button`)),
		chromedp.WaitVisible(chromedp.CSS("#review-empty")))
	check("review-empty")
}

// C9: staff make a request type in the console that asks for custom fields of the person;
// the help center's form for that type asks for them, and the contact the request creates
// holds the values. A type that hides the contact fields is for signed-in people only.
func TestRequestTypesInConsoleAndForm_C9(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			a := newIntakeApp(t, engine)
			if err := a.DB.CreateCustomField(intakeSys, &frontdesk.CustomField{Key: "plan", Label: "Your plan", Type: frontdesk.FieldDropdown, Options: []string{"free", "pro"}}); err != nil {
				t.Fatal(err)
			}
			staff := a.client(t)
			staff.mustLogIn("owner@example.com", "owner-password-1")
			if res := staff.post("/console/ticket-types", url.Values{"name": {"Billing"}, "key": {"Bad Key"}, "person_fields": {"plan", "nope"}}); res.Status != http.StatusUnprocessableEntity ||
				!strings.Contains(res.Body, `id="key-error"`) || !strings.Contains(res.Body, `id="person_fields-error"`) {
				t.Fatalf("a bad type: %d", res.Status)
			}
			if res := staff.post("/console/ticket-types", url.Values{"name": {"Billing"}, "key": {"billing"}, "person_fields": {"plan"}}); res.Status != http.StatusSeeOther {
				t.Fatalf("create a type: %d %s", res.Status, res.Body)
			}
			if res := staff.post("/console/ticket-types", url.Values{"name": {"Staff only"}, "key": {"internal"}, "hide_contact_fields": {"true"}}); res.Status != http.StatusSeeOther {
				t.Fatalf("create a type: %d", res.Status)
			}
			typ, err := a.DB.TicketTypeByKey(intakeSys, "billing")
			if err != nil || len(typ.PersonFields) != 1 {
				t.Fatalf("saved type: %v %+v", err, typ)
			}
			if res := staff.post(fmt.Sprintf("/console/ticket-types/%d", typ.ID), url.Values{"name": {"Billing questions"}, "key": {"billing"}, "person_fields": {"plan"}}); res.Status != http.StatusSeeOther {
				t.Fatalf("change a type: %d", res.Status)
			}
			// A contact may not manage request types.
			contact := a.client(t)
			a.mustPersonWithPassword(t, intakeSys, frontdesk.RoleContact, "carl@example.com", "carl-password-1")
			contact.mustLogIn("carl@example.com", "carl-password-1")
			if res := contact.post("/console/ticket-types", url.Values{"name": {"Mine"}, "key": {"mine"}}); res.Status != http.StatusForbidden {
				t.Fatalf("a contact made a type: %d", res.Status)
			}

			guest := a.client(t)
			if res := guest.get("/requests/new?type=billing"); !strings.Contains(res.Body, `name="custom.plan"`) || !strings.Contains(res.Body, "Billing questions") {
				t.Fatal("the type's form does not ask for its custom field")
			}
			if res := guest.get("/requests/new?type=internal"); strings.Contains(res.Body, `id="email"`) || !strings.Contains(res.Body, `id="sign-in-first"`) {
				t.Fatal("a type that hides the contact fields shows them to a guest")
			}
			if res := guest.post("/requests/new", url.Values{"type": {"billing"}, "name": {"Pia Pro"}, "email": {"pia@example.com"}, "custom.plan": {"pro"},
				"subject": {"Invoice"}, "body": {"Where is my invoice?"}}); !strings.Contains(res.Body, `data-status="created"`) {
				t.Fatalf("typed request: %d %s", res.Status, res.Body)
			}
			p, tickets := a.ticketsOf(t, "pia@example.com")
			if p == nil || p.Custom["plan"] != "pro" || len(tickets) != 1 || tickets[0].Type != "billing" {
				t.Fatalf("the contact does not hold the form's custom value: %+v %+v", p, tickets)
			}
		})
	}
}
