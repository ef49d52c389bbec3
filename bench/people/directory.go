package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math"
	mrand "math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
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

// directoryMix is how the people of a -directory run differ, so that every filter of L7
// has people to find in realistic proportions: most filters match a large share, some a small
// one, and the organizations range from large to small.
type directoryMix struct {
	orgs  []int64 // by size, largest first
	sites []int64 // two per organization: sites[2i] and sites[2i+1] belong to orgs[i]
	seg   int64   // a saved segment: active people on the "pro" plan
}

// loginBase is the latest last login of the generated people.
var loginBase = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

// directoryOrgs is how many organizations a -directory run makes.
const directoryOrgs = 50

// newDirectoryMix makes the organizations, sites and custom fields the people refer to,
// through the store as the console does.
func newDirectoryMix(ctx context.Context, db *store.DB) (*directoryMix, error) {
	m := &directoryMix{}
	for i := range directoryOrgs {
		o := &frontdesk.Organization{Name: fmt.Sprintf("Bench Org %02d", i)}
		if err := db.CreateOrganization(ctx, o); err != nil {
			return nil, fmt.Errorf("create organization: %w", err)
		}
		m.orgs = append(m.orgs, o.ID)
		for j := range 2 {
			s := &frontdesk.Site{OrganizationID: o.ID, Name: fmt.Sprintf("Site %d", j)}
			if err := db.CreateSite(ctx, s); err != nil {
				return nil, fmt.Errorf("create site: %w", err)
			}
			m.sites = append(m.sites, s.ID)
		}
	}
	fields := []*frontdesk.CustomField{
		{Key: "plan", Label: "Plan", Type: frontdesk.FieldDropdown, Options: []string{"free", "pro", "enterprise"}},
		{Key: "vip", Label: "VIP", Type: frontdesk.FieldCheckbox},
	}
	for _, f := range fields {
		if err := db.CreateCustomField(ctx, f); err != nil {
			return nil, fmt.Errorf("create custom field: %w", err)
		}
	}
	seg := &frontdesk.Segment{Name: "Active pro", Filter: frontdesk.PersonFilter{
		States: []frontdesk.State{frontdesk.StateActive}, Custom: map[string]string{"plan": "pro"}}}
	if err := db.CreateSegment(ctx, seg); err != nil {
		return nil, fmt.Errorf("create segment: %w", err)
	}
	m.seg = seg.ID
	return m, nil
}

// apply gives person p, from their random bits h, the shares below:
//   - state: 60% active (two thirds of them have logged in), 32% not activated, 6% disabled,
//     2% banned;
//   - channel: 55% import, 20% help center, 15% API, 8% console, 2% CLI;
//   - one in 5,000 is an agent (active, logged in), the rest contacts;
//   - 40% belong to an organization, whose sizes fall from 7% to 0.2% of the people
//     (log-uniform), and half of those to one of its two sites;
//   - custom field plan: 50% free, 8% pro, 1% enterprise, the rest none; vip: 0.5%.
func (m *directoryMix) apply(p *frontdesk.Person, h uint64) {
	h2 := mix64(h)
	switch r := h % 1000; {
	case r < 600:
		p.State = frontdesk.StateActive
		if (h>>10)%3 != 0 {
			t := loginBase.Add(-time.Duration(h%1_000_000) * time.Minute)
			p.LastLoginAt = &t
		}
	case r < 920:
		p.State = frontdesk.StateNotActivated
	case r < 980:
		p.State = frontdesk.StateDisabled
	default:
		p.State, p.BanReason = frontdesk.StateBanned, "spam"
	}
	switch r := (h >> 12) % 100; {
	case r < 55:
		p.Channel = frontdesk.ChannelImport
	case r < 75:
		p.Channel = frontdesk.ChannelHelpCenter
	case r < 90:
		p.Channel = frontdesk.ChannelAPI
	case r < 98:
		p.Channel = frontdesk.ChannelConsole
	default:
		p.Channel = frontdesk.ChannelCLI
	}
	if (h>>20)%5000 == 0 {
		p.Role, p.State = frontdesk.RoleAgent, frontdesk.StateActive
		t := loginBase
		p.LastLoginAt = &t
	}
	if h2%100 < 40 {
		u := float64((h2>>8)&0xffff) / 65536
		i := int(math.Pow(directoryOrgs+1, u)) - 1
		p.OrganizationID = &m.orgs[i]
		if (h2>>24)%2 == 0 {
			p.SiteID = &m.sites[2*i+int((h2>>25)%2)]
		}
	}
	p.Custom = map[string]any{}
	switch r := (h2 >> 32) % 100; {
	case r < 50:
		p.Custom["plan"] = "free"
	case r < 58:
		p.Custom["plan"] = "pro"
	case r < 59:
		p.Custom["plan"] = "enterprise"
	}
	if (h2>>40)%200 == 0 {
		p.Custom["vip"] = true
	}
}

// directoryPhases are the directory's phases: a first page for each filter of L7, from
// filters that most people pass to rare ones and combinations that no single index serves,
// a saved segment, a search by what staff type (as the autosuggest phase), and that search
// with filters. Without a mix (which -directory always makes) only the first and the
// searches apply.
func directoryPhases(c *client, g gen, n int) []phase {
	search := func(rng *mrand.Rand) string { return g.suggestQuery(rng.IntN(n), rng.Uint64()) }
	fixed := func(name, profile string, q url.Values) phase {
		return phase{name, profile, directoryPage(c, func(*mrand.Rand) url.Values { return q })}
	}
	id := func(v int64) string { return strconv.FormatInt(v, 10) }
	phases := []phase{
		fixed("directory-filter", "dirfilter", url.Values{"state": {"not_activated"}, "kind": {"contact"}, "channel": {"import"}}),
	}
	if m := g.mix; m != nil {
		last := len(m.orgs) - 1
		phases = append(phases,
			fixed("directory-state", "dirstate", url.Values{"state": {"active"}}),
			fixed("directory-states", "dirstates", url.Values{"state": {"disabled,banned"}}),
			fixed("directory-staff", "dirstaff", url.Values{"kind": {"staff"}}),
			fixed("directory-role", "dirrole", url.Values{"role": {"agent"}}),
			fixed("directory-org", "dirorg", url.Values{"organization_id": {id(m.orgs[0])}}),
			fixed("directory-org-small", "dirorgsmall", url.Values{"organization_id": {id(m.orgs[last])}, "state": {"active"}}),
			fixed("directory-site", "dirsite", url.Values{"site_id": {id(m.sites[2*last])}}),
			fixed("directory-without-login", "dirnologin", url.Values{"without_login": {"true"}}),
			fixed("directory-channel", "dirchannel", url.Values{"channel": {"cli"}}),
			fixed("directory-custom", "dircustom", url.Values{"cf.plan": {"enterprise"}}),
			fixed("directory-custom-state", "dircustomstate", url.Values{"cf.vip": {"true"}, "state": {"disabled"}}),
			fixed("directory-segment", "dirsegment", url.Values{"segment": {id(m.seg)}}),
		)
	}
	return append(phases,
		phase{"directory-search", "dirsearch", directoryPage(c, func(rng *mrand.Rand) url.Values {
			return url.Values{"q": {search(rng)}}
		})},
		phase{"directory-search-filter", "dirsearchfilter", directoryPage(c, func(rng *mrand.Rand) url.Values {
			return url.Values{"q": {search(rng)}, "state": {"not_activated"}, "kind": {"contact"}}
		})},
	)
}
