package web

import (
	"testing"

	"frontdesk"
)

// C8, T2, X3: the settings form shows and saves the email settings, and names a bad one.
func TestSettingsFormEmailFields_C8_X3(t *testing.T) {
	v := settingsValues(frontdesk.DefaultSettings)
	v["unknown_senders"], v["reopen_days"], v["max_attachment_mb"] = "hold", "30", "5"
	v["loop_limit"], v["loop_window_minutes"], v["soft_bounce_limit"] = "7", "15", "2"
	in, probs := settingsInput(v)
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	got := frontdesk.DefaultSettings
	if err := frontdesk.ApplySettings(&got, in); err != nil {
		t.Fatal(err)
	}
	if got.UnknownSenders != frontdesk.UnknownSendersHold || got.ReopenDays != 30 || got.MaxAttachmentMB != 5 || got.LoopLimit != 7 ||
		got.LoopWindowMinutes != 15 || got.SoftBounceLimit != 2 {
		t.Errorf("saved: %+v", got)
	}
	if back := settingsValues(got); back["max_attachment_mb"] != "5" || back["unknown_senders"] != "hold" || back["soft_bounce_limit"] != "2" {
		t.Errorf("shown: %v", back)
	}
	v["max_attachment_mb"] = "lots"
	if _, probs := settingsInput(v); !probs.Has("max_attachment_mb") {
		t.Errorf("a bad size is not named: %v", probs)
	}
}
