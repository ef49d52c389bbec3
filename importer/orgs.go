package importer

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"frontdesk"
)

// Organization files (B2): one row per site, or per organization without a site. An
// organization named again adds its other sites; its own columns change it when filled in.

// Columns of an organizations file.
const (
	colOrgName        = "name"
	colDomains        = "domains"
	colOrgSite        = "site"
	colSiteTimezone   = "site_timezone"
	colSiteStreet     = "site_street"
	colSiteCity       = "site_city"
	colSiteRegion     = "site_region"
	colSitePostalCode = "site_postal_code"
	colSiteCountry    = "site_country"
)

// OrganizationsRequired are the columns every organizations file has.
var OrganizationsRequired = []string{colOrgName, colOrgSite}

// OrganizationsOptional are the other columns an organizations file may have.
var OrganizationsOptional = []string{colDomains, colExternalID, colNotes, colSiteTimezone, colSiteStreet, colSiteCity, colSiteRegion,
	colSitePostalCode, colSiteCountry}

type orgProc struct{ h *header }

func (op *orgProc) known(n string) bool {
	return slices.Contains(OrganizationsRequired, n) || slices.Contains(OrganizationsOptional, n)
}

func (op *orgProc) required() []string { return OrganizationsRequired }

// key is the organization and site names, compared case-insensitively.
func (op *orgProc) key(cells []string) (string, string, bool) {
	name := strings.ToLower(cellOf(op.h, cells, colOrgName))
	if name == "" {
		return "", colOrgName, false
	}
	return name + "\x00" + strings.ToLower(cellOf(op.h, cells, colOrgSite)), "organization and site", true
}

func (op *orgProc) setHeader(h *header) { op.h = h }

func (op *orgProc) apply(ctx context.Context, r *run, batch []record, b *batchState) error {
	db := r.im.db
	for _, rec := range batch {
		if rec.err != nil {
			b.reject(rec, "", fmt.Sprintf("the row cannot be read as CSV: %v", rec.err))
			continue
		}
		key, column, ok := op.key(rec.cells)
		if !ok {
			b.reject(rec, colOrgName, "is required")
			continue
		}
		var o outcome
		// Each row in a savepoint: a row the database refuses (a domain another organization
		// has) is undone alone.
		err := db.Savepoint(ctx, func(ctx context.Context) error {
			var err error
			o, err = op.row(ctx, r, rec.cells)
			return err
		})
		if err != nil {
			if err := b.problems(rec, err, orgColumn); err != nil {
				return err
			}
			continue
		}
		o, err = r.landed(ctx, b, key, column, rec.line, o, func(line int) (outcome, error) {
			// After a restart the earlier row's effect is not known here: it counts as a change.
			return r.resolveEarlier(ctx, line, false)
		})
		if err != nil {
			return err
		}
		b.count(o)
	}
	return nil
}

// row creates or updates the organization of one row, and its site.
func (op *orgProc) row(ctx context.Context, r *run, cells []string) (outcome, error) {
	db := r.im.db
	get := func(col string) *string {
		if v := cellOf(op.h, cells, col); v != "" {
			return &v
		}
		return nil
	}
	name := cellOf(op.h, cells, colOrgName)
	in := frontdesk.OrganizationInput{Name: &name, ExternalID: get(colExternalID), Notes: get(colNotes)}
	if d := get(colDomains); d != nil {
		list := strings.FieldsFunc(*d, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\n' || r == '\t' })
		in.Domains = &list
	}
	res := outUnchanged
	org, err := db.GetOrganizationByName(ctx, name)
	switch {
	case frontdesk.ErrorCode(err) == frontdesk.ENotFound:
		org = &frontdesk.Organization{}
		if err := frontdesk.ApplyOrganization(org, in); err != nil {
			return 0, err
		}
		if err := db.CreateOrganization(ctx, org); err != nil {
			return 0, err
		}
		res = outCreated
	case err != nil:
		return 0, err
	default:
		in.Name = nil // found by name, in whatever case: the name stays as it is
		after := *org
		after.Domains = slices.Clone(org.Domains)
		if err := frontdesk.ApplyOrganization(&after, in); err != nil {
			return 0, err
		}
		if !reflect.DeepEqual(after, *org) {
			if org, err = db.UpdateOrganization(ctx, org.ID, in); err != nil {
				return 0, err
			}
			res = outUpdated
		}
	}
	siteName := cellOf(op.h, cells, colOrgSite)
	if siteName == "" {
		return res, nil
	}
	sin := frontdesk.SiteInput{OrganizationID: &org.ID, Name: &siteName, Timezone: get(colSiteTimezone)}
	var addr frontdesk.PostalAddress
	any := false
	for col, dst := range map[string]*string{colSiteStreet: &addr.Street, colSiteCity: &addr.City, colSiteRegion: &addr.Region,
		colSitePostalCode: &addr.PostalCode, colSiteCountry: &addr.Country} {
		if v := get(col); v != nil {
			*dst, any = *v, true
		}
	}
	site, err := db.GetSiteByName(ctx, org.ID, siteName)
	switch {
	case frontdesk.ErrorCode(err) == frontdesk.ENotFound:
		if any {
			sin.Address = &addr
		}
		s := &frontdesk.Site{}
		if err := frontdesk.ApplySite(s, sin, true); err != nil {
			return 0, siteProblems(err)
		}
		if err := db.CreateSite(ctx, s); err != nil {
			return 0, siteProblems(err)
		}
		return outCreated, nil
	case err != nil:
		return 0, err
	}
	sin.Name, sin.OrganizationID = nil, nil
	if any {
		// Cells left empty keep the site's address lines.
		if site.Address != nil {
			merged := *site.Address
			for col, dst := range map[string]*string{colSiteStreet: &merged.Street, colSiteCity: &merged.City, colSiteRegion: &merged.Region,
				colSitePostalCode: &merged.PostalCode, colSiteCountry: &merged.Country} {
				if v := get(col); v != nil {
					*dst = *v
				}
			}
			addr = merged
		}
		sin.Address = &addr
	}
	after := *site
	if err := frontdesk.ApplySite(&after, sin, false); err != nil {
		return 0, siteProblems(err)
	}
	if !reflect.DeepEqual(after.Address, site.Address) || after.Timezone != site.Timezone {
		if _, err := db.UpdateSite(ctx, site.ID, sin); err != nil {
			return 0, err
		}
		if res == outUnchanged {
			res = outUpdated
		}
	}
	return res, nil
}

// orgColumn names the file's column of a field the domain's validation names.
func orgColumn(field string) string {
	switch {
	case strings.HasPrefix(field, "domains"):
		return colDomains
	case strings.HasPrefix(field, "address."):
		return "site_" + strings.TrimPrefix(field, "address.")
	case field == "timezone":
		return colSiteTimezone
	case field == "organization_id":
		return colOrgName
	}
	return field
}

// siteProblems names the site's columns in the problems of a site.
func siteProblems(err error) error {
	var fe *frontdesk.Error
	if !errors.As(err, &fe) {
		return err
	}
	out := *fe
	out.Fields = nil
	for _, f := range fe.Fields {
		if f.Field == "name" {
			f.Field = colOrgSite
		}
		out.Fields = append(out.Fields, f)
	}
	return &out
}
