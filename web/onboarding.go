package web

import (
	"net/http"
	"net/url"

	"frontdesk/flow"
	"frontdesk/store"
)

// RegistrationCookie holds the registering browser's secret, so that a password given at
// registration counts only when the confirmation link is opened in that browser (C7, E1).
const RegistrationCookie = "fd_registration"

// linkView is the page a link from an email opens: a button, because mail scanners open
// every link before the person does, and only the person's POST may spend it (E1, E2).
type linkView struct {
	*page
	Action, Token, Button, Body string
}

func (s *Server) confirmForm(w http.ResponseWriter, r *http.Request) {
	s.linkForm(w, r, store.PurposeConfirm, "Confirm your address", "/confirm", "Confirm my address",
		"Confirm that this email address is yours to finish setting up your account.")
}

func (s *Server) welcomeForm(w http.ResponseWriter, r *http.Request) {
	s.linkForm(w, r, store.PurposeWelcome, "Set up your account", "/welcome", "Continue",
		"An account is waiting for you. Continue to choose how you log in.")
}

func (s *Server) linkForm(w http.ResponseWriter, r *http.Request, purpose, title, action, button, body string) {
	token := r.URL.Query().Get("token")
	if _, err := s.flows.PeekAddressLink(r.Context(), purpose, token); err != nil {
		p := s.basePage(r, "This link does not work")
		s.render(w, s.fail(r, p, err), "message", messageView{page: p, Body: "Ask for a new one from the login page, or from whoever sent it."})
		return
	}
	s.render(w, http.StatusOK, "link", linkView{s.basePage(r, title), action, token, button, body})
}

// confirm spends a confirmation link and leads on to onboarding (C1, C2).
func (s *Server) confirm(w http.ResponseWriter, r *http.Request) {
	var browser string
	if c, err := r.Cookie(RegistrationCookie); err == nil {
		browser = c.Value
	}
	next, err := s.flows.Confirm(r.Context(), r.PostFormValue("token"), browser)
	if err == nil && browser != "" {
		http.SetCookie(w, &http.Cookie{Name: RegistrationCookie, Path: "/confirm", MaxAge: -1, HttpOnly: true, Secure: s.Secure, SameSite: http.SameSiteLaxMode})
	}
	s.afterAddressLink(w, r, next, err)
}

// welcome spends a welcome link (E2, L5) and leads on to setting credentials.
func (s *Server) welcome(w http.ResponseWriter, r *http.Request) {
	next, err := s.flows.Welcome(r.Context(), r.PostFormValue("token"))
	s.afterAddressLink(w, r, next, err)
}

func (s *Server) afterAddressLink(w http.ResponseWriter, r *http.Request, next flow.Next, err error) {
	if err != nil {
		p := s.basePage(r, "This link does not work")
		status := s.fail(r, p, err)
		s.render(w, status, "message", messageView{page: p, Body: "Ask for a new one from the login page, or from whoever sent it."})
		return
	}
	if next.OnboardingToken != "" {
		http.Redirect(w, r, "/onboarding?token="+url.QueryEscape(next.OnboardingToken), http.StatusSeeOther)
		return
	}
	body := "Your address is confirmed."
	if next.Person.State == "awaiting_approval" {
		body += " A manager will review your registration; we will email you when you can log in."
	}
	s.message(w, r, http.StatusOK, "Address confirmed", body, "/login", "Log in")
}

type onboardingView struct {
	*page
	Token    string
	Staff    bool
	Required bool
	Method   string
	Person   interface{ FullName() string }
}

func (s *Server) onboardingForm(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("token")
	p, err := s.flows.PeekOnboarding(r.Context(), token)
	if err != nil {
		pg := s.basePage(r, "This link does not work")
		s.render(w, s.fail(r, pg, err), "message", messageView{page: pg, Body: "Ask for a new link from the login page."})
		return
	}
	v := onboardingView{page: s.basePage(r, "Finish your account"), Token: token, Staff: p.Role.IsStaff(), Required: p.Role.IsStaff(), Person: p}
	v.Values["preferred_name"], v.Values["timezone"] = p.PreferredName, p.Timezone
	s.render(w, http.StatusOK, "onboarding", v)
}

// onboarding completes the wizard (C1: staff become active here) and sends the person on to
// the login.
func (s *Server) onboarding(w http.ResponseWriter, r *http.Request) {
	token := r.PostFormValue("token")
	v := onboardingView{page: s.basePage(r, "Finish your account"), Token: token, Method: r.PostFormValue("method")}
	v.Values = formValues(r, "preferred_name", "timezone")
	person, err := s.flows.CompleteOnboarding(r.Context(), token, flow.OnboardingInput{Method: store.LoginMethod(v.Method),
		Password: r.PostFormValue("password"), PreferredName: v.Values["preferred_name"], Timezone: v.Values["timezone"]})
	if err != nil {
		// The failed attempt spent nothing, so the token still names the person to show.
		if p, perr := s.flows.PeekOnboarding(r.Context(), token); perr == nil {
			v.Staff, v.Required, v.Person = p.Role.IsStaff(), p.Role.IsStaff(), p
		}
		s.render(w, s.fail(r, v.page, err), "onboarding", v)
		return
	}
	body := "Your account is ready."
	if store.CanLogIn(person) && v.Method != string(store.LoginCode) {
		body += " Log in with your address and your new password."
	}
	s.message(w, r, http.StatusOK, "You are all set", body, "/login", "Log in")
}
