package web

import (
	"net/http"
	"strconv"
	"strings"

	"frontdesk"
)

// The console's settings page: the helpdesk-wide choices, the intake's among them (C4, C5,
// C6, X4), saved through the store's one validation (ApplySettings), with the snippet that
// hosts the request form on another website (C6).

type settingsView struct {
	*page
	Settings frontdesk.Settings
	// HelpdeskURL is where the embed snippet posts.
	HelpdeskURL string
	Snippet     string
}

var (
	nameDisplays      = []frontdesk.NameDisplay{frontdesk.NameDisplayFull, frontdesk.NameDisplayPreferred}
	registrationModes = []frontdesk.RegistrationMode{frontdesk.RegistrationOff, frontdesk.RegistrationOpen, frontdesk.RegistrationApproval}
	guestModes        = []frontdesk.GuestRequestMode{frontdesk.GuestRequestsOpen, frontdesk.GuestRequestsConfirm}
	intakePolicies    = []frontdesk.IntakePolicy{frontdesk.IntakeOpen, frontdesk.IntakeRegistered, frontdesk.IntakeClosed}
)

// Choices are the options of the settings page's selects.
func (settingsView) Choices() map[string][]string {
	str := func(n int, at func(int) string) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = at(i)
		}
		return out
	}
	return map[string][]string{
		"name_display":    str(len(nameDisplays), func(i int) string { return string(nameDisplays[i]) }),
		"registration":    str(len(registrationModes), func(i int) string { return string(registrationModes[i]) }),
		"guest_requests":  str(len(guestModes), func(i int) string { return string(guestModes[i]) }),
		"intake_policy":   str(len(intakePolicies), func(i int) string { return string(intakePolicies[i]) }),
		"unknown_senders": {string(frontdesk.UnknownSendersCreate), string(frontdesk.UnknownSendersHold)},
		"import_key":      str(len(frontdesk.ImportKeys), func(i int) string { return string(frontdesk.ImportKeys[i]) }),
		"scim_groups":     {string(frontdesk.SCIMGroupsNone), string(frontdesk.SCIMGroupsStaffRoles), string(frontdesk.SCIMGroupsOrganizations)},
	}
}

// settingsValues is the form's view of s.
func settingsValues(s frontdesk.Settings) map[string]string {
	ref := func(id *int64) string {
		if id == nil {
			return ""
		}
		return strconv.FormatInt(*id, 10)
	}
	return map[string]string{
		"name_display": string(s.NameDisplay), "registration": string(s.Registration),
		"registration_site_id":    ref(s.RegistrationSiteID),
		"confirmation_link_hours": strconv.Itoa(s.ConfirmationLinkHours), "welcome_link_hours": strconv.Itoa(s.WelcomeLinkHours),
		"welcome_on_create": strconv.FormatBool(s.WelcomeOnCreate),
		"guest_requests":    string(s.GuestRequests), "guest_request_hours": strconv.Itoa(s.GuestRequestHours),
		"intake_policy":   string(s.IntakePolicy),
		"allowed_domains": strings.Join(s.AllowedDomains, "\n"), "blocked_domains": strings.Join(s.BlockedDomains, "\n"),
		"embed_origins":        strings.Join(s.EmbedOrigins, "\n"),
		"inline_person_create": strconv.FormatBool(s.InlinePersonCreate), "requester_dialog_only": strconv.FormatBool(s.RequesterDialogOnly),
		"general_user_id": ref(s.GeneralUserID), "general_user_new_person": strconv.FormatBool(s.GeneralUserNewPerson),
		"unknown_senders": string(s.UnknownSenders), "reopen_days": strconv.Itoa(s.ReopenDays),
		"max_attachment_mb": strconv.Itoa(s.MaxAttachmentMB), "loop_limit": strconv.Itoa(s.LoopLimit),
		"loop_window_minutes": strconv.Itoa(s.LoopWindowMinutes), "soft_bounce_limit": strconv.Itoa(s.SoftBounceLimit),
		"import_key": string(s.ImportKey), "import_max_mb": strconv.Itoa(s.ImportMaxMB),
		"scim_groups": string(s.SCIMGroups),
	}
}

func (s *Server) newSettingsView(r *http.Request, st frontdesk.Settings) settingsView {
	base := strings.TrimSuffix(s.flows.BaseURL, "/")
	return settingsView{page: s.basePage(r, "Settings"), Settings: st, HelpdeskURL: base, Snippet: EmbedSnippet(base)}
}

func (s *Server) settingsForm(w http.ResponseWriter, r *http.Request) {
	if !s.requirePermission(w, r, frontdesk.PermSettingsManage) {
		return
	}
	st, err := s.db.GetSettings(r.Context())
	v := s.newSettingsView(r, st)
	if err != nil {
		s.render(w, s.fail(r, v.page, err), "message", messageView{page: v.page})
		return
	}
	v.Values = settingsValues(st)
	if r.URL.Query().Get("done") == "1" {
		v.Notice = "Settings saved."
	}
	s.render(w, http.StatusOK, "settings", v)
}

// saveSettings saves the whole form; a field that does not parse is an error beside it and
// nothing is saved.
func (s *Server) saveSettings(w http.ResponseWriter, r *http.Request) {
	if !s.requirePermission(w, r, frontdesk.PermSettingsManage) {
		return
	}
	st, err := s.db.GetSettings(r.Context())
	v := s.newSettingsView(r, st)
	if err != nil {
		s.render(w, s.fail(r, v.page, err), "message", messageView{page: v.page})
		return
	}
	v.Values = formValues(r, "name_display", "registration", "registration_site_id", "confirmation_link_hours", "welcome_link_hours",
		"guest_requests", "guest_request_hours", "intake_policy", "allowed_domains", "blocked_domains", "embed_origins", "general_user_id",
		"unknown_senders", "reopen_days", "max_attachment_mb", "loop_limit", "loop_window_minutes", "soft_bounce_limit",
		"import_key", "import_max_mb", "scim_groups")
	for _, k := range []string{"welcome_on_create", "inline_person_create", "requester_dialog_only", "general_user_new_person"} {
		v.Values[k] = strconv.FormatBool(r.PostFormValue(k) == "true")
	}
	in, problems := settingsInput(v.Values)
	if len(problems) > 0 {
		// Every problem at once: those of the fields that parsed too.
		check := st
		if e, ok := frontdesk.ApplySettings(&check, in).(*frontdesk.Error); ok {
			problems = append(problems, e.Fields...)
		}
		err = problems.Err()
	} else {
		_, err = s.db.UpdateSettings(r.Context(), in)
	}
	if err != nil {
		s.render(w, s.fail(r, v.page, err), "settings", v)
		return
	}
	http.Redirect(w, r, "/console/settings?done=1", http.StatusSeeOther)
}

// settingsInput reads the form; every field is given, so the saved settings are the form's.
func settingsInput(v map[string]string) (frontdesk.SettingsInput, frontdesk.Problems) {
	var p frontdesk.Problems
	count := func(k, unit string) *int {
		n, err := strconv.Atoi(v[k])
		if err != nil {
			p.Add(k, "must be a whole number of %s", unit)
			return nil
		}
		return &n
	}
	num := func(k string) *int { return count(k, "hours") }
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
	list := func(k string) *[]string {
		out := []string{}
		for _, f := range strings.FieldsFunc(v[k], func(r rune) bool { return r == '\n' || r == '\r' || r == ',' || r == ' ' || r == '\t' }) {
			out = append(out, f)
		}
		return &out
	}
	yes := func(k string) *bool {
		b := v[k] == "true"
		return &b
	}
	nd, reg := frontdesk.NameDisplay(v["name_display"]), frontdesk.RegistrationMode(v["registration"])
	gr, ip := frontdesk.GuestRequestMode(v["guest_requests"]), frontdesk.IntakePolicy(v["intake_policy"])
	in := frontdesk.SettingsInput{NameDisplay: &nd, Registration: &reg, RegistrationSiteID: ref("registration_site_id", "a site"),
		ConfirmationLinkHours: num("confirmation_link_hours"), WelcomeLinkHours: num("welcome_link_hours"), WelcomeOnCreate: yes("welcome_on_create"),
		GuestRequests: &gr, GuestRequestHours: num("guest_request_hours"), IntakePolicy: &ip,
		AllowedDomains: list("allowed_domains"), BlockedDomains: list("blocked_domains"), EmbedOrigins: list("embed_origins"),
		InlinePersonCreate: yes("inline_person_create"), RequesterDialogOnly: yes("requester_dialog_only"),
		GeneralUserID: ref("general_user_id", "a person"), GeneralUserNewPerson: yes("general_user_new_person")}
	us := frontdesk.UnknownSenderPolicy(v["unknown_senders"])
	in.UnknownSenders, in.ReopenDays, in.MaxAttachmentMB = &us, count("reopen_days", "days"), count("max_attachment_mb", "MB")
	in.LoopLimit, in.LoopWindowMinutes = count("loop_limit", "messages"), count("loop_window_minutes", "minutes")
	in.SoftBounceLimit = count("soft_bounce_limit", "bounces")
	ik := frontdesk.ImportKey(v["import_key"])
	in.ImportKey, in.ImportMaxMB = &ik, count("import_max_mb", "MB")
	if sg := frontdesk.SCIMGroupMapping(v["scim_groups"]); sg != "" {
		in.SCIMGroups = &sg // a form from before the setting existed leaves it as it is
	}
	return in, p
}

// settingField is one input of the settings page, with its options when it is a select.
type settingField struct {
	fieldView
	Options []string
}

// Setting returns the view of one setting's input.
func (v settingsView) Setting(name, label string) settingField {
	return settingField{fieldView: v.Field(name, label, "text", "off"), Options: v.Choices()[name]}
}
