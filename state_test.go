package frontdesk

import (
	"errors"
	"strings"
	"testing"
)

// TestTransitionTable_L1 checks every (from, to) pair of the six states against an expected
// table written out here, independently of the table in state.go: a change to the lifecycle
// must be made in both places on purpose.
func TestTransitionTable_L1(t *testing.T) {
	const (
		na = StateNotActivated
		aa = StateAwaitingApproval
		ac = StateActive
		di = StateDisabled
		ba = StateBanned
		tr = StateTrashed
	)
	// allowed[from][to]; every pair of the six states is listed, staying put included.
	allowed := map[State]map[State]bool{
		na: {na: false, aa: true, ac: true, di: true, ba: true, tr: true},
		aa: {na: false, aa: false, ac: true, di: false, ba: true, tr: true},
		ac: {na: false, aa: false, ac: false, di: true, ba: true, tr: true},
		di: {na: false, aa: false, ac: true, di: false, ba: true, tr: true},
		ba: {na: false, aa: false, ac: true, di: true, ba: false, tr: true},
		tr: {na: true, aa: true, ac: true, di: true, ba: true, tr: false},
	}
	if len(States) != 6 {
		t.Fatalf("States has %d states, the L1 table knows 6: %v", len(States), States)
	}
	for _, from := range States {
		row, ok := allowed[from]
		if !ok || len(row) != len(States) {
			t.Fatalf("expected table has no complete row for %s", from)
		}
		for _, to := range States {
			want, ok := row[to]
			if !ok {
				t.Fatalf("expected table has no entry for %s -> %s", from, to)
			}
			t.Run(string(from)+"->"+string(to), func(t *testing.T) {
				err := Transition(from, to)
				if want {
					if err != nil {
						t.Fatalf("Transition(%s, %s) = %v, want allowed", from, to, err)
					}
					return
				}
				if err == nil {
					t.Fatalf("Transition(%s, %s) allowed, want refused", from, to)
				}
				mustInvalidError(t, err)
				msg := err.Error()
				if !strings.Contains(msg, string(from)) || !strings.Contains(msg, string(to)) {
					t.Errorf("error %q does not name both %s and %s", msg, from, to)
				}
				mustHaveField(t, err, "state")
			})
		}
	}
}

// TestTransitionUnknownStates_L1: anything that is not one of the six states is refused, on
// either side of the transition, with a clear error.
func TestTransitionUnknownStates_L1(t *testing.T) {
	unknown := []State{"", "deleted", "Active", " active", "ACTIVE", "without_login", "banned ", "trash"}
	for _, u := range unknown {
		for _, s := range States {
			if err := Transition(u, s); err == nil {
				t.Errorf("Transition(%q, %s) allowed, want refused", u, s)
			} else {
				mustInvalidError(t, err)
				mustHaveField(t, err, "state")
			}
			if err := Transition(s, u); err == nil {
				t.Errorf("Transition(%s, %q) allowed, want refused", s, u)
			} else {
				mustInvalidError(t, err)
				mustHaveField(t, err, "state")
				if u != "" && !strings.Contains(err.Error(), string(u)) {
					t.Errorf("Transition(%s, %q) error %q does not name the unknown state", s, u, err)
				}
			}
		}
		if err := Transition(u, u); err == nil {
			t.Errorf("Transition(%q, %q) allowed, want refused", u, u)
		}
	}
}

// TestStateValid_L1: the six states and nothing else are valid; "without login" is a filter.
func TestStateValid_L1(t *testing.T) {
	for _, s := range []State{"not_activated", "awaiting_approval", "active", "disabled", "banned", "trashed"} {
		if !s.Valid() {
			t.Errorf("%q.Valid() = false", s)
		}
	}
	for _, s := range []State{"", "without_login", "inactive", "Active", "deleted"} {
		if s.Valid() {
			t.Errorf("%q.Valid() = true", s)
		}
	}
}

// TestEndsAccess_L3: every move away from active ends sessions and API tokens at once; no
// other move does (nobody outside active has any to end).
func TestEndsAccess_L3(t *testing.T) {
	for _, from := range States {
		for _, to := range States {
			want := from == StateActive && to != StateActive
			if got := EndsAccess(from, to); got != want {
				t.Errorf("EndsAccess(%s, %s) = %v, want %v", from, to, got, want)
			}
		}
	}
	// Every allowed move out of active ends access.
	for _, to := range []State{StateDisabled, StateBanned, StateTrashed} {
		mustTransition(t, StateActive, to)
		if !EndsAccess(StateActive, to) {
			t.Errorf("EndsAccess(active, %s) = false", to)
		}
	}
}

func mustTransition(t *testing.T, from, to State) {
	t.Helper()
	if err := Transition(from, to); err != nil {
		t.Fatalf("Transition(%s, %s): %v", from, to, err)
	}
}

// mustInvalidError fails the test unless err is an *Error with code EInvalid.
func mustInvalidError(t *testing.T, err error) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *frontdesk.Error", err, err)
	}
	if e.Code != EInvalid {
		t.Fatalf("error %v has code %s, want %s", err, e.Code, EInvalid)
	}
	return e
}

// mustHaveField fails the test unless err is an *Error with a FieldError for field.
func mustHaveField(t *testing.T, err error, field string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *frontdesk.Error", err, err)
	}
	for _, f := range e.Fields {
		if f.Field == field {
			return
		}
	}
	t.Fatalf("error %v has no problem with field %q (fields: %v)", err, field, e.Fields)
}
