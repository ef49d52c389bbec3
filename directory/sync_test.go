package directory

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"

	"frontdesk"
	"frontdesk/directory/ldaptest"
	"frontdesk/flow"
	"frontdesk/jobs"
	"frontdesk/mail"
	"frontdesk/store"
	"frontdesk/store/storetest"
)

// env is one engine's store, the flows and a syncer, with a directory to sync from.
type env struct {
	t     *testing.T
	db    *store.DB
	flows *flow.Flows
	sync  *Syncer
	ldap  *ldaptest.Server
	admin context.Context // an admin's context
	acme  *frontdesk.Organization
	hq    *frontdesk.Site
}

func each(t *testing.T, fn func(t *testing.T, e *env)) {
	s := ldaptest.Start(t)
	for _, eng := range storetest.Engines() {
		t.Run(string(eng), func(t *testing.T) {
			db := storetest.Open(t, eng)
			mailer, err := mail.New(db, mail.Config{From: "Desk <support@desk.example>"})
			if err != nil {
				t.Fatal(err)
			}
			f := flow.New(db, mailer, "http://desk.example")
			sys := frontdesk.WithActor(context.Background(), frontdesk.System)
			admin := &frontdesk.Person{Role: frontdesk.RoleAdmin, FirstName: "Ada", LastName: "Admin", State: frontdesk.StateActive,
				Channel: frontdesk.ChannelCLI, WebAccess: frontdesk.WebAccessNone, Custom: map[string]any{}}
			must(t, db.CreatePerson(sys, admin))
			e := &env{t: t, db: db, flows: f, sync: New(db, f), ldap: s,
				admin: frontdesk.WithActor(context.Background(), frontdesk.Actor{ID: admin.ID, Role: frontdesk.RoleAdmin, Name: "Ada Admin"})}
			e.acme = &frontdesk.Organization{Name: "Acme " + string(eng) + t.Name()}
			must(t, db.CreateOrganization(sys, e.acme))
			e.hq = &frontdesk.Site{OrganizationID: e.acme.ID, Name: "HQ"}
			must(t, db.CreateSite(sys, e.hq))
			fn(t, e)
		})
	}
}

// source saves a source for the test directory over StartTLS with its CA, reading as the
// reader account; change adjusts the input.
func (e *env) source(change func(in *frontdesk.DirectorySourceInput)) *frontdesk.DirectorySource {
	e.t.Helper()
	in := frontdesk.DirectorySourceInput{Name: ptr("Test directory"), URL: ptr(e.ldap.URL), TLS: ptr(frontdesk.DirectoryStartTLS),
		CACert: ptr(e.ldap.CAPEM), BindDN: ptr(ldaptest.ReaderDN), Password: ptr(ldaptest.ReaderPassword), BaseDN: ptr("ou=people," + ldaptest.Suffix),
		Dialect: ptr(frontdesk.DialectOpenLDAP), PageSize: ptr(5)}
	if change != nil {
		change(&in)
	}
	src, err := e.sync.SaveSource(e.admin, 0, in)
	if err != nil {
		e.t.Fatalf("save source: %v", err)
	}
	return src
}

func (e *env) preview(src *frontdesk.DirectorySource) *frontdesk.DirectoryRun {
	e.t.Helper()
	run, err := e.sync.Preview(e.admin, src.ID)
	if err != nil {
		e.t.Fatalf("preview: %v", err)
	}
	if run.State != frontdesk.RunPreviewed {
		e.t.Fatalf("preview is %s: %s", run.State, run.Error)
	}
	return run
}

func (e *env) apply(src *frontdesk.DirectorySource, run *frontdesk.DirectoryRun) *frontdesk.DirectoryRun {
	e.t.Helper()
	out, err := e.sync.Apply(e.admin, src.ID, run.ID)
	if err != nil {
		e.t.Fatalf("apply: %v", err)
	}
	return out
}

func (e *env) count(table string) int {
	n, err := e.db.CountRows(context.Background(), table)
	must(e.t, err)
	return n
}

func (e *env) byEmail(addr string) *frontdesk.Person {
	e.t.Helper()
	p, err := e.db.GetPersonByEmail(context.Background(), addr)
	if err != nil {
		e.t.Fatalf("person %s: %v", addr, err)
	}
	return p
}

func ptr[T any](v T) *T { return &v }

// change returns the run's change for an entry key or DN fragment.
func change(run *frontdesk.DirectoryRun, action, dnPart string) *frontdesk.DirectoryChange {
	for i, c := range run.Changes {
		if c.Action == action && strings.Contains(c.DN, dnPart) {
			return &run.Changes[i]
		}
	}
	return nil
}

func field(c *frontdesk.DirectoryChange, name string) *frontdesk.FieldChange {
	for i, f := range c.Fields {
		if f.Field == name {
			return &c.Fields[i]
		}
	}
	return nil
}

// B5: a preview lists creates and updates with their fields and writes nothing; applying it
// makes exactly those changes, and group membership and attributes decide role,
// organization and site through the ordered rules.
func TestB5PreviewWritesNothingApplyMakesIt(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		suffix := strings.ReplaceAll(t.Name(), "/", "-")
		ann := e.ldap.AddPerson(t, ldaptest.Person{UID: "ann-" + suffix, Given: "Ann", SN: "Lee", Mail: "ann@corp.test", Phone: "+1 202 555 0101", Dept: "Sales"})
		bob := e.ldap.AddPerson(t, ldaptest.Person{UID: "bob-" + suffix, Given: "Bob", SN: "Ray", Mail: "bob@corp.test", Dept: "Support"})
		e.ldap.AddPerson(t, ldaptest.Person{UID: "carl-" + suffix, Given: "Carl", SN: "Newname", Mail: "carl@corp.test"})
		group := e.ldap.AddGroup(t, "support-"+suffix, bob)
		t.Cleanup(func() {
			for _, dn := range []string{ann, bob, "uid=carl-" + suffix + ",ou=people," + ldaptest.Suffix, group} {
				e.ldap.Admin(t).Del(ldap.NewDelRequest(dn, nil))
			}
		})
		// Carl exists already, matched by eMail: an update, not a create.
		carl, err := e.flows.PreparePerson(e.admin, frontdesk.PersonInput{Name: ptr("Carl Oldname"), Email: ptr("carl@corp.test")}, frontdesk.ChannelConsole)
		must(t, err)
		must(t, e.flows.CreatePerson(e.admin, carl))

		src := e.source(func(in *frontdesk.DirectorySourceInput) {
			in.MatchBy = ptr(frontdesk.MatchEmail)
			in.Filter = ptr("(&(objectClass=inetOrgPerson)(uid=*-" + suffix + "))")
			in.Rules = &[]frontdesk.DirectoryRule{
				{Kind: frontdesk.RuleGroup, Value: strings.ToUpper(group), Role: frontdesk.RoleAgent},
				{Kind: frontdesk.RuleAttribute, Attribute: "departmentNumber", Op: frontdesk.RuleEquals, Value: "sales", OrganizationID: &e.acme.ID, SiteID: &e.hq.ID},
				{Kind: frontdesk.RuleAttribute, Attribute: "departmentNumber", Op: frontdesk.RuleContains, Value: "port", OrganizationID: &e.acme.ID},
			}
		})
		people, outbox := e.count("people"), e.count("outbox")
		run := e.preview(src)
		if got := run.Counts; got != (frontdesk.DirectoryCounts{Created: 2, Updated: 1}) {
			t.Fatalf("preview counts %+v, want 2 created and 1 updated; changes %+v", got, run.Changes)
		}
		links, err := e.db.DirectoryLinks(context.Background(), src.ID)
		must(t, err)
		if e.count("people") != people || e.count("outbox") != outbox || len(links) != 0 {
			t.Fatalf("the preview wrote: people %d -> %d, outbox %d -> %d, links %d", people, e.count("people"), outbox, e.count("outbox"), len(links))
		}
		c := change(run, frontdesk.ChangeCreate, "uid=ann")
		if c == nil || field(c, "first_name").New != "Ann" || field(c, "email").New != "ann@corp.test" ||
			field(c, "phone").New != "+12025550101" || field(c, "organization").New != e.acme.Name || field(c, "site").New != "HQ" ||
			field(c, "role").New != "contact" {
			t.Fatalf("create of ann: %+v", c)
		}
		c = change(run, frontdesk.ChangeCreate, "uid=bob")
		if c == nil || field(c, "role").New != "agent" || field(c, "organization").New != e.acme.Name || field(c, "site") != nil {
			t.Fatalf("create of bob (support group: agent; department Support: Acme): %+v", c)
		}
		c = change(run, frontdesk.ChangeUpdate, "uid=carl")
		if c == nil || c.PersonID != carl.ID || len(c.Fields) != 2 || *field(c, "last_name") != (frontdesk.FieldChange{Field: "last_name", Old: "Oldname", New: "Newname"}) ||
			field(c, "username").New != "carl-"+strings.ToLower(suffix) {
			t.Fatalf("update of carl: %+v", c)
		}
		stored, err := e.sync.GetRun(e.admin, src.ID, run.ID)
		must(t, err)
		if len(stored.Changes) != 3 || stored.Digest != run.Digest {
			t.Fatalf("the stored preview differs: %+v", stored)
		}

		applied := e.apply(src, run)
		if applied.State != frontdesk.RunApplied || applied.Counts != run.Counts {
			t.Fatalf("applied run %s %+v, want the preview's counts %+v (changes %+v)", applied.State, applied.Counts, run.Counts, applied.Changes)
		}
		if n := e.count("people"); n != people+2 {
			t.Fatalf("people %d -> %d, want two more", people, n)
		}
		a := e.byEmail("ann@corp.test")
		if a.FirstName != "Ann" || a.LastName != "Lee" || a.Role != frontdesk.RoleContact || *a.OrganizationID != e.acme.ID ||
			*a.SiteID != e.hq.ID || len(a.Phones) != 1 || a.Phones[0].Number != "+12025550101" || a.State != frontdesk.StateNotActivated {
			t.Fatalf("ann as created: %+v", a)
		}
		b := e.byEmail("bob@corp.test")
		if b.Role != frontdesk.RoleAgent || *b.OrganizationID != e.acme.ID || b.SiteID != nil || b.OrganizationSource != frontdesk.OrgSourceDirectory {
			t.Fatalf("bob as created: role %s org %v site %v", b.Role, b.OrganizationID, b.SiteID)
		}
		if got := e.byEmail("carl@corp.test"); got.ID != carl.ID || got.LastName != "Newname" || got.FirstName != "Carl" || got.Username != "carl-"+strings.ToLower(suffix) {
			t.Fatalf("carl as updated: %+v", got)
		}
		// Run again: nothing to do.
		again := e.preview(src)
		if again.Counts != (frontdesk.DirectoryCounts{Unchanged: 3}) || len(again.Changes) != 0 {
			t.Fatalf("second preview: %+v %+v", again.Counts, again.Changes)
		}
		// A run is applied once.
		if _, err := e.sync.Apply(e.admin, src.ID, run.ID); frontdesk.ErrorCode(err) != frontdesk.EConflict {
			t.Fatalf("applying a run twice: %v", err)
		}
	})
}

// B5, L3: a person who leaves the directory (deleted, or out of the source's filter) is
// disabled, never deleted, and their sessions end at once; when they come back, the source
// enables them again, but not someone staff disabled by hand.
func TestB5LeaverDisabledSessionsRevoked(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		suffix := strings.ReplaceAll(t.Name(), "/", "-")
		dana := e.ldap.AddPerson(t, ldaptest.Person{UID: "dana-" + suffix, Given: "Dana", SN: "Fox", Mail: "dana@corp.test", Dept: "Sales"})
		eve := e.ldap.AddPerson(t, ldaptest.Person{UID: "eve-" + suffix, Given: "Eve", SN: "Moss", Mail: "eve@corp.test"})
		hal := e.ldap.AddPerson(t, ldaptest.Person{UID: "hal-" + suffix, Given: "Hal", SN: "Gone", Mail: "hal@corp.test"})
		t.Cleanup(func() {
			for _, dn := range []string{dana, eve} {
				e.ldap.Admin(t).Del(ldap.NewDelRequest(dn, nil))
			}
		})
		src := e.source(func(in *frontdesk.DirectorySourceInput) {
			in.Filter = ptr("(&(uid=*-" + suffix + ")(!(departmentNumber=left)))")
		})
		e.apply(src, e.preview(src))
		d := e.byEmail("dana@corp.test")
		if d.ExternalID == "" || d.Username != "dana-"+strings.ToLower(suffix) {
			t.Fatalf("dana has external id %q (entryUUID) and username %q", d.ExternalID, d.Username)
		}
		_, err := e.flows.SetState(e.admin, d.ID, store.StateChange{To: frontdesk.StateActive})
		must(t, err)
		_, err = e.db.CreateSession(context.Background(), "dana-session-secret-"+suffix, d.ID, 3600e9, "test", "127.0.0.1")
		must(t, err)
		if _, _, err := e.db.SessionPerson(context.Background(), "dana-session-secret-"+suffix); err != nil {
			t.Fatalf("dana's session before she leaves: %v", err)
		}

		e.ldap.Modify(t, dana, map[string][]string{"departmentNumber": {"left"}})
		e.ldap.Remove(t, hal)
		people := e.count("people")
		run := e.preview(src)
		c := change(run, frontdesk.ChangeDisable, "uid=dana")
		if run.Counts != (frontdesk.DirectoryCounts{Disabled: 2, Unchanged: 1}) || c == nil || c.PersonID != d.ID ||
			*field(c, "state") != (frontdesk.FieldChange{Field: "state", Old: "active", New: "disabled"}) ||
			change(run, frontdesk.ChangeDisable, "uid=hal") == nil {
			t.Fatalf("preview after dana and hal left: %+v %+v", run.Counts, run.Changes)
		}
		if got := e.byEmail("dana@corp.test"); got.State != frontdesk.StateActive {
			t.Fatalf("the preview disabled dana: %s", got.State)
		}
		e.apply(src, run)
		got := e.byEmail("dana@corp.test")
		if got.State != frontdesk.StateDisabled || e.byEmail("hal@corp.test").State != frontdesk.StateDisabled || e.count("people") != people {
			t.Fatalf("dana after apply: %s; people %d -> %d (never deleted)", got.State, people, e.count("people"))
		}
		sessions, err := e.db.ListSessions(context.Background(), d.ID)
		must(t, err)
		if len(sessions) != 0 {
			t.Fatalf("dana's sessions live on: %+v", sessions)
		}
		if _, _, err := e.db.SessionPerson(context.Background(), "dana-session-secret-"+suffix); err == nil {
			t.Fatal("dana's session still logs her in")
		}

		// Back in the directory: enabled again by the source that disabled her.
		e.ldap.Modify(t, dana, map[string][]string{"departmentNumber": {"Sales"}})
		run = e.preview(src)
		if c := change(run, frontdesk.ChangeEnable, "uid=dana"); c == nil || c.PersonID != d.ID || len(run.Changes) != 1 {
			t.Fatalf("dana's return: %+v", run.Changes)
		}
		e.apply(src, run)
		if got := e.byEmail("dana@corp.test"); got.State != frontdesk.StateActive {
			t.Fatalf("dana after her return: %s", got.State)
		}

		// Eve, disabled by staff, stays disabled although the directory still has her.
		ev := e.byEmail("eve@corp.test")
		_, err = e.flows.SetState(e.admin, ev.ID, store.StateChange{To: frontdesk.StateDisabled})
		must(t, err)
		if run := e.preview(src); len(run.Changes) != 0 {
			t.Fatalf("the source overrules staff: %+v", run.Changes)
		}
	})
}

// B5: a directory larger than the server's size limit is read page by page (RFC 2696).
func TestB5PagedResults(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		suffix := strings.ReplaceAll(t.Name(), "/", "-")
		const n = 3*ldaptest.SizeLimit + 2
		for i := range n {
			dn := e.ldap.AddPerson(t, ldaptest.Person{UID: fmt.Sprintf("p%02d-%s", i, suffix), Given: "P", SN: fmt.Sprintf("N%02d", i),
				Mail: fmt.Sprintf("p%02d-%d@corp.test", i, len(suffix))})
			t.Cleanup(func() { e.ldap.Admin(t).Del(ldap.NewDelRequest(dn, nil)) })
		}
		src := e.source(func(in *frontdesk.DirectorySourceInput) { in.Filter = ptr("(uid=*-" + suffix + ")") })
		// Without paging the server stops at its size limit: the limit is real.
		conn, err := connect(context.Background(), src)
		must(t, err)
		_, err = conn.Search(ldap.NewSearchRequest(src.BaseDN, ldap.ScopeWholeSubtree, 0, 0, 0, false, src.Filter, []string{"uid"}, nil))
		conn.Close()
		if !ldap.IsErrorWithCode(err, ldap.LDAPResultSizeLimitExceeded) {
			t.Fatalf("a search without paging: %v, want sizeLimitExceeded", err)
		}
		entries, pages, err := fetch(context.Background(), src)
		must(t, err)
		if len(entries) != n || pages < n/5 {
			t.Fatalf("fetched %d entries in %d pages, want %d in at least %d", len(entries), pages, n, n/5)
		}
		run := e.apply(src, e.preview(src))
		if run.Counts.Created != n {
			t.Fatalf("created %d of %d: %+v", run.Counts.Created, n, run.Changes)
		}
	})
}

// B5: a bind refused by the directory gives a failed run that says so, and changes nothing.
func TestB5BadBindRecordedOnRun(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		src := e.source(func(in *frontdesk.DirectorySourceInput) { in.Password = ptr("wrong") })
		people := e.count("people")
		run, err := e.sync.Preview(e.admin, src.ID)
		must(t, err)
		if run.State != frontdesk.RunFailed || !strings.Contains(run.Error, "invalid credentials") || !strings.Contains(run.Error, ldaptest.ReaderDN) {
			t.Fatalf("run with a bad password: %s %q", run.State, run.Error)
		}
		runs, err := e.sync.Runs(e.admin, src.ID)
		must(t, err)
		if len(runs) != 1 || runs[0].Error != run.Error || runs[0].FinishedAt == nil {
			t.Fatalf("runs: %+v", runs)
		}
		if _, err := e.sync.Apply(e.admin, src.ID, run.ID); frontdesk.ErrorCode(err) != frontdesk.EConflict {
			t.Fatalf("applying a failed run: %v", err)
		}
		if e.count("people") != people {
			t.Fatal("a failed run wrote people")
		}
		// A certificate the source does not trust fails too, naming the address.
		other, err := e.sync.SaveSource(e.admin, 0, frontdesk.DirectorySourceInput{Name: ptr("Untrusted"), URL: ptr(e.ldap.LDAPSURL),
			BindDN: ptr(ldaptest.ReaderDN), Password: ptr(ldaptest.ReaderPassword), BaseDN: ptr(ldaptest.Suffix)})
		must(t, err)
		run, err = e.sync.Preview(e.admin, other.ID)
		must(t, err)
		if run.State != frontdesk.RunFailed || !strings.Contains(run.Error, "certificate") {
			t.Fatalf("run against an untrusted certificate: %s %q", run.State, run.Error)
		}
	})
}

// B5: a preview confirmed after the directory changed is not applied; a new preview is made.
func TestB5StalePreviewRecomputed(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		suffix := strings.ReplaceAll(t.Name(), "/", "-")
		fay := e.ldap.AddPerson(t, ldaptest.Person{UID: "fay-" + suffix, Given: "Fay", SN: "Old", Mail: "fay@corp.test"})
		t.Cleanup(func() { e.ldap.Admin(t).Del(ldap.NewDelRequest(fay, nil)) })
		src := e.source(func(in *frontdesk.DirectorySourceInput) { in.Filter = ptr("(uid=*-" + suffix + ")") })
		run := e.preview(src)
		e.ldap.Modify(t, fay, map[string][]string{"sn": {"New"}})
		people := e.count("people")
		fresh, err := e.sync.Apply(e.admin, src.ID, run.ID)
		if frontdesk.ErrorCode(err) != frontdesk.EConflict || fresh == nil || fresh.ID == run.ID {
			t.Fatalf("apply after a change: %v %+v", err, fresh)
		}
		if e.count("people") != people {
			t.Fatal("a stale preview was applied")
		}
		old, err := e.sync.GetRun(e.admin, src.ID, run.ID)
		must(t, err)
		if old.State != frontdesk.RunStale {
			t.Fatalf("the old run is %s", old.State)
		}
		if c := change(fresh, frontdesk.ChangeCreate, "uid=fay"); c == nil || field(c, "last_name").New != "New" {
			t.Fatalf("new preview: %+v", fresh.Changes)
		}
		e.apply(src, fresh)
		if e.byEmail("fay@corp.test").LastName != "New" {
			t.Fatal("fay not created from the new preview")
		}
	})
}

// B5: only settings.manage configures sources, only imports.run previews, and nobody sets
// up a rule giving a role they may not give (R3), nor the owner role.
func TestB5Permissions(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		agent := frontdesk.WithActor(context.Background(), frontdesk.Actor{ID: 999, Role: frontdesk.RoleAgent, Name: "Agent"})
		if _, err := e.sync.SaveSource(agent, 0, frontdesk.DirectorySourceInput{Name: ptr("x")}); frontdesk.ErrorCode(err) != frontdesk.EForbidden {
			t.Fatalf("an agent saves a source: %v", err)
		}
		src := e.source(nil)
		if _, err := e.sync.Preview(agent, src.ID); frontdesk.ErrorCode(err) != frontdesk.EForbidden {
			t.Fatalf("an agent previews: %v", err)
		}
		if _, err := e.sync.Sources(agent); frontdesk.ErrorCode(err) != frontdesk.EForbidden {
			t.Fatalf("an agent lists sources: %v", err)
		}
		_, err := e.sync.SaveSource(e.admin, src.ID, frontdesk.DirectorySourceInput{Rules: &[]frontdesk.DirectoryRule{
			{Kind: frontdesk.RuleGroup, Value: "cn=x," + ldaptest.Suffix, Role: frontdesk.RoleOwner}}})
		if frontdesk.ErrorCode(err) != frontdesk.EInvalid || !strings.Contains(err.Error(), "rules[0].role") {
			t.Fatalf("a rule giving the owner role: %v", err)
		}
		// A custom-role admin without roles.assign cannot make agents by rule.
		limited := frontdesk.WithActor(context.Background(), frontdesk.Actor{ID: 998, Role: frontdesk.RoleAdmin, Name: "Limited",
			Permissions: []frontdesk.Permission{frontdesk.PermSettingsManage, frontdesk.PermImportsRun}})
		_, err = e.sync.SaveSource(limited, src.ID, frontdesk.DirectorySourceInput{Rules: &[]frontdesk.DirectoryRule{
			{Kind: frontdesk.RuleGroup, Value: "cn=x," + ldaptest.Suffix, Role: frontdesk.RoleAgent}}})
		if frontdesk.ErrorCode(err) != frontdesk.EForbidden {
			t.Fatalf("a rule giving a role the saver may not give: %v", err)
		}
		got, err := e.sync.Source(e.admin, src.ID)
		must(t, err)
		if len(got.Rules) != 0 || !got.PasswordSet {
			t.Fatalf("source after refused changes: %+v", got)
		}
		// The bind password is kept out of the audit log.
		_, err = e.sync.SaveSource(e.admin, src.ID, frontdesk.DirectorySourceInput{Password: ptr("second-secret")})
		must(t, err)
		entries, _, err := e.db.ListAudit(context.Background(), frontdesk.AuditFilter{SubjectType: "directory_source", SubjectID: src.ID, Limit: 10})
		must(t, err)
		if len(entries) != 2 {
			t.Fatalf("audit entries of the source: %d", len(entries))
		}
		for _, en := range entries {
			if strings.Contains(string(en.Before)+string(en.After), ldaptest.ReaderPassword) || strings.Contains(string(en.Before)+string(en.After), "second-secret") {
				t.Fatalf("the audit log holds the bind password: %s %s", en.Before, en.After)
			}
		}
	})
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// B5: the Active Directory dialect, against a directory with AD's attributes (objectGUID as
// binary, sAMAccountName, userAccountControl) over ldaps: the GUID in AD's text form is the
// key and the external id, sAMAccountName the username, memberOf (the memberof overlay)
// decides the role, and an account with the disabled bit counts as gone.
func TestB5ActiveDirectoryDialect(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		suffix := strings.ReplaceAll(t.Name(), "/", "-")
		guid := func(last byte) []byte {
			return []byte{0x33, 0x22, 0x11, 0x00, 0x55, 0x44, 0x77, 0x66, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, last}
		}
		ivy := e.ldap.AddPerson(t, ldaptest.Person{UID: "ivy-" + suffix, Given: "Ivy", SN: "Stone", Mail: "ivy@corp.test", GUID: guid(1), UAC: 512})
		jon := e.ldap.AddPerson(t, ldaptest.Person{UID: "jon-" + suffix, Given: "Jon", SN: "Off", Mail: "jon@corp.test", GUID: guid(2), UAC: 514})
		admins := e.ldap.AddGroup(t, "admins-"+suffix, ivy)
		t.Cleanup(func() {
			for _, dn := range []string{admins, ivy, jon} {
				e.ldap.Admin(t).Del(ldap.NewDelRequest(dn, nil))
			}
		})
		src := e.source(func(in *frontdesk.DirectorySourceInput) {
			in.URL, in.TLS, in.Dialect = ptr(e.ldap.LDAPSURL), ptr(frontdesk.DirectoryLDAPS), ptr(frontdesk.DialectActiveDirectory)
			in.Attributes = &frontdesk.DirectoryAttributes{ExternalID: "objectGUID", Username: "sAMAccountName", Name: "cn",
				GivenName: "givenName", Surname: "sn", Email: "mail"}
			in.Filter = ptr("(&(objectClass=frontdeskADUser)(sAMAccountName=*-" + suffix + "))")
			in.Rules = &[]frontdesk.DirectoryRule{{Kind: frontdesk.RuleGroup, Value: admins, Role: frontdesk.RoleAgent}}
		})
		run := e.preview(src)
		c := change(run, frontdesk.ChangeCreate, "uid=ivy")
		if run.Counts != (frontdesk.DirectoryCounts{Created: 1}) || c == nil || c.Key != "00112233-4455-6677-8899-aabbccddee01" ||
			field(c, "username").New != "ivy-"+strings.ToLower(suffix) || field(c, "role").New != "agent" {
			t.Fatalf("AD preview: %+v %+v", run.Counts, run.Changes)
		}
		e.apply(src, run)
		p := e.byEmail("ivy@corp.test")
		if p.ExternalID != "00112233-4455-6677-8899-aabbccddee01" || p.Role != frontdesk.RoleAgent {
			t.Fatalf("ivy: external id %q role %s", p.ExternalID, p.Role)
		}
		// Disabling the account in AD disables the person.
		e.ldap.Modify(t, ivy, map[string][]string{"userAccountControl": {"514"}})
		run = e.apply(src, e.preview(src))
		if run.Counts != (frontdesk.DirectoryCounts{Disabled: 1}) || e.byEmail("ivy@corp.test").State != frontdesk.StateDisabled {
			t.Fatalf("after the AD account was disabled: %+v", run.Counts)
		}
	})
}

// B5: a source with a schedule is synced by the durable job runner, as the system, without
// anyone confirming: the run is recorded with origin schedule and the source's next run moves on.
func TestB5ScheduledRunViaJobs(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		suffix := strings.ReplaceAll(t.Name(), "/", "-")
		kim := e.ldap.AddPerson(t, ldaptest.Person{UID: "kim-" + suffix, Given: "Kim", SN: "Sched", Mail: "kim@corp.test"})
		t.Cleanup(func() { e.ldap.Admin(t).Del(ldap.NewDelRequest(kim, nil)) })
		src := e.source(func(in *frontdesk.DirectorySourceInput) {
			in.Filter = ptr("(uid=*-" + suffix + ")")
			in.Schedule, in.IntervalHours = ptr(frontdesk.ScheduleInterval), ptr(6)
		})
		if src.NextRunAt == nil || time.Until(*src.NextRunAt) < 5*time.Hour {
			t.Fatalf("next run of a source every 6 hours: %v", src.NextRunAt)
		}
		// Due now: as if six hours had passed.
		past := time.Now().Add(-time.Minute)
		must(t, e.db.SetDirectoryRunTimes(context.Background(), src.ID, past, &past))
		must(t, e.sync.Reschedule(context.Background()))

		runner := jobs.NewRunner(e.db, jobs.Config{Name: "b5-" + suffix, Poll: 20 * time.Millisecond})
		e.sync.Register(runner)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- runner.Run(ctx) }()
		defer func() { cancel(); <-done }()
		var runs []*frontdesk.DirectoryRun
		for i := 0; ; i++ {
			var err error
			runs, err = e.sync.Runs(e.admin, src.ID)
			must(t, err)
			if len(runs) > 0 && runs[0].State != frontdesk.RunPreviewed {
				break
			}
			if i > 3000 {
				t.Fatalf("the scheduled run did not happen: %+v", runs)
			}
			time.Sleep(20 * time.Millisecond)
		}
		if runs[0].Origin != OriginSchedule || runs[0].State != frontdesk.RunApplied || runs[0].Counts.Created != 1 {
			t.Fatalf("scheduled run: %+v", runs[0])
		}
		// The run is claimed (applied) before its changes are made: wait for them to land.
		for i := 0; ; i++ {
			if _, err := e.db.GetPersonByEmail(context.Background(), "kim@corp.test"); err == nil {
				break
			}
			if i > 3000 {
				t.Fatal("the scheduled run's person never landed")
			}
			time.Sleep(20 * time.Millisecond)
		}
		if p := e.byEmail("kim@corp.test"); p.Channel != frontdesk.ChannelImport {
			t.Fatalf("kim: %+v", p)
		}
		for i := 0; ; i++ {
			got, err := e.sync.Source(e.admin, src.ID)
			must(t, err)
			if got.LastRunAt != nil && got.NextRunAt != nil && time.Until(*got.NextRunAt) > 5*time.Hour {
				break
			}
			if i > 3000 {
				t.Fatalf("the source's next run did not move on: last %v next %v", got.LastRunAt, got.NextRunAt)
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}

// B5, R3, P2: the owner keeps the owner role whatever the rules say and is never disabled
// by the directory; a person confirming a run needs the right to make each role change.
func TestB5OwnerAndRoleRules(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		suffix := strings.ReplaceAll(t.Name(), "/", "-")
		sys := frontdesk.WithActor(context.Background(), frontdesk.System)
		owner := &frontdesk.Person{Role: frontdesk.RoleOwner, FirstName: "Olive", LastName: "Owner", State: frontdesk.StateActive,
			Channel: frontdesk.ChannelCLI, WebAccess: frontdesk.WebAccessNone, Custom: map[string]any{},
			Emails: []frontdesk.Email{{Address: "olive@corp.test", Primary: true, Verified: true}}}
		must(t, e.db.CreatePerson(sys, owner))
		olive := e.ldap.AddPerson(t, ldaptest.Person{UID: "olive-" + suffix, Given: "Olive", SN: "Owner", Mail: "olive@corp.test"})
		pat := e.ldap.AddPerson(t, ldaptest.Person{UID: "pat-" + suffix, Given: "Pat", SN: "Agent", Mail: "pat@corp.test"})
		t.Cleanup(func() { e.ldap.Admin(t).Del(ldap.NewDelRequest(pat, nil)) })
		src := e.source(func(in *frontdesk.DirectorySourceInput) {
			in.MatchBy, in.Filter = ptr(frontdesk.MatchEmail), ptr("(uid=*-"+suffix+")")
			in.Rules = &[]frontdesk.DirectoryRule{{Kind: frontdesk.RuleAttribute, Attribute: "mail", Op: frontdesk.RuleContains, Value: "@corp.test", Role: frontdesk.RoleAdmin}}
		})
		run := e.preview(src)
		if c := change(run, frontdesk.ChangeUpdate, "uid=olive"); c != nil && field(c, "role") != nil {
			t.Fatalf("the owner's role would change: %+v", c)
		}
		// An admin made admins by rule: a custom staff role without roles.assign may not.
		limited := frontdesk.WithActor(context.Background(), frontdesk.Actor{ID: 997, Role: frontdesk.RoleAdmin, Name: "Limited",
			Permissions: []frontdesk.Permission{frontdesk.PermImportsRun, frontdesk.PermPeopleCreate, frontdesk.PermPeopleUpdate, frontdesk.PermPeopleManage}})
		if _, err := e.sync.Apply(limited, src.ID, run.ID); frontdesk.ErrorCode(err) != frontdesk.EForbidden {
			t.Fatalf("applying role changes without roles.assign: %v", err)
		}
		e.apply(src, run)
		if o := e.byEmail("olive@corp.test"); o.Role != frontdesk.RoleOwner || e.byEmail("pat@corp.test").Role != frontdesk.RoleAdmin {
			t.Fatalf("roles after apply: owner %s, pat %s", o.Role, e.byEmail("pat@corp.test").Role)
		}
		// The owner leaves the directory: reported, not disabled.
		e.ldap.Remove(t, olive)
		run = e.apply(src, e.preview(src))
		if c := change(run, frontdesk.ChangeFail, "uid=olive"); c == nil || !strings.Contains(c.Error, "owner") || run.Counts.Failed != 1 {
			t.Fatalf("the owner left: %+v", run.Changes)
		}
		if o := e.byEmail("olive@corp.test"); o.State != frontdesk.StateActive {
			t.Fatalf("the owner is %s", o.State)
		}
	})
}

// B5: two confirmations of one preview at once apply it once.
func TestB5ConcurrentApplyOnce(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		suffix := strings.ReplaceAll(t.Name(), "/", "-")
		for _, uid := range []string{"q1", "q2", "q3"} {
			dn := e.ldap.AddPerson(t, ldaptest.Person{UID: uid + "-" + suffix, Given: "Q", SN: uid, Mail: uid + "@corp.test"})
			t.Cleanup(func() { e.ldap.Admin(t).Del(ldap.NewDelRequest(dn, nil)) })
		}
		src := e.source(func(in *frontdesk.DirectorySourceInput) { in.Filter = ptr("(uid=*-" + suffix + ")") })
		run := e.preview(src)
		people := e.count("people")
		errs := make(chan error, 2)
		for range 2 {
			go func() {
				_, err := e.sync.Apply(e.admin, src.ID, run.ID)
				errs <- err
			}()
		}
		var ok, conflict int
		for range 2 {
			switch err := <-errs; frontdesk.ErrorCode(err) {
			case frontdesk.EConflict:
				conflict++
			default:
				if err != nil {
					t.Fatalf("apply: %v", err)
				}
				ok++
			}
		}
		if ok != 1 || conflict != 1 || e.count("people") != people+3 {
			t.Fatalf("%d applied, %d refused; people %d -> %d", ok, conflict, people, e.count("people"))
		}
		got, err := e.sync.GetRun(e.admin, src.ID, run.ID)
		must(t, err)
		if got.State != frontdesk.RunApplied || got.Counts.Created != 3 || got.Counts.Failed != 0 {
			t.Fatalf("the run: %s %+v", got.State, got.Counts)
		}
	})
}
