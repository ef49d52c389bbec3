package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"frontdesk"
	"frontdesk/auth"
	"frontdesk/store/storetest"
)

// I2, L3 in a real browser: a staff member makes an API token on their page and sees its
// secret once, the API takes it, the page revokes it and the API refuses it from then on;
// an admin sees it in everyone's list.
func TestAPITokensInBrowser_I2_L3(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) { tokensInBrowser(t, newApp(t, engine)) })
	}
}

// apiStatus calls the API with a bearer token and returns the status.
func (a *app) apiStatus(t *testing.T, secret string) int {
	t.Helper()
	req, err := http.NewRequest("GET", a.URL+"/api/v1/tokens", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+secret)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// screenshot saves the page when FRONTDESK_TEST_SCREENSHOTS names a folder, to look at.
func screenshot(t *testing.T, ctx context.Context, name string) {
	dir := os.Getenv("FRONTDESK_TEST_SCREENSHOTS")
	if dir == "" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

func tokensInBrowser(t *testing.T, a *app) {
	ctx := browser(t)
	a.Flows.LoginLimit = auth.NewLimiter(100, time.Second)
	a.mustOwner(t, "owner@example.com", "owner-password-1")
	a.mustPersonWithPassword(t, frontdesk.WithActor(context.Background(), frontdesk.System), frontdesk.RoleAgent, "sam@example.com", "sam-password-1")

	a.logIn(t, ctx, "sam@example.com", "sam-password-1")
	run(t, ctx, "open the tokens page from the navigation",
		chromedp.Click(chromedp.CSS(`nav a[href="/account/tokens"]`)),
		chromedp.WaitVisible(chromedp.CSS("#tokens-empty")),
	)
	run(t, ctx, "ask for a token that expired yesterday",
		chromedp.SendKeys(chromedp.CSS("#name"), "deploy script"),
		chromedp.SetValue(chromedp.CSS("#expires_at"), time.Now().UTC().AddDate(0, 0, -1).Format(time.DateOnly)),
		chromedp.Click(chromedp.CSS(`form[action="/account/tokens"] button`)),
		chromedp.WaitVisible(chromedp.CSS("#expires_at-error")),
	)
	run(t, ctx, "create the token",
		chromedp.SetValue(chromedp.CSS("#expires_at"), "2099-01-31"),
		chromedp.Click(chromedp.CSS(`form[action="/account/tokens"] button`)),
		chromedp.WaitVisible(chromedp.CSS("#new-secret")),
	)
	screenshot(t, ctx, "tokens-created")
	secret, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS("#new-secret")))
	if err != nil || !strings.HasPrefix(secret, "fd_") {
		t.Fatalf("the secret on the page: %q %v", secret, err)
	}
	if got := mainText(t, ctx); !strings.Contains(got, "shown only this once") || !strings.Contains(got, "deploy script") {
		t.Fatalf("the new token's page: %s", got)
	}

	if st := a.apiStatus(t, secret); st != http.StatusOK {
		t.Fatalf("the API with the new token: %d", st)
	}

	// Shown once: the page shows the token again, used now, but never its secret.
	run(t, ctx, "reload the tokens page",
		chromedp.Navigate(a.URL+"/account/tokens"),
		chromedp.WaitVisible(chromedp.CSS("#tokens")),
	)
	screenshot(t, ctx, "tokens-list")
	html, err := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("html")))
	if err != nil {
		t.Fatal(err)
	}
	row, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#tokens tbody tr")))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(html, secret) || !strings.Contains(row, "deploy script") || !strings.Contains(row, "2099-01-31 00:00") ||
		!strings.Contains(row, "active") || strings.Count(row, "never") != 0 {
		t.Fatalf("the token's row (expires, last used, state): %q; secret shown again: %v", row, strings.Contains(html, secret))
	}

	run(t, ctx, "revoke the token",
		chromedp.Click(chromedp.CSS(`form[action$="/revoke"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`main[data-page="tokens"] .notice`)),
	)
	if row, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#tokens tbody tr"))); !strings.Contains(row, "revoked") {
		t.Fatalf("after revoking: %q", row)
	}
	if st := a.apiStatus(t, secret); st != http.StatusUnauthorized {
		t.Fatalf("the API with the revoked token: %d", st)
	}
	a.logOut(t, ctx)

	a.logIn(t, ctx, "owner@example.com", "owner-password-1")
	run(t, ctx, "see everyone's tokens",
		chromedp.Navigate(a.URL+"/account/tokens"),
		chromedp.Click(chromedp.CSS(`main a[href="/console/tokens"]`)),
		chromedp.WaitVisible(chromedp.CSS(`main[data-page="tokens"] #tokens`)),
	)
	screenshot(t, ctx, "tokens-everyone")
	if row, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#tokens tbody tr"))); !strings.Contains(row, "Person agent") || !strings.Contains(row, "revoked") {
		t.Fatalf("everyone's tokens: %q", row)
	}
}

// I2, R3: the pages apply the one rule of whose tokens a staff member may revoke: an admin
// revokes an agent's, never another admin's or the owner's, and is offered no button for
// them; an agent revokes only their own.
func TestTokenPagesRespectRank_I2_R3(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			a := newApp(t, engine)
			a.Flows.LoginLimit = auth.NewLimiter(100, time.Second)
			ctx := frontdesk.WithActor(context.Background(), frontdesk.System)
			owner := a.mustOwner(t, "owner@example.com", "owner-password-1")
			a.mustPersonWithPassword(t, ctx, frontdesk.RoleAdmin, "admin@example.com", "admin-password-1")
			admin2 := a.mustPersonWithPassword(t, ctx, frontdesk.RoleAdmin, "admin2@example.com", "admin2-password-1")
			agent := a.mustPersonWithPassword(t, ctx, frontdesk.RoleAgent, "agent@example.com", "agent-password-1")
			issue := func(personID int64) (string, string) {
				t.Helper()
				tok, secret, err := a.DB.IssueAPIToken(ctx, personID, frontdesk.APITokenInput{Name: "script"})
				if err != nil {
					t.Fatal(err)
				}
				return fmt.Sprint(tok.ID), secret
			}
			ownerTok, ownerSecret := issue(owner.ID)
			admin2Tok, _ := issue(admin2.ID)
			agentTok, agentSecret := issue(agent.ID)

			c := a.client(t)
			c.mustLogIn("admin@example.com", "admin-password-1")
			list := c.get("/console/tokens")
			form := func(id string) string { return `action="/console/tokens/` + id + `/revoke"` }
			if list.Status != http.StatusOK || !strings.Contains(list.Body, form(agentTok)) ||
				strings.Contains(list.Body, form(ownerTok)) || strings.Contains(list.Body, form(admin2Tok)) {
				t.Fatalf("an admin's list offers the wrong revokes: %d %s", list.Status, list.Body)
			}
			if p := c.post("/console/tokens/"+ownerTok+"/revoke", url.Values{}); p.Status != http.StatusForbidden {
				t.Fatalf("an admin revokes the owner's token: %d", p.Status)
			}
			if st := a.apiStatus(t, ownerSecret); st != http.StatusOK {
				t.Fatalf("the owner's token after a refused revoke: %d", st)
			}
			if p := c.post("/console/tokens/"+agentTok+"/revoke", url.Values{}); p.Status != http.StatusSeeOther || p.Location != "/console/tokens?done=revoked" {
				t.Fatalf("an admin revokes an agent's token: %d %s", p.Status, p.Location)
			}
			if st := a.apiStatus(t, agentSecret); st != http.StatusUnauthorized {
				t.Fatalf("the revoked agent's token: %d", st)
			}

			c = a.client(t)
			c.mustLogIn("agent@example.com", "agent-password-1")
			if p := c.post("/account/tokens/"+admin2Tok+"/revoke", url.Values{}); p.Status != http.StatusForbidden {
				t.Fatalf("an agent revokes an admin's token: %d", p.Status)
			}
			if p := c.get("/console/tokens"); p.Status != http.StatusForbidden {
				t.Fatalf("an agent sees everyone's tokens: %d", p.Status)
			}
			if p := c.post("/account/tokens", url.Values{"name": {""}, "expires_at": {"someday"}}); p.Status != http.StatusUnprocessableEntity ||
				!strings.Contains(p.Body, `id="name-error"`) || !strings.Contains(p.Body, `id="expires_at-error"`) {
				t.Fatalf("a bad token form: %d %s", p.Status, p.Body)
			}
		})
	}
}
