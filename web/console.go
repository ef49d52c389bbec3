package web

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"frontdesk"
	"frontdesk/store"
)

// requirePermission lets a logged-in staff member with the permission through (R4).
func (s *Server) requirePermission(w http.ResponseWriter, r *http.Request, perm frontdesk.Permission) bool {
	if !s.requireLogin(w, r) {
		return false
	}
	if a := viewerActor(r); !a.Role.IsStaff() || !a.Can(perm) {
		s.message(w, r, http.StatusForbidden, "Not allowed", "Your role does not allow this page.", "/", "Home")
		return false
	}
	return true
}

type newPersonView struct {
	*page
	Roles []frontdesk.Role
	Role  string
}

func (s *Server) newPersonForm(w http.ResponseWriter, r *http.Request) {
	if !s.requirePermission(w, r, frontdesk.PermPeopleCreate) {
		return
	}
	s.render(w, http.StatusOK, "person_new", newPersonView{page: s.basePage(r, "Add a person"), Roles: assignable(viewerActor(r)), Role: "contact"})
}

// assignable lists the roles the actor may give (R3).
func assignable(a frontdesk.Actor) []frontdesk.Role {
	var out []frontdesk.Role
	for _, role := range frontdesk.Roles {
		if a.CheckRoleChange(frontdesk.RoleContact, role) == nil {
			out = append(out, role)
		}
	}
	return out
}

// newPerson adds a staff member (C1), a contact (C2) or a machine contact (C3).
func (s *Server) newPerson(w http.ResponseWriter, r *http.Request) {
	if !s.requirePermission(w, r, frontdesk.PermPeopleCreate) {
		return
	}
	v := newPersonView{page: s.basePage(r, "Add a person"), Roles: assignable(viewerActor(r)), Role: r.PostFormValue("role")}
	v.Values = formValues(r, "name", "email")
	role := frontdesk.Role(v.Role)
	machine := r.PostFormValue("machine") == "1"
	name := v.Values["name"]
	in := frontdesk.PersonInput{Name: &name, Role: &role, Machine: &machine}
	if email := v.Values["email"]; email != "" {
		in.Email = &email
	}
	p, err := s.flows.PreparePerson(r.Context(), in, frontdesk.ChannelConsole)
	if err == nil {
		err = s.flows.CreatePerson(r.Context(), p)
	}
	if err != nil {
		s.render(w, s.fail(r, v.page, err), "person_new", v)
		return
	}
	http.Redirect(w, r, "/console/people/"+strconv.FormatInt(p.ID, 10)+"?created=1", http.StatusSeeOther)
}

type action struct{ Name, Label string }

type personView struct {
	*page
	Person  *frontdesk.Person
	Actions []action
	Roles   []frontdesk.Role
	// Organization is the name of the person's organization, if any.
	Organization string
	// CanEdit offers the profile editor to a viewer with people.update; the flow still
	// decides on saving whether this viewer may change this person (R3).
	CanEdit bool
	// CanOpenTicket links to a new ticket on the person's behalf (C10), for a viewer with
	// tickets.answer; the flow checks it again.
	CanOpenTicket bool
	// Tickets are the person's latest tickets, for a viewer who may read tickets.
	Tickets []*frontdesk.Ticket
	// Identities are the chat ids and handles a channel gave (C13), by channel.
	Identities map[string][]string
}

// actionsFor offers the actions the person's state allows, by the one transition table.
func actionsFor(p *frontdesk.Person) []action {
	var out []action
	can := func(to frontdesk.State) bool { return frontdesk.Transition(p.State, to) == nil }
	if p.State == frontdesk.StateNotActivated {
		out = append(out, action{"activate", "Activate and send a registration email"})
	}
	if can(frontdesk.StateDisabled) {
		out = append(out, action{"disable", "Disable"})
	}
	if p.State == frontdesk.StateDisabled {
		out = append(out, action{"enable", "Re-enable"})
	}
	if p.State == frontdesk.StateBanned {
		out = append(out, action{"unban", "Lift the ban"})
	}
	if can(frontdesk.StateTrashed) {
		out = append(out, action{"trash", "Move to trash"})
	}
	if p.State == frontdesk.StateTrashed {
		out = append(out, action{"restore", "Restore"})
	}
	if !p.Machine && (p.Role.IsStaff() || p.WebAccess != frontdesk.WebAccessNone) {
		out = append(out, action{"send-welcome", "Send the welcome email"}, action{"send-reset", "Send a password reset"})
	}
	return out
}

func (s *Server) person(w http.ResponseWriter, r *http.Request) {
	if !s.requirePermission(w, r, frontdesk.PermPeopleRead) {
		return
	}
	v := personView{page: s.basePage(r, "Person")}
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	p, err := s.db.GetPerson(r.Context(), id)
	if err != nil {
		s.render(w, s.fail(r, v.page, err), "message", messageView{page: v.page})
		return
	}
	if r.URL.Query().Get("created") == "1" {
		v.Notice = "Added. A confirmation email is on its way unless this is a machine contact."
	}
	if n := r.URL.Query().Get("done"); n != "" {
		v.Notice = "Done: " + n + "."
	}
	switch r.URL.Query().Get("saved") {
	case "1":
		v.Notice = "Saved."
	case "address":
		v.Notice = "Saved. A confirmation was sent to the new address; it counts once its owner confirms it."
	}
	if p.OrganizationID != nil {
		o, err := s.db.GetOrganization(r.Context(), *p.OrganizationID)
		if err != nil {
			s.render(w, s.fail(r, v.page, err), "message", messageView{page: v.page})
			return
		}
		v.Organization = o.Name
	}
	v.Person, v.Actions, v.Roles, v.Title = p, actionsFor(p), assignable(viewerActor(r)), personLabel(p)
	v.CanOpenTicket = viewerActor(r).Can(frontdesk.PermTicketsAnswer) && p.State != frontdesk.StateTrashed && p.State != frontdesk.StateBanned
	v.CanEdit = viewerActor(r).Can(frontdesk.PermPeopleUpdate)
	v.Tickets = s.ticketsOf(r.Context(), p.ID)
	if v.Identities, err = s.db.Identities(r.Context(), p.ID); err != nil {
		s.render(w, s.fail(r, v.page, err), "message", messageView{page: v.page})
		return
	}
	s.render(w, http.StatusOK, "person", v)
}

// personAction runs one profile action (L2, L4, L5, E2, E3, R3) through its flow, which
// decides who may do it to whom.
func (s *Server) personAction(w http.ResponseWriter, r *http.Request) {
	if !s.requireLogin(w, r) {
		return
	}
	act := r.PathValue("action")
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err := s.runAction(r.Context(), r, act, id); err != nil {
		v := s.basePage(r, "Action failed")
		s.render(w, s.fail(r, v, err), "message", messageView{page: v, Link: &struct{ Href, Text string }{"/console/people/" + r.PathValue("id"), "Back to the person"}})
		return
	}
	http.Redirect(w, r, "/console/people/"+r.PathValue("id")+"?done="+act, http.StatusSeeOther)
}

func (s *Server) runAction(ctx context.Context, r *http.Request, act string, id int64) error {
	to := func(st frontdesk.State) error {
		_, err := s.flows.SetState(ctx, id, store.StateChange{To: st})
		return err
	}
	var err error
	switch act {
	case "activate":
		_, err = s.flows.Activate(ctx, id)
	case "disable":
		err = to(frontdesk.StateDisabled)
	case "enable", "unban":
		err = to(frontdesk.StateActive)
	case "trash":
		err = to(frontdesk.StateTrashed)
	case "restore":
		_, err = s.flows.Restore(ctx, id)
	case "ban":
		c := store.StateChange{To: frontdesk.StateBanned, BanReason: strings.TrimSpace(r.PostFormValue("ban_reason"))}
		if v := r.PostFormValue("banned_until"); v != "" {
			t, perr := time.ParseInLocation("2006-01-02T15:04", v, time.UTC)
			if perr != nil {
				return frontdesk.InvalidField("banned_until", "write it as YYYY-MM-DDTHH:MM")
			}
			c.BannedUntil = &t
		}
		_, err = s.flows.SetState(ctx, id, c)
	case "send-welcome":
		err = s.flows.SendWelcome(ctx, id)
	case "send-reset":
		err = s.flows.SendReset(ctx, id)
	case "role":
		_, err = s.flows.ChangeRole(ctx, id, frontdesk.Role(r.PostFormValue("role")))
	default:
		err = frontdesk.Errorf(frontdesk.ENotFound, "there is no action %q", act)
	}
	return err
}

type approvalsView struct {
	*page
	People []*frontdesk.Person
}

// approvals is the queue of registrants waiting for a manager (C7).
func (s *Server) approvals(w http.ResponseWriter, r *http.Request) {
	if !s.requirePermission(w, r, frontdesk.PermPeopleManage) {
		return
	}
	v := approvalsView{page: s.basePage(r, "Waiting for approval")}
	people, _, err := s.db.ListPeople(r.Context(), frontdesk.PersonFilter{States: []frontdesk.State{frontdesk.StateAwaitingApproval}}, frontdesk.Page{Limit: frontdesk.MaxPageSize})
	if err != nil {
		s.render(w, s.fail(r, v.page, err), "message", messageView{page: v.page})
		return
	}
	v.People = people
	s.render(w, http.StatusOK, "approvals", v)
}

// decide approves or rejects a registrant (C7) through the one approval flow, which takes
// only people awaiting approval and below the actor.
func (s *Server) decide(w http.ResponseWriter, r *http.Request) {
	if !s.requireLogin(w, r) {
		return
	}
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	var err error
	switch r.PathValue("decision") {
	case "approve":
		_, err = s.flows.Approve(r.Context(), id)
	case "reject":
		_, err = s.flows.Reject(r.Context(), id)
	default:
		err = frontdesk.Errorf(frontdesk.ENotFound, "there is no decision %q", r.PathValue("decision"))
	}
	if err != nil {
		v := s.basePage(r, "Waiting for approval")
		s.render(w, s.fail(r, v, err), "message", messageView{page: v})
		return
	}
	http.Redirect(w, r, "/console/approvals", http.StatusSeeOther)
}
