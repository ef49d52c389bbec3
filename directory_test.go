package frontdesk

import (
	"testing"
	"time"
)

// B5: a directory source is checked field by field, every problem at once; clear text to a
// remote directory and the owner role by rule are refused; the dialect fills in defaults.
func TestB5ApplyDirectorySource(t *testing.T) {
	s := func(v string) *string { return &v }
	base := func() DirectorySourceInput {
		return DirectorySourceInput{Name: s("Corp"), URL: s("ldaps://dc1.corp.example"), BindDN: s("cn=sync,dc=corp"), BaseDN: s("dc=corp")}
	}
	var src DirectorySource
	if err := ApplyDirectorySource(&src, base()); err != nil {
		t.Fatal(err)
	}
	if src.TLS != DirectoryLDAPS || src.Dialect != DialectOpenLDAP || src.Attributes.ExternalID != "entryUUID" ||
		src.Filter != "(objectClass=inetOrgPerson)" || src.MatchBy != MatchExternalID || src.PageSize != 500 || src.DefaultRole != RoleContact || src.Rules == nil {
		t.Fatalf("defaults: %+v", src)
	}
	ad := base()
	ad.Dialect = s(DialectActiveDirectory)
	src = DirectorySource{}
	if err := ApplyDirectorySource(&src, ad); err != nil || src.Attributes.ExternalID != "objectGUID" || src.Attributes.Username != "sAMAccountName" {
		t.Fatalf("AD defaults: %v %+v", err, src.Attributes)
	}
	for _, c := range []struct {
		name   string
		change func(in *DirectorySourceInput)
		fields []string
	}{
		{"clear text to a remote host", func(in *DirectorySourceInput) { in.URL, in.TLS = s("ldap://dc1.corp.example"), s(DirectoryNoTLS) }, []string{"tls"}},
		{"starttls on ldaps", func(in *DirectorySourceInput) { in.TLS = s(DirectoryStartTLS) }, []string{"tls"}},
		{"not an LDAP address", func(in *DirectorySourceInput) { in.URL = s("https://dc1") }, []string{"url"}},
		{"owner by rule", func(in *DirectorySourceInput) {
			in.Rules = &[]DirectoryRule{{Kind: RuleGroup, Value: "cn=owners,dc=corp", Role: RoleOwner}}
		}, []string{"rules[0].role"}},
		{"rule that gives nothing, bad op and attribute", func(in *DirectorySourceInput) {
			in.Rules = &[]DirectoryRule{{Kind: RuleAttribute, Attribute: "bad attr", Op: "like", Value: "x"}}
		}, []string{"rules[0].attribute", "rules[0].op", "rules[0].role"}},
		{"everything missing", func(in *DirectorySourceInput) { *in = DirectorySourceInput{} }, []string{"name", "url", "bind_dn", "base_dn"}},
		{"match by username without its attribute", func(in *DirectorySourceInput) {
			in.MatchBy, in.Attributes = s(MatchUsername), &DirectoryAttributes{Name: "cn"}
		}, []string{"match_by"}},
		{"bad schedule", func(in *DirectorySourceInput) { in.Schedule, in.DailyAt = s(ScheduleDaily), s("25:00") }, []string{"daily_at"}},
		{"page size", func(in *DirectorySourceInput) { n := 0; in.PageSize = &n; m := 9999; in.PageSize = &m }, []string{"page_size"}},
		{"filter", func(in *DirectorySourceInput) { in.Filter = s("objectClass=person") }, []string{"filter"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := base()
			c.change(&in)
			var src DirectorySource
			err := ApplyDirectorySource(&src, in)
			e, ok := err.(*Error)
			if !ok {
				t.Fatalf("want field errors %v, got %v", c.fields, err)
			}
			for _, f := range c.fields {
				var found bool
				for _, fe := range e.Fields {
					found = found || fe.Field == f
				}
				if !found {
					t.Errorf("no error on %s: %v", f, err)
				}
			}
		})
	}
	// Loopback may go without TLS (a test directory, a local stunnel).
	in := base()
	in.URL, in.TLS = s("ldap://127.0.0.1:3389"), s(DirectoryNoTLS)
	if err := ApplyDirectorySource(&DirectorySource{}, in); err != nil {
		t.Fatalf("plain LDAP on loopback: %v", err)
	}
}

// B5: the schedule's next run: daily at a UTC time of day, or every N hours.
func TestB5NextRun(t *testing.T) {
	now := time.Date(2026, 12, 2, 17, 0, 0, 0, time.UTC)
	daily := DirectorySource{Schedule: ScheduleDaily, DailyAt: "03:30"}
	if got := daily.NextRun(now); !got.Equal(time.Date(2026, 12, 3, 3, 30, 0, 0, time.UTC)) {
		t.Errorf("daily at 03:30 after 17:00: %v", got)
	}
	daily.DailyAt = "18:00"
	if got := daily.NextRun(now); !got.Equal(time.Date(2026, 12, 2, 18, 0, 0, 0, time.UTC)) {
		t.Errorf("daily at 18:00 after 17:00: %v", got)
	}
	every := DirectorySource{Schedule: ScheduleInterval, IntervalHours: 6}
	if got := every.NextRun(now); !got.Equal(now.Add(6 * time.Hour)) {
		t.Errorf("every 6 hours: %v", got)
	}
	if got := (&DirectorySource{Schedule: ScheduleOff}).NextRun(now); got != nil {
		t.Errorf("off: %v", got)
	}
}
