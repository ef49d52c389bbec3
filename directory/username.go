package directory

import (
	"context"

	"frontdesk"
	"frontdesk/store"
)

// The foundation's username (an optional unique login name) and organization source.

func personByUsername(ctx context.Context, db *store.DB, name string) (*frontdesk.Person, error) {
	return db.GetPersonByUsername(ctx, name)
}

func personUsername(p *frontdesk.Person) string { return p.Username }

// setUsername puts the directory's login name in an input when the source maps one.
func setUsername(in *frontdesk.PersonInput, src *frontdesk.DirectorySource, d *desired) {
	if src.Attributes.Username != "" && d.username != "" {
		u := d.username
		in.Username = &u
	}
}

// markDirectory records that the directory set the person's organization (X6 lists such
// people but does not move them by domain unless chosen).
func markDirectory(p *frontdesk.Person, d *desired) {
	if d.setOrg && (p.OrganizationID != nil || p.SiteID != nil) {
		p.OrganizationSource = frontdesk.OrgSourceDirectory
	}
}
