package frontdesk

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// NameDisplay decides which name lists and tickets show (P3).
type NameDisplay string

// Name display choices.
const (
	NameDisplayFull      NameDisplay = "full"
	NameDisplayPreferred NameDisplay = "preferred"
)

// RegistrationMode decides whether strangers may register on the help center (C7).
type RegistrationMode string

// Registration modes.
const (
	RegistrationOff      RegistrationMode = "off"
	RegistrationOpen     RegistrationMode = "open"
	RegistrationApproval RegistrationMode = "approval" // open, with a manager's approval
)

// GuestRequestMode decides what a guest's request creates at once (C4, C5).
type GuestRequestMode string

// Guest request modes.
const (
	// GuestRequestsOpen creates contact and ticket at once; the welcome mail confirms the
	// address (C4).
	GuestRequestsOpen GuestRequestMode = "open"
	// GuestRequestsConfirm creates nothing until the guest confirms the request by mail (C5).
	GuestRequestsConfirm GuestRequestMode = "confirm"
)

// IntakePolicy decides who may raise a request (X4). Requests that fail it wait for review.
type IntakePolicy string

// Intake policies.
const (
	IntakeOpen       IntakePolicy = "open"
	IntakeRegistered IntakePolicy = "registered" // only people who already exist
	IntakeClosed     IntakePolicy = "closed"     // every request waits for review
)

// Settings are the helpdesk-wide choices admins make in the product (not the operator's
// configuration, which lives in flags and the environment).
type Settings struct {
	NameDisplay NameDisplay `json:"name_display"`
	// Registration is self-registration on the help center; registrants land in
	// RegistrationSiteID when set (C7).
	Registration       RegistrationMode `json:"registration"`
	RegistrationSiteID *int64           `json:"registration_site_id"`
	// ConfirmationLinkHours is how long a confirmation link works (E1).
	ConfirmationLinkHours int `json:"confirmation_link_hours"`
	// WelcomeLinkHours is how long a welcome or reset link works (E2, E3).
	WelcomeLinkHours int `json:"welcome_link_hours"`
	// WelcomeOnCreate sends the welcome email to every new contact with web access (E2).
	WelcomeOnCreate bool `json:"welcome_on_create"`

	// GuestRequests is open (C4) or confirm (C5); unconfirmed requests expire after
	// GuestRequestHours and are purged.
	GuestRequests     GuestRequestMode `json:"guest_requests"`
	GuestRequestHours int              `json:"guest_request_hours"`
	// IntakePolicy with AllowedDomains and BlockedDomains decide which requests wait for
	// review (X4). With allowed domains set, only those pass; a blocked domain never does.
	IntakePolicy   IntakePolicy `json:"intake_policy"`
	AllowedDomains []string     `json:"allowed_domains"`
	BlockedDomains []string     `json:"blocked_domains"`
	// EmbedOrigins are the web origins whose pages may host the embeddable form; only they
	// get CORS on the public intake endpoint (C6).
	EmbedOrigins []string `json:"embed_origins"`
	// InlinePersonCreate lets agents create the requester while creating a ticket or
	// changing its end user (C10, C11); RequesterDialogOnly makes that dialog the only way
	// to change a ticket's end user (C11).
	InlinePersonCreate  bool `json:"inline_person_create"`
	RequesterDialogOnly bool `json:"requester_dialog_only"`
	// GeneralUserID is the shared "general user" tickets are raised against when the caller
	// is unknown; with GeneralUserNewPerson, such a ticket with a name filled in creates a
	// new person under the general user's organization and site (C10).
	GeneralUserID        *int64 `json:"general_user_id"`
	GeneralUserNewPerson bool   `json:"general_user_new_person"`

	// UnknownSenders is what mail from an address nobody owns does, unless its mailbox says
	// otherwise: create a contact, or hold the mail for review (C8, X4).
	UnknownSenders UnknownSenderPolicy `json:"unknown_senders"`
	// ReopenDays is how long after closing a reply by mail reopens a ticket; later, the
	// reply opens a new ticket that links back (T2).
	ReopenDays int `json:"reopen_days"`
	// MaxAttachmentMB bounds each file a message or form brings.
	MaxAttachmentMB int `json:"max_attachment_mb"`
	// A sender with more than LoopLimit messages in LoopWindowMinutes is held (X3).
	LoopLimit         int `json:"loop_limit"`
	LoopWindowMinutes int `json:"loop_window_minutes"`
	// SoftBounceLimit soft bounces in a row of mail to one address suppress it (X3).
	SoftBounceLimit int `json:"soft_bounce_limit"`

	// ImportKey names the column that decides whether an imported row updates a person or
	// creates one (B1); an import may name another.
	ImportKey ImportKey `json:"import_key"`
	// ImportMaxMB bounds the size of an uploaded import file.
	ImportMaxMB int `json:"import_max_mb"`
	// SCIMGroups is what groups an identity provider pushes over SCIM mean (B6): nothing
	// but a list, custom staff roles, or organizations.
	SCIMGroups SCIMGroupMapping `json:"scim_groups"`
}

// ImportKey is the unique identifier that matches imported rows to people (B1).
type ImportKey string

// Import keys.
const (
	ImportKeyEmail      ImportKey = "email"
	ImportKeyExternalID ImportKey = "external_id"
	ImportKeyUsername   ImportKey = "username"
)

// ImportKeys lists every import key.
var ImportKeys = []ImportKey{ImportKeyEmail, ImportKeyExternalID, ImportKeyUsername}

// Valid reports whether k is a known import key.
func (k ImportKey) Valid() bool { return slices.Contains(ImportKeys, k) }

// ImportMaxMBLimit is the largest upload limit the setting allows: uploads are stored in the
// database, and a file of gigabytes belongs on the command line.
const ImportMaxMBLimit = 1024

// SCIMGroupMapping decides what a SCIM group gives its members (B6).
type SCIMGroupMapping string

// SCIM group mappings. A group maps to the custom staff role or organization of its own
// name, unless one is associated with it by hand (PATCH /api/v1/scim-groups/{id}).
const (
	SCIMGroupsNone          SCIMGroupMapping = "none"
	SCIMGroupsStaffRoles    SCIMGroupMapping = "staff_roles"
	SCIMGroupsOrganizations SCIMGroupMapping = "organizations"
)

// UnknownSenderPolicy is what mail from an unknown address does (C8).
type UnknownSenderPolicy string

// Unknown-sender policies.
const (
	UnknownSendersCreate UnknownSenderPolicy = "create"
	UnknownSendersHold   UnknownSenderPolicy = "hold"
)

// Valid reports whether u is a known policy.
func (u UnknownSenderPolicy) Valid() bool {
	return u == UnknownSendersCreate || u == UnknownSendersHold
}

// DefaultSettings are the settings of a new helpdesk.
var DefaultSettings = Settings{NameDisplay: NameDisplayFull, Registration: RegistrationOff,
	ConfirmationLinkHours: 72, WelcomeLinkHours: 24,
	GuestRequests: GuestRequestsOpen, GuestRequestHours: 7 * 24, IntakePolicy: IntakeOpen,
	InlinePersonCreate: true,
	UnknownSenders:     UnknownSendersCreate, ReopenDays: 14, MaxAttachmentMB: 25,
	LoopLimit: 20, LoopWindowMinutes: 10, SoftBounceLimit: 3,
	ImportKey: ImportKeyEmail, ImportMaxMB: 512, SCIMGroups: SCIMGroupsNone}

// SettingsInput changes some settings.
type SettingsInput struct {
	NameDisplay           *NameDisplay         `json:"name_display"`
	Registration          *RegistrationMode    `json:"registration"`
	RegistrationSiteID    Ref                  `json:"registration_site_id"`
	ConfirmationLinkHours *int                 `json:"confirmation_link_hours"`
	WelcomeLinkHours      *int                 `json:"welcome_link_hours"`
	WelcomeOnCreate       *bool                `json:"welcome_on_create"`
	GuestRequests         *GuestRequestMode    `json:"guest_requests"`
	GuestRequestHours     *int                 `json:"guest_request_hours"`
	IntakePolicy          *IntakePolicy        `json:"intake_policy"`
	AllowedDomains        *[]string            `json:"allowed_domains"`
	BlockedDomains        *[]string            `json:"blocked_domains"`
	EmbedOrigins          *[]string            `json:"embed_origins"`
	InlinePersonCreate    *bool                `json:"inline_person_create"`
	RequesterDialogOnly   *bool                `json:"requester_dialog_only"`
	GeneralUserID         Ref                  `json:"general_user_id"`
	GeneralUserNewPerson  *bool                `json:"general_user_new_person"`
	UnknownSenders        *UnknownSenderPolicy `json:"unknown_senders"`
	ReopenDays            *int                 `json:"reopen_days"`
	MaxAttachmentMB       *int                 `json:"max_attachment_mb"`
	LoopLimit             *int                 `json:"loop_limit"`
	LoopWindowMinutes     *int                 `json:"loop_window_minutes"`
	SoftBounceLimit       *int                 `json:"soft_bounce_limit"`
	ImportKey             *ImportKey           `json:"import_key"`
	ImportMaxMB           *int                 `json:"import_max_mb"`
	SCIMGroups            *SCIMGroupMapping    `json:"scim_groups"`
}

// ApplySettings applies in to s and validates the result. The store checks that the
// registration site exists.
func ApplySettings(s *Settings, in SettingsInput) error {
	var p Problems
	if in.NameDisplay != nil {
		if !slices.Contains([]NameDisplay{NameDisplayFull, NameDisplayPreferred}, *in.NameDisplay) {
			p.Add("name_display", "must be full or preferred")
		} else {
			s.NameDisplay = *in.NameDisplay
		}
	}
	if in.Registration != nil {
		if !slices.Contains([]RegistrationMode{RegistrationOff, RegistrationOpen, RegistrationApproval}, *in.Registration) {
			p.Add("registration", "must be off, open or approval")
		} else {
			s.Registration = *in.Registration
		}
	}
	if in.RegistrationSiteID.Set {
		s.RegistrationSiteID = in.RegistrationSiteID.ID
	}
	hours := func(field string, v *int, dst *int) {
		if v == nil {
			return
		}
		if *v < 1 || *v > 24*90 {
			p.Add(field, "must be from 1 to %d hours", 24*90)
			return
		}
		*dst = *v
	}
	hours("confirmation_link_hours", in.ConfirmationLinkHours, &s.ConfirmationLinkHours)
	hours("welcome_link_hours", in.WelcomeLinkHours, &s.WelcomeLinkHours)
	if in.WelcomeOnCreate != nil {
		s.WelcomeOnCreate = *in.WelcomeOnCreate
	}
	if in.GuestRequests != nil {
		if !slices.Contains([]GuestRequestMode{GuestRequestsOpen, GuestRequestsConfirm}, *in.GuestRequests) {
			p.Add("guest_requests", "must be open or confirm")
		} else {
			s.GuestRequests = *in.GuestRequests
		}
	}
	hours("guest_request_hours", in.GuestRequestHours, &s.GuestRequestHours)
	if in.IntakePolicy != nil {
		if !slices.Contains([]IntakePolicy{IntakeOpen, IntakeRegistered, IntakeClosed}, *in.IntakePolicy) {
			p.Add("intake_policy", "must be open, registered or closed")
		} else {
			s.IntakePolicy = *in.IntakePolicy
		}
	}
	domains := func(field string, in *[]string, dst *[]string) {
		if in == nil {
			return
		}
		out, err := NormalizeDomains(*in)
		if err != nil {
			p.Add(field, "%v", err)
			return
		}
		*dst = out
	}
	domains("allowed_domains", in.AllowedDomains, &s.AllowedDomains)
	domains("blocked_domains", in.BlockedDomains, &s.BlockedDomains)
	if in.EmbedOrigins != nil {
		out, err := NormalizeOrigins(*in.EmbedOrigins)
		if err != nil {
			p.Add("embed_origins", "%v", err)
		} else {
			s.EmbedOrigins = out
		}
	}
	if in.InlinePersonCreate != nil {
		s.InlinePersonCreate = *in.InlinePersonCreate
	}
	if in.RequesterDialogOnly != nil {
		s.RequesterDialogOnly = *in.RequesterDialogOnly
	}
	if in.GeneralUserID.Set {
		s.GeneralUserID = in.GeneralUserID.ID
	}
	if in.GeneralUserNewPerson != nil {
		s.GeneralUserNewPerson = *in.GeneralUserNewPerson
	}
	if in.UnknownSenders != nil {
		if !in.UnknownSenders.Valid() {
			p.Add("unknown_senders", "must be create or hold")
		} else {
			s.UnknownSenders = *in.UnknownSenders
		}
	}
	between := func(field string, v *int, lo, hi int, unit string, dst *int) {
		if v == nil {
			return
		}
		if *v < lo || *v > hi {
			p.Add(field, "must be from %d to %d %s", lo, hi, unit)
			return
		}
		*dst = *v
	}
	between("reopen_days", in.ReopenDays, 0, 365, "days", &s.ReopenDays)
	between("max_attachment_mb", in.MaxAttachmentMB, 1, MaxAttachmentMBLimit, "MB", &s.MaxAttachmentMB)
	between("loop_limit", in.LoopLimit, 1, 10000, "messages", &s.LoopLimit)
	between("loop_window_minutes", in.LoopWindowMinutes, 1, 24*60, "minutes", &s.LoopWindowMinutes)
	between("soft_bounce_limit", in.SoftBounceLimit, 1, 100, "bounces", &s.SoftBounceLimit)
	if in.ImportKey != nil {
		if !in.ImportKey.Valid() {
			p.Add("import_key", "must be one of %v", ImportKeys)
		} else {
			s.ImportKey = *in.ImportKey
		}
	}
	between("import_max_mb", in.ImportMaxMB, 1, ImportMaxMBLimit, "MB", &s.ImportMaxMB)
	if in.SCIMGroups != nil {
		if !slices.Contains([]SCIMGroupMapping{SCIMGroupsNone, SCIMGroupsStaffRoles, SCIMGroupsOrganizations}, *in.SCIMGroups) {
			p.Add("scim_groups", "must be none, staff_roles or organizations")
		} else {
			s.SCIMGroups = *in.SCIMGroups
		}
	}
	return p.Err()
}

// maxListSetting bounds the lists in settings, which are read on every request.
const maxListSetting = 500

// NormalizeDomains returns domains in the form NormalizeEmail gives an address's domain,
// without repeats, or says which one is not a domain.
func NormalizeDomains(in []string) ([]string, error) {
	if len(in) > maxListSetting {
		return nil, fmt.Errorf("has more than %d entries", maxListSetting)
	}
	out := []string{}
	for _, d := range in {
		_, n, err := normalizeDomainName(strings.Trim(strings.TrimPrefix(strings.TrimSpace(d), "@"), "."))
		if err != nil {
			return nil, fmt.Errorf("%q: %v", d, err)
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out, nil
}

// NormalizeOrigins returns web origins as browsers send them (scheme://host[:port], lower
// case, no path), or says which one is not an origin.
func NormalizeOrigins(in []string) ([]string, error) {
	if len(in) > maxListSetting {
		return nil, fmt.Errorf("has more than %d entries", maxListSetting)
	}
	out := []string{}
	for _, o := range in {
		u, err := url.Parse(strings.TrimSpace(o))
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil ||
			strings.Trim(u.Path, "/") != "" || u.RawQuery != "" || u.Fragment != "" {
			return nil, fmt.Errorf("%q is not an origin such as https://www.example.com", o)
		}
		n := strings.ToLower(u.Scheme + "://" + u.Host)
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out, nil
}
