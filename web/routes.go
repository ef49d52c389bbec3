package web

import (
	"net/http"
	"net/url"

	"frontdesk/store"
)

// routeTable is every page route; routes registers it and Routes lists it, so that tests
// walking every page cannot miss one.
func (s *Server) routeTable() []struct {
	pattern string
	handler http.HandlerFunc
} {
	return []struct {
		pattern string
		handler http.HandlerFunc
	}{
		{"GET /{$}", s.home},
		{"GET /login", s.loginForm},
		{"POST /login", s.login},
		{"POST /login/link", s.requestLoginCode},
		{"GET /login/code", s.loginCodeForm},
		{"POST /logout", s.logout},
		{"GET /forgot", s.forgotForm},
		{"POST /forgot", s.forgot},
		{"GET /reset", s.resetForm},
		{"POST /reset", s.reset},
		{"GET /confirm", s.confirmForm},
		{"POST /confirm", s.confirm},
		{"POST /confirm/resend", s.resendConfirmation},
		{"GET /welcome", s.welcomeForm},
		{"POST /welcome", s.welcome},
		{"GET /onboarding", s.onboardingForm},
		{"POST /onboarding", s.onboarding},
		{"GET /register", s.registerForm},
		{"POST /register", s.register},
		{"GET /account/sessions", s.sessions},
		{"POST /account/sessions/{id}/revoke", s.revokeSession},
		{"GET /account/tokens", s.tokens},
		{"POST /account/tokens", s.createToken},
		{"POST /account/tokens/{id}/revoke", s.revokeOwnToken},
		{"GET /console/tokens", s.everyonesTokens},
		{"POST /console/tokens/{id}/revoke", s.revokeAnyToken},
		{"GET /console/people", s.people},
		{"GET /console/people/new", s.newPersonForm},
		{"POST /console/people/segments", s.saveSegment},
		{"GET /console/organizations", s.organizations},
		{"GET /console/organizations/{id}", s.organization},
		{"POST /console/organizations/{id}/domains/preview", s.previewDomain},
		{"POST /console/organizations/{id}/domains/apply", s.applyDomain},
		{"GET /console/people/invitations", s.invitationsForm},
		{"POST /console/people/invitations", s.sendInvitations},
		{"POST /console/people/new", s.newPerson},
		{"GET /console/people/{id}", s.person},
		{"GET /console/people/{id}/edit", s.editPersonForm},
		// More specific than {action}, so the mux sends the edit form here.
		{"POST /console/people/{id}/edit", s.editPerson},
		{"POST /console/people/{id}/{action}", s.personAction},
		{"GET /console/approvals", s.approvals},
		{"POST /console/approvals/{id}/{decision}", s.decide},
		{"GET /console/tickets", s.tickets},
		{"GET /console/tickets/new", s.newTicketForm},
		{"POST /console/tickets/new", s.newTicket},
		{"GET /console/tickets/{id}/requester", s.changeRequesterForm},
		{"POST /console/tickets/{id}/requester", s.changeRequester},
		{"GET /console/calls/new", s.callForm},
		{"POST /console/calls/new", s.logCall},
		{"GET /console/people/suggest", s.suggestPeople},
		{"GET /static/people-suggest.js", s.peopleSuggestScript},
		{"GET /console/tickets/{id}", s.ticket},
		{"POST /console/tickets/{id}/messages", s.addTicketMessage},
		{"POST /console/tickets/{id}/update", s.updateTicket},
		{"POST /console/tickets/{id}/spam", s.markTicketSpam},
		{"GET /tickets", s.myTickets},
		{"GET /tickets/{id}", s.myTicket},
		{"POST /tickets/{id}/reply", s.replyMyTicket},
		{"POST /tickets/{id}/close", s.closeMyTicket},
		{"POST /tickets/{id}/rate", s.rateMyTicket},
		{"GET /requests/new", s.requestForm},
		{"POST /requests/new", s.submitRequest},
		{"GET /requests/confirm", s.confirmRequestForm},
		{"POST /requests/confirm", s.confirmRequest},
		{"GET /requests/access", s.ticketAccessForm},
		{"POST /requests/access", s.ticketAccess},
		{"GET /requests/ticket", s.guestTicket},
		{"POST /requests/ticket/reply", s.guestReply},
		{"POST /requests/ticket/close", s.guestClose},
		{"POST /requests/ticket/rate", s.guestRate},
		{"GET /embed.js", s.serveEmbedJS},
		{"GET /console/review", s.review},
		{"POST /console/review/{id}/release", s.releaseHeld},
		{"POST /console/review/{id}/discard", s.discardHeld},
		{"POST /console/tickets/{id}/revoke-links", s.revokeGuestLinks},
		{"GET /console/settings", s.settingsForm},
		{"POST /console/settings", s.saveSettings},
		{"GET /console/ticket-types", s.ticketTypes},
		{"POST /console/ticket-types", s.createTicketType},
		{"GET /console/ticket-types/{id}", s.ticketTypeForm},
		{"POST /console/ticket-types/{id}", s.updateTicketType},
		{"GET /attachments/{id}", s.downloadAttachment},
		{"GET /requests/ticket/attachments/{id}", s.guestAttachment},
		{"GET /console/mailboxes", s.mailboxes},
		{"GET /console/mailboxes/new", s.mailboxForm},
		{"POST /console/mailboxes/new", s.saveMailbox},
		{"GET /console/mailboxes/{id}", s.mailboxForm},
		{"POST /console/mailboxes/{id}", s.saveMailbox},
		{"POST /console/mailboxes/{id}/delete", s.deleteMailbox},
		{"GET /console/directories", s.directories},
		{"GET /console/directories/new", s.directoryForm},
		{"POST /console/directories/new", s.saveDirectory},
		{"GET /console/directories/{id}", s.directoryForm},
		{"POST /console/directories/{id}", s.saveDirectory},
		{"POST /console/directories/{id}/delete", s.deleteDirectory},
		{"POST /console/directories/{id}/preview", s.previewDirectory},
		{"GET /console/directories/{id}/runs", s.directoryRuns},
		{"GET /console/directories/{id}/runs/{run}", s.directoryRun},
		{"POST /console/directories/{id}/runs/{run}/apply", s.applyDirectoryRun},
		{"GET /console/suppressions", s.suppressions},
		{"POST /console/suppressions", s.addSuppression},
		{"POST /console/suppressions/remove", s.removeSuppression},
		{"GET /console/inbound", s.inboundLog},
		{"GET /console/inbound/{id}/raw", s.inboundRaw},
		{"POST /console/inbound/{id}/release", s.releaseInbound},
		{"POST /console/inbound/{id}/discard", s.discardInbound},
		{"GET /console/mailbox", s.mailbox},
		{"GET /console/mailbox/{id}", s.mailMessage},
		{"GET /console/imports", s.importsList},
		{"POST /console/imports", s.uploadImport},
		{"GET /console/imports/{id}", s.importPage},
		{"GET /console/imports/{id}/{file}", s.importFile},
		{"POST /console/imports/{id}/retry", s.retryImport},
		{"GET /static/import-progress.js", s.importProgressScript},
	}
}

func (s *Server) routes() {
	for _, r := range s.routeTable() {
		s.mux.Handle(r.pattern, s.withSession(r.handler))
	}
}

// Routes lists the method and pattern of every page route.
func (s *Server) Routes() []string {
	var out []string
	for _, r := range s.routeTable() {
		out = append(out, r.pattern)
	}
	return out
}

func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	s.render(w, http.StatusOK, "home", s.basePage(r, "Welcome"))
}

// requireLogin sends a visitor without a session to the login page and back afterwards.
func (s *Server) requireLogin(w http.ResponseWriter, r *http.Request) bool {
	if s.basePage(r, "").Viewer != nil {
		return true
	}
	http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
	return false
}

func (s *Server) sessions(w http.ResponseWriter, r *http.Request) {
	if !s.requireLogin(w, r) {
		return
	}
	p := s.basePage(r, "Your sessions")
	list, err := s.db.ListSessions(r.Context(), p.Viewer.ID)
	if err != nil {
		s.render(w, s.fail(r, p, err), "message", messageView{page: p})
		return
	}
	cur, _ := r.Context().Value(sessionKey{}).(*store.Session)
	s.render(w, http.StatusOK, "sessions", struct {
		*page
		Sessions       []store.Session
		CurrentSession string
	}{p, list, cur.ID})
}

func (s *Server) revokeSession(w http.ResponseWriter, r *http.Request) {
	if !s.requireLogin(w, r) {
		return
	}
	p := s.basePage(r, "Your sessions")
	if err := s.db.RevokeSession(r.Context(), p.Viewer.ID, r.PathValue("id")); err != nil {
		s.render(w, s.fail(r, p, err), "message", messageView{page: p})
		return
	}
	http.Redirect(w, r, "/account/sessions", http.StatusSeeOther)
}
