package frontdesk

import (
	"context"
	"testing"
)

// P4: phone numbers must be valid for their region, and an extension is refused rather than
// silently dropped.
func TestNormalizePhoneRefusesInvalidAndExtensions_P4(t *testing.T) {
	for in, want := range map[string]string{
		"+44 20 7946 0958": "+442079460958",
		"(415) 555-2671":   "+14155552671",
	} {
		if got, err := NormalizePhone(in, "US"); err != nil || got != want {
			t.Errorf("NormalizePhone(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"06 12 34 56 78", "+1 415 555 2671 ext 5", "12", "phone"} {
		if got, err := NormalizePhone(in, "US"); err == nil {
			t.Errorf("NormalizePhone(%q) = %q, want an error", in, got)
		}
	}
}

// A context without an actor is nobody, who may do nothing; only the explicit system actor
// may do everything.
func TestActorDefaultsToNobody(t *testing.T) {
	nobody := ActorFrom(context.Background())
	for _, p := range Permissions {
		if nobody.Can(p) {
			t.Errorf("nobody can %s", p)
		}
		if !ActorFrom(WithActor(context.Background(), System)).Can(p) {
			t.Errorf("the system cannot %s", p)
		}
	}
}

// Timezones validate from the zone data built into the binary.
func TestValidTimezone_P4(t *testing.T) {
	for tz, want := range map[string]bool{"Europe/Paris": true, "America/Argentina/Buenos_Aires": true, "UTC": true, "Local": false, "": false, "Mars/Base": false, "../etc/passwd": false} {
		if got := ValidTimezone(tz); got != want {
			t.Errorf("ValidTimezone(%q) = %v", tz, got)
		}
	}
}
