package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	mrand "math/rand/v2"
	"net/http"
	"net/url"
	"time"

	"frontdesk"
	"frontdesk/flow"
	"frontdesk/store"
	"frontdesk/web"
)

// The console's people directory (issue 8): its first page with a filter, and a search,
// as a logged-in staff member's browser asks for them.

// directoryHandler serves the console pages, as the server does, and returns the cookie of
// a staff session in them.
func directoryHandler(ctx context.Context, db *store.DB, base string) (http.Handler, string, error) {
	p := frontdesk.NewPerson(frontdesk.ChannelCLI)
	name, role, email := "Bench Agent", frontdesk.RoleAdmin, "agent@frontdesk-bench.example"
	if err := frontdesk.ApplyPerson(p, frontdesk.PersonInput{Name: &name, Role: &role, Email: &email}, frontdesk.Rules{PhoneRegion: "US"}); err != nil {
		return nil, "", err
	}
	p.State = frontdesk.StateActive
	if err := db.CreatePerson(ctx, p); err != nil {
		return nil, "", fmt.Errorf("create agent: %w", err)
	}
	b := make([]byte, 32)
	rand.Read(b)
	secret := hex.EncodeToString(b)
	if _, err := db.CreateSession(ctx, secret, p.ID, 24*time.Hour, "bench", "127.0.0.1"); err != nil {
		return nil, "", err
	}
	h, err := web.New(db, flow.New(db, nil, base), nil)
	if err != nil {
		return nil, "", err
	}
	return h, web.SessionCookie + "=" + secret, nil
}

// directoryPage asks for the first page of the directory with the query that query makes,
// and checks that the answer is the directory with at least one person in it.
func directoryPage(c *client, query func(rng *mrand.Rand) url.Values) op {
	return func(ctx context.Context, rng *mrand.Rand) error {
		q := query(rng).Encode()
		status, b, err := c.do(ctx, "GET", "/console/people?"+q, nil)
		if err != nil {
			return err
		}
		if status != http.StatusOK {
			return fmt.Errorf("GET /console/people?%s: status %d: %s", q, status, trim(b))
		}
		if !bytes.Contains(b, []byte(`href="/console/people/`)) {
			return fmt.Errorf("GET /console/people?%s: no person on the page", q)
		}
		return nil
	}
}

// directoryPhases are the directory's phases: a filter that most people pass (the first
// page is the table's start), the same with kind, a search by what staff type (as the
// autosuggest phase), and that search with filters.
func directoryPhases(c *client, g gen, n int) []phase {
	search := func(rng *mrand.Rand) string { return g.suggestQuery(rng.IntN(n), rng.Uint64()) }
	return []phase{
		{"directory-filter", "dirfilter", directoryPage(c, func(*mrand.Rand) url.Values {
			return url.Values{"state": {"not_activated"}, "kind": {"contact"}, "channel": {"import"}}
		})},
		{"directory-search", "dirsearch", directoryPage(c, func(rng *mrand.Rand) url.Values {
			return url.Values{"q": {search(rng)}}
		})},
		{"directory-search-filter", "dirsearchfilter", directoryPage(c, func(rng *mrand.Rand) url.Values {
			return url.Values{"q": {search(rng)}, "state": {"not_activated"}, "kind": {"contact"}}
		})},
	}
}
