package frontdesk

import "context"

// Actor is who makes a change: a staff member through an API token or a page, or the system
// itself (a command-line operator, a background job).
type Actor struct {
	ID     int64
	Role   Role
	Name   string
	System bool
}

// Can reports whether the actor holds permission p. The system can do everything; the zero
// Actor (nobody) nothing.
func (a Actor) Can(p Permission) bool { return a.System || a.Role.Can(p) }

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
