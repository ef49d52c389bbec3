package frontdesk

import (
	"fmt"
	"slices"
)

// State is where a person stands in their lifecycle (L1).
type State string

// The states of a person. "Without login" is a filter, not a state.
const (
	StateNotActivated     State = "not_activated"
	StateAwaitingApproval State = "awaiting_approval"
	StateActive           State = "active"
	StateDisabled         State = "disabled"
	StateBanned           State = "banned"
	StateTrashed          State = "trashed"
)

// States lists every state in lifecycle order.
var States = []State{StateNotActivated, StateAwaitingApproval, StateActive, StateDisabled, StateBanned, StateTrashed}

// Valid reports whether s is a known state.
func (s State) Valid() bool { return slices.Contains(States, s) }

// transitions is the one table of allowed state changes (L1). Every change of a person's
// state is checked against it by Transition; nothing else decides.
var transitions = map[State][]State{
	// Confirming the address leads to active, or to the approval queue when registration
	// needs a manager's approval; staff may also activate by hand (L5).
	StateNotActivated: {StateAwaitingApproval, StateActive, StateDisabled, StateBanned, StateTrashed},
	// A manager approves or rejects (rejection trashes, so it can be undone).
	StateAwaitingApproval: {StateActive, StateBanned, StateTrashed},
	StateActive:           {StateDisabled, StateBanned, StateTrashed},
	// Re-enabling restores access and every ticket (L2).
	StateDisabled: {StateActive, StateBanned, StateTrashed},
	// A ban is lifted by hand or ends by itself at its time (L4).
	StateBanned: {StateActive, StateDisabled, StateTrashed},
	// Restoring returns the person to the state they had before trashing; the store keeps it.
	StateTrashed: {StateNotActivated, StateAwaitingApproval, StateActive, StateDisabled, StateBanned},
}

// Transition checks that a person may move from one state to another and returns an
// EInvalid error naming both states when the table does not allow it.
func Transition(from, to State) error {
	if !from.Valid() {
		return InvalidField("state", "unknown current state %q", from)
	}
	if !to.Valid() {
		return InvalidField("state", "unknown state %q; expected one of %v", to, States)
	}
	if !slices.Contains(transitions[from], to) {
		return &Error{Code: EInvalid, Message: fmt.Sprintf("a person cannot move from %s to %s", from, to),
			Fields: []FieldError{{Field: "state", Message: fmt.Sprintf("transition from %s to %s is not allowed", from, to)}}}
	}
	return nil
}

// EndsAccess reports whether entering state to must end the person's sessions and API tokens
// at once (L3): every move away from active does.
func EndsAccess(from, to State) bool { return from == StateActive && to != StateActive }
