package store_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"frontdesk"
	"frontdesk/store"
	"frontdesk/store/storetest"
)

// eachWithClock runs fn once per engine on a fresh database whose clock the test moves.
func eachWithClock(t *testing.T, fn func(t *testing.T, db *store.DB, c *clock)) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			c := &clock{now: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
			fn(t, storetest.Open(t, e, func(cfg *store.Config) { cfg.Now = c.Now }), c)
		})
	}
}

func mustIssue(t *testing.T, db *store.DB, personID int64, in frontdesk.APITokenInput) (*frontdesk.APIToken, string) {
	t.Helper()
	tok, secret, err := db.IssueAPIToken(ctx, personID, in)
	if err != nil {
		t.Fatalf("issue token %q: %v", in.Name, err)
	}
	return tok, secret
}

func tokenNames(list []frontdesk.APIToken) []string {
	var out []string
	for _, t := range list {
		out = append(out, t.Name)
	}
	return out
}

// I2, L6: tokens are made with a name and an optional expiry, listed per person or for
// everyone with the person's name, revoked under the caller's rule, and all of it audited.
// Bad input is refused field by field and changes nothing.
func TestAPITokensCreateListRevoke_I2_L6(t *testing.T) {
	eachWithClock(t, func(t *testing.T, db *store.DB, c *clock) {
		ann := mustActiveStaff(t, db, "Ann Agent", "ann@example.com", frontdesk.RoleAgent)
		bob := mustActiveStaff(t, db, "Bob Admin", "bob@example.com", frontdesk.RoleAdmin)

		// Every problem at once, and nothing stored.
		_, _, err := db.IssueAPIToken(ctx, ann.ID, frontdesk.APITokenInput{Name: " ", ExpiresAt: "2026-02-28"})
		e := wantCode(t, err, frontdesk.EInvalid)
		if len(e.Fields) != 2 || e.Fields[0].Field != "name" || e.Fields[1].Field != "expires_at" || !strings.Contains(e.Fields[1].Message, "future") {
			t.Errorf("want name and expires_at refused: %+v", e.Fields)
		}
		_, _, err = db.IssueAPIToken(ctx, ann.ID, frontdesk.APITokenInput{Name: "ci", ExpiresAt: "next tuesday"})
		if e := wantCode(t, err, frontdesk.EInvalid); e.Fields[0].Field != "expires_at" {
			t.Errorf("unreadable expiry: %+v", e.Fields)
		}
		_, _, err = db.IssueAPIToken(ctx, ann.ID, frontdesk.APITokenInput{Name: "now", ExpiresAt: c.Now().Format(time.RFC3339)})
		wantCode(t, err, frontdesk.EInvalid)
		if list, _, _ := db.ListAPITokens(ctx, store.APITokenFilter{}, frontdesk.Page{}); len(list) != 0 {
			t.Fatalf("refused requests stored tokens: %v", tokenNames(list))
		}

		ci, ciSecret := mustIssue(t, db, ann.ID, frontdesk.APITokenInput{Name: "  ci  ", ExpiresAt: "2026-04-01"})
		if ci.Name != "ci" || ci.ExpiresAt == nil || !ci.ExpiresAt.Equal(time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)) ||
			ci.PersonName != "Ann Agent" || !strings.HasPrefix(ciSecret, "fd_") {
			t.Fatalf("issued: %+v %q", ci, ciSecret)
		}
		laptop, _ := mustIssue(t, db, ann.ID, frontdesk.APITokenInput{Name: "laptop", ExpiresAt: "2026-03-01T10:30:00+01:00"})
		if laptop.ExpiresAt == nil || !laptop.ExpiresAt.Equal(time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)) {
			t.Fatalf("an RFC 3339 expiry: %v", laptop.ExpiresAt)
		}
		mustIssue(t, db, bob.ID, frontdesk.APITokenInput{Name: "bob's"})

		own, next, err := db.ListAPITokens(ctx, store.APITokenFilter{PersonID: ann.ID}, frontdesk.Page{})
		if err != nil || next != 0 || !slices.Equal(tokenNames(own), []string{"laptop", "ci"}) {
			t.Fatalf("Ann's tokens, newest first: %v %d %v", tokenNames(own), next, err)
		}
		all, next, err := db.ListAPITokens(ctx, store.APITokenFilter{}, frontdesk.Page{Limit: 2})
		if err != nil || next == 0 || !slices.Equal(tokenNames(all), []string{"bob's", "laptop"}) || all[0].PersonName != "Bob Admin" {
			t.Fatalf("everyone's first page: %v %d %v", tokenNames(all), next, err)
		}
		rest, next, _ := db.ListAPITokens(ctx, store.APITokenFilter{}, frontdesk.Page{Limit: 2, After: next})
		if next != 0 || !slices.Equal(tokenNames(rest), []string{"ci"}) {
			t.Fatalf("everyone's second page: %v %d", tokenNames(rest), next)
		}

		// The caller's rule runs on the stored token; a refusal changes nothing.
		refuse := func(*frontdesk.APIToken) error { return frontdesk.Errorf(frontdesk.EForbidden, "no") }
		allow := func(tok *frontdesk.APIToken) error {
			if tok.PersonRole != frontdesk.RoleAgent || tok.PersonID != ann.ID {
				t.Errorf("the rule saw %+v", tok)
			}
			return nil
		}
		if _, err := db.RevokeAPIToken(ctx, ci.ID, refuse); frontdesk.ErrorCode(err) != frontdesk.EForbidden {
			t.Fatalf("a refused revoke: %v", err)
		}
		if _, err := db.Authenticate(ctx, ciSecret); err != nil {
			t.Fatalf("a refused revoke ended the token: %v", err)
		}
		if _, err := db.RevokeAPIToken(ctx, 999999, allow); frontdesk.ErrorCode(err) != frontdesk.ENotFound {
			t.Fatalf("revoke an unknown token: %v", err)
		}
		c.Add(time.Second)
		revoked, err := db.RevokeAPIToken(ctx, ci.ID, allow)
		if err != nil || revoked.RevokedAt == nil || !revoked.RevokedAt.Equal(c.Now()) || revoked.StateAt(c.Now()) != frontdesk.TokenRevoked {
			t.Fatalf("revoke: %+v %v", revoked, err)
		}
		if _, err := db.Authenticate(ctx, ciSecret); frontdesk.ErrorCode(err) != frontdesk.EUnauthorized {
			t.Fatalf("a revoked token still works: %v", err)
		}
		c.Add(time.Second)
		if again, err := db.RevokeAPIToken(ctx, ci.ID, allow); err != nil || !again.RevokedAt.Equal(*revoked.RevokedAt) {
			t.Fatalf("revoking twice: %+v %v", again, err)
		}
		got := actions(t, db, frontdesk.AuditFilter{SubjectType: "person", SubjectID: ann.ID})
		if want := []string{"api_token.revoke", "api_token.create", "api_token.create"}; !slices.Equal(got[:3], want) {
			t.Errorf("audit of Ann: %v, want %v first", got, want)
		}
		entries, _, _ := db.ListAudit(ctx, frontdesk.AuditFilter{Action: "api_token.create"})
		for _, e := range entries {
			if strings.Contains(string(e.After), "fd_") || strings.Contains(string(e.After), store.HashToken(ciSecret)) {
				t.Errorf("the audit log holds a secret: %s", e.After)
			}
		}
	})
}

// L3, I2: a token stops working the moment it expires.
func TestExpiredAPITokenRefused_L3_I2(t *testing.T) {
	eachWithClock(t, func(t *testing.T, db *store.DB, c *clock) {
		ann := mustActiveStaff(t, db, "Ann Agent", "ann@example.com", frontdesk.RoleAgent)
		tok, secret := mustIssue(t, db, ann.ID, frontdesk.APITokenInput{Name: "short", ExpiresAt: c.Now().Add(time.Hour).Format(time.RFC3339)})
		c.Add(time.Hour - time.Second)
		if a, err := db.Authenticate(ctx, secret); err != nil || a.ID != ann.ID {
			t.Fatalf("before expiry: %+v %v", a, err)
		}
		c.Add(time.Second)
		if _, err := db.Authenticate(ctx, secret); frontdesk.ErrorCode(err) != frontdesk.EUnauthorized {
			t.Fatalf("an expired token still works: %v", err)
		}
		list, _, _ := db.ListAPITokens(ctx, store.APITokenFilter{PersonID: ann.ID}, frontdesk.Page{})
		if len(list) != 1 || list[0].ID != tok.ID || list[0].StateAt(c.Now()) != frontdesk.TokenExpired {
			t.Fatalf("the expired token is listed as: %+v", list)
		}
	})
}

// I2: each token shows when it was last used; authentication records it at most once a
// minute, so that the API's hot path rarely writes.
func TestAPITokenLastUsed_I2(t *testing.T) {
	eachWithClock(t, func(t *testing.T, db *store.DB, c *clock) {
		ann := mustActiveStaff(t, db, "Ann Agent", "ann@example.com", frontdesk.RoleAgent)
		_, secret := mustIssue(t, db, ann.ID, frontdesk.APITokenInput{Name: "ci"})
		lastUsed := func() *time.Time {
			t.Helper()
			list, _, err := db.ListAPITokens(ctx, store.APITokenFilter{PersonID: ann.ID}, frontdesk.Page{})
			if err != nil || len(list) != 1 {
				t.Fatalf("list: %v %v", list, err)
			}
			return list[0].LastUsedAt
		}
		if lu := lastUsed(); lu != nil {
			t.Fatalf("a new token was used at %v", lu)
		}
		auth := func() {
			t.Helper()
			if _, err := db.Authenticate(ctx, secret); err != nil {
				t.Fatal(err)
			}
		}
		first := c.Now()
		auth()
		if lu := lastUsed(); lu == nil || !lu.Equal(first) {
			t.Fatalf("after a use: %v, want %v", lu, first)
		}
		c.Add(59 * time.Second)
		auth()
		if lu := lastUsed(); !lu.Equal(first) {
			t.Fatalf("a use within the minute wrote %v", lu)
		}
		c.Add(2 * time.Second)
		auth()
		if lu := lastUsed(); !lu.Equal(c.Now()) {
			t.Fatalf("a use after the minute: %v, want %v", lu, c.Now())
		}
	})
}
