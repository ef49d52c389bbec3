package web

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"frontdesk"
)

// The console's directory sources (B5): the list, the form (saved through the same
// directory.Syncer as the API, with its checks), a manual run's preview with an Apply button,
// and the run history. The bind password is write-only: never shown, kept when left empty.

type directoriesView struct {
	*page
	Sources []*frontdesk.DirectorySource
}

func (s *Server) directories(w http.ResponseWriter, r *http.Request) {
	if !s.requirePermission(w, r, frontdesk.PermSettingsManage) {
		return
	}
	v := directoriesView{page: s.basePage(r, "Directory sync")}
	var err error
	if v.Sources, err = s.Directory.Sources(r.Context()); err != nil {
		s.render(w, s.fail(r, v.page, err), "message", messageView{page: v.page})
		return
	}
	switch r.URL.Query().Get("done") {
	case "saved":
		v.Notice = "Directory source saved."
	case "deleted":
		v.Notice = "Directory source deleted; the people it created stay."
	}
	s.render(w, http.StatusOK, "directories", v)
}

type directoryFormView struct {
	*page
	// Source is the one edited; nil for a new one.
	Source *frontdesk.DirectorySource
}

// Action is where the form posts.
func (v directoryFormView) Action() string {
	if v.Source == nil {
		return "/console/directories/new"
	}
	return "/console/directories/" + strconv.FormatInt(v.Source.ID, 10)
}

// Choice is one option of a select.
type Choice struct{ Value, Label string }

func (directoryFormView) TLSModes() []Choice {
	return []Choice{{frontdesk.DirectoryLDAPS, "ldaps (TLS from the start, ldaps://)"}, {frontdesk.DirectoryStartTLS, "StartTLS (ldap://, then TLS)"},
		{frontdesk.DirectoryNoTLS, "none (only for a directory on this machine)"}}
}

func (directoryFormView) Dialects() []Choice {
	return []Choice{{frontdesk.DialectActiveDirectory, "Active Directory"}, {frontdesk.DialectOpenLDAP, "OpenLDAP"}}
}

func (directoryFormView) MatchFields() []Choice {
	return []Choice{{frontdesk.MatchExternalID, "external id (the directory's unique id)"}, {frontdesk.MatchEmail, "email address"},
		{frontdesk.MatchUsername, "username"}}
}

func (directoryFormView) Roles() []Choice {
	return []Choice{{"contact", "contact"}, {"collaborator", "collaborator"}, {"agent", "agent"}, {"admin", "admin"}}
}

func (directoryFormView) Schedules() []Choice {
	return []Choice{{frontdesk.ScheduleOff, "off (manual runs only)"}, {frontdesk.ScheduleDaily, "daily at a time"},
		{frontdesk.ScheduleInterval, "every few hours"}}
}

// directoryFields are the form's fields besides the password, named as the API's errors name them.
var directoryFields = []string{"name", "url", "tls", "ca_cert", "bind_dn", "base_dn", "filter", "dialect", "match_by",
	"attributes.external_id", "attributes.username", "attributes.name", "attributes.given_name", "attributes.surname",
	"attributes.email", "attributes.phone", "rules", "default_role", "default_organization_id", "default_site_id",
	"page_size", "schedule", "daily_at", "interval_hours"}

func refText(id *int64) string {
	if id == nil {
		return ""
	}
	return strconv.FormatInt(*id, 10)
}

func directoryValues(src *frontdesk.DirectorySource) map[string]string {
	a := src.Attributes
	return map[string]string{"name": src.Name, "url": src.URL, "tls": src.TLS, "ca_cert": src.CACert, "bind_dn": src.BindDN,
		"base_dn": src.BaseDN, "filter": src.Filter, "dialect": src.Dialect, "match_by": src.MatchBy,
		"attributes.external_id": a.ExternalID, "attributes.username": a.Username, "attributes.name": a.Name,
		"attributes.given_name": a.GivenName, "attributes.surname": a.Surname, "attributes.email": a.Email, "attributes.phone": a.Phone,
		"rules": formatRules(src.Rules), "default_role": string(src.DefaultRole), "default_organization_id": refText(src.DefaultOrganizationID),
		"default_site_id": refText(src.DefaultSiteID), "page_size": strconv.Itoa(src.PageSize), "schedule": src.Schedule,
		"daily_at": src.DailyAt, "interval_hours": strconv.Itoa(src.IntervalHours)}
}

// formatRules writes rules one a line, as parseRules reads them:
//
//	group cn=support,ou=groups,dc=example,dc=com => role=agent
//	attribute department equals Sales => organization=3 site=7 role=contact
func formatRules(rules []frontdesk.DirectoryRule) string {
	var b strings.Builder
	for _, r := range rules {
		if r.Kind == frontdesk.RuleGroup {
			fmt.Fprintf(&b, "group %s =>", r.Value)
		} else {
			fmt.Fprintf(&b, "attribute %s %s %s =>", r.Attribute, r.Op, r.Value)
		}
		if r.OrganizationID != nil {
			fmt.Fprintf(&b, " organization=%d", *r.OrganizationID)
		}
		if r.SiteID != nil {
			fmt.Fprintf(&b, " site=%d", *r.SiteID)
		}
		if r.Role != "" {
			fmt.Fprintf(&b, " role=%s", r.Role)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// parseRules reads the rules box, one rule a line; every line's problem is reported.
func parseRules(text string, probs *frontdesk.Problems) []frontdesk.DirectoryRule {
	rules := []frontdesk.DirectoryRule{}
	for n, line := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		bad := func(why string) { probs.Add("rules", "line %d: %s", n+1, why) }
		cond, then, ok := strings.Cut(line, "=>")
		if !ok {
			bad(`needs "=>" between the condition and what it gives`)
			continue
		}
		var r frontdesk.DirectoryRule
		kind, rest, _ := strings.Cut(strings.TrimSpace(cond), " ")
		rest = strings.TrimSpace(rest)
		switch kind {
		case frontdesk.RuleGroup:
			r.Kind, r.Value = kind, rest
		case frontdesk.RuleAttribute:
			parts := strings.SplitN(rest, " ", 3)
			if len(parts) < 3 {
				bad("an attribute rule reads: attribute NAME equals|contains VALUE => ...")
				continue
			}
			r.Kind, r.Attribute, r.Op, r.Value = kind, parts[0], parts[1], strings.TrimSpace(parts[2])
		default:
			bad(`starts with "group" or "attribute"`)
			continue
		}
		for _, kv := range strings.Fields(then) {
			k, v, _ := strings.Cut(kv, "=")
			switch k {
			case "organization", "site":
				id, err := strconv.ParseInt(v, 10, 64)
				if err != nil || id <= 0 {
					bad(k + " must be an id, such as " + k + "=3")
					continue
				}
				if k == "site" {
					r.SiteID = &id
				} else {
					r.OrganizationID = &id
				}
			case "role":
				r.Role = frontdesk.Role(v)
			default:
				bad(fmt.Sprintf("%q: give organization=ID, site=ID or role=ROLE", kv))
			}
		}
		rules = append(rules, r)
	}
	return rules
}

func (s *Server) loadDirectoryForm(r *http.Request) (directoryFormView, error) {
	v := directoryFormView{page: s.basePage(r, "New directory source")}
	if r.PathValue("id") == "" {
		v.Values = map[string]string{"tls": frontdesk.DirectoryLDAPS, "dialect": frontdesk.DialectActiveDirectory,
			"match_by": frontdesk.MatchExternalID, "default_role": "contact", "page_size": "500", "schedule": frontdesk.ScheduleDaily,
			"daily_at": "03:00", "interval_hours": "24"}
		return v, nil
	}
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	src, err := s.Directory.Source(r.Context(), id)
	if err != nil {
		return v, err
	}
	v.Source, v.Title, v.Values = src, "Directory source "+src.Name, directoryValues(src)
	return v, nil
}

func (s *Server) directoryForm(w http.ResponseWriter, r *http.Request) {
	if !s.requirePermission(w, r, frontdesk.PermSettingsManage) {
		return
	}
	v, err := s.loadDirectoryForm(r)
	if err != nil {
		s.render(w, s.fail(r, v.page, err), "message", messageView{page: v.page})
		return
	}
	s.render(w, http.StatusOK, "directory_form", v)
}

func (s *Server) saveDirectory(w http.ResponseWriter, r *http.Request) {
	if !s.requirePermission(w, r, frontdesk.PermSettingsManage) {
		return
	}
	v, err := s.loadDirectoryForm(r)
	if err != nil {
		s.render(w, s.fail(r, v.page, err), "message", messageView{page: v.page})
		return
	}
	v.Values = formValues(r, directoryFields...)
	v.Values["rules"] = r.PostFormValue("rules") // kept as typed, line by line
	in, probs := directoryInput(v.Values, r.PostFormValue("bind_password"))
	var id int64
	if v.Source != nil {
		id = v.Source.ID
	}
	if len(probs) > 0 {
		check := frontdesk.DirectorySource{}
		if v.Source != nil {
			check = *v.Source
		}
		var e *frontdesk.Error
		if errors.As(frontdesk.ApplyDirectorySource(&check, in), &e) {
			for _, f := range e.Fields {
				if !probs.Has(f.Field) {
					probs = append(probs, f)
				}
			}
		}
		err = probs.Err()
	} else {
		_, err = s.Directory.SaveSource(r.Context(), id, in)
	}
	if err != nil {
		// A rule's field error is shown beside the rules box.
		var e *frontdesk.Error
		if errors.As(err, &e) {
			for i, f := range e.Fields {
				if strings.HasPrefix(f.Field, "rules[") {
					e.Fields[i] = frontdesk.FieldError{Field: "rules", Message: "rule " + ruleNumber(f.Field) + ": " + f.Message}
				}
				if strings.HasPrefix(f.Field, "attributes") && !slices.Contains(directoryFields, f.Field) {
					e.Fields[i].Field = "attributes.name"
				}
			}
			// Several problems of one box (the rules) are shown together beside it.
			var merged []frontdesk.FieldError
			for _, f := range e.Fields {
				if j := slices.IndexFunc(merged, func(m frontdesk.FieldError) bool { return m.Field == f.Field }); j >= 0 {
					merged[j].Message += "; " + f.Message
				} else {
					merged = append(merged, f)
				}
			}
			e.Fields = merged
		}
		s.render(w, s.fail(r, v.page, err), "directory_form", v)
		return
	}
	http.Redirect(w, r, "/console/directories?done=saved", http.StatusSeeOther)
}

// ruleNumber turns "rules[2].role" into "3 (role)".
func ruleNumber(field string) string {
	i, rest, _ := strings.Cut(strings.TrimPrefix(field, "rules["), "]")
	n, err := strconv.Atoi(i)
	if err != nil {
		return field
	}
	return fmt.Sprintf("%d (%s)", n+1, strings.TrimPrefix(rest, "."))
}

// directoryInput reads the form; every field is given, so the saved source is the form's.
// The password changes only when one is typed.
func directoryInput(v map[string]string, password string) (frontdesk.DirectorySourceInput, frontdesk.Problems) {
	var p frontdesk.Problems
	str := func(k string) *string { s := v[k]; return &s }
	num := func(k, what string) *int {
		if v[k] == "" {
			n := 0
			return &n
		}
		n, err := strconv.Atoi(v[k])
		if err != nil {
			p.Add(k, "must be %s", what)
			return nil
		}
		return &n
	}
	ref := func(k, what string) frontdesk.Ref {
		if v[k] == "" {
			return frontdesk.Ref{Set: true}
		}
		n, err := strconv.ParseInt(v[k], 10, 64)
		if err != nil || n <= 0 {
			p.Add(k, "must be the id of %s, or empty for none", what)
			return frontdesk.Ref{}
		}
		return frontdesk.RefTo(n)
	}
	role := frontdesk.Role(v["default_role"])
	rules := parseRules(v["rules"], &p)
	in := frontdesk.DirectorySourceInput{Name: str("name"), URL: str("url"), TLS: str("tls"), CACert: str("ca_cert"),
		BindDN: str("bind_dn"), BaseDN: str("base_dn"), Filter: str("filter"), Dialect: str("dialect"), MatchBy: str("match_by"),
		Attributes: &frontdesk.DirectoryAttributes{ExternalID: v["attributes.external_id"], Username: v["attributes.username"],
			Name: v["attributes.name"], GivenName: v["attributes.given_name"], Surname: v["attributes.surname"],
			Email: v["attributes.email"], Phone: v["attributes.phone"]},
		Rules: &rules, DefaultRole: &role, DefaultOrganizationID: ref("default_organization_id", "an organization"),
		DefaultSiteID: ref("default_site_id", "a site"), PageSize: num("page_size", "a number of entries from 1 to 5000"),
		Schedule: str("schedule"), DailyAt: str("daily_at"), IntervalHours: num("interval_hours", "a number of hours")}
	if *in.Attributes == (frontdesk.DirectoryAttributes{}) {
		in.Attributes = nil // the dialect's usual names
	}
	if password != "" {
		in.Password = &password
	}
	return in, p
}

func (s *Server) deleteDirectory(w http.ResponseWriter, r *http.Request) {
	if !s.requirePermission(w, r, frontdesk.PermSettingsManage) {
		return
	}
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err := s.Directory.DeleteSource(r.Context(), id); err != nil {
		p := s.basePage(r, "Directory source not deleted")
		s.render(w, s.fail(r, p, err), "message", messageView{page: p, Link: &struct{ Href, Text string }{"/console/directories", "Back to directory sync"}})
		return
	}
	http.Redirect(w, r, "/console/directories?done=deleted", http.StatusSeeOther)
}

// previewDirectory runs a preview and shows it.
func (s *Server) previewDirectory(w http.ResponseWriter, r *http.Request) {
	if !s.requirePermission(w, r, frontdesk.PermImportsRun) {
		return
	}
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	run, err := s.Directory.Preview(r.Context(), id)
	if err != nil {
		p := s.basePage(r, "No preview")
		s.render(w, s.fail(r, p, err), "message", messageView{page: p, Link: &struct{ Href, Text string }{"/console/directories", "Back to directory sync"}})
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/console/directories/%d/runs/%d", id, run.ID), http.StatusSeeOther)
}

type directoryRunsView struct {
	*page
	Source *frontdesk.DirectorySource
	Runs   []*frontdesk.DirectoryRun
}

func (s *Server) directoryRuns(w http.ResponseWriter, r *http.Request) {
	if !s.requirePermission(w, r, frontdesk.PermImportsRun) {
		return
	}
	v := directoryRunsView{page: s.basePage(r, "Directory runs")}
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	var err error
	if v.Source, err = s.db.GetDirectorySource(r.Context(), id); err == nil {
		v.Title = "Runs of " + v.Source.Name
		v.Runs, err = s.Directory.Runs(r.Context(), id)
	}
	if err != nil {
		s.render(w, s.fail(r, v.page, err), "message", messageView{page: v.page})
		return
	}
	s.render(w, http.StatusOK, "directory_runs", v)
}

type directoryRunView struct {
	*page
	Source *frontdesk.DirectorySource
	Run    *frontdesk.DirectoryRun
}

// ActionLabel words a change's action for people.
func (directoryRunView) ActionLabel(a string) string {
	switch a {
	case frontdesk.ChangeCreate:
		return "Create"
	case frontdesk.ChangeUpdate:
		return "Update"
	case frontdesk.ChangeDisable:
		return "Disable"
	case frontdesk.ChangeEnable:
		return "Enable again"
	}
	return "Cannot sync"
}

func (s *Server) directoryRun(w http.ResponseWriter, r *http.Request) {
	if !s.requirePermission(w, r, frontdesk.PermImportsRun) {
		return
	}
	v := directoryRunView{page: s.basePage(r, "Directory run")}
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	runID, _ := strconv.ParseInt(r.PathValue("run"), 10, 64)
	var err error
	if v.Source, err = s.db.GetDirectorySource(r.Context(), id); err == nil {
		v.Run, err = s.Directory.GetRun(r.Context(), id, runID)
	}
	if err != nil {
		s.render(w, s.fail(r, v.page, err), "message", messageView{page: v.page})
		return
	}
	v.Title = fmt.Sprintf("Run %d of %s", v.Run.ID, v.Source.Name)
	if v.Run.State == frontdesk.RunPreviewed {
		v.Title = fmt.Sprintf("Preview of %s", v.Source.Name)
	}
	switch r.URL.Query().Get("done") {
	case "applied":
		v.Notice = "Applied."
	case "stale":
		v.Notice = "The directory or the people changed since the earlier preview, so nothing was applied. This is a fresh preview: check it, then apply it."
	}
	s.render(w, http.StatusOK, "directory_run", v)
}

func (s *Server) applyDirectoryRun(w http.ResponseWriter, r *http.Request) {
	if !s.requirePermission(w, r, frontdesk.PermImportsRun) {
		return
	}
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	runID, _ := strconv.ParseInt(r.PathValue("run"), 10, 64)
	run, err := s.Directory.Apply(r.Context(), id, runID)
	var e *frontdesk.Error
	if errors.As(err, &e) && e.Code == frontdesk.EConflict && run != nil {
		http.Redirect(w, r, fmt.Sprintf("/console/directories/%d/runs/%d?done=stale", id, run.ID), http.StatusSeeOther)
		return
	}
	if err != nil {
		p := s.basePage(r, "Not applied")
		s.render(w, s.fail(r, p, err), "message", messageView{page: p,
			Link: &struct{ Href, Text string }{fmt.Sprintf("/console/directories/%d/runs/%d", id, runID), "Back to the run"}})
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/console/directories/%d/runs/%d?done=applied", id, run.ID), http.StatusSeeOther)
}

// selectView is a labelled select with its choices.
type selectView struct {
	Field   fieldView
	Choices []Choice
}

// Select returns the view of a select; its error and focus work as Field's.
func (v directoryFormView) Select(name, label string, choices []Choice) selectView {
	return selectView{Field: v.Field(name, label, "text", "off"), Choices: choices}
}
