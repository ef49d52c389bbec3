package frontdesk

import "context"

// Actor is who makes a change: a staff member through an API token or a page, or the system
// itself (a command-line operator, a background job) when ID is zero.
type Actor struct {
	ID   int64
	Role Role
	Name string
}

// Can reports whether the actor holds permission p. The system can do everything.
func (a Actor) Can(p Permission) bool { return a.ID == 0 || a.Role.Can(p) }

// System is the actor of command-line operators and background jobs.
var System = Actor{Name: "system", Role: RoleOwner}

type actorKey struct{}

// WithActor returns a context that carries the acting person; authentication sets it once.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the actor in ctx, or System when none was set.
func ActorFrom(ctx context.Context) Actor {
	if a, ok := ctx.Value(actorKey{}).(Actor); ok {
		return a
	}
	return System
}
