package frontdesk

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Directory sync (B5). A directory source is an LDAP directory (Active Directory or OpenLDAP)
// whose entries become people: a matching field decides update versus create, ordered rules
// decide organization, site and staff role from attributes or group membership. A run
// previews what would change; applying a preview applies exactly that.

// Directory dialects: how a directory names its unique id, login name, groups and the
// disabled flag.
const (
	DialectActiveDirectory = "ad"
	DialectOpenLDAP        = "openldap"
)

// TLS modes of a directory connection. "none" sends the bind password in clear text and is
// accepted only for a directory on the loopback interface (a test server, or an stunnel).
const (
	DirectoryLDAPS    = "ldaps"
	DirectoryStartTLS = "starttls"
	DirectoryNoTLS    = "none"
)

// Matching fields: what decides that a directory entry is an existing person.
const (
	MatchExternalID = "external_id"
	MatchEmail      = "email"
	MatchUsername   = "username"
)

// Schedule modes of a directory source.
const (
	ScheduleOff      = "off"
	ScheduleDaily    = "daily"
	ScheduleInterval = "interval"
)

// Rule kinds and operators.
const (
	RuleAttribute = "attribute"
	RuleGroup     = "group"
	RuleEquals    = "equals"
	RuleContains  = "contains"
)

// DirectorySource is an LDAP directory people are synced from. The bind password is
// write-only: it is stored, never shown back (PasswordSet says whether there is one).
type DirectorySource struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	URL         string `json:"url"`
	TLS         string `json:"tls"`
	CACert      string `json:"ca_cert"` // PEM; "" trusts the system's roots
	BindDN      string `json:"bind_dn"`
	Password    string `json:"-"`
	PasswordSet bool   `json:"bind_password_set"`
	BaseDN      string `json:"base_dn"`
	Filter      string `json:"filter"`
	Dialect     string `json:"dialect"`
	// Attributes name the directory attributes each field of a person comes from; "" leaves
	// that field alone.
	Attributes DirectoryAttributes `json:"attributes"`
	MatchBy    string              `json:"match_by"`
	Rules      []DirectoryRule     `json:"rules"`
	// DefaultRole is the role of people no rule gives one.
	DefaultRole           Role   `json:"default_role"`
	DefaultOrganizationID *int64 `json:"default_organization_id"`
	DefaultSiteID         *int64 `json:"default_site_id"`
	PageSize              int    `json:"page_size"`
	// Schedule: off, daily at DailyAt (HH:MM, UTC), or every IntervalHours.
	Schedule      string     `json:"schedule"`
	DailyAt       string     `json:"daily_at"`
	IntervalHours int        `json:"interval_hours"`
	NextRunAt     *time.Time `json:"next_run_at"`
	LastRunAt     *time.Time `json:"last_run_at"`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
}

// DirectoryAttributes map directory attributes to the fields of a person.
type DirectoryAttributes struct {
	ExternalID string `json:"external_id"`
	Username   string `json:"username"`
	Name       string `json:"name"`
	GivenName  string `json:"given_name"`
	Surname    string `json:"surname"`
	Email      string `json:"email"`
	Phone      string `json:"phone"`
}

// DirectoryRule gives the people it matches an organization, a site or a role. Rules are
// read in order; for each of the three the first matching rule that sets it wins.
type DirectoryRule struct {
	Kind           string `json:"kind"`      // attribute or group
	Attribute      string `json:"attribute"` // kind attribute
	Op             string `json:"op"`        // equals or contains (kind attribute)
	Value          string `json:"value"`     // the value, or the group's DN
	OrganizationID *int64 `json:"organization_id"`
	SiteID         *int64 `json:"site_id"`
	Role           Role   `json:"role"`
}

// DirectorySourceInput creates or changes a source; only the fields present change. A bind
// password left out keeps the stored one.
type DirectorySourceInput struct {
	Name                  *string              `json:"name"`
	URL                   *string              `json:"url"`
	TLS                   *string              `json:"tls"`
	CACert                *string              `json:"ca_cert"`
	BindDN                *string              `json:"bind_dn"`
	Password              *string              `json:"bind_password"`
	BaseDN                *string              `json:"base_dn"`
	Filter                *string              `json:"filter"`
	Dialect               *string              `json:"dialect"`
	Attributes            *DirectoryAttributes `json:"attributes"`
	MatchBy               *string              `json:"match_by"`
	Rules                 *[]DirectoryRule     `json:"rules"`
	DefaultRole           *Role                `json:"default_role"`
	DefaultOrganizationID Ref                  `json:"default_organization_id"`
	DefaultSiteID         Ref                  `json:"default_site_id"`
	PageSize              *int                 `json:"page_size"`
	Schedule              *string              `json:"schedule"`
	DailyAt               *string              `json:"daily_at"`
	IntervalHours         *int                 `json:"interval_hours"`
}

// DefaultAttributes returns the usual attributes of a dialect.
func DefaultAttributes(dialect string) DirectoryAttributes {
	a := DirectoryAttributes{Name: "cn", GivenName: "givenName", Surname: "sn", Email: "mail", Phone: "telephoneNumber"}
	if dialect == DialectActiveDirectory {
		a.ExternalID, a.Username, a.Name = "objectGUID", "sAMAccountName", "displayName"
	} else {
		a.ExternalID, a.Username = "entryUUID", "uid"
	}
	return a
}

// DefaultFilter returns the usual filter for people of a dialect.
func DefaultFilter(dialect string) string {
	if dialect == DialectActiveDirectory {
		return "(&(objectClass=user)(objectCategory=person))"
	}
	return "(objectClass=inetOrgPerson)"
}

var (
	attrName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9-]{0,63}$`)
	clockRE  = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`)
)

// ApplyDirectorySource applies in to s and checks the result, reporting every problem at
// once. The store checks that organizations and sites exist.
func ApplyDirectorySource(s *DirectorySource, in DirectorySourceInput) error {
	var p Problems
	str := func(field string, v *string, dst *string, max int, mode TextKind) {
		if v != nil {
			*dst = CleanText(&p, field, *v, max, mode)
		}
	}
	str("name", in.Name, &s.Name, maxObjectNameLen, OneLine)
	str("url", in.URL, &s.URL, 500, Trimmed)
	str("tls", in.TLS, &s.TLS, 20, Trimmed)
	str("bind_dn", in.BindDN, &s.BindDN, 1000, Trimmed)
	str("base_dn", in.BaseDN, &s.BaseDN, 1000, Trimmed)
	str("filter", in.Filter, &s.Filter, 4000, Trimmed)
	str("dialect", in.Dialect, &s.Dialect, 20, Trimmed)
	str("match_by", in.MatchBy, &s.MatchBy, 20, Trimmed)
	str("schedule", in.Schedule, &s.Schedule, 20, Trimmed)
	str("daily_at", in.DailyAt, &s.DailyAt, 5, Trimmed)
	if in.CACert != nil {
		s.CACert = strings.TrimSpace(CleanText(&p, "ca_cert", *in.CACert, 64<<10, MultiLine))
	}
	if in.Password != nil {
		if len(*in.Password) > 1000 {
			p.Add("bind_password", "is longer than 1000 characters")
		} else {
			s.Password = *in.Password
		}
	}
	if in.Attributes != nil {
		s.Attributes = *in.Attributes
	}
	if in.Rules != nil {
		s.Rules = slices.Clone(*in.Rules)
	}
	if in.DefaultRole != nil {
		s.DefaultRole = *in.DefaultRole
	}
	if in.DefaultOrganizationID.Set {
		s.DefaultOrganizationID = in.DefaultOrganizationID.ID
	}
	if in.DefaultSiteID.Set {
		s.DefaultSiteID = in.DefaultSiteID.ID
	}
	if in.PageSize != nil {
		s.PageSize = *in.PageSize
	}
	if in.IntervalHours != nil {
		s.IntervalHours = *in.IntervalHours
	}

	if s.Rules == nil {
		s.Rules = []DirectoryRule{}
	}
	if s.Dialect == "" {
		s.Dialect = DialectOpenLDAP
	}
	if s.Dialect != DialectActiveDirectory && s.Dialect != DialectOpenLDAP {
		p.Add("dialect", "must be ad (Active Directory) or openldap")
	}
	def := DefaultAttributes(s.Dialect)
	fill := func(v *string, d string) {
		if *v == "" {
			*v = d
		}
	}
	if s.Attributes == (DirectoryAttributes{}) {
		s.Attributes = def
	}
	fill(&s.Attributes.ExternalID, def.ExternalID)
	for field, v := range map[string]string{"external_id": s.Attributes.ExternalID, "username": s.Attributes.Username,
		"name": s.Attributes.Name, "given_name": s.Attributes.GivenName, "surname": s.Attributes.Surname,
		"email": s.Attributes.Email, "phone": s.Attributes.Phone} {
		if v != "" && !attrName.MatchString(v) {
			p.Add("attributes."+field, "must be an attribute name (letters, digits and -), not %q", v)
		}
	}
	if s.Attributes.Name == "" && s.Attributes.GivenName == "" && s.Attributes.Surname == "" && s.Attributes.Email == "" {
		p.Add("attributes", "name at least one of name, given_name, surname or email: a person needs a name or an address")
	}

	if s.Name == "" && !p.Has("name") {
		p.Add("name", "is required")
	}
	switch {
	case p.Has("url"):
	case s.URL == "":
		p.Add("url", "is required, such as ldaps://ldap.example.com")
	default:
		u, err := url.Parse(s.URL)
		if err != nil || (u.Scheme != "ldap" && u.Scheme != "ldaps") || u.Hostname() == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
			p.Add("url", "must be ldap://host[:port] or ldaps://host[:port]")
			break
		}
		if s.TLS == "" {
			s.TLS = DirectoryStartTLS
			if u.Scheme == "ldaps" {
				s.TLS = DirectoryLDAPS
			}
		}
		switch s.TLS {
		case DirectoryLDAPS:
			if u.Scheme != "ldaps" {
				p.Add("tls", "ldaps needs an ldaps:// address")
			}
		case DirectoryStartTLS, DirectoryNoTLS:
			if u.Scheme != "ldap" {
				p.Add("tls", "%s needs an ldap:// address", s.TLS)
			} else if s.TLS == DirectoryNoTLS && !Loopback(u.Hostname()) {
				p.Add("tls", "none sends the bind password in clear text; it is allowed only for a directory on this machine (127.0.0.1, ::1, localhost); use ldaps or starttls")
			}
		default:
			p.Add("tls", "must be ldaps, starttls or none")
		}
	}
	if s.CACert != "" && !strings.Contains(s.CACert, "-----BEGIN CERTIFICATE-----") {
		p.Add("ca_cert", "must be one or more PEM certificates (-----BEGIN CERTIFICATE-----)")
	}
	if s.BindDN == "" && !p.Has("bind_dn") {
		p.Add("bind_dn", "is required: the directory account Frontdesk reads with")
	}
	if s.BaseDN == "" && !p.Has("base_dn") {
		p.Add("base_dn", "is required, such as ou=people,dc=example,dc=com")
	}
	if s.Filter == "" {
		s.Filter = DefaultFilter(s.Dialect)
	}
	if !p.Has("filter") && (!strings.HasPrefix(s.Filter, "(") || !strings.HasSuffix(s.Filter, ")") || strings.Count(s.Filter, "(") != strings.Count(s.Filter, ")")) {
		p.Add("filter", "must be an LDAP filter in parentheses, such as (objectClass=inetOrgPerson)")
	}
	if s.MatchBy == "" {
		s.MatchBy = MatchExternalID
	}
	switch s.MatchBy {
	case MatchExternalID:
	case MatchEmail:
		if s.Attributes.Email == "" {
			p.Add("match_by", "matching by email needs the email attribute")
		}
	case MatchUsername:
		if s.Attributes.Username == "" {
			p.Add("match_by", "matching by username needs the username attribute")
		}
	default:
		p.Add("match_by", "must be external_id, email or username")
	}
	if s.DefaultRole == "" {
		s.DefaultRole = RoleContact
	}
	if !s.DefaultRole.Valid() || s.DefaultRole == RoleOwner {
		p.Add("default_role", "must be contact, collaborator, agent or admin")
	}
	if len(s.Rules) > 200 {
		p.Add("rules", "at most 200 rules")
	}
	for i := range s.Rules {
		checkRule(&p, fmt.Sprintf("rules[%d].", i), &s.Rules[i])
	}
	if s.PageSize == 0 {
		s.PageSize = 500
	}
	if s.PageSize < 1 || s.PageSize > 5000 {
		p.Add("page_size", "must be between 1 and 5000")
	}
	if s.Schedule == "" {
		s.Schedule = ScheduleOff
	}
	switch s.Schedule {
	case ScheduleOff:
	case ScheduleDaily:
		if s.DailyAt == "" {
			s.DailyAt = "03:00"
		}
		if !clockRE.MatchString(s.DailyAt) {
			p.Add("daily_at", "must be a time of day HH:MM (UTC), such as 03:00")
		}
	case ScheduleInterval:
		if s.IntervalHours < 1 || s.IntervalHours > 24*7 {
			p.Add("interval_hours", "must be between 1 and 168")
		}
	default:
		p.Add("schedule", "must be off, daily or interval")
	}
	return p.Err()
}

func checkRule(p *Problems, prefix string, r *DirectoryRule) {
	r.Attribute, r.Value = strings.TrimSpace(r.Attribute), strings.TrimSpace(r.Value)
	switch r.Kind {
	case RuleAttribute:
		if !attrName.MatchString(r.Attribute) {
			p.Add(prefix+"attribute", "must be an attribute name, such as department")
		}
		if r.Op == "" {
			r.Op = RuleEquals
		}
		if r.Op != RuleEquals && r.Op != RuleContains {
			p.Add(prefix+"op", "must be equals or contains")
		}
		if r.Value == "" {
			p.Add(prefix+"value", "is required")
		}
	case RuleGroup:
		r.Attribute, r.Op = "", ""
		if r.Value == "" || !strings.Contains(r.Value, "=") {
			p.Add(prefix+"value", "must be the group's DN, such as cn=support,ou=groups,dc=example,dc=com")
		}
	default:
		p.Add(prefix+"kind", "must be attribute or group")
	}
	if len(r.Value) > 1000 {
		p.Add(prefix+"value", "is longer than 1000 characters")
	}
	if r.Role != "" && (!r.Role.Valid() || r.Role == RoleOwner) {
		p.Add(prefix+"role", "must be contact, collaborator, agent or admin: nobody becomes the owner by a rule")
	}
	if r.OrganizationID == nil && r.SiteID == nil && r.Role == "" {
		p.Add(prefix+"role", "a rule gives an organization, a site or a role")
	}
}

// Loopback reports whether host names this machine.
func Loopback(host string) bool {
	switch strings.ToLower(host) {
	case "localhost", "::1":
		return true
	}
	return strings.HasPrefix(host, "127.")
}

// NextRun returns when a source's schedule runs next after t, or nil when it is off.
func (s *DirectorySource) NextRun(t time.Time) *time.Time {
	var n time.Time
	switch s.Schedule {
	case ScheduleDaily:
		var h, m int
		fmt.Sscanf(s.DailyAt, "%d:%d", &h, &m)
		t = t.UTC()
		n = time.Date(t.Year(), t.Month(), t.Day(), h, m, 0, 0, time.UTC)
		if !n.After(t) {
			n = n.AddDate(0, 0, 1)
		}
	case ScheduleInterval:
		n = t.Add(time.Duration(s.IntervalHours) * time.Hour).UTC()
	default:
		return nil
	}
	return &n
}

// Directory run states.
const (
	RunPreviewed = "previewed"
	RunApplied   = "applied"
	RunStale     = "stale" // the directory or the people changed before the preview was confirmed
	RunFailed    = "failed"
)

// Directory change actions.
const (
	ChangeCreate  = "create"
	ChangeUpdate  = "update"
	ChangeDisable = "disable"
	ChangeEnable  = "enable"
	ChangeFail    = "fail" // the entry cannot be synced; Error says why
)

// DirectoryRun is one run of a source: its preview (the changes) and, once applied, what
// became of each change.
type DirectoryRun struct {
	ID         int64             `json:"id"`
	SourceID   int64             `json:"source_id"`
	State      string            `json:"state"`
	Origin     string            `json:"origin"` // manual or schedule
	ActorName  string            `json:"actor_name"`
	Digest     string            `json:"digest"`
	Changes    []DirectoryChange `json:"changes"`
	Counts     DirectoryCounts   `json:"counts"`
	Error      string            `json:"error"`
	StartedAt  time.Time         `json:"started_at"`
	FinishedAt *time.Time        `json:"finished_at"`
	AppliedAt  *time.Time        `json:"applied_at"`
}

// DirectoryCounts count a run's changes; Unchanged entries are counted, not listed.
type DirectoryCounts struct {
	Created   int `json:"created"`
	Updated   int `json:"updated"`
	Disabled  int `json:"disabled"`
	Enabled   int `json:"enabled"`
	Unchanged int `json:"unchanged"`
	Failed    int `json:"failed"`
}

// DirectoryChange is what a run does, or would do, to one person.
type DirectoryChange struct {
	Action   string        `json:"action"`
	Key      string        `json:"key"` // the directory's unique id of the entry
	DN       string        `json:"dn"`
	PersonID int64         `json:"person_id"` // 0 for a person still to create
	Name     string        `json:"name"`
	Fields   []FieldChange `json:"fields"`
	Error    string        `json:"error,omitempty"`
}

// FieldChange is one field a change sets, as text: old is "" for a new person.
type FieldChange struct {
	Field string `json:"field"`
	Old   string `json:"old"`
	New   string `json:"new"`
}
