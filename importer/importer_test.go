package importer

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"frontdesk"
	"frontdesk/flow"
	"frontdesk/mail"
	"frontdesk/store"
	"frontdesk/store/storetest"
)

var sys = frontdesk.WithActor(context.Background(), frontdesk.System)

const hdr = "name,email,phone,organization,site,external_id"

// fixture is a database with the organization Acme (sites Berlin and Paris) and an importer.
type fixture struct {
	db   *store.DB
	im   *Importer
	org  int64
	site map[string]int64
	dir  string
}

func newFixture(t testing.TB, db *store.DB) *fixture {
	t.Helper()
	mailer, err := mail.New(db, mail.Config{})
	if err != nil {
		t.Fatal(err)
	}
	flows := flow.New(db, mailer, "http://desk.example")
	flows.PhoneRegion = "DE"
	f := &fixture{db: db, im: New(db, flows), site: map[string]int64{}, dir: t.TempDir()}
	o := &frontdesk.Organization{Name: "Acme", Domains: []string{}}
	if err := db.CreateOrganization(sys, o); err != nil {
		t.Fatal(err)
	}
	f.org = o.ID
	for _, n := range []string{"Berlin", "Paris"} {
		s := &frontdesk.Site{OrganizationID: o.ID, Name: n}
		if err := db.CreateSite(sys, s); err != nil {
			t.Fatal(err)
		}
		f.site[n] = s.ID
	}
	return f
}

func (f *fixture) file(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(f.dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func (f *fixture) mustImport(t *testing.T, content string, opts Options) *Import {
	t.Helper()
	if opts.Kind == "" {
		opts.Kind = KindPeople
	}
	im, err := f.im.ImportFile(sys, f.file(t, "people.csv", content), opts, nil)
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	return im
}

func (f *fixture) rejections(t *testing.T, id int64) [][]string {
	t.Helper()
	var buf bytes.Buffer
	if err := f.im.WriteRejections(sys, id, &buf); err != nil {
		t.Fatal(err)
	}
	r := csv.NewReader(&buf)
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows[1:]
}

func wantCounts(t *testing.T, got, want Counts) {
	t.Helper()
	if got != want {
		t.Fatalf("counts %+v, want %+v", got, want)
	}
}

func mustPerson(t *testing.T, db *store.DB, email string) *frontdesk.Person {
	t.Helper()
	p, err := db.GetPersonByEmail(sys, email)
	if err != nil {
		t.Fatalf("%s: %v", email, err)
	}
	return p
}

func count(t *testing.T, db *store.DB, table string) int {
	t.Helper()
	n, err := db.CountRows(sys, table)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// B1, L1: a people file creates people exactly as the console would (normalized phone,
// organization and site by name, not activated, no mail), then updates only what changed.
func TestB1_PeopleCreateUpdateUnchanged_L1(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		if err := db.CreateCustomField(sys, &frontdesk.CustomField{Key: "tier", Label: "Tier", Type: frontdesk.FieldNumber}); err != nil {
			t.Fatal(err)
		}
		mail0 := count(t, db, "outbox")
		im := f.mustImport(t, hdr+",tier,Nickname\n"+
			"Ada Lovelace,ADA@Example.com,030 1234567,acme,berlin,crm-1,3,x\n"+
			"Grace Hopper,grace@example.com,,Acme,Paris,,,\n", Options{})
		wantCounts(t, im.Counts, Counts{Rows: 2, Created: 2})
		if im.State != StateDone || len(im.UnknownHeaders) != 1 || im.UnknownHeaders[0] != "Nickname" {
			t.Fatalf("import: %+v", im)
		}
		ada := mustPerson(t, db, "ada@example.com")
		if ada.FirstName != "Ada" || ada.LastName != "Lovelace" || ada.Phones[0].Number != "+49301234567" || ada.ExternalID != "crm-1" ||
			*ada.OrganizationID != f.org || *ada.SiteID != f.site["Berlin"] || ada.Custom["tier"] != 3.0 {
			t.Fatalf("ada: %+v", ada)
		}
		// L1: not activated, unverified, from the import channel; E2: no mail without asking.
		if ada.State != frontdesk.StateNotActivated || ada.Emails[0].Verified || ada.Channel != frontdesk.ChannelImport ||
			ada.OrganizationSource != frontdesk.OrgSourceImport {
			t.Fatalf("ada: state %s verified %v channel %s source %s", ada.State, ada.Emails[0].Verified, ada.Channel, ada.OrganizationSource)
		}
		if n := count(t, db, "outbox"); n != mail0 {
			t.Fatalf("an import without the welcome email queued %d mails", n-mail0)
		}
		im = f.mustImport(t, hdr+"\n"+
			"Ada Lovelace,ada@example.com,+49 30 1234567,Acme,Berlin,crm-1\n"+
			"Grace Hopper,grace@example.com,+33 1 23 45 67 89,Acme,Paris,\n", Options{})
		wantCounts(t, im.Counts, Counts{Rows: 2, Updated: 1, Unchanged: 1})
		if g := mustPerson(t, db, "grace@example.com"); len(g.Phones) != 1 || g.Phones[0].Number != "+33123456789" {
			t.Fatalf("grace: %+v", g.Phones)
		}
		if n := count(t, db, "people"); n != 2 {
			t.Fatalf("%d people", n)
		}
	})
}

// B1: each upsert key finds the person it names; the key comes from the setting or the import.
func TestB1_UpsertKeys(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		f.mustImport(t, hdr+",username\nAda,ada@example.com,,Acme,Berlin,crm-1,ADA\n", Options{})
		// By external id: the address changes, the person stays.
		im := f.mustImport(t, hdr+"\nAda,ada2@example.com,,Acme,Berlin,crm-1\n", Options{Key: "external_id"})
		wantCounts(t, im.Counts, Counts{Rows: 1, Updated: 1})
		ada := mustPerson(t, db, "ada2@example.com")
		// By username, from the setting.
		key := frontdesk.ImportKeyUsername
		if _, err := db.UpdateSettings(sys, frontdesk.SettingsInput{ImportKey: &key}); err != nil {
			t.Fatal(err)
		}
		im = f.mustImport(t, hdr+",username\nAda Byron,,,Acme,Paris,,Ada\n", Options{})
		wantCounts(t, im.Counts, Counts{Rows: 1, Updated: 1})
		p, _ := db.GetPerson(sys, ada.ID)
		if p.LastName != "Byron" || *p.SiteID != f.site["Paris"] || p.Username != "ada" {
			t.Fatalf("after username import: %+v", p)
		}
		// A username file lacking the username column is refused whole.
		if _, err := f.im.ImportFile(sys, f.file(t, "x.csv", hdr+"\nA,a@example.com,,Acme,Paris,\n"), Options{Kind: KindPeople}, nil); !IsFileError(err) {
			t.Fatalf("no username column: %v", err)
		}
		// By email, named by the import: a second address of a person finds them too.
		im = f.mustImport(t, hdr+"\nAda Byron,ADA2@example.com,,Acme,Paris,\n", Options{Key: "email"})
		wantCounts(t, im.Counts, Counts{Rows: 1, Unchanged: 1})
		if n := count(t, db, "people"); n != 1 {
			t.Fatalf("%d people", n)
		}
	})
}

// B1: CSV dialects: delimiters ; tab |, a BOM, CRLF, quoted newlines; header names in any case.
func TestB1_CSVDialects(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		for i, content := range []string{
			"\ufeffNAME;Email;phone;organization;site;external_id;notes\r\nA One;one@example.com;;Acme;Berlin;;\"two\r\nlines\"\r\n",
			"name\temail\tphone\torganization\tsite\texternal_id\nA Two\ttwo@example.com\t\tAcme\tBerlin\t\n",
			" name |email|phone|organization|site|external_id\nA Three|three@example.com||Acme|Berlin|\n",
		} {
			im := f.mustImport(t, content, Options{})
			wantCounts(t, im.Counts, Counts{Rows: 1, Created: 1})
			_ = i
		}
		if p := mustPerson(t, db, "one@example.com"); p.Notes != "two\nlines" && p.Notes != "two\r\nlines" {
			t.Fatalf("notes %q", p.Notes)
		}
		mustPerson(t, db, "two@example.com")
		mustPerson(t, db, "three@example.com")
	})
}

// B1 bad input: files that are not CSV or XLSX, wrong encodings, a header missing a required
// column are refused with a clear error, and nothing is imported.
func TestB1_BadFiles(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		var zipNotXLSX bytes.Buffer
		{
			x := excelize.NewFile()
			x.Close()
		}
		zipNotXLSX.WriteString("PK\x03\x04this is no workbook at all")
		cases := []struct{ name, content, want string }{
			{"pdf", "%PDF-1.7\n%âãÏÓ\n", "PDF"},
			{"zip", zipNotXLSX.String(), "not an XLSX workbook"},
			{"xls", "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1rest", ".xls"},
			{"utf16", "\xFF\xFEn\x00a\x00m\x00e\x00", "UTF-16"},
			{"latin1", hdr + "\nJos\xe9 P\xe9rez,jose@example.com,,Acme,Berlin,\n", "line 2 is not valid UTF-8"},
			{"binary", "abc\x00\x01\x02\x03\x04\x05\x06", "NUL"},
			{"missing", "name,email,phone,organization,external_id\nA,a@example.com,,Acme,\n", "lacks the required column(s) site"},
			{"empty", "", "empty"},
		}
		for _, c := range cases {
			_, err := f.im.ImportFile(sys, f.file(t, c.name, c.content), Options{Kind: KindPeople}, nil)
			if !IsFileError(err) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%s: %v, want a file error with %q", c.name, err, c.want)
			}
			if frontdesk.ErrorCode(err) != frontdesk.EInvalid {
				t.Errorf("%s: code %s", c.name, frontdesk.ErrorCode(err))
			}
			_, err = f.im.Create(sys, c.name, strings.NewReader(c.content), Options{Kind: KindPeople})
			if c.name != "zip" && c.name != "missing" && !IsFileError(err) {
				t.Errorf("upload %s: %v", c.name, err)
			}
		}
		if n := count(t, db, "people"); n != 0 {
			t.Fatalf("%d people", n)
		}
	})
}

// B1: formulas in XLSX cells give the value saved with them, never evaluated anew.
func TestB1_XLSXFormulaCachedValue(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		x := excelize.NewFile()
		sh := x.GetSheetName(0)
		for i, v := range strings.Split(hdr, ",") {
			cell, _ := excelize.CoordinatesToCellName(i+1, 1)
			x.SetCellStr(sh, cell, v)
		}
		row := []string{"", "xl@example.com", "", "Acme", "Berlin", ""}
		for i, v := range row {
			cell, _ := excelize.CoordinatesToCellName(i+1, 2)
			x.SetCellStr(sh, cell, v)
		}
		x.SetCellStr(sh, "A2", "Cached Name")
		// The saved value differs from what the formula would give now.
		x.SetCellInt(sh, "F2", 42)
		if err := x.SetCellFormula(sh, "F2", "40+1"); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(f.dir, "people.xlsx")
		if err := x.SaveAs(path); err != nil {
			t.Fatal(err)
		}
		im, err := f.im.ImportFile(sys, path, Options{Kind: KindPeople}, nil)
		if err != nil {
			t.Fatal(err)
		}
		wantCounts(t, im.Counts, Counts{Rows: 1, Created: 1})
		p := mustPerson(t, db, "xl@example.com")
		if p.FullName() != "Cached Name" || p.ExternalID != "42" {
			t.Fatalf("formula cells: name %q external id %q", p.FullName(), p.ExternalID)
		}
		// The stored upload of the same workbook imports the same.
		data, _ := os.ReadFile(path)
		up, err := f.im.Create(sys, "people.xlsx", bytes.NewReader(data), Options{Kind: KindPeople})
		if err != nil {
			t.Fatal(err)
		}
		if err := f.im.Run(sys, up.ID, nil); err != nil {
			t.Fatal(err)
		}
		up, _ = f.im.Get(sys, up.ID)
		wantCounts(t, up.Counts, Counts{Rows: 1, Unchanged: 1})
		if up.Format != FormatXLSX {
			t.Fatalf("format %q", up.Format)
		}
	})
}

// B1, B3: a key repeated in a file: the later row wins, both lines are reported, whether the
// two rows are in one batch or in two.
func TestB1_B3_DuplicateKeys(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		f.im.BatchSize = 2
		im := f.mustImport(t, hdr+"\n"+
			"First,dup@example.com,,Acme,Berlin,\n"+ // line 2, superseded in its batch by line 3
			"Second,dup@example.com,,Acme,Berlin,\n"+ // line 3, superseded in the next batch by line 5
			"Other,other@example.com,,Acme,Berlin,\n"+
			"Third,DUP@example.com,,Acme,Paris,\n", Options{})
		wantCounts(t, im.Counts, Counts{Rows: 4, Created: 2, Rejected: 2})
		rej := f.rejections(t, im.ID)
		if len(rej) != 2 || rej[0][0] != "2" || !strings.Contains(rej[0][2], "superseded by line 3") ||
			rej[1][0] != "3" || !strings.Contains(rej[1][2], "superseded by line 5") {
			t.Fatalf("rejections %q", rej)
		}
		if p := mustPerson(t, db, "dup@example.com"); p.FirstName != "Third" || *p.SiteID != f.site["Paris"] {
			t.Fatalf("the later row did not win: %+v", p)
		}
		if n := count(t, db, "people"); n != 2 {
			t.Fatalf("%d people", n)
		}
	})
}

// B3: a dry run validates and reports as the real run does, and writes nothing.
func TestB3_DryRunWritesNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		f.mustImport(t, hdr+"\nOld,old@example.com,,Acme,Berlin,\n", Options{})
		people0, mail0 := count(t, db, "people"), count(t, db, "outbox")
		content := hdr + "\nNew,new@example.com,,Acme,Berlin,\nOld Changed,old@example.com,,Acme,Paris,\nBad,bad@example.com,,Nowhere,Berlin,\n"
		dry := f.mustImport(t, content, Options{DryRun: true, SendWelcome: true})
		wantCounts(t, dry.Counts, Counts{Rows: 3, Created: 1, Updated: 1, Rejected: 1})
		if count(t, db, "people") != people0 || count(t, db, "outbox") != mail0 {
			t.Fatal("the dry run wrote people or mail")
		}
		if p := mustPerson(t, db, "old@example.com"); p.FirstName != "Old" {
			t.Fatalf("the dry run changed %+v", p)
		}
		real := f.mustImport(t, content, Options{})
		if real.Counts != dry.Counts {
			t.Fatalf("dry %+v, real %+v", dry.Counts, real.Counts)
		}
		if d, r := f.rejections(t, dry.ID), f.rejections(t, real.ID); len(d) != 1 || strings.Join(d[0], "|") != strings.Join(r[0], "|") {
			t.Fatalf("reports differ: %q %q", d, r)
		}
	})
}

// B3: the rejected rows come as CSV with line, column, reason and cells; cells a spreadsheet
// would run as a formula are neutralised.
func TestB3_RejectionsCSVInjection(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		im := f.mustImport(t, hdr+"\n=HYPERLINK(\"http://evil\"),not-an-address,+1,@SUM(A1),-2,\tx\n", Options{})
		wantCounts(t, im.Counts, Counts{Rows: 1, Rejected: 1})
		rej := f.rejections(t, im.ID)
		if len(rej) == 0 || rej[0][0] != "2" || rej[0][1] != "email" {
			t.Fatalf("rejections %q", rej)
		}
		cells := rej[0][3:]
		want := []string{"'=HYPERLINK(\"http://evil\")", "not-an-address", "'+1", "'@SUM(A1)", "'-2", "'\tx"}
		if strings.Join(cells, "|") != strings.Join(want, "|") {
			t.Fatalf("cells %q, want %q", cells, want)
		}
		for _, s := range []string{"=1", "+1", "-1", "@a", "\t1", "\r1"} {
			if Neutralise(s)[0] != '\'' {
				t.Errorf("%q is not neutralised", s)
			}
		}
	})
}

// B2: organizations and their sites import from their own file, one row per site.
func TestB2_OrganizationsAndSites(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		content := "name,site,domains,notes,site_timezone,site_city,site_country\n" +
			"Globex,HQ,globex.com globex.net,Big one,America/Chicago,Springfield,US\n" +
			"GLOBEX,Lab,,,Europe/Berlin,,\n" +
			"acme,Berlin,,Now with notes,,,\n" +
			"Acme,Paris,,,,,\n" +
			",Nowhere,,,,,\n" +
			"Initech,Main,not a domain!,,Mars/Base,,\n"
		im, err := f.im.ImportFile(sys, f.file(t, "orgs.csv", content), Options{Kind: KindOrganizations}, nil)
		if err != nil {
			t.Fatal(err)
		}
		wantCounts(t, im.Counts, Counts{Rows: 6, Created: 2, Updated: 1, Unchanged: 1, Rejected: 2})
		g, err := db.GetOrganizationByName(sys, "globex")
		if err != nil || g.Notes != "Big one" || strings.Join(g.Domains, " ") != "globex.com globex.net" {
			t.Fatalf("globex: %+v %v", g, err)
		}
		hq, err := db.GetSiteByName(sys, g.ID, "hq")
		if err != nil || hq.Timezone != "America/Chicago" || hq.Address == nil || hq.Address.City != "Springfield" {
			t.Fatalf("hq: %+v %v", hq, err)
		}
		if _, err := db.GetSiteByName(sys, g.ID, "Lab"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.GetOrganizationByName(sys, "Initech"); frontdesk.ErrorCode(err) != frontdesk.ENotFound {
			t.Fatalf("a rejected row left its organization: %v", err)
		}
		rej := f.rejections(t, im.ID)
		cols := map[string]bool{}
		for _, r := range rej {
			cols[r[0]+":"+r[1]] = true
		}
		if !cols["6:name"] || !cols["7:domains"] {
			t.Fatalf("rejections %q", rej)
		}
		// People then find the new organization and site by name.
		p := f.mustImport(t, hdr+"\nHomer,homer@example.com,,Globex,Lab,\n", Options{})
		wantCounts(t, p.Counts, Counts{Rows: 1, Created: 1})
		// Again: nothing changes.
		im, _ = f.im.ImportFile(sys, f.file(t, "orgs2.csv", content), Options{Kind: KindOrganizations}, nil)
		wantCounts(t, im.Counts, Counts{Rows: 6, Unchanged: 4, Rejected: 2})
	})
}

// B1: people name organizations and sites that exist; a row naming a missing one is rejected.
func TestB1_MissingOrganizationOrSite(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		im := f.mustImport(t, hdr+"\nA,a@example.com,,Nope,Berlin,\nB,b@example.com,,Acme,Rome,\nC,c@example.com,,,,\nD,d@example.com,,Acme,Paris,\n", Options{})
		wantCounts(t, im.Counts, Counts{Rows: 4, Created: 1, Rejected: 3})
		got := map[string]bool{}
		for _, r := range f.rejections(t, im.ID) {
			got[r[0]+":"+r[1]] = true
		}
		for _, w := range []string{"2:organization", "3:site", "4:organization", "4:site"} {
			if !got[w] {
				t.Errorf("no rejection %s in %v", w, got)
			}
		}
	})
}

// B4: a crash after some batches committed, then Run again: every good row exactly once, the
// counts right; and the same file again from scratch changes nothing.
func TestB4_CrashResume(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		var b strings.Builder
		b.WriteString(hdr + "\n")
		for i := range 10 {
			b.WriteString("Person " + string(rune('A'+i)) + ",p" + string(rune('a'+i)) + "@example.com,,Acme,Berlin,\n")
		}
		b.WriteString("Bad,bad,,Acme,Berlin,\n")
		up, err := f.im.Create(sys, "people.csv", strings.NewReader(b.String()), Options{Kind: KindPeople})
		if err != nil {
			t.Fatal(err)
		}
		if up.State != StateQueued || up.Size != int64(b.Len()) || up.SHA256 == "" {
			t.Fatalf("created: %+v", up)
		}
		f.im.BatchSize = 3
		crash := errors.New("crash")
		f.im.afterBatch = func(n int) error {
			if n == 2 {
				return crash
			}
			return nil
		}
		if err := f.im.Run(sys, up.ID, nil); !errors.Is(err, crash) {
			t.Fatalf("run: %v", err)
		}
		mid, _ := f.im.Get(sys, up.ID)
		if mid.RowsDone != 6 || count(t, db, "people") != 6 {
			t.Fatalf("after the crash: rows done %d, %d people", mid.RowsDone, count(t, db, "people"))
		}
		f.im.afterBatch = nil
		var seen []int
		if err := f.im.Run(sys, up.ID, func(i *Import) { seen = append(seen, i.RowsDone) }); err != nil {
			t.Fatal(err)
		}
		done, _ := f.im.Get(sys, up.ID)
		wantCounts(t, done.Counts, Counts{Rows: 11, Created: 10, Rejected: 1})
		if done.State != StateDone || count(t, db, "people") != 10 || len(seen) != 2 || seen[0] != 9 {
			t.Fatalf("resumed: %+v, %d people, progress %v", done, count(t, db, "people"), seen)
		}
		if rej := f.rejections(t, up.ID); len(rej) != 1 || rej[0][0] != "12" {
			t.Fatalf("rejections %q", rej)
		}
		// Run once more: a finished import is left alone.
		if err := f.im.Run(sys, up.ID, nil); err != nil {
			t.Fatal(err)
		}
		again := f.mustImport(t, b.String(), Options{})
		wantCounts(t, again.Counts, Counts{Rows: 11, Unchanged: 10, Rejected: 1})
		if count(t, db, "people") != 10 {
			t.Fatal("running the file again duplicated people")
		}
	})
}

// B4: the command line's file resumes too: the same file and options pick up the unfinished
// import.
func TestB4_ImportFileResumes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		content := hdr + "\nA,a@example.com,,Acme,Berlin,\nB,b@example.com,,Acme,Berlin,\nC,c@example.com,,Acme,Berlin,\n"
		path := f.file(t, "p.csv", content)
		f.im.BatchSize = 1
		f.im.afterBatch = func(n int) error {
			if n == 1 {
				return context.Canceled
			}
			return nil
		}
		first, err := f.im.ImportFile(sys, path, Options{Kind: KindPeople}, nil)
		if err == nil {
			t.Fatal("no crash")
		}
		f.im.afterBatch = nil
		second, err := f.im.ImportFile(sys, path, Options{Kind: KindPeople}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if second.ID != first.ID {
			t.Fatalf("a new import %d instead of resuming %d", second.ID, first.ID)
		}
		wantCounts(t, second.Counts, Counts{Rows: 3, Created: 3})
	})
}

// lazyZeros is a reader of n bytes that never holds them.
type lazyZeros struct{ n int64 }

func (z *lazyZeros) Read(p []byte) (int, error) {
	if z.n <= 0 {
		return 0, io.EOF
	}
	k := int64(len(p))
	if k > z.n {
		k = z.n
	}
	for i := range p[:k] {
		p[i] = 'a'
	}
	z.n -= k
	return int(k), nil
}

// B4 bad input: an upload over the limit (a 2 GB file) is refused with a clear error, and
// nothing of it stays.
func TestB4_UploadLimit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		one := 1
		if _, err := db.UpdateSettings(sys, frontdesk.SettingsInput{ImportMaxMB: &one}); err != nil {
			t.Fatal(err)
		}
		_, err := f.im.Create(sys, "huge.csv", &lazyZeros{n: 2 << 30}, Options{Kind: KindPeople})
		if !IsFileError(err) || !strings.Contains(err.Error(), "larger than the import limit of 1 MB") {
			t.Fatalf("2 GB upload: %v", err)
		}
		list, _, err := f.im.List(sys, frontdesk.Page{})
		if err != nil || len(list) != 0 {
			t.Fatalf("imports left: %v %v", list, err)
		}
		// A file of several chunks streams in and out whole.
		two := 2
		if _, err := db.UpdateSettings(sys, frontdesk.SettingsInput{ImportMaxMB: &two}); err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		b.WriteString(hdr + ",notes\n")
		for i := 0; b.Len() < store.ImportChunkSize*3/2; i++ {
			b.WriteString("N,n" + strings.Repeat("x", 5) + string(rune('a'+i%26)) + "@example.com,,Acme,Berlin,," + strings.Repeat("z", 1000) + "\n")
		}
		up, err := f.im.Create(sys, "big.csv", strings.NewReader(b.String()), Options{Kind: KindPeople, DryRun: true})
		if err != nil {
			t.Fatal(err)
		}
		if err := f.im.Run(sys, up.ID, nil); err != nil {
			t.Fatal(err)
		}
		up, _ = f.im.Get(sys, up.ID)
		if up.BytesDone != int64(b.Len()) || up.Counts.Rows < 1000 {
			t.Fatalf("stored file read back: %+v", up)
		}
	})
}

// B1: imports need the imports.run permission besides creating and changing people.
func TestB1_Permission(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		agent := frontdesk.WithActor(context.Background(), frontdesk.Actor{ID: 99, Role: frontdesk.RoleAgent, Name: "agent"})
		_, err := f.im.Create(agent, "p.csv", strings.NewReader(hdr+"\n"), Options{Kind: KindPeople})
		if frontdesk.ErrorCode(err) != frontdesk.EForbidden {
			t.Fatalf("agent upload: %v", err)
		}
		_, err = f.im.ImportFile(agent, f.file(t, "p.csv", hdr+"\n"), Options{Kind: KindPeople}, nil)
		if frontdesk.ErrorCode(err) != frontdesk.EForbidden {
			t.Fatalf("agent import: %v", err)
		}
		_, err = f.im.Create(sys, "p.csv", strings.NewReader(hdr+"\n"), Options{Kind: KindPeople, Key: "phone"})
		if frontdesk.ErrorCode(err) != frontdesk.EInvalid {
			t.Fatalf("bad key: %v", err)
		}
	})
}

// E2, L1, B3: an import asked to send the welcome email queues it in the batch's transaction
// for each new contact with web access; the people stay not activated until they set
// credentials.
func TestB3_E2_SendWelcome(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		mail0 := count(t, db, "outbox")
		im := f.mustImport(t, hdr+",web_access,machine\nW,w@example.com,,Acme,Berlin,,own,\nN,n@example.com,,Acme,Berlin,,none,\nM,m@example.com,,Acme,Berlin,,,yes\n",
			Options{SendWelcome: true})
		wantCounts(t, im.Counts, Counts{Rows: 3, Created: 3})
		if n := count(t, db, "outbox") - mail0; n != 1 {
			t.Fatalf("%d mails queued, want the welcome to w@ only", n)
		}
		if p := mustPerson(t, db, "w@example.com"); p.State != frontdesk.StateNotActivated {
			t.Fatalf("state %s", p.State)
		}
		if p := mustPerson(t, db, "m@example.com"); p.State != frontdesk.StateActive || !p.Emails[0].Verified {
			t.Fatalf("machine contact: %s %v", p.State, p.Emails)
		}
	})
}

// B1: an address or external id that belongs to someone else rejects the row, not the batch.
func TestB1_UniqueConflicts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		f.mustImport(t, hdr+"\nA,a@example.com,,Acme,Berlin,ext-a\n", Options{})
		im := f.mustImport(t, hdr+"\nB,a@example.com,,Acme,Berlin,ext-b\nC,c@example.com,,Acme,Berlin,ext-a\nD,d@example.com,,Acme,Berlin,ext-d\nE,d@example.com,,Acme,Berlin,ext-e\n",
			Options{Key: "external_id"})
		wantCounts(t, im.Counts, Counts{Rows: 4, Updated: 1, Created: 1, Rejected: 2})
		rej := f.rejections(t, im.ID)
		if len(rej) != 2 || rej[0][0] != "2" || rej[0][1] != "email" || rej[1][0] != "5" || !strings.Contains(rej[1][2], "also on line 4") {
			t.Fatalf("rejections %q", rej)
		}
	})
}
