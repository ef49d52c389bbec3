package frontdesk

import "slices"

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
}

// DefaultSettings are the settings of a new helpdesk.
var DefaultSettings = Settings{NameDisplay: NameDisplayFull, Registration: RegistrationOff,
	ConfirmationLinkHours: 72, WelcomeLinkHours: 24}

// SettingsInput changes some settings.
type SettingsInput struct {
	NameDisplay           *NameDisplay      `json:"name_display"`
	Registration          *RegistrationMode `json:"registration"`
	RegistrationSiteID    Ref               `json:"registration_site_id"`
	ConfirmationLinkHours *int              `json:"confirmation_link_hours"`
	WelcomeLinkHours      *int              `json:"welcome_link_hours"`
	WelcomeOnCreate       *bool             `json:"welcome_on_create"`
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
	return p.Err()
}
