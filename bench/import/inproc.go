package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"frontdesk"
	"frontdesk/flow"
	"frontdesk/importer"
	"frontdesk/mail"
	"frontdesk/store"
)

// runInProcess imports the file with the importer package inside this process, as the CLI
// does, so that -cpuprofile can show where an end-to-end import spends its time
// (PREFIX.inproc.pprof); then the changed file, when the update phase runs
// (PREFIX.inproc-update.pprof).
func runInProcess(ctx context.Context, o options, g gen, d *database, file, changed string) (imp, reimp *result, err error) {
	db, err := store.Open(ctx, d.cfg)
	if err != nil {
		return nil, nil, err
	}
	defer func() { err = errors.Join(err, db.Close()) }()
	if _, err := createOrgs(ctx, db, g); err != nil {
		return nil, nil, err
	}
	mailer, err := mail.New(db, mail.Config{From: "help@desk.example", HelpdeskURL: "http://desk.example"})
	if err != nil {
		return nil, nil, err
	}
	flows := flow.New(db, mailer, "http://desk.example")
	flows.PhoneRegion = "US"
	im := importer.New(db, flows)
	ctx = frontdesk.WithActor(ctx, frontdesk.System)
	one := func(name, path, phase string) (*result, error) {
		stopProfile, err := startProfile(o.cpuprofile, phase)
		if err != nil {
			return nil, err
		}
		r := &result{name: name, people: o.people}
		c0, t0 := cpuTime(), time.Now()
		res, err := im.ImportFile(ctx, path, importer.Options{Kind: importer.KindPeople}, nil)
		r.took, r.cpu = time.Since(t0), cpuTime()-c0
		stopProfile()
		if err != nil {
			return nil, err
		}
		c := res.Counts
		r.note = fmt.Sprintf("%d created, %d updated, %d unchanged, %d rejected", c.Created, c.Updated, c.Unchanged, c.Rejected)
		if c.Rejected > 0 {
			r.failed = fmt.Sprintf("%d rows rejected", c.Rejected)
		}
		fmt.Fprintf(os.Stderr, "  %s: %s\n", name, r.note)
		return r, nil
	}
	if imp, err = one("importer in-process (new people)", file, "inproc"); err != nil || !o.has("update") {
		return imp, nil, err
	}
	reimp, err = one("importer in-process (changed file)", changed, "inproc-update")
	return imp, reimp, err
}
