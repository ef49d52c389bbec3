package frontdesk

import (
	"fmt"
	"slices"
	"time"
)

// Limits of organizations and sites (and segments): the length of a name, and how many
// domains an organization has.
const (
	maxObjectNameLen = 200
	maxOrgDomains    = 500
)

// Organization is a client or customer of the helpdesk (P9). Its domains decide where people
// with a matching address land when they are created.
type Organization struct {
	ID         int64     `json:"id"`
	Name       string    `json:"name"`
	Domains    []string  `json:"domains"`
	ExternalID string    `json:"external_id"`
	Notes      string    `json:"notes"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// OrganizationInput creates or changes an organization.
type OrganizationInput struct {
	Name       *string   `json:"name"`
	Domains    *[]string `json:"domains"`
	ExternalID *string   `json:"external_id"`
	Notes      *string   `json:"notes"`
}

// ApplyOrganization applies in to o and validates the result.
func ApplyOrganization(o *Organization, in OrganizationInput) error {
	var p Problems
	if in.Name != nil {
		o.Name = CleanText(&p, "name", *in.Name, maxObjectNameLen, OneLine)
	}
	if o.Name == "" && !p.Has("name") {
		p.Add("name", "is required")
	}
	if in.Domains != nil && checkCount(&p, "domains", len(*in.Domains), maxOrgDomains) {
		o.Domains = []string{}
		for i, d := range *in.Domains {
			n, err := NormalizeDomain(d)
			if err != nil {
				p.Add(fmt.Sprintf("domains[%d]", i), "%v", err)
				continue
			}
			if !slices.Contains(o.Domains, n) {
				o.Domains = append(o.Domains, n)
			}
		}
		slices.Sort(o.Domains) // the order the store reads them back in
	}
	if o.Domains == nil {
		o.Domains = []string{}
	}
	if in.ExternalID != nil {
		o.ExternalID = CleanText(&p, "external_id", *in.ExternalID, maxExternalIDLen, Trimmed)
	}
	if in.Notes != nil {
		o.Notes = CleanText(&p, "notes", *in.Notes, maxNotesLen, MultiLine)
	}
	return p.Err()
}

// Site is a location or branch of an organization; every person of an organization belongs
// to one of its sites (P9).
type Site struct {
	ID             int64          `json:"id"`
	OrganizationID int64          `json:"organization_id"`
	Name           string         `json:"name"`
	Address        *PostalAddress `json:"address"`
	Timezone       string         `json:"timezone"`
	CreatedAt      time.Time      `json:"created_at"`
	UpdatedAt      time.Time      `json:"updated_at"`
}

// SiteInput creates or changes a site. The organization is fixed at creation.
type SiteInput struct {
	OrganizationID *int64         `json:"organization_id"`
	Name           *string        `json:"name"`
	Address        *PostalAddress `json:"address"`
	Timezone       *string        `json:"timezone"`
}

// ApplySite applies in to s and validates the result.
func ApplySite(s *Site, in SiteInput, creating bool) error {
	var p Problems
	if in.OrganizationID != nil {
		if !creating && *in.OrganizationID != s.OrganizationID {
			p.Add("organization_id", "a site cannot move to another organization")
		} else {
			s.OrganizationID = *in.OrganizationID
		}
	}
	if s.OrganizationID <= 0 && !p.Has("organization_id") {
		p.Add("organization_id", "is required")
	}
	if in.Name != nil {
		s.Name = CleanText(&p, "name", *in.Name, maxObjectNameLen, OneLine)
	}
	if s.Name == "" && !p.Has("name") {
		p.Add("name", "is required")
	}
	if in.Address != nil {
		a := cleanPostalAddress(&p, "address.", *in.Address)
		s.Address = &a
	}
	if in.Timezone != nil {
		before := len(p)
		tz := CleanText(&p, "timezone", *in.Timezone, maxTimezoneLen, Trimmed)
		switch {
		case len(p) > before:
		case tz != "" && !ValidTimezone(tz):
			p.Add("timezone", "%q is not an IANA time zone name", tz)
		default:
			s.Timezone = tz
		}
	}
	return p.Err()
}
