package frontdesk

import "slices"

// NameDisplay decides which name lists and tickets show (P3).
type NameDisplay string

// Name display choices.
const (
	NameDisplayFull      NameDisplay = "full"
	NameDisplayPreferred NameDisplay = "preferred"
)

// Settings are the helpdesk-wide choices admins make in the product (not the operator's
// configuration, which lives in flags and the environment).
type Settings struct {
	NameDisplay NameDisplay `json:"name_display"`
}

// DefaultSettings are the settings of a new helpdesk.
var DefaultSettings = Settings{NameDisplay: NameDisplayFull}

// SettingsInput changes some settings.
type SettingsInput struct {
	NameDisplay *NameDisplay `json:"name_display"`
}

// ApplySettings applies in to s and validates the result.
func ApplySettings(s *Settings, in SettingsInput) error {
	var p Problems
	if in.NameDisplay != nil {
		if !slices.Contains([]NameDisplay{NameDisplayFull, NameDisplayPreferred}, *in.NameDisplay) {
			p.Add("name_display", "must be full or preferred")
		} else {
			s.NameDisplay = *in.NameDisplay
		}
	}
	return p.Err()
}
