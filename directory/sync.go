// Package directory syncs people from LDAP directories, Active Directory and OpenLDAP (B5).
// A run reads every entry of a source's filter page by page, computes what would change
// (create, update with each field's old and new value, disable, enable) and stores that as
// the run's preview; applying a preview recomputes it and applies it only when nothing has
// changed since, through the same flows as a person typing in the console. People who leave
// the directory are disabled (which ends their sessions and tokens, L3), never deleted.
package directory

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"frontdesk"
	"frontdesk/flow"
	"frontdesk/store"
)

// Run origins.
const (
	OriginManual   = "manual"
	OriginSchedule = "schedule"
)

// Syncer runs directory sources. The API, the console and the scheduler all call it.
type Syncer struct {
	DB    *store.DB
	Flows *flow.Flows
	Log   *slog.Logger
}

// New returns a syncer over db and flows.
func New(db *store.DB, flows *flow.Flows) *Syncer {
	return &Syncer{DB: db, Flows: flows, Log: slog.New(slog.DiscardHandler)}
}

// need refuses an actor who lacks permission p.
func need(ctx context.Context, p frontdesk.Permission, what string) error {
	a := frontdesk.ActorFrom(ctx)
	if !a.Can(p) {
		return frontdesk.Errorf(frontdesk.EForbidden, "%s needs the %s permission, which %s lacks", what, p, a.RoleName())
	}
	return nil
}

// Sources returns every source. Reading them needs settings.manage, as they hold the
// directory's account; the bind password stays inside (front ends show PasswordSet).
func (s *Syncer) Sources(ctx context.Context) ([]*frontdesk.DirectorySource, error) {
	if err := need(ctx, frontdesk.PermSettingsManage, "reading directory sources"); err != nil {
		return nil, err
	}
	return s.DB.DirectorySources(ctx)
}

// Source returns one source; it needs settings.manage.
func (s *Syncer) Source(ctx context.Context, id int64) (*frontdesk.DirectorySource, error) {
	if err := need(ctx, frontdesk.PermSettingsManage, "reading directory sources"); err != nil {
		return nil, err
	}
	return s.DB.GetDirectorySource(ctx, id)
}

// SaveSource creates a source (id 0) or changes one. It needs settings.manage, and the
// actor must be able to give every role its rules give (R3): a scheduled run acts on what
// the last person to save the source allowed.
func (s *Syncer) SaveSource(ctx context.Context, id int64, in frontdesk.DirectorySourceInput) (*frontdesk.DirectorySource, error) {
	if err := need(ctx, frontdesk.PermSettingsManage, "changing directory sources"); err != nil {
		return nil, err
	}
	actor := frontdesk.ActorFrom(ctx)
	var out *frontdesk.DirectorySource
	err := s.DB.WithTx(ctx, func(ctx context.Context) error {
		var err error
		out, err = s.DB.SaveDirectorySource(ctx, id, in, func(src *frontdesk.DirectorySource) error {
			return mayConfigure(actor, src)
		})
		if err != nil {
			return err
		}
		// The scheduled-sync job moves with the schedule, in the same transaction.
		return s.Reschedule(ctx)
	})
	return out, err
}

// mayConfigure checks that actor may give every role a source's rules give (R3).
func mayConfigure(actor frontdesk.Actor, src *frontdesk.DirectorySource) error {
	var probs frontdesk.Problems
	check := func(field string, r frontdesk.Role) {
		if r == "" || r == frontdesk.RoleContact {
			return
		}
		if err := actor.CheckRoleChange(frontdesk.RoleContact, r); err != nil {
			probs.Add(field, "%s", message(err))
		}
	}
	check("default_role", src.DefaultRole)
	for i, r := range src.Rules {
		check(fmt.Sprintf("rules[%d].role", i), r.Role)
	}
	if len(probs) > 0 {
		return &frontdesk.Error{Code: frontdesk.EForbidden, Message: "a rule gives a role you may not give", Fields: probs}
	}
	return nil
}

// DeleteSource removes a source with its runs; the people it made stay. It needs settings.manage.
func (s *Syncer) DeleteSource(ctx context.Context, id int64) error {
	if err := need(ctx, frontdesk.PermSettingsManage, "deleting directory sources"); err != nil {
		return err
	}
	return s.DB.DeleteDirectorySource(ctx, id)
}

// Runs returns a source's latest runs, newest first; it needs imports.run.
func (s *Syncer) Runs(ctx context.Context, id int64) ([]*frontdesk.DirectoryRun, error) {
	if err := need(ctx, frontdesk.PermImportsRun, "reading directory runs"); err != nil {
		return nil, err
	}
	if _, err := s.DB.GetDirectorySource(ctx, id); err != nil {
		return nil, err
	}
	return s.DB.DirectoryRuns(ctx, id, 100)
}

// GetRun returns one run of a source with its changes; it needs imports.run.
func (s *Syncer) GetRun(ctx context.Context, id, runID int64) (*frontdesk.DirectoryRun, error) {
	if err := need(ctx, frontdesk.PermImportsRun, "reading directory runs"); err != nil {
		return nil, err
	}
	return s.DB.GetDirectoryRun(ctx, id, runID)
}

// Preview reads the directory and stores what a run would change, writing nothing else.
// It needs imports.run. A directory that cannot be read gives a failed run with the reason.
func (s *Syncer) Preview(ctx context.Context, id int64) (*frontdesk.DirectoryRun, error) {
	if err := need(ctx, frontdesk.PermImportsRun, "previewing a directory sync"); err != nil {
		return nil, err
	}
	src, err := s.DB.GetDirectorySource(ctx, id)
	if err != nil {
		return nil, err
	}
	run, _, err := s.preview(ctx, src, OriginManual)
	return run, err
}

// preview computes and stores a run's preview. A failure to read the directory is recorded
// on the run, which is returned with a nil error.
func (s *Syncer) preview(ctx context.Context, src *frontdesk.DirectorySource, origin string) (*frontdesk.DirectoryRun, *plan, error) {
	run := &frontdesk.DirectoryRun{SourceID: src.ID, State: frontdesk.RunPreviewed, Origin: origin, ActorName: frontdesk.ActorFrom(ctx).Name}
	if err := s.DB.SaveDirectoryRun(ctx, run); err != nil {
		return nil, nil, err
	}
	p, err := s.plan(ctx, src)
	now := s.now()
	run.FinishedAt = &now
	if err != nil {
		run.State, run.Error = frontdesk.RunFailed, err.Error()
		s.Log.Warn("directory sync failed", "source", src.Name, "err", err)
		if serr := s.DB.SaveDirectoryRun(context.WithoutCancel(ctx), run); serr != nil {
			return nil, nil, serr
		}
		return run, nil, nil
	}
	run.Changes, run.Counts, run.Digest = p.changes, p.counts(), p.digest()
	if err := s.DB.SaveDirectoryRun(ctx, run); err != nil {
		return nil, nil, err
	}
	return run, p, nil
}

func (s *Syncer) now() time.Time { return time.Now().UTC() }

// plan reads the directory and computes the changes.
func (s *Syncer) plan(ctx context.Context, src *frontdesk.DirectorySource) (*plan, error) {
	entries, _, err := fetch(ctx, src)
	if err != nil {
		return nil, err
	}
	pl := &planner{db: s.DB, src: src, names: map[string]string{}, region: s.Flows.PhoneRegion}
	return pl.compute(ctx, entries)
}

// Apply applies a previewed run once its preview is confirmed. It reads the directory again:
// when anything changed since the preview, nothing is applied, the run becomes stale and a
// new preview is returned with a conflict error naming it. It needs imports.run and the
// permissions of what the run does: people.create, people.update, people.manage, and for
// role changes the right to give and take each role (R3).
func (s *Syncer) Apply(ctx context.Context, id, runID int64) (*frontdesk.DirectoryRun, error) {
	if err := need(ctx, frontdesk.PermImportsRun, "applying a directory sync"); err != nil {
		return nil, err
	}
	src, err := s.DB.GetDirectorySource(ctx, id)
	if err != nil {
		return nil, err
	}
	run, err := s.DB.GetDirectoryRun(ctx, id, runID)
	if err != nil {
		return nil, err
	}
	if run.State != frontdesk.RunPreviewed {
		return nil, frontdesk.Errorf(frontdesk.EConflict, "run %d is %s; only a previewed run can be applied", run.ID, run.State)
	}
	if err := mayApply(frontdesk.ActorFrom(ctx), run.Changes); err != nil {
		return nil, err
	}
	p, err := s.plan(ctx, src)
	if err != nil {
		return nil, frontdesk.Errorf(frontdesk.EConflict, "the directory could not be read again to apply run %d: %v", run.ID, err)
	}
	if p.digest() != run.Digest {
		run.State = frontdesk.RunStale
		if err := s.DB.SaveDirectoryRun(ctx, run); err != nil {
			return nil, err
		}
		fresh, _, err := s.preview(ctx, src, OriginManual)
		if err != nil {
			return nil, err
		}
		return fresh, &frontdesk.Error{Code: frontdesk.EConflict,
			Message: fmt.Sprintf("the directory or the people changed since run %d was previewed; review the new preview, run %d", run.ID, fresh.ID),
			Extra:   map[string]any{"run_id": fresh.ID}}
	}
	claimed, err := s.DB.ClaimDirectoryRun(ctx, id, run.ID)
	if err != nil {
		return nil, err
	}
	if !claimed {
		return nil, frontdesk.Errorf(frontdesk.EConflict, "run %d is being applied or was applied already", run.ID)
	}
	if err := s.apply(ctx, src, run, p); err != nil {
		return nil, err
	}
	return run, nil
}

// Run runs a source as the scheduler does, as the system: a preview, applied at once when
// apply is set. It returns the run; a directory that cannot be read gives a failed run.
func (s *Syncer) Run(ctx context.Context, sourceID int64, apply bool) (*frontdesk.DirectoryRun, error) {
	src, err := s.DB.GetDirectorySource(ctx, sourceID)
	if err != nil {
		return nil, err
	}
	ctx = frontdesk.WithActor(ctx, frontdesk.System)
	run, p, err := s.preview(ctx, src, OriginSchedule)
	if err != nil || p == nil || !apply {
		return run, err
	}
	if claimed, err := s.DB.ClaimDirectoryRun(ctx, src.ID, run.ID); err != nil || !claimed {
		return run, err
	}
	return run, s.apply(ctx, src, run, p)
}

// mayApply checks that a person confirming a run holds what its changes need.
func mayApply(a frontdesk.Actor, changes []frontdesk.DirectoryChange) error {
	for _, ch := range changes {
		var p frontdesk.Permission
		switch ch.Action {
		case frontdesk.ChangeCreate:
			p = frontdesk.PermPeopleCreate
		case frontdesk.ChangeUpdate:
			p = frontdesk.PermPeopleUpdate
		case frontdesk.ChangeDisable, frontdesk.ChangeEnable:
			p = frontdesk.PermPeopleManage
		default:
			continue
		}
		if !a.Can(p) {
			return frontdesk.Errorf(frontdesk.EForbidden, "this run would %s people, which needs the %s permission", ch.Action, p)
		}
		for _, f := range ch.Fields {
			if f.Field != "role" {
				continue
			}
			from := frontdesk.Role(f.Old)
			if from == "" {
				from = frontdesk.RoleContact
			}
			if err := a.CheckRoleChange(from, frontdesk.Role(f.New)); err != nil {
				return err
			}
		}
	}
	return nil
}

// apply makes the plan's changes, each in its own transaction through the flows, and records
// the outcome of each on the run. The changes are made in the name of the source (audited as
// "directory NAME" with the person who confirmed), with the rights checked by mayApply or, for
// a scheduled run, by SaveSource.
func (s *Syncer) apply(ctx context.Context, src *frontdesk.DirectorySource, run *frontdesk.DirectoryRun, p *plan) error {
	who := frontdesk.ActorFrom(ctx)
	name := "directory " + src.Name
	if !who.System && who.Name != "" {
		name += " (confirmed by " + who.Name + ")"
	}
	actx := frontdesk.WithActor(ctx, frontdesk.Actor{ID: who.ID, Name: name, Role: frontdesk.RoleOwner, System: true})
	for _, l := range p.relink {
		if err := s.DB.LinkDirectoryEntry(actx, src.ID, l); err != nil {
			return err
		}
	}
	for i := range p.changes {
		ch := &p.changes[i]
		if ch.Error != "" {
			continue
		}
		if err := s.applyOne(actx, src, ch, p.wants[ch.Key]); err != nil {
			if frontdesk.ErrorCode(err) == frontdesk.EInternal {
				s.Log.Error("directory sync change failed", "source", src.Name, "key", ch.Key, "err", err)
				ch.Error = "internal error; see the server log"
			} else {
				ch.Error = message(err)
			}
		}
	}
	now := s.now()
	run.Changes, run.Counts = p.changes, p.counts()
	run.State, run.AppliedAt, run.FinishedAt = frontdesk.RunApplied, &now, &now
	return s.DB.SaveDirectoryRun(context.WithoutCancel(ctx), run)
}

func (s *Syncer) applyOne(ctx context.Context, src *frontdesk.DirectorySource, ch *frontdesk.DirectoryChange, d *desired) error {
	return s.DB.WithTx(ctx, func(ctx context.Context) error {
		link := store.DirectoryLink{PersonID: ch.PersonID, Key: ch.Key, DN: ch.DN}
		switch ch.Action {
		case frontdesk.ChangeCreate:
			p, err := s.Flows.PreparePerson(ctx, s.input(src, nil, d), frontdesk.ChannelImport)
			if err != nil {
				return err
			}
			markDirectory(p, d)
			if err := s.Flows.CreatePerson(ctx, p); err != nil {
				return err
			}
			ch.PersonID, link.PersonID = p.ID, p.ID
		case frontdesk.ChangeUpdate, frontdesk.ChangeEnable:
			if ch.Action == frontdesk.ChangeEnable {
				if _, err := s.Flows.SetState(ctx, ch.PersonID, store.StateChange{To: frontdesk.StateActive}); err != nil {
					return err
				}
			}
			old, err := s.DB.GetPerson(ctx, ch.PersonID)
			if err != nil {
				return err
			}
			if onlyState(ch) {
				break
			}
			if _, err := s.Flows.UpdatePerson(ctx, ch.PersonID, s.input(src, old, d)); err != nil {
				return err
			}
			if d.setOrg {
				if _, err := s.DB.UpdatePerson(ctx, ch.PersonID, func(p *frontdesk.Person) error { markDirectory(p, d); return nil }); err != nil {
					return err
				}
			}
		case frontdesk.ChangeDisable:
			if _, err := s.Flows.SetState(ctx, ch.PersonID, store.StateChange{To: frontdesk.StateDisabled}); err != nil {
				return err
			}
			link.DisabledBySync = true
		}
		return s.DB.LinkDirectoryEntry(ctx, src.ID, link)
	})
}

func onlyState(ch *frontdesk.DirectoryChange) bool {
	for _, f := range ch.Fields {
		if f.Field != "state" {
			return false
		}
	}
	return true
}

// input turns what the directory says into a person input: every field the source manages,
// old (nil for a new person) keeping the addresses and phones the directory does not know.
func (s *Syncer) input(src *frontdesk.DirectorySource, old *frontdesk.Person, d *desired) frontdesk.PersonInput {
	var in frontdesk.PersonInput
	if d.first != "" || d.last != "" {
		in.FirstName, in.LastName = &d.first, &d.last
	}
	if d.email != "" {
		emails := []frontdesk.Email{{Address: d.email, Primary: true}}
		if old != nil {
			for _, e := range old.Emails {
				if e.Address != d.email {
					emails = append(emails, frontdesk.Email{Address: e.Address, Verified: e.Verified})
				} else {
					emails[0].Verified = e.Verified
				}
			}
		}
		in.Emails = &emails
	}
	if d.phone != "" {
		phones := []frontdesk.Phone{{Number: d.phone, Label: "work"}}
		if old != nil {
			for _, ph := range old.Phones {
				if ph.Number != d.phone {
					phones = append(phones, ph)
				} else {
					phones[0].Label = ph.Label
				}
			}
		}
		in.Phones = &phones
	}
	if src.MatchBy == frontdesk.MatchExternalID {
		in.ExternalID = &d.externalID
	}
	setUsername(&in, src, d)
	if d.setOrg {
		in.OrganizationID = frontdesk.Ref{Set: true, ID: d.org}
		in.SiteID = frontdesk.Ref{Set: true, ID: d.site}
	}
	if old == nil || old.Role != d.role {
		role := d.role
		in.Role = &role
	}
	return in
}

// message returns the words of an error meant for people (an *frontdesk.Error).
func message(err error) string {
	var e *frontdesk.Error
	if errors.As(err, &e) {
		return e.Error()
	}
	return err.Error()
}
