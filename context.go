package frontdesk

import (
	"context"
	"slices"
)

// Actor is who makes a change: a staff member through an API token or a page, or the system
// itself (a command-line operator, a background job).
type Actor struct {
	ID     int64
	Role   Role // the rank: a custom staff role's base role (R2)
	Name   string
	System bool
	// Permissions, when not nil, is the actor's effective set: a custom staff role's, or the
	// built-in role's defaults as authentication copies them. Nil means the defaults of Role.
	Permissions []Permission
	// StaffRole names the actor's custom staff role, "" for a built-in role.
	StaffRole string
}

// Can reports whether the actor holds permission p; it is the one permission check. The
// system can do everything; the zero Actor (nobody) nothing.
func (a Actor) Can(p Permission) bool {
	if a.System {
		return true
	}
	if a.Permissions != nil {
		return slices.Contains(a.Permissions, p)
	}
	return a.Role.Can(p)
}

// RoleName names the actor's role as people know it: the custom staff role, else the built-in.
func (a Actor) RoleName() string {
	if a.StaffRole != "" {
		return a.StaffRole
	}
	return string(a.Role)
}

// System is the actor of command-line operators and background jobs; it must be set
// explicitly, so a path that forgot authentication gets no permission at all.
var System = Actor{Name: "system", Role: RoleOwner, System: true}

type actorKey struct{}

// WithActor returns a context that carries the acting person; authentication sets it once.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the actor in ctx, or the zero Actor, who may do nothing, when none was set.
func ActorFrom(ctx context.Context) Actor {
	a, _ := ctx.Value(actorKey{}).(Actor)
	return a
}
