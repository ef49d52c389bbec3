package directory

import (
	"context"

	"frontdesk"
	"frontdesk/store"
)

// personByUsername finds a person by login name.
func personByUsername(ctx context.Context, db *store.DB, name string) (*frontdesk.Person, error) {
	return nil, frontdesk.Errorf(frontdesk.ENotFound, "no person has the username %s", name)
}

func personUsername(p *frontdesk.Person) string { return "" }

func setUsername(in *frontdesk.PersonInput, src *frontdesk.DirectorySource, d *desired) {}

func markDirectory(p *frontdesk.Person, d *desired) {}
