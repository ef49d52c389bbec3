package imports_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"frontdesk"
	"frontdesk/flow"
	"frontdesk/importer"
	"frontdesk/imports"
	"frontdesk/jobs"
	"frontdesk/mail"
	"frontdesk/store"
	"frontdesk/store/storetest"
)

var sys = frontdesk.WithActor(context.Background(), frontdesk.System)

type fixture struct {
	db     *store.DB
	svc    *imports.Service
	runner *jobs.Runner
}

func newFixture(t *testing.T, db *store.DB) *fixture {
	t.Helper()
	mailer, err := mail.New(db, mail.Config{})
	if err != nil {
		t.Fatal(err)
	}
	runner := jobs.NewRunner(db, jobs.Config{Poll: 20 * time.Millisecond})
	svc := imports.New(db, importer.New(db, flow.New(db, mailer, "http://desk.example")), runner, nil)
	o := &frontdesk.Organization{Name: "Acme", Domains: []string{}}
	if err := db.CreateOrganization(sys, o); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateSite(sys, &frontdesk.Site{OrganizationID: o.ID, Name: "Berlin"}); err != nil {
		t.Fatal(err)
	}
	return &fixture{db: db, svc: svc, runner: runner}
}

func (f *fixture) start(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); f.runner.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
}

func (f *fixture) waitJob(t *testing.T, id int64, want frontdesk.JobState) *imports.View {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		v, err := f.svc.Get(sys, id)
		if err != nil {
			t.Fatal(err)
		}
		if v.Job != nil && v.Job.State == want {
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("import %d: job %+v, import %s (%s)", id, v.Job, v.State, v.Error)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

const people = "name,email,phone,organization,site,external_id\nAda,ada@example.com,,Acme,Berlin,\nBad,nope,,Acme,Berlin,\n"

// B4: an upload is stored and its job queued; the runner imports it, once.
func TestUploadRunsAsAJob_B4(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		v, err := f.svc.Upload(sys, "people.csv", strings.NewReader(people), importer.Options{Kind: importer.KindPeople})
		if err != nil {
			t.Fatal(err)
		}
		if v.Job == nil || v.Job.State != frontdesk.JobQueued || v.Job.Kind != imports.JobKind || v.Links.Rejections == "" {
			t.Fatalf("uploaded: %+v", v)
		}
		f.start(t)
		done := f.waitJob(t, v.ID, frontdesk.JobSucceeded)
		if done.State != importer.StateDone || done.Counts.Created != 1 || done.Counts.Rejected != 1 {
			t.Fatalf("done: %+v", done)
		}
	})
}

// B4: an import whose file turns out bad fails at once: its job does not retry what no retry
// can mend. Retry queues it again, and it fails again the same way.
func TestBadFileFailsWithoutRetries_B4(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		v, err := f.svc.Upload(sys, "people.csv", strings.NewReader("name,phone\nAda,\n"), importer.Options{Kind: importer.KindPeople})
		if err != nil {
			t.Fatal(err)
		}
		f.start(t)
		failed := f.waitJob(t, v.ID, frontdesk.JobFailed)
		if failed.Job.Attempts != 1 || failed.State != importer.StateFailed || failed.Error == "" || failed.Job.LastError == "" {
			t.Fatalf("failed: %+v job %+v", failed, failed.Job)
		}
		again, err := f.svc.Retry(sys, v.ID)
		if err != nil || again.Job == nil || again.Job.ID == failed.Job.ID {
			t.Fatalf("retry: %+v %v", again, err)
		}
		f.waitJob(t, v.ID, frontdesk.JobFailed)
	})
}

// B4: an upload whose job was never queued (its uploader died in between) gets one when
// the server starts; one that has a job does not get a second.
func TestRecoverQueuesStrandedUploads_B4(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		im := importer.New(db, nil)
		stranded, err := im.Create(sys, "people.csv", strings.NewReader(people), importer.Options{Kind: importer.KindPeople})
		if err != nil {
			t.Fatal(err)
		}
		queued, err := f.svc.Upload(sys, "people.csv", strings.NewReader(people), importer.Options{Kind: importer.KindPeople})
		if err != nil {
			t.Fatal(err)
		}
		if v, _ := f.svc.Get(sys, stranded.ID); v.Job != nil {
			t.Fatalf("a job before Recover: %+v", v.Job)
		}
		for range 2 {
			if err := f.svc.Recover(sys); err != nil {
				t.Fatal(err)
			}
		}
		list, err := db.ListJobs(sys, imports.JobKind, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 2 {
			t.Fatalf("%d jobs, want one per import", len(list))
		}
		if v, _ := f.svc.Get(sys, stranded.ID); v.Job == nil || v.Job.State != frontdesk.JobQueued {
			t.Fatalf("stranded after Recover: %+v", v.Job)
		}
		f.start(t)
		f.waitJob(t, stranded.ID, frontdesk.JobSucceeded)
		f.waitJob(t, queued.ID, frontdesk.JobSucceeded)
	})
}

// B1, R4: the service checks the permission itself, for the API and the console alike.
func TestImportsNeedThePermission_B1(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		v, err := f.svc.Upload(sys, "people.csv", strings.NewReader(people), importer.Options{Kind: importer.KindPeople})
		if err != nil {
			t.Fatal(err)
		}
		agent := frontdesk.WithActor(context.Background(), frontdesk.Actor{ID: 99, Name: "agent", Role: frontdesk.RoleCollaborator})
		if frontdesk.Actor.Can(frontdesk.ActorFrom(agent), frontdesk.PermImportsRun) {
			t.Skip("collaborators may import")
		}
		_, uerr := f.svc.Upload(agent, "people.csv", strings.NewReader(people), importer.Options{Kind: importer.KindPeople})
		_, gerr := f.svc.Get(agent, v.ID)
		_, _, lerr := f.svc.List(agent, frontdesk.Page{})
		werr := f.svc.WriteRejections(agent, v.ID, &strings.Builder{})
		serr := f.svc.WriteSample(agent, &strings.Builder{}, importer.KindPeople, "csv")
		_, rerr := f.svc.Retry(agent, v.ID)
		for i, err := range []error{uerr, gerr, lerr, werr, serr, rerr} {
			if frontdesk.ErrorCode(err) != frontdesk.EForbidden {
				t.Errorf("call %d: %v", i, err)
			}
		}
	})
}
