package frontdesk

import (
	"fmt"
	"slices"
	"strings"
	"time"
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
		o.Name = collapseSpace(*in.Name)
	}
	if o.Name == "" {
		p.Add("name", "is required")
	} else if len(o.Name) > 200 {
		p.Add("name", "is longer than 200 characters")
	}
	if in.Domains != nil {
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
		o.ExternalID = strings.TrimSpace(*in.ExternalID)
		if len(o.ExternalID) > 255 {
			p.Add("external_id", "is longer than 255 characters")
		}
	}
	if in.Notes != nil {
		o.Notes = *in.Notes
		if len(o.Notes) > 65536 {
			p.Add("notes", "is longer than 65536 characters")
		}
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
		s.Name = collapseSpace(*in.Name)
	}
	if s.Name == "" {
		p.Add("name", "is required")
	} else if len(s.Name) > 200 {
		p.Add("name", "is longer than 200 characters")
	}
	if in.Address != nil {
		a := *in.Address
		if a.Country != "" && !ValidRegion(a.Country) {
			p.Add("address.country", "%q is not an ISO 3166 country code", a.Country)
		}
		a.Country = strings.ToUpper(a.Country)
		s.Address = &a
	}
	if in.Timezone != nil {
		if *in.Timezone != "" && !ValidTimezone(*in.Timezone) {
			p.Add("timezone", "%q is not an IANA time zone name", *in.Timezone)
		} else {
			s.Timezone = *in.Timezone
		}
	}
	return p.Err()
}
